"""The voucher import's template .xlsx: the columns :mod:`.voucher_import` reads, empty, and a second sheet
填写说明 with what each column takes and a worked example (only the first sheet is read on import)."""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.core.xlsx import text_only
from backend.ledger.voucher_import import (
    ATTACHMENTS,
    CHART,
    CODE,
    CREDIT,
    DATE,
    DEBIT,
    DECISION,
    HEADERS,
    KEY,
    NAME,
    SUMMARY,
)

NOTES: tuple[tuple[str, str], ...] = (
    (KEY, "必填。同一张凭证的各行填同一个凭证号（如 1、2 或 01-3）；记账时按月重新连续编号"),
    (DATE, "必填。如 2026-03-15；同一张凭证的各行日期相同；已结账的月份不能导入"),
    (SUMMARY, "必填。凭证的摘要取第一行的摘要，每行可以有自己的摘要"),
    (CODE, "科目编码与科目名称至少填一个，如 102 或 501002（2023 年科目表）"),
    (NAME, "如 银行存款；明细科目写成 一级科目-明细科目，如 应收款-个人"),
    (CHART, "可不填（按 2023 年科目表）；旧账按 2004 年制度的，填 2004，并按科目名称对照"),
    (DEBIT, "借方金额和贷方金额每行只填一个，单位元，最多两位小数，如 1200.50"),
    (CREDIT, "同上；每张凭证的借方合计必须等于贷方合计"),
    (DECISION, "大额支出须填依据的四议两公开决议编号（可在凭证录入页的决议选择里看到）"),
    (ATTACHMENTS, "可不填；原始凭证的编号或说明，多个用分号隔开"),
)

EXAMPLE: tuple[tuple[str, ...], ...] = (
    ("1", "2026-03-15", "收取门面租金", "102", "银行存款", "", "2000.00", "", "", "收据 0012"),
    ("1", "2026-03-15", "收取门面租金", "501002", "租赁收入", "", "", "2000.00", "", ""),
    ("2", "2026-03-20", "购买办公用品", "513", "管理费用", "", "350.00", "", "", ""),
    ("2", "2026-03-20", "购买办公用品", "102", "银行存款", "", "", "350.00", "", ""),
)


def template() -> BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "凭证"
    ws.append(list(HEADERS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    widths = {KEY: 10, DATE: 13, SUMMARY: 28, CODE: 12, NAME: 18, CHART: 10, DEBIT: 14, CREDIT: 14, DECISION: 10,
              ATTACHMENTS: 20}
    for i, header in enumerate(HEADERS):
        ws.column_dimensions[chr(ord("A") + i)].width = widths[header]
    for row in range(2, 502):  # 凭证号, 日期, 科目编码 as text: Excel would turn 01-3 into a date, 102 into a number
        for col in (1, 2, 4):
            ws.cell(row=row, column=col).number_format = "@"
    notes = wb.create_sheet("填写说明")
    notes.append(["列", "怎么填"])
    for header, how in NOTES:
        notes.append([header, how])
    notes.append(["", "一行一条分录，从第2行起填写；整份文件检查无误才会导入，有错的行会逐行列出"])
    notes.append([])
    notes.append(["示例（请填在第一张表“凭证”里）"])
    notes.append(list(HEADERS))
    for example in EXAMPLE:
        notes.append(list(example))
    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 70
    out = BytesIO()
    text_only(wb).save(out)
    out.seek(0)
    return out
