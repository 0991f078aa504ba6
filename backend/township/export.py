"""The monthly report (按月通报) of the township's progress table: an .xlsx for the office and an A4 PDF to print.

Pure functions over a :class:`~backend.township.service.Progress`; the PDF reuses the disclosure's typesetting
(:class:`backend.disclosures.Notice`: the embedded Noto Sans CJK font, the bordered table with its heading repeated
on every page, 第 N 页 共 M 页 in the footer).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fpdf.enums import Align
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from backend.core.xlsx import text_only
from backend.disclosures import (
    BODY_PT,
    SUBTITLE_PT,
    TITLE_PT,
    Notice,
    format_yuan,
    notice_section,
    notice_table,
    yuan_decimal,
)
from backend.township.service import Progress, VillageProgress

COLUMNS = (
    "名次", "村", "总收入（元）", "达标", "经营性收入（元）", "达标", "得分", "上期公开", "在办事项", "停滞环节",
)
_XLSX_WIDTHS = (7, 16, 17, 11, 17, 11, 8, 10, 10, 10)
_PDF_WIDTHS = (11, 33, 31, 11, 31, 11, 14, 14, 12, 12)  # mm, 180 in all (A4 less margins)
_PDF_ALIGNS = ("CENTER", "LEFT", "RIGHT", "CENTER", "RIGHT", "CENTER", "RIGHT", "CENTER", "RIGHT", "RIGHT")
_MONEY = "#,##0.00"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E6E6E6")


def title(p: Progress) -> str:
    return f"{p.township_name}村级集体经济收入进度通报"


def subtitle(p: Progress) -> str:
    return f"{p.label}（截至{p.as_of.year}年{p.as_of.month}月{p.as_of.day}日）"


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def _cells(r: VillageProgress) -> tuple[str, ...]:
    return (
        str(r.rank),
        r.name,
        format_yuan(r.total_fen),
        _yes(r.total_met),
        format_yuan(r.operating_fen),
        _yes(r.operating_met),
        str(r.score),
        _yes(r.published),
        str(r.open_decisions),
        str(r.stuck_stages),
    )


def _notes(p: Progress) -> list[str]:
    return [
        f"考核加分：{p.score_rule}。名次按总收入排列，收入相同名次相同。",
        f"上期财务公开指 {p.disclosure_period}；停滞环节指在办事项的当前环节超过 {p.stuck_days} 天未推进。",
    ]


def progress_xlsx(p: Progress) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = f"{p.year}年{p.month}月"
    n = len(COLUMNS)
    last = get_column_letter(n)
    ws.merge_cells(f"A1:{last}1")
    ws["A1"] = title(p)
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.merge_cells(f"A2:{last}2")
    ws["A2"] = subtitle(p)
    ws["A2"].alignment = Alignment(horizontal="center")
    for i, (h, w) in enumerate(zip(COLUMNS, _XLSX_WIDTHS, strict=True), start=1):
        c = ws.cell(row=4, column=i, value=h)
        c.font, c.fill, c.border = Font(bold=True), _HEAD_FILL, _BOX
        c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = w
    row = 5
    for r in p.villages:
        values = (
            r.rank,
            r.name,
            yuan_decimal(r.total_fen),
            _yes(r.total_met),
            yuan_decimal(r.operating_fen),
            _yes(r.operating_met),
            r.score,
            _yes(r.published),
            r.open_decisions,
            r.stuck_stages,
        )
        for i, value in enumerate(values, start=1):
            c = ws.cell(row=row, column=i, value=value)
            c.border = _BOX
            if i in (3, 5):
                c.number_format = _MONEY
        row += 1
    ws.cell(row=row, column=2, value="全镇合计").font = Font(bold=True)
    for col, fen in ((3, p.total_fen), (5, p.operating_fen)):
        c = ws.cell(row=row, column=col, value=yuan_decimal(fen))
        c.number_format, c.font = _MONEY, Font(bold=True)
    row += 2
    ws.cell(row=row, column=1, value="汇总").font = Font(bold=True)
    row += 1
    ws.cell(row=row, column=1, value=f"村数：{len(p.villages)}")
    for ln in p.lines:
        row += 1
        ws.cell(row=row, column=1, value=ln.label)
        ws.cell(row=row, column=4, value=ln.share)
    row += 1
    for note in _notes(p):
        row += 1
        ws.cell(row=row, column=1, value=note)
    ws.freeze_panes = "A5"
    ws.print_title_rows = "4:4"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    text_only(wb).save(out)
    return out.getvalue()


def progress_pdf(p: Progress) -> bytes:
    """A4 portrait: title, month, the table (heading repeated on each page), the township's total, the summary."""
    pdf = Notice(f"{title(p)} {p.label}")
    pdf.set_title(f"{title(p)} {p.label}")
    pdf.set_author(p.township_name)
    pdf.set_lang("zh-CN")
    pdf.set_creator("阳光村务")
    pdf.set_producer("阳光村务")
    pdf.set_creation_date(datetime(p.as_of.year, p.as_of.month, p.as_of.day, tzinfo=UTC))
    pdf.add_page()
    pdf.para(title(p), TITLE_PT - 4, bold=True, align=Align.C)
    pdf.para(subtitle(p), SUBTITLE_PT, bold=True, align=Align.C, gap=3)
    notice_table(
        pdf,
        _PDF_WIDTHS,
        _PDF_ALIGNS,
        COLUMNS,
        [_cells(r) for r in p.villages],
        total=[("全镇合计", 2), (format_yuan(p.total_fen), 1), ("", 1), (format_yuan(p.operating_fen), 1), ("", 5)],
        empty="本镇还没有村",
    )
    notice_section(pdf, "汇总", 40)
    summary = [(f"村数：{len(p.villages)}", ""), *((ln.label, ln.share) for ln in p.lines)]
    notice_table(pdf, (90, 60), ("LEFT", "RIGHT"), ("项目", "村数 / 占比"), summary)
    pdf.ln(3)
    for note in _notes(p):
        pdf.para(note, BODY_PT - 1)
    return bytes(pdf.output())


__all__ = ["COLUMNS", "progress_pdf", "progress_xlsx", "subtitle", "title"]
