"""A published 财务公开 as an A4 PDF to print and post on the village notice board.

The PDF embeds its font (Noto Sans CJK SC, a GB 2312 subset bundled in ``backend/disclosures/fonts``, see the
README there), so a phone or a print shop without Chinese fonts shows it the same. A character the bundled font
lacks (a rare character in a name, outside GB 2312) is printed as 〓, the typesetter's mark for a missing
character, rather than silently dropped; :func:`unprintable_chars` lets the caller warn before publishing.

Every page carries the seal's short code in its footer, the last page the full SHA-256 and a QR code to
``doc.url``, so a villager can scan the paper and check that the code on the phone is the same. A disclosure
without a seal (a draft) says so in large type instead of a code. :class:`Notice`, :func:`notice_table` and
:func:`notice_section` are the notice's typesetting, for other notices in the same style.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from backend.disclosures.printing.document import (
    LINE_COLUMNS,
    DisclosureDoc,
    check_figures,
    cn_date,
    decision_text,
    format_yuan,
    period_label,
    published_date,
    seal_text,
    short_code,
    signed_in_words,
    subtitle,
)

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"  # backend/disclosures/fonts
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


def _texts(doc: DisclosureDoc) -> Iterable[str]:
    yield from (doc.village_name, doc.township_name, doc.title, doc.approved_by or "", doc.prepared_by or "")
    for line in doc.lines:
        yield from (line.voucher_no, line.summary, line.category)
    for item in doc.large_items:
        yield from (item.summary, item.decision_title or "", item.decision_ref or "")
    yield from (c[0] for c in doc.by_category)


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


def unprintable_chars(doc: DisclosureDoc) -> frozenset[str]:
    """The characters of ``doc`` that the PDF's font does not have (they print as 〓); empty when all print."""
    chars = _font_chars()
    return frozenset(
        c
        for text in _texts(doc)
        for c in text
        if ord(c) not in chars and c not in "\r\n\t" and unicodedata.category(c) not in ("Cc", "Cf")
    )


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


def _line_cells(doc: DisclosureDoc, year: int) -> list[tuple[str, ...]]:
    return [
        (
            str(n),
            cn_date(line.date, year=year),
            line.voucher_no,
            line.summary,
            line.category,
            format_yuan(line.income_fen) if line.income_fen else "",
            format_yuan(line.expense_fen) if line.expense_fen else "",
        )
        for n, line in enumerate(doc.lines, start=1)
    ]


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
    pdf.ln(4)
    pdf.keep(pdf.line_h(_SECTION_PT) + then)
    pdf.para(title, _SECTION_PT, bold=True, gap=1)


def _seal_block(pdf: Notice, doc: DisclosureDoc) -> None:
    height = _QR_MM + 8
    pdf.ln(4)
    pdf.keep(height)
    x0, y0 = pdf.l_margin, pdf.get_y()
    pdf.rect(x0, y0, pdf.epw, height)
    qr_x = x0 + pdf.epw - _QR_MM - 4
    pdf.qr(doc.url, qr_x, y0 + 4, _QR_MM)
    text_w = qr_x - x0 - 8
    pdf.set_xy(x0 + 4, y0 + 3)
    pdf.set_font(FONT_FAMILY, "B", 14)
    pdf.cell(w=text_w, h=pdf.line_h(14), text="封签码", new_x=XPos.LEFT, new_y=YPos.NEXT)
    if doc.seal_hash:
        pdf.set_font(FONT_FAMILY, "B", _CODE_PT)
        pdf.cell(
            w=text_w, h=pdf.line_h(_CODE_PT, 1.15), text=short_code(doc.seal_hash), new_x=XPos.LEFT, new_y=YPos.NEXT
        )
    else:
        pdf.set_font(FONT_FAMILY, "B", 20)
        pdf.cell(w=text_w, h=pdf.line_h(_CODE_PT, 1.15), text=seal_text(doc), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "", 11)
    pdf.multi_cell(
        w=text_w,
        h=pdf.line_h(11, 1.35),
        wrapmode=WrapMode.CHAR,
        new_x=XPos.LEFT,
        new_y=YPos.NEXT,
        text="用微信扫右边的二维码，在手机上打开这份公开，核对封签码是否和本页相同。",
    )
    pdf.set_font(FONT_FAMILY, "", _SMALL_PT - 1)
    pdf.set_text_color(60)
    for label, value in (("封签 SHA-256", doc.seal_hash or "—"), ("上一封签", doc.prev_seal_hash or "—")):
        pdf.cell(w=text_w, h=pdf.line_h(_SMALL_PT - 1, 1.3), text=f"{label}：{value}", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0)
    pdf.set_xy(x0, y0 + height)


