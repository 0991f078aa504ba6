"""Rebuild the two bundled fonts from Noto Sans CJK (a developer tool; the application never runs it).

    pip download --no-deps manimgx-fonts-cjk==2026.9.26.post1   # ships NotoSansCJK-VF.otf.ttc (OFL 1.1)
    unzip -j manimgx_fonts_cjk-*.whl '*/NotoSansCJK-VF.otf.ttc' -d /tmp/noto
    python backend/ledger/fonts/build_fonts.py /tmp/noto/NotoSansCJK-VF.otf.ttc

What it does, for weights 400 (Regular) and 700 (Bold) of the Simplified Chinese face (index 2 of the collection):
keep only the characters of GB 2312 (all 6,763 hanzi of levels 1 and 2, plus its 682 symbols: full-width
punctuation, digits, letters, ①…, ㈠…) and printable ASCII and a few extras; drop the layout, vertical and
variation tables; pin the weight axis; turn the CFF2 outlines into plain CFF (what a PDF embeds as /FontFile3);
and name the result as a static font. Needs only fontTools (already there through fpdf2).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.cffLib.CFF2ToCFF import convertCFF2ToCFF
from fontTools.ttLib import TTCollection, TTFont
from fontTools.varLib import instancer

HERE = Path(__file__).resolve().parent
SC_FACE = 2  # 0 JP, 1 KR, 2 SC, 3 TC, 4 HK in NotoSansCJK-VF.otf.ttc
WEIGHTS = {400: "Regular", 700: "Bold"}
EXTRA = "〇·¥￥—–‘’“”…•・№℃°×÷±≤≥‰"


def gb2312(first_row: int, last_row: int) -> list[str]:
    """The characters of GB 2312 rows ``first_row``..``last_row`` (1-94), decoded from the EUC-CN bytes."""
    out = []
    for hi in range(0xA0 + first_row, 0xA0 + last_row + 1):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                out.append(bytes([hi, lo]).decode("gb2312"))
    return out


def charset() -> set[str]:
    symbols = gb2312(1, 9)
    hanzi = gb2312(16, 87)  # level 1: rows 16-55 (3,755); level 2: rows 56-87 (3,008)
    return {*symbols, *hanzi, *map(chr, range(0x20, 0x7F)), *EXTRA}


def _subset_variable(ttc: Path, work: Path) -> Path:
    font = TTCollection(str(ttc)).fonts[SC_FACE]
    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["DSIG", "VORG", "vhea", "vmtx", "VVAR", "BASE", "STAT"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    sub = subset.Subsetter(opts)
    sub.populate(unicodes=[ord(c) for c in charset()])
    sub.subset(font)
    out = work / "subset-vf.otf"
    font.save(str(out))
    return out


def _static(vf: Path, weight: int, work: Path) -> TTFont:
    # fontTools' own downgradeCFF2=True trips on this CID-keyed font, so convert in a second step.
    inst = instancer.instantiateVariableFont(TTFont(str(vf)), {"wght": weight}, updateFontNames=False)
    tmp = work / f"inst-{weight}.otf"
    inst.save(str(tmp))
    font = TTFont(str(tmp))
    old_order = font.getGlyphOrder()
    _ = font["cmap"].tables, font["hmtx"].metrics  # read them under the old glyph names
    for tag in ("GSUB", "GPOS", "GDEF", "HVAR"):
        if tag in font:
            del font[tag]
    _ = font["CFF2"].cff.topDictIndex[0].CharStrings
    convertCFF2ToCFF(font)
    # the CFF is CID-keyed: its glyphs are named cid00001 …; rename the other tables' glyphs to match
    new_order = list(font["CFF "].cff.topDictIndex[0].charset)
    rename = dict(zip(old_order, new_order, strict=True))
    font.setGlyphOrder(new_order)
    font["hmtx"].metrics = {rename[g]: m for g, m in font["hmtx"].metrics.items()}
    for table in font["cmap"].tables:
        table.cmap = {u: rename[g] for u, g in table.cmap.items()}
    font["post"].formatType = 3.0
    return font


def _name(font: TTFont, weight: int) -> None:
    style = WEIGHTS[weight]
    ps = f"NotoSansCJKsc-{style}"
    table = font["name"]
    table.removeNames(nameID=17)
    table.removeNames(nameID=16)
    values = {
        1: "Noto Sans CJK SC",
        2: style,
        3: f"2.004;ADBO;{ps};ADOBE;GB2312-subset",
        4: "Noto Sans CJK SC" if style == "Regular" else f"Noto Sans CJK SC {style}",
        6: ps,
    }
    for record in table.names:  # every platform and language, so no record still says Thin or Regular
        if record.nameID in (2, 3, 4, 6):
            record.string = values[record.nameID]
    for name_id, value in values.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)
    font["CFF "].cff.fontNames = [ps]
    font["OS/2"].usWeightClass = weight
    bold = weight >= 700
    font["OS/2"].fsSelection = (font["OS/2"].fsSelection & ~0b1100001) | (0b100000 if bold else 0b1000000)
    font["head"].macStyle = (font["head"].macStyle & ~1) | (1 if bold else 0)


def main(ttc: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        vf = _subset_variable(Path(ttc), work)
        for weight, style in WEIGHTS.items():
            font = _static(vf, weight, work)
            _name(font, weight)
            out = HERE / f"NotoSansCJKsc-{style}-GB2312.otf"
            font.save(str(out))
            print(out.name, out.stat().st_size, "bytes,", len(font.getGlyphOrder()), "glyphs")


if __name__ == "__main__":
    main(sys.argv[1])
