"""The collective's contracts from .xlsx (not land's: those come through land's own import): a dry run first
(试导入: what would be created), then the real import; every bad row reported in Chinese, all or nothing.

The first sheet, header in row 1, one row per INSTALLMENT from row 2: the rows with the same 合同编号 form one
contract, its installments in the order of their 应付日期. The contract's columns (合同名称, 类别, 收支, 合同对方,
统一社会信用代码, 联系电话, 合同金额（元）, 签订日期, 开始日期, 到期日期, 保证金（元）, 依据决议, 备注) are filled
on its first row; on its other rows they may be left blank, and where filled must agree. 依据决议 is the title of
a resolved decision of the village. Each contract goes through :func:`service.create_contract` (every rule of the
API: the decision, the schedule adding up to the total, the number unique beside land's), each in its own
savepoint inside one for the whole file, rolled back on any error and on a dry run. The caller commits.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from backend.contracts import service
from backend.contracts.models import DIRECTION_LABELS, KIND_LABELS
from backend.core import audit
from backend.core.db import db
from backend.core.errors import AppError, unprocessable
from backend.core.money import MoneyError, fen_to_yuan, yuan_to_fen
from backend.core.permissions import Principal
from backend.core.xlsx import RowErrors, cell_blank, cell_text, map_headers, open_first_sheet, refuse_bad_headers
from backend.registry import Village

INVALID = "contracts.import_invalid"
MAX_ROWS = 2_000
NUMBER, TITLE, KIND, DIRECTION = "合同编号", "合同名称", "类别", "收支"
PARTY, CODE, PHONE, TOTAL = "合同对方", "统一社会信用代码", "联系电话", "合同金额（元）"
SIGNED, START, END, DEPOSIT, DECISION, NOTE = "签订日期", "开始日期", "到期日期", "保证金（元）", "依据决议", "备注"
DUE, AMOUNT = "应付日期", "本期金额（元）"
HEADERS = (NUMBER, TITLE, KIND, DIRECTION, PARTY, CODE, PHONE, TOTAL, SIGNED, START, END, DEPOSIT, DECISION, NOTE,
           DUE, AMOUNT)
CONTRACT_COLUMNS = HEADERS[1:14]
REQUIRED = (NUMBER, TITLE, KIND, DIRECTION, PARTY, TOTAL, SIGNED, START, END, DUE, AMOUNT)
KINDS = {v: k for k, v in KIND_LABELS.items()}
DIRECTIONS = {v: k for k, v in DIRECTION_LABELS.items()}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    m = _DATE.fullmatch(cell_text(value))
    if not m:
        raise ValueError("日期应写成 2026-03-01 这样的格式")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise ValueError(f"“{cell_text(value)}”不是有效的日期") from None


def _fen(value: Any) -> int:
    try:
        return yuan_to_fen(cell_text(value))
    except (MoneyError, ValueError):
        raise ValueError("金额应为元，最多两位小数，例如 6000.00") from None


def _refuse(message: str) -> AppError:
    return unprocessable(INVALID, message)


def import_contracts(village: Village, data: bytes, *, actor: Principal | None, dry_run: bool) -> dict[str, Any]:
    wb, rows = open_first_sheet(data, _refuse, empty="文件是空的", no_sheet="文件里没有工作表")
    try:
        header = next(rows, None)
        cols, problems = map_headers(header, HEADERS, required=REQUIRED)
        if problems:
            raise refuse_bad_headers(INVALID, problems, HEADERS)
        body: list[tuple[int, dict[str, Any]]] = []
        for n, row in enumerate(rows, start=2):
            values = {h: (row[i] if i < len(row) else None) for h, i in cols.items()}
            if all(cell_blank(v) for v in values.values()):
                continue
            body.append((n, values))
            if len(body) > MAX_ROWS:
                raise _refuse(f"一次最多导入 {MAX_ROWS} 行，请分成几个文件")
    finally:
        wb.close()
    errors = RowErrors(INVALID, "合同表", {h: i for i, h in enumerate(HEADERS)})
    if not body:
        raise _refuse("文件里没有合同行（第2行起每行一期款项）")
    groups: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for n, values in body:
        number = cell_text(values.get(NUMBER))
        if not number:
            errors.add(n, NUMBER, "请填写合同编号")
            continue
        groups.setdefault(number, []).append((n, values))
    decisions = {d["title"]: d["id"] for d in service.resolved_decisions(village.id)}
    inputs: list[tuple[int, service.ContractInput]] = []
    for number, lines in groups.items():
        first_row, first = lines[0]
        for n, values in lines[1:]:
            for h in CONTRACT_COLUMNS:
                if not cell_blank(values.get(h)) and cell_text(values.get(h)) != cell_text(first.get(h)):
                    errors.add(n, h, f"与合同 {number} 第一行的“{h}”不一致")
        bad = len(errors.items)

        def need(h: str, row: int = first_row, vals: dict[str, Any] = first) -> Any:
            v = vals.get(h)
            if cell_blank(v):
                errors.add(row, h, f"请填写{h}")
            return v

        kind_text, dir_text = cell_text(need(KIND)), cell_text(need(DIRECTION))
        kind, direction = KINDS.get(kind_text), DIRECTIONS.get(dir_text)
        if kind_text and kind is None:
            errors.add(first_row, KIND, "类别应为：" + "、".join(KINDS))
        if dir_text and direction is None:
            errors.add(first_row, DIRECTION, "收支应为：收入 或 支出")
        parsed: dict[str, Any] = {}
        for h, fn in ((TOTAL, _fen), (SIGNED, _date), (START, _date), (END, _date)):
            v = need(h)
            if not cell_blank(v):
                try:
                    parsed[h] = fn(v)
                except ValueError as exc:
                    errors.add(first_row, h, str(exc))
        deposit = 0
        if not cell_blank(first.get(DEPOSIT)):
            try:
                deposit = _fen(first.get(DEPOSIT))
            except ValueError as exc:
                errors.add(first_row, DEPOSIT, str(exc))
        decision_id = None
        if not cell_blank(first.get(DECISION)):
            decision_id = decisions.get(cell_text(first.get(DECISION)))
            if decision_id is None:
                errors.add(first_row, DECISION, f"本村没有已通过的决议“{cell_text(first.get(DECISION))}”")
        installments = []
        for n, values in lines:
            try:
                due = _date(need(DUE, n, values))
                amount = _fen(need(AMOUNT, n, values))
                installments.append(service.InstallmentInput(due, amount))
            except ValueError as exc:
                errors.add(n, DUE if "日期" in str(exc) else AMOUNT, str(exc))
        if len(errors.items) > bad:
            continue
        inputs.append((first_row, service.ContractInput(
            number=number, kind=kind or "", direction=direction or "", counterparty_name=cell_text(first.get(PARTY)),
            counterparty_code=cell_text(first.get(CODE)) or None,
            counterparty_phone=cell_text(first.get(PHONE)) or None,
            title=cell_text(first.get(TITLE)), total_fen=parsed[TOTAL], signed_on=parsed[SIGNED],
            start_date=parsed[START], end_date=parsed[END], deposit_fen=deposit, decision_id=decision_id,
            note=cell_text(first.get(NOTE)) or None, installments=installments)))
    errors.raise_if_any()
    items: list[dict[str, Any]] = []
    outer = db.session.begin_nested()
    try:
        for row, data in inputs:
            try:
                with db.session.begin_nested():
                    c = service.create_contract(village, data, actor=actor)
                items.append({"number": c.number, "contract_id": None if dry_run else c.id, "title": c.title,
                              "counterparty": c.counterparty_name, "total": fen_to_yuan(c.total_fen),
                              "installments": len(data.installments)})
            except AppError as exc:
                errors.add(row, exc.details.get("field") and _column(exc.details["field"]), exc.message)
        errors.raise_if_any()
    except BaseException:
        outer.rollback()
        raise
    if dry_run:
        outer.rollback()
    else:
        outer.commit()
        audit.record("contracts.import", "village", village.id, actor=actor, village_id=village.id,
                     after={"contracts": len(items), "numbers": [i["number"] for i in items][:50]})
    word = "可以导入" if dry_run else "已导入"
    return {"rows": len(body), "contracts": len(items), "dry_run": dry_run, "items": items,
            "message": f"{word} {len(items)} 份合同（{len(body)} 期款项）"}


def _column(field_name: str) -> str | None:
    return {"number": NUMBER, "kind": KIND, "direction": DIRECTION, "counterparty_name": PARTY, "title": TITLE,
            "total": TOTAL, "deposit": DEPOSIT, "end_date": END, "signed_on": SIGNED, "decision_id": DECISION,
            "installments": AMOUNT}.get(field_name)
