"""A published 财务公开 for the village notice board: an .xlsx for the office and an A4 PDF to print and post.

Pure functions over a :class:`DisclosureDoc` (built by the service from the sealed snapshot): no database, no
Flask. Money is integer fen throughout; it is shown as yuan with two decimals and thousands separators
(``1,234.50``) by integer arithmetic, written into the workbook as exact ``Decimal`` numbers, and the totals
are also written in Chinese capital figures (大写, :func:`amount_in_words`).

The PDF embeds its font (Noto Sans CJK SC, a GB 2312 subset bundled in ``fonts/``, see ``fonts/README.md``),
so a phone or a print shop without Chinese fonts shows it the same. A character the bundled font lacks (a rare
character in a name, outside GB 2312) is printed as 〓, the typesetter's mark for a missing character, rather
than silently dropped; :func:`unprintable_chars` lets the caller warn before publishing. The workbook keeps the
text exactly.

Every page of the PDF carries the seal's short code (:func:`short_code`) in its footer, the last page the full
SHA-256 and a QR code to ``doc.url``, so a villager can scan the paper and check that the code on the phone is the
same. A disclosure without a seal (a draft) says so in large type instead of a code.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

import segno
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import Align, TableCellFillMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from backend.core.clock import SHANGHAI

__all__ = [
    "DisclosureDoc",
    "DisclosureLine",
    "LargeItem",
    "amount_in_words",
    "disclosure_pdf",
    "disclosure_xlsx",
    "format_yuan",
    "period_label",
    "short_code",
    "unprintable_chars",
    "yuan_decimal",
]


@dataclass(frozen=True)
class DisclosureLine:
    """One voucher line, 逐项逐笔: either ``income_fen`` or ``expense_fen`` is usually 0 (a 0 prints blank)."""

    date: date
    voucher_no: str
    summary: str
    category: str
    income_fen: int
    expense_fen: int


@dataclass(frozen=True)
class LargeItem:
    """A large income or expense and the 四议两公开 decision it rests on (None: no decision cited)."""

    date: date
    summary: str
    amount_fen: int
    decision_title: str | None
    decision_ref: str | None


@dataclass(frozen=True)
class DisclosureDoc:
    village_name: str
    township_name: str
    title: str
    period: str  # "2026-Q3" or "2026-09"
    published_at: datetime | None  # UTC (a naive value is taken as UTC); shown as the Beijing date
    approved_by: str | None
    prepared_by: str | None
    lines: Sequence[DisclosureLine]
    large_items: Sequence[LargeItem]
    income_total_fen: int
    expense_total_fen: int
    by_category: Sequence[tuple[str, int, int]]  # (category, income_fen, expense_fen)
    seal_hash: str | None
    prev_seal_hash: str | None
    url: str  # what the QR code opens (a mini-program path or https URL)


# ------------------------------------------------------------------ money


def _require_fen(fen: object) -> int:
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError("金额必须是整数分（int），不能是浮点数")
    return fen


def format_yuan(fen: int) -> str:
    """123450 → ``"1,234.50"``; -5 → ``"-0.05"``. Integer arithmetic only."""
    _require_fen(fen)
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}"


def yuan_decimal(fen: int) -> Decimal:
    """123450 → ``Decimal("1234.50")``, exactly (what the workbook stores)."""
    return Decimal(_require_fen(fen)).scaleb(-2)


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("仟", "佰", "拾", "")
# the largest amount written: 9999 万亿 yuan (a 亿亿 is not a unit anyone writes)
_MAX_WORDS_FEN = 10**16 * 100 - 1


def _below_10000(n: int) -> str:
    """1 ≤ n ≤ 9999 → 壹仟零伍; zeros inside collapse to one 零, trailing zeros are dropped; 10 is 壹拾."""
    out: list[str] = []
    zero = False
    for i, d in enumerate(f"{n:04d}"):
        if d == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_DIGITS[int(d)] + _SMALL_UNITS[i])
    return "".join(out)


def _integer_words(n: int) -> str:
    """n ≥ 1 whole yuan in capital figures, with 万 and 亿 (亿 groups recurse: 壹万亿)."""
    if n >= 10**8:
        high, low, unit, full = *divmod(n, 10**8), "亿", 10**7
    elif n >= 10**4:
        high, low, unit, full = *divmod(n, 10**4), "万", 10**3
    else:
        return _below_10000(n)
    words = _integer_words(high) + unit
    if low:
        # a zero between the unit and what follows (壹万零伍, 壹亿零壹万) is written once
        words += ("零" if low < full else "") + _integer_words(low)
    return words


def signed_in_words(fen: int) -> str:
    """A total that reversals made negative (more refunded than received) is written 负…: 负壹佰元整."""
    return "负" + amount_in_words(-fen) if fen < 0 else amount_in_words(fen)


def amount_in_words(fen: int) -> str:
    """Integer fen → 人民币大写 as on a 票据: 1234567 → 壹万贰仟叁佰肆拾伍元陆角柒分.

    Rules (《正确填写票据和结算凭证的基本规定》); where they allow two forms, the first one below is written:

    - whole yuan ends in 元整: 100500 → 壹仟零伍元整; 0 → 零元整;
    - zeros inside the number are one 零: 600714 → 陆仟零柒元壹角肆分; 10000000001 → 壹亿零壹元整;
    - 角 is 0 but 分 is not: 零 after 元: 1640902 → 壹万陆仟肆佰零玖元零贰分;
    - the 元 digit is 0 and 角 is not: 零 after 元: 10000010 → 壹拾万元零壹角 (the rules also allow 壹拾万元壹角);
    - no 整 after 角 or 分: 140950 → 壹仟肆佰零玖元伍角;
    - under one yuan, no 元: 5 → 伍分, 50 → 伍角;
    - 10 to 19 are 壹拾…, never a bare 拾.

    Negative amounts are refused (a notice writes a loss as 支出, not as a negative in words), and so is anything
    but ``int`` (floats, bools, Decimals) and amounts of 1 亿亿 yuan or more.
    """
    _require_fen(fen)
    if fen < 0:
        raise ValueError("大写金额不能是负数")
    if fen > _MAX_WORDS_FEN:
        raise ValueError("金额太大，无法写成大写")
    yuan, rest = divmod(fen, 100)
    jiao, cents = divmod(rest, 10)
    if yuan == 0:
        if rest == 0:
            return "零元整"
        return (_DIGITS[jiao] + "角" if jiao else "") + (_DIGITS[cents] + "分" if cents else "")
    words = _integer_words(yuan) + "元"
    if rest == 0:
        return words + "整"
    if jiao == 0:
        return words + "零" + _DIGITS[cents] + "分"
    if yuan % 10 == 0:
        words += "零"
    return words + _DIGITS[jiao] + "角" + (_DIGITS[cents] + "分" if cents else "")


# ------------------------------------------------------------------ seal, period, dates

_HASH = re.compile(r"^[0-9a-f]{64}\Z")


def short_code(seal_hash: str) -> str:
    """The first 8 hex digits of a SHA-256 seal in two groups of 4: ``"3f2a91bc…"`` → ``"3f2a-91bc"``.

    Printed large on the paper and shown in the mini-program, so a villager can compare the two at a glance.
    It is a convenience for matching, not a proof: the full hash is printed too, and anyone can recompute it
    from the published JSON (``core.seal``). Upper-case input is accepted; anything but 64 hex digits is refused.
    """
    h = seal_hash.strip().lower() if isinstance(seal_hash, str) else ""
    if not _HASH.match(h):
        raise ValueError("封签必须是 64 位十六进制的 SHA-256")
    return f"{h[:4]}-{h[4:8]}"


_PERIOD = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))\Z")
_QUARTERS = "一二三四"


def period_label(period: str) -> str:
    """``"2026-Q3"`` → 2026年第三季度; ``"2026-09"`` → 2026年9月. Anything else is refused."""
    m = _PERIOD.match(period)
    if not m:
        raise ValueError("期间必须是 YYYY-MM 或 YYYY-Qn")
    year, month, quarter = m.groups()
    if month:
        return f"{year}年{int(month)}月"
    return f"{year}年第{_QUARTERS[int(quarter) - 1]}季度"


def _published_date(published_at: datetime | None) -> date | None:
    if published_at is None:
        return None
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=UTC)
    return published_at.astimezone(SHANGHAI).date()


def _cn_date(d: date | None, *, year: int | None = None) -> str:
    """2026-10-08 → 2026年10月8日; with ``year`` equal to its year, just 10月8日."""
    if d is None:
        return "未发布"
    return f"{d.month}月{d.day}日" if d.year == year else f"{d.year}年{d.month}月{d.day}日"


# ------------------------------------------------------------------ checks


def _check(doc: DisclosureDoc) -> None:
    """Refuse a document whose figures disagree: a wrong total must never reach the notice board."""
    period_label(doc.period)
    for line in doc.lines:
        _require_fen(line.income_fen)
        _require_fen(line.expense_fen)
    for item in doc.large_items:
        _require_fen(item.amount_fen)
    for _, income, expense in doc.by_category:
        _require_fen(income)
        _require_fen(expense)
    _require_fen(doc.income_total_fen)
    _require_fen(doc.expense_total_fen)
    if sum(x.income_fen for x in doc.lines) != doc.income_total_fen:
        raise ValueError("收入明细之和与收入合计不符")
    if sum(x.expense_fen for x in doc.lines) != doc.expense_total_fen:
        raise ValueError("支出明细之和与支出合计不符")
    if doc.by_category and (
        sum(c[1] for c in doc.by_category) != doc.income_total_fen
        or sum(c[2] for c in doc.by_category) != doc.expense_total_fen
    ):
        raise ValueError("分类汇总之和与合计不符")
    if doc.seal_hash is not None:
        short_code(doc.seal_hash)
    if doc.prev_seal_hash:
        short_code(doc.prev_seal_hash)


def _decision(item: LargeItem) -> str:
    title = (item.decision_title or "").strip()
    ref = (item.decision_ref or "").strip()
    if title and ref:
        return f"{title}（{ref}）"
    return title or ref or "未关联决议"


def _subtitle(doc: DisclosureDoc, label: str) -> str:
    """The period and the title, without saying the period twice when the title already names it."""
    title = doc.title.strip()
    return title if label in title or doc.period in title else f"{label}　{title}".strip()


def _seal_text(doc: DisclosureDoc) -> str:
    return short_code(doc.seal_hash) if doc.seal_hash else "未封签（草稿，不得张贴）"


# ------------------------------------------------------------------ xlsx

_COLUMNS = ("序号", "日期", "凭证号", "摘要", "类别", "收入（元）", "支出（元）")
_XLSX_WIDTHS = (7, 12, 15, 42, 16, 17, 17)  # in characters of the default font; a hanzi counts 2
_MONEY = "#,##0.00"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E6E6E6")


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrapped_lines(text: str, width: float) -> int:
    return max(1, -(-_display_width(text) // max(1, int(width))))


def _put(
    ws: Worksheet,
    row: int,
    col: int,
    value: object,
    *,
    bold: bool = False,
    money: bool = False,
    align: str | None = None,
    wrap: bool = False,
    box: bool = True,
    size: float | None = None,
) -> None:
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub(" ", value)  # control characters XML cannot hold
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula: a summary typed as "=HYPERLINK(…)" stays text
    if bold or size:
        cell.font = Font(bold=bold, size=size)
    if money:
        cell.number_format = _MONEY
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if box:
        cell.border = _BOX


def _merged(
    ws: Worksheet,
    row: int,
    first: int,
    last: int,
    value: object,
    *,
    bold: bool = False,
    size: float | None = None,
    align: str = "left",
    box: bool = False,
    money: bool = False,
) -> None:
    _put(ws, row, first, value, bold=bold, size=size, align=align, wrap=True, box=box, money=money)
    if box:
        for col in range(first + 1, last + 1):
            ws.cell(row=row, column=col).border = _BOX
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    width = sum(_XLSX_WIDTHS[first - 1 : last])
    lines = _wrapped_lines(str(value), width)
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines * (size or 11) / 11


def _header(ws: Worksheet, row: int, cells: Iterable[tuple[int, int, str]]) -> None:
    for first, last, text in cells:
        _merged(ws, row, first, last, text, bold=True, align="center", box=True)
        for col in range(first, last + 1):
            ws.cell(row=row, column=col).fill = _HEAD_FILL


def disclosure_xlsx(doc: DisclosureDoc) -> bytes:
    """One sheet 财务公开: title, 公示日期, the lines, totals (with 大写), by category, large items, approval, seal.

    Amounts are numbers (exact ``Decimal`` yuan from fen) formatted ``#,##0.00``; the header row is frozen and
    repeated on every printed page; A4 portrait, fitted to the page width, page numbers in the footer.
    """
    _check(doc)
    label = period_label(doc.period)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "财务公开"
    wb.properties.title = f"{doc.village_name} {label} {doc.title}"
    wb.properties.creator = doc.village_name
    for i, width in enumerate(_XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    last_col = len(_COLUMNS)

    _merged(ws, 1, 1, last_col, f"{doc.village_name}　{_subtitle(doc, label)}", bold=True, size=16, align="center")
    ws.row_dimensions[1].height = 30
    _merged(ws, 2, 1, last_col, f"公示日期：{_cn_date(_published_date(doc.published_at))}")
    _merged(ws, 3, 1, last_col, f"{doc.township_name}　{doc.village_name}　期间：{doc.period}（{label}）")
    head = 4
    for col, text in enumerate(_COLUMNS, start=1):
        _put(ws, head, col, text, bold=True, align="center")
        ws.cell(row=head, column=col).fill = _HEAD_FILL
    ws.freeze_panes = ws.cell(row=head + 1, column=1)

    row = head + 1
    if not doc.lines:
        _merged(ws, row, 1, last_col, "本期无收支", align="center", box=True)
        row += 1
    for n, line in enumerate(doc.lines, start=1):
        _put(ws, row, 1, n, align="center")
        _put(ws, row, 2, line.date, align="center")
        _put(ws, row, 3, line.voucher_no, align="center")
        _put(ws, row, 4, line.summary, wrap=True)
        _put(ws, row, 5, line.category, align="center")
        _put(ws, row, 6, yuan_decimal(line.income_fen) if line.income_fen else None, money=True)
        _put(ws, row, 7, yuan_decimal(line.expense_fen) if line.expense_fen else None, money=True)
        lines = _wrapped_lines(line.summary, _XLSX_WIDTHS[3])
        if lines > 1:
            ws.row_dimensions[row].height = 15 * lines
        row += 1
    _merged(ws, row, 1, 5, "合计", bold=True, align="center", box=True)
    _put(ws, row, 6, yuan_decimal(doc.income_total_fen), bold=True, money=True)
    _put(ws, row, 7, yuan_decimal(doc.expense_total_fen), bold=True, money=True)
    for col in range(1, last_col + 1):
        ws.cell(row=row, column=col).fill = _HEAD_FILL
    row += 1
    _merged(ws, row, 1, last_col, f"收入合计（大写）：人民币{signed_in_words(doc.income_total_fen)}")
    row += 1
    _merged(ws, row, 1, last_col, f"支出合计（大写）：人民币{signed_in_words(doc.expense_total_fen)}")
    row += 2

    _merged(ws, row, 1, last_col, "分类汇总", bold=True, size=12)
    row += 1
    _header(ws, row, ((1, 1, "序号"), (2, 5, "类别"), (6, 6, "收入（元）"), (7, 7, "支出（元）")))
    row += 1
    for n, (category, income, expense) in enumerate(doc.by_category, start=1):
        _put(ws, row, 1, n, align="center")
        _merged(ws, row, 2, 5, category, box=True)
        _put(ws, row, 6, yuan_decimal(income), money=True)
        _put(ws, row, 7, yuan_decimal(expense), money=True)
        row += 1
    if not doc.by_category:
        _merged(ws, row, 1, last_col, "无", align="center", box=True)
        row += 1
    row += 1

    _merged(ws, row, 1, last_col, "大额收支及依据的决议", bold=True, size=12)
    row += 1
    _header(ws, row, ((1, 1, "序号"), (2, 2, "日期"), (3, 4, "摘要"), (5, 5, "金额（元）"), (6, 7, "依据的决议")))
    row += 1
    for n, item in enumerate(doc.large_items, start=1):
        _put(ws, row, 1, n, align="center")
        _put(ws, row, 2, item.date, align="center")
        _merged(ws, row, 3, 4, item.summary, box=True)
        _put(ws, row, 5, yuan_decimal(item.amount_fen), money=True)
        _merged(ws, row, 6, 7, _decision(item), box=True)
        height = max(_wrapped_lines(item.summary, sum(_XLSX_WIDTHS[2:4])), _wrapped_lines(_decision(item), 34))
        ws.row_dimensions[row].height = 15 * height
        row += 1
    if not doc.large_items:
        _merged(ws, row, 1, last_col, "本期无大额收支", align="center", box=True)
        row += 1
    row += 1

    for text, bold in (
        (f"编制：{doc.prepared_by or '—'}", False),
        (f"监督委员会审核：{doc.approved_by or '未审核'}", True),
        (f"封签：{_seal_text(doc)}", True),
        (f"封签（SHA-256）：{doc.seal_hash or '—'}", False),
        (f"上一封签（SHA-256）：{doc.prev_seal_hash or '—（本村第一份封签）'}", False),
        (f"扫码核对：{doc.url}", False),
    ):
        _merged(ws, row, 1, last_col, text, bold=bold)
        row += 1

    ws.print_title_rows = f"{head}:{head}"
    ws.print_area = f"A1:{get_column_letter(last_col)}{row - 1}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.center.text = f"{doc.village_name} {label} 财务公开"
    ws.oddFooter.left.text = f"封签 {_seal_text(doc)}"
    ws.oddFooter.right.text = "第 &P 页 共 &N 页"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ pdf

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "NotoSansCJKsc-Regular-GB2312.otf"
FONT_BOLD = FONT_DIR / "NotoSansCJKsc-Bold-GB2312.otf"
FONT_FAMILY = "NotoSansCJKsc"
MISSING_MARK = "〓"  # 〓 (geta mark): the typesetter's sign for a character the type does not have

# sizes in points; the body is 12 pt, larger than a book, for reading on a wall
_TITLE_PT, _SUBTITLE_PT, _SECTION_PT, _BODY_PT, _SMALL_PT, _CODE_PT = 26, 16, 16, 12, 9, 34
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


class _Notice(FPDF):
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
            _cn_date(line.date, year=year),
            line.voucher_no,
            line.summary,
            line.category,
            format_yuan(line.income_fen) if line.income_fen else "",
            format_yuan(line.expense_fen) if line.expense_fen else "",
        )
        for n, line in enumerate(doc.lines, start=1)
    ]


def _table(
    pdf: _Notice,
    widths: Sequence[float],
    aligns: Sequence[str],
    heading: Sequence[str],
    rows: Sequence[Sequence[str]],
    total: Sequence[tuple[str, int]] | None = None,
    empty: str | None = None,
) -> None:
    """A bordered table at body size whose heading row repeats on every page it runs onto; rows are zebra-shaded
    to help an eye follow a line across; ``total`` is a last bold row of (text, colspan) cells."""
    body = FontFace(family=FONT_FAMILY, emphasis="", size_pt=_BODY_PT)
    pdf.set_font(FONT_FAMILY, "", _BODY_PT)
    with pdf.table(
        col_widths=tuple(widths),
        width=min(sum(widths), pdf.epw),
        align=Align.L,
        text_align=tuple(aligns),
        line_height=pdf.line_h(_BODY_PT, 1.3),
        padding=(_PAD, _PAD),
        headings_style=FontFace(family=FONT_FAMILY, emphasis="B", size_pt=_BODY_PT, fill_color=(220, 220, 220)),
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        cell_fill_color=(243, 243, 243),
        wrapmode=WrapMode.CHAR,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h in heading:
            head.cell(_clean(h), align=Align.C)
        for cells in rows:
            pdf.set_font(FONT_FAMILY, "", _BODY_PT)
            table.row(
                [_wrap(pdf, _clean(c), w - 2 * _PAD - 0.05) for c, w in zip(cells, widths, strict=True)],
                style=body,
            )
        if empty is not None and not rows:
            table.row(style=body).cell(_clean(empty), colspan=len(widths), align=Align.C)
        if total is not None:
            row = table.row(
                style=FontFace(family=FONT_FAMILY, emphasis="B", size_pt=_BODY_PT, fill_color=(220, 220, 220))
            )
            for text, span in total:
                row.cell(_clean(text), colspan=span, align=Align.C if span > 1 else Align.R)


def _section(pdf: _Notice, title: str, then: float) -> None:
    """A section heading, kept on the same page as the first ``then`` mm of what follows."""
    pdf.ln(4)
    pdf.keep(pdf.line_h(_SECTION_PT) + then)
    pdf.para(title, _SECTION_PT, bold=True, gap=1)


def _seal_block(pdf: _Notice, doc: DisclosureDoc) -> None:
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
        pdf.cell(w=text_w, h=pdf.line_h(_CODE_PT, 1.15), text=_seal_text(doc), new_x=XPos.LEFT, new_y=YPos.NEXT)
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
    _check(doc)
    label = period_label(doc.period)
    year = int(doc.period[:4])
    published = _published_date(doc.published_at)
    code = _seal_text(doc)
    pdf = _Notice(_clean(f"{doc.village_name}财务公开 {label}　封签码 {code}"))
    pdf.set_title(f"{doc.village_name}财务公开 {label}")
    pdf.set_subject(doc.title)
    pdf.set_author(f"{doc.township_name}{doc.village_name}")
    pdf.set_lang("zh-CN")
    pdf.set_creator("阳光村务")
    pdf.set_producer("阳光村务")
    stamp = doc.published_at or datetime(year, 1, 1, tzinfo=UTC)
    pdf.set_creation_date(stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC))
    pdf.add_page()

    pdf.para(f"{doc.village_name}财务公开", _TITLE_PT, bold=True, align=Align.C)
    pdf.para(_subtitle(doc, label), _SUBTITLE_PT, bold=True, align=Align.C, gap=2)
    pdf.para(
        f"{doc.township_name}　{doc.village_name}　　公示日期：{_cn_date(published)}", _BODY_PT, align=Align.C, gap=3
    )

    # column widths from what is in them; 摘要 takes what is left
    cells = _line_cells(doc, year)
    money = [format_yuan(doc.income_total_fen), format_yuan(doc.expense_total_fen)]
    money += [c[5] for c in cells] + [c[6] for c in cells]
    money += [format_yuan(x.amount_fen) for x in doc.large_items]  # the summary tables share these widths
    money += [format_yuan(fen) for c in doc.by_category for fen in c[1:]]
    widths = [
        pdf.width_of(["序号", *(c[0] for c in cells)], _BODY_PT, bold=True),
        pdf.width_of(["日期", *(c[1] for c in cells)], _BODY_PT, bold=True),
        min(34.0, pdf.width_of(["凭证号", *(c[2] for c in cells)], _BODY_PT, bold=True)),
        0.0,
        min(30.0, pdf.width_of(["类别", *(c[4] for c in cells)], _BODY_PT, bold=True)),
        pdf.width_of(["收入（元）", *money], _BODY_PT, bold=True),
        pdf.width_of(["支出（元）", *money], _BODY_PT, bold=True),
    ]
    widths[3] = pdf.epw - sum(widths)
    _table(
        pdf,
        widths,
        ("C", "C", "C", "L", "C", "R", "R"),
        _COLUMNS,
        cells,
        total=[("合计", 5), (money[0], 1), (money[1], 1)],
        empty="本期无收支",
    )
    pdf.ln(2)
    pdf.keep(2 * pdf.line_h(13))
    pdf.para(f"收入合计（大写）：人民币{signed_in_words(doc.income_total_fen)}", 13, bold=True)
    pdf.para(f"支出合计（大写）：人民币{signed_in_words(doc.expense_total_fen)}", 13, bold=True)

    row_h = pdf.line_h(_BODY_PT, 1.3) + 2 * _PAD
    _section(pdf, "分类汇总", 3 * row_h)
    cat_rows = [(c[0], format_yuan(c[1]), format_yuan(c[2])) for c in doc.by_category]
    amount_w = max(widths[5], widths[6])
    _table(
        pdf,
        (pdf.epw - 2 * amount_w, amount_w, amount_w),
        ("L", "R", "R"),
        ("类别", "收入（元）", "支出（元）"),
        cat_rows,
        empty="无",
    )

    _section(pdf, "大额收支及依据的决议", 3 * row_h)
    large_rows = [
        (_cn_date(item.date, year=year), item.summary, format_yuan(item.amount_fen), _decision(item))
        for item in doc.large_items
    ]
    date_w = pdf.width_of(["日期", *(r[0] for r in large_rows)], _BODY_PT, bold=True)
    rest = pdf.epw - date_w - amount_w
    _table(
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
