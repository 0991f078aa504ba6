"""The contracts register as an .xlsx: one sheet, both sources, amounts as numbers of yuan."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.core.money import yuan_to_fen
from backend.core.xlsx import money, print_setup
from backend.registry import Village

HEADERS = ("合同编号", "来源", "类别", "收支", "合同名称", "合同对方", "联系电话", "合同金额（元）", "签订日期",
           "开始日期", "到期日期", "剩余天数", "保证金（元）", "保证金收取日", "依据的决议", "逾期未结（元）", "状态")


def register_xlsx(village: Village, rows: list[dict[str, Any]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "合同登记"
    ws.append([f"{village.name}合同登记簿"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(list(HEADERS))
    for r in rows:
        dep = r["deposit"] or {}
        dec = r["decision"]
        ws.append([r["number"], "土地合同" if r["source"] == "land" else "集体合同", r["kind_label"],
                   r["direction_label"], r["title"], r["counterparty"], r["counterparty_phone"] or "", None,
                   r["signed_on"], r["start_date"], r["end_date"], r["days_left"], None,
                   dep.get("received_on"), (dec["title"] + ("" if dec["resolved"] else "（未通过）")) if dec else "",
                   None, r["status_label"]])
        n = ws.max_row
        money(ws.cell(n, 8), yuan_to_fen(r["amount"]))
        money(ws.cell(n, 13), yuan_to_fen(dep["amount"]) if dep.get("amount") else None)
        money(ws.cell(n, 16), yuan_to_fen(r["overdue_amount"]) if r["overdue_amount"] else None)
        for col in (9, 10, 11, 14):
            ws.cell(n, col).number_format = "yyyy-mm-dd"
    print_setup(ws, title_rows="2:2", widths=(16, 10, 10, 6, 24, 20, 14, 14, 12, 12, 12, 8, 12, 12, 24, 12, 8))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
