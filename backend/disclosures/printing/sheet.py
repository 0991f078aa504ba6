"""A published 财务公开 as an .xlsx for the village office: one sheet, the amounts as exact numbers, ready to print
on A4 (the header row repeated on every page, the seal in the footer). The workbook keeps every text exactly."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable
from datetime import date

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from backend.disclosures.printing.document import (
    LINE_COLUMNS,
    DisclosureDoc,
    check_figures,
    cn_date,
    decision_text,
    period_label,
    published_date,
    seal_text,
    signed_in_words,
    subtitle,
    yuan_decimal,
)

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
    check_figures(doc)
    label = period_label(doc.period)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "财务公开"
    wb.properties.title = f"{doc.village_name} {label} {doc.title}"
    wb.properties.creator = doc.village_name
    for i, width in enumerate(_XLSX_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    last_col = len(LINE_COLUMNS)

    _merged(ws, 1, 1, last_col, f"{doc.village_name}　{subtitle(doc, label)}", bold=True, size=16, align="center")
    ws.row_dimensions[1].height = 30
    _merged(ws, 2, 1, last_col, f"公示日期：{cn_date(published_date(doc.published_at))}")
    _merged(ws, 3, 1, last_col, f"{doc.township_name}　{doc.village_name}　期间：{doc.period}（{label}）")
    head = 4
    for col, text in enumerate(LINE_COLUMNS, start=1):
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
        _merged(ws, row, 6, 7, decision_text(item), box=True)
        height = max(_wrapped_lines(item.summary, sum(_XLSX_WIDTHS[2:4])), _wrapped_lines(decision_text(item), 34))
        ws.row_dimensions[row].height = 15 * height
        row += 1
    if not doc.large_items:
        _merged(ws, row, 1, last_col, "本期无大额收支", align="center", box=True)
        row += 1
    row += 1

    for text, bold in (
        (f"编制：{doc.prepared_by or '—'}", False),
        (f"监督委员会审核：{doc.approved_by or '未审核'}", True),
        (f"封签：{seal_text(doc)}", True),
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
    ws.oddFooter.left.text = f"封签 {seal_text(doc)}"
    ws.oddFooter.right.text = "第 &P 页 共 &N 页"

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