def disclosure_pdf(doc: DisclosureDoc) -> bytes:
    """An A4 portrait notice: title, the lines (the table runs over as many pages as it needs, its heading row
    repeated), totals with 大写, by category, large items with their decisions, approval, and the seal box (short
    code in large type, the full hash small, a QR code to ``doc.url``). Every page: short code and 第 N 页 共 M 页.
    The font is embedded. Same document in, same bytes out (the PDF's dates come from ``published_at``).
    """
    check_figures(doc)
    label = period_label(doc.period)
    year = int(doc.period[:4])
    published = published_date(doc.published_at)
    code = seal_text(doc)
    pdf = Notice(_clean(f"{doc.village_name}财务公开 {label}　封签码 {code}"))
    pdf.set_title(f"{doc.village_name}财务公开 {label}")
    pdf.set_subject(doc.title)
    pdf.set_author(f"{doc.township_name}{doc.village_name}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("阳光村务")
    pdf.set_producer("阳光村务")
    stamp = doc.published_at or datetime(year, 1, 1, tzinfo=UTC)
    pdf.set_creation_date(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    pdf.add_page()

    pdf.para(f"{doc.village_name}财务公开", TITLE_PT, bold=True, align=Align.C)
    pdf.para(subtitle(doc, label), SUBTITLE_PT, bold=True, align=Align.C, gap=2)
    pdf.para(
        f"{doc.township_name}　{doc.village_name}　　公示日期：{cn_date(published)}", BODY_PT, align=Align.C, gap=3
    )

    # column widths from what is in them; 摘要 takes what is left
    cells = _line_cells(doc, year)
    money = [format_yuan(doc.income_total_fen), format_yuan(doc.expense_total_fen)]
    money += [c[5] for c in cells] + [c[6] for c in cells]
    money += [format_yuan(x.amount_fen) for x in doc.large_items]  # the summary tables share these widths
    money += [format_yuan(fen) for c in doc.by_category for fen in c[1:]]
    widths = [
        pdf.width_of(["序号", *(c[0] for c in cells)], BODY_PT, bold=True),
        pdf.width_of(["日期", *(c[1] for c in cells)], BODY_PT, bold=True),
        min(34.0, pdf.width_of(["凭证号", *(c[2] for c in cells)], BODY_PT, bold=True)),
        0.0,
        min(30.0, pdf.width_of(["类别", *(c[4] for c in cells)], BODY_PT, bold=True)),
        pdf.width_of(["收入（元）", *money], BODY_PT, bold=True),
        pdf.width_of(["支出（元）", *money], BODY_PT, bold=True),
    ]
    widths[3] = pdf.epw - sum(widths)
    notice_table(
        pdf,
        widths,
        ("C", "C", "C", "L", "C", "R", "R"),
        LINE_COLUMNS,
        cells,
        total=[("合计", 5), (money[0], 1), (money[1], 1)],
        empty="本期无收支",
    )
    pdf.ln(2)
    pdf.keep(2 * pdf.line_h(13))
    pdf.para(f"收入合计（大写）：人民币{signed_in_words(doc.income_total_fen)}", 13, bold=True)
    pdf.para(f"支出合计（大写）：人民币{signed_in_words(doc.expense_total_fen)}", 13, bold=True)

    row_h = pdf.line_h(BODY_PT, 1.3) + 2 * _PAD
    notice_section(pdf, "分类汇总", 3 * row_h)
    cat_rows = [(c[0], format_yuan(c[1]), format_yuan(c[2])) for c in doc.by_category]
    amount_w = max(widths[5], widths[6])
    notice_table(
        pdf,
        (pdf.epw - 2 * amount_w, amount_w, amount_w),
        ("L", "R", "R"),
        ("类别", "收入（元）", "支出（元）"),
        cat_rows,
        empty="无",
    )

    notice_section(pdf, "大额收支及依据的决议", 3 * row_h)
    large_rows = [
        (cn_date(item.date, year=year), item.summary, format_yuan(item.amount_fen), decision_text(item))
        for item in doc.large_items
    ]
    date_w = pdf.width_of(["日期", *(r[0] for r in large_rows)], BODY_PT, bold=True)
    rest = pdf.epw - date_w - amount_w
    notice_table(
        pdf,
        (date_w, rest * 0.45, amount_w, rest * 0.55),
        ("C", "L", "R", "L"),
        ("日期", "摘要", "金额（元）", "依据的决议"),
        large_rows,
        empty="本期无大额收支",
    )

    pdf.ln(5)
    pdf.keep(2 * pdf.line_h(14) + _QR_MM + 12)
    pdf.para(f"编制：{doc.prepared_by or '—'}", 14)
    pdf.para(f"监督委员会审核：{doc.approved_by or '未审核'}", 14, bold=True)
    _seal_block(pdf, doc)
    return bytes(pdf.output())
