"""The typesetting of every village notice printed for the board (A4 PDF): the embedded font, Chinese line
breaking, the :class:`Notice` page with its footer (a left text and 第 N 页 共 M 页), a bordered table whose heading
row repeats on every page, section headings kept with what follows, and QR codes drawn as vector squares.

The PDF embeds its font (Noto Sans CJK SC, a GB 2312 subset bundled in ``backend/core/printing/fonts``, see the
README there), so a phone or a print shop without Chinese fonts shows it the same. A character the bundled font
lacks (a rare character in a name, outside GB 2312) is printed as 〓, the typesetter's mark for a missing
character, rather than silently dropped.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent / "fonts"  # backend/core/printing/fonts
FONT_REGULAR = FONT_DIR / "NotoSansCJKsc-Regular-GB2312.otf"
FONT_BOLD = FONT_DIR / "NotoSansCJKsc-Bold-GB2312.otf"
FONT_FAMILY = "NotoSansCJKsc"
MISSING_MARK = "〓"  # 〓 (geta mark): the typesetter's sign for a character the type does not have

# sizes in points; the body is 12 pt, larger than a book, for reading on a wall
TITLE_PT, SUBTITLE_PT, _SECTION_PT, BODY_PT, _SMALL_PT, _CODE_PT = 26, 16, 16, 12, 9, 34
_PT = 25.4 / 72  # mm per point
_MARGIN = 15.0
_FOOTER_MM = 18.0
_PAD = 1.3  # cell padding, mm
_QR_MM = 40.0


@cache
def _font_chars() -> frozenset[int]:
    with TTFont(str(FONT_REGULAR), lazy=True) as font:
        return frozenset(font["cmap"].getBestCmap())


def _clean(text: str) -> str:
    """One line of printable text: control characters become spaces, characters the font lacks become 〓."""
    chars = _font_chars()
    out = []
    for c in text:
        if c in "\r\n\t" or unicodedata.category(c) in ("Cc", "Cf"):
            out.append(" ")
        elif ord(c) in chars:
            out.append(c)
        else:
            out.append(MISSING_MARK)
    return "".join(out).strip()


# 禁则: what may not start a line (closing marks, pauses) and what may not end one (opening marks)
_NO_LINE_START = frozenset("，。、；：！？）》」』】〕〉”’…—%,.;:!?)]}")
_NO_LINE_END = frozenset("（《「『【〔〈“‘([{")


_CHAR_WIDTHS: dict[tuple[str, str, float], dict[str, float]] = {}  # (family, style, size) → char → mm


def _breakable(before: str, after: str) -> bool:
    """May a line end with ``before`` and the next begin with ``after``?"""
    if after in _NO_LINE_START or before in _NO_LINE_END:
        return False
    # an ASCII word or number (a voucher number, an amount) stays whole
    return not (before.isascii() and before.isalnum() and after.isascii() and after.isalnum())


def _wrap(pdf: FPDF, text: str, width: float) -> str:
    """Break ``text`` into lines of at most ``width`` mm at the current font, between any two characters (as
    Chinese is set) but never before a closing mark or after an opening one, nor inside an ASCII word or number
    that fits on a line. Returns the lines joined by newlines (the table then does not wrap them again)."""
    # no kerning or shaping: the widths of characters simply add up
    cache = _CHAR_WIDTHS.setdefault((pdf.font_family, pdf.font_style, pdf.font_size_pt), {})
    widths = {c: cache[c] if c in cache else cache.setdefault(c, pdf.get_string_width(c)) for c in set(text)}
    lines: list[str] = []
    line: list[str] = []
    used = 0.0
    for c in text:
        if not line or used + widths[c] <= width:
            line.append(c)
            used += widths[c]
            continue
        cut = len(line)
        while cut > 0 and not _breakable(line[cut - 1], line[cut] if cut < len(line) else c):
            cut -= 1
        rest = [*line[cut:], c]
        if cut == 0 or sum(widths[x] for x in rest) > width:  # no allowed break: cut where it is full
            cut, rest = len(line), [c]
        lines.append("".join(line[:cut]))
        line, used = rest, sum(widths[x] for x in rest)
    if line:
        lines.append("".join(line))
    return "\n".join(lines)


class Notice(FPDF):
    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_left = footer_left
        self.add_font(FONT_FAMILY, "", str(FONT_REGULAR))
        self.add_font(FONT_FAMILY, "B", str(FONT_BOLD))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=_FOOTER_MM)
        self.set_draw_color(90)
        self.set_line_width(0.3)

    def close_fonts(self) -> None:
        """Close the font files fpdf keeps open (fontTools reads them lazily): after ``output`` or when a set
        PDF is thrown away (a measuring pass)."""
        for face in self.fonts.values():
            ttfont = getattr(face, "ttfont", None)
            if ttfont is not None:
                ttfont.close()

    def output(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().output(*args, **kwargs)
        finally:
            self.close_fonts()

    def footer(self) -> None:
        self.set_y(-_FOOTER_MM + 5)
        self.set_font(FONT_FAMILY, "", 10)
        self.set_text_color(60)
        self.cell(w=self.epw * 0.7, h=6, text=self._footer_left, align=Align.L)
        self.cell(w=0, h=6, text=f"第 {self.page_no()} 页 共 {{nb}} 页", align=Align.R)
        self.set_text_color(0)

    def room(self) -> float:
        return self.page_break_trigger - self.get_y()

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if self.room() < height:
            self.add_page()

    def line_h(self, size_pt: float, leading: float = 1.45) -> float:
        return size_pt * _PT * leading

    def para(self, text: str, size: float, *, bold: bool = False, align: Align = Align.L, gap: float = 0) -> None:
        self.set_font(FONT_FAMILY, "B" if bold else "", size)
        self.multi_cell(
            w=0,
            h=self.line_h(size),
            text=_clean(text),
            align=align,
            wrapmode=WrapMode.CHAR,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        if gap:
            self.ln(gap)

    def width_of(self, texts: Iterable[str], size: float, *, bold: bool = False) -> float:
        self.set_font(FONT_FAMILY, "B" if bold else "", size)
        return max((self.get_string_width(_clean(t)) for t in texts), default=0.0) + 2 * _PAD + 0.5

    def qr(self, data: str, x: float, y: float, size: float) -> None:
        """Draw ``data`` as a QR code (error correction M) with its 4-module quiet zone, as vector squares."""
        matrix = segno.make(data, error="m", micro=False).matrix
        n = len(matrix)
        module = size / (n + 8)
        self.set_fill_color(255)
        self.rect(x, y, size, size, style="F")
        self.set_fill_color(0)
        for r, row in enumerate(matrix):
            c = 0
            while c < n:
                if not row[c]:
                    c += 1
                    continue
                start = c
                while c < n and row[c]:
                    c += 1
                # a hair of overlap so no white seam shows between neighbouring runs when printed
                self.rect(
                    x + (4 + start) * module,
                    y + (4 + r) * module,
                    (c - start) * module + 0.02,
                    module + 0.02,
                    style="F",
                )
        self.set_fill_color(255)


def notice_table(
    pdf: Notice,
    widths: Sequence[float],
    aligns: Sequence[str],
    heading: Sequence[str],
    rows: Sequence[Sequence[str]],
    total: Sequence[tuple[str, int]] | None = None,
    empty: str | None = None,
) -> None:
    """A bordered table at body size whose heading row repeats on every page it runs onto; rows are zebra-shaded
    to help an eye follow a line across; ``total`` is a last bold row of (text, colspan) cells."""
    body = FontFace(family=FONT_FAMILY, emphasis="", size_pt=BODY_PT)
    pdf.set_font(FONT_FAMILY, "", BODY_PT)
    with pdf.table(
        col_widths=tuple(widths),
        width=min(sum(widths), pdf.epw),
        align=Align.L,
        text_align=tuple(aligns),
        line_height=pdf.line_h(BODY_PT, 1.3),
        padding=(_PAD, _PAD),
        headings_style=FontFace(family=FONT_FAMILY, emphasis="B", size_pt=BODY_PT, fill_color=(220, 220, 220)),
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        cell_fill_color=(243, 243, 243),
        wrapmode=WrapMode.CHAR,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in heading:
            head.cell(_clean(h), align=Align.C)
        for cells in rows:
            pdf.set_font(FONT_FAMILY, "", BODY_PT)
            table.row(
                [_wrap(pdf, _clean(c), w - 2 * _PAD - 0.05) for c, w in zip(cells, widths, strict=True)],
                style=body,
            )
        if empty is not None and not rows:
            table.row(style=body).cell(_clean(empty), colspan=len(widths), align=Align.C)
        if total is not None:
            row = table.row(
                style=FontFace(family=FONT_FAMILY, emphasis="B", size_pt=BODY_PT, fill_color=(220, 220, 220))
            )
            for text, span in total:
                row.cell(_clean(text), colspan=span, align=Align.C if span > 1 else Align.R)


def notice_section(pdf: Notice, title: str, then: float) -> None:
    """A section heading, kept on the same page as the first ``then`` mm of what follows."""
    pdf.ln(2.5)
    pdf.keep(pdf.line_h(_SECTION_PT) + then)
    pdf.para(title, _SECTION_PT, bold=True, gap=1)




def clean(text: str) -> str:
    """One printable line (see :func:`_clean`)."""
    return _clean(text)


def missing_chars(texts: Iterable[str]) -> frozenset[str]:
    """The characters of ``texts`` that the font does not have (they print as 〓); empty when all print."""
    chars = _font_chars()
    return frozenset(
        c
        for text in texts
        for c in text
        if ord(c) not in chars and c not in "\r\n\t" and unicodedata.category(c) not in ("Cc", "Cf")
    )
