"""The contracts register as an .xlsx: one sheet, both sources, amounts as numbers of yuan."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from backend.core.money import yuan_to_fen
from backend.core.xlsx import money, print_setup, text_only
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


def import_template() -> bytes:
    """The empty 合同表 to fill in: the header row the importer reads, a 填写说明 sheet and a 示例 sheet."""
    from backend.contracts.imports import HEADERS, REQUIRED

    notes = {
        "合同编号": "本村唯一，不能与土地合同重复；同一合同的各期款项各占一行，合同编号相同",
        "合同名称": "如 村庄保洁外包", "类别": "服务、工程施工、采购、资产出租、其他",
        "收支": "收入（对方付给集体）或 支出",
        "合同对方": "单位或个人名称", "统一社会信用代码": "单位填写", "联系电话": "手机或带区号的座机",
        "合同金额（元）": "最多两位小数，各期金额合计须等于它", "签订日期": "如 2026-03-01",
        "开始日期": "如 2026-03-01", "到期日期": "如 2027-02-28", "保证金（元）": "没有可不填",
        "依据决议": "金额超过大额支出标准或出租集体资产时必填：本村已通过的决议标题（完全一致）",
        "备注": "", "应付日期": "这一期的应付日期", "本期金额（元）": "这一期的金额",
    }
    wb = Workbook()
    ws = wb.active
    ws.title = "合同表"
    ws.append(list(HEADERS))
    for i in range(1, len(HEADERS) + 1):
        ws.cell(1, i).font = Font(bold=True)
    guide = wb.create_sheet("填写说明")
    guide.append(["列", "是否必填", "怎么填"])
    for h in HEADERS:
        guide.append([h, "必填" if h in REQUIRED else "选填", notes.get(h, "")])
    guide.append([])
    guide.append(["说明", "", "一行一期款项；合同信息只需填在该合同的第一行。先“检查”，全部通过后再确认导入。"])
    sample = wb.create_sheet("示例")
    sample.append(list(HEADERS))
    sample.append(["LJHT-2026-010", "村庄绿化养护", "服务", "支出", "绿源园林服务部", "", "13900000000", 20000,
                   "2026-03-01", "2026-03-01", "2027-02-28", 0, "", "", "2026-06-30", 10000])
    sample.append(["LJHT-2026-010", "", "", "", "", "", "", "", "", "", "", "", "", "", "2026-12-31", 10000])
    out = BytesIO()
    text_only(wb).save(out)
    return out.getvalue()
