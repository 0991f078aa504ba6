"""Voucher import (.xlsx): bringing existing books in, one row per voucher line.

One sheet, header row 1, columns found by their Chinese header text in any order (see :data:`HEADERS`):

- 凭证号: the grouping key in the file (rows with the same 凭证号 form one voucher; they need not be adjacent).
  It is not the voucher's number in the books: numbers are handed out when posting, per village and month,
  in file order. Old books that number from 1 again each month must make the key unique (e.g. "01-3").
- 日期: ``YYYY-MM-DD`` text or an Excel date; every row of one voucher has the same date.
- 摘要: the voucher's summary is that of its first row that has one; each line keeps its own.
- 科目编码 (a 2023 code) or 科目名称. 科目体系 says which chart the row speaks (2023 if blank). Rows of old
  2004 books are mapped by NAME (:data:`chart.MAP_2004_BY_NAME`), never by code: 502, 511 and 521 mean other
  things in the two charts. A name may name a sub-account as ``一级科目-明细科目`` (e.g. 应收款-个人).
- 借方金额 / 贷方金额: yuan with at most two decimals, exactly one of them per row. A number typed in Excel is
  read exactly through ``Decimal(str(cell))``, so 0.1+0.2 stored as 0.30000000000000004 is refused, not rounded.
- 决议编号 (optional): the 四议两公开 decision a large expense rests on. 附件 (optional): references to the
  original documents, several separated by ``;`` or a line break.

All or nothing, like the roster import: every row is read and checked first and every problem collected as
``{"row", "field", "message"}`` (Chinese); any problem → 422 ``ledger.import_invalid`` with ``details.rows``
and nothing is written. Otherwise every voucher is created and posted through :mod:`.service` (the same
rules and audit entries as by hand) in one transaction with ``source="import"``, plus one
``ledger.voucher_import`` summary entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from flask import current_app, has_app_context
from marshmallow import fields
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.schemas import BaseSchema
from backend.core.xlsx import RowErrors, bad_headers_message, map_headers, open_first_sheet
from backend.decisions import DecisionRef
from backend.ledger import decision_cap, service
from backend.ledger.chart import MAP_2004_BY_NAME
from backend.ledger.models import Account, Voucher, VoucherCounter, VoucherLine
from backend.registry import Village

KEY = "凭证号"
DATE = "日期"
SUMMARY = "摘要"
CODE = "科目编码"
NAME = "科目名称"
CHART = "科目体系"
DEBIT = "借方金额"
CREDIT = "贷方金额"
DECISION = "决议编号"
ATTACHMENTS = "附件"

HEADERS: tuple[str, ...] = (KEY, DATE, SUMMARY, CODE, NAME, CHART, DEBIT, CREDIT, DECISION, ATTACHMENTS)
REQUIRED_HEADERS: tuple[str, ...] = (KEY, DATE, SUMMARY, DEBIT, CREDIT)
ALIASES = {"借方": DEBIT, "贷方": CREDIT, "凭证编号": KEY, "凭证日期": DATE, "决议号": DECISION}
CHARTS = ("2023", "2004")
MAX_LISTED_ERRORS = 500
DEFAULT_MAX_ROWS = 20000
MAX_YUAN = Decimal(10) ** 13  # the API's limit too: 13 digits of whole yuan
MAX_ATTACHMENTS = 20

_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_GROUPED_RE = re.compile(r"^-?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")  # 1,234,567.89
_PATH_SEP = re.compile(r"\s*(?:[-—－/／]+)\s*")  # 一级科目-明细科目
_ATTACHMENT_SEP = re.compile(r"[;；\n]+")
_UNREADABLE = "无法读取该文件，请上传 Excel 的 .xlsx 文件（.xls 请先另存为 .xlsx）"
_INVALID = "ledger.import_invalid"


# ---------------------------------------------------------------- errors


def _refuse_file(message: str, row: int | None = None, column: str | None = None, **details: Any) -> AppError:
    """A problem with the file as a whole: the same code and shape as row errors."""
    return AppError(422, _INVALID, message,
                    {"rows": [{"row": row, "field": column, "message": message}], "error_count": 1, "row_count": 1,
                     **details})


# ---------------------------------------------------------------- reading the sheet


def _text(value: Any) -> str:
    """A cell as trimmed text; a whole number stored by Excel as 102.0 reads as "102"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _open_sheet(data: bytes) -> tuple[Any, Iterator[tuple[Any, ...]]]:
    return open_first_sheet(data, _refuse_file, empty="文件是空的，请选择填好的凭证 .xlsx 文件",
                            no_sheet="文件中没有工作表", unreadable=_UNREADABLE)


def _check_headers(header: tuple[Any, ...] | None) -> dict[str, int]:
    found, problems = map_headers(header, HEADERS, required=REQUIRED_HEADERS,
                                  either=[((CODE, NAME), f"{CODE}或{NAME}")], aliases=ALIASES, drop_suffixes=("(元)",))
    if problems:
        raise _refuse_file(bad_headers_message(problems, HEADERS), row=1, known_headers=list(HEADERS))
    return found


# ---------------------------------------------------------------- one row


@dataclass
class _Row:
    row: int
    key: str = ""
    on: date | None = None
    summary: str | None = None
    code: str = ""
    name: str = ""
    chart: str = "2023"
    debit: int = 0
    credit: int = 0
    decision: str | None = None
    attachments: list[str] = field(default_factory=list)
    ref: DecisionRef | None = None  # the resolved decision cited, once checked
    spent: int = 0  # what the voucher spends (expense and capital accounts), in fen
    account: Account | None = None
    bad_amount: bool = False
    bad_date: bool = False


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        m = _DATE_RE.match(value.strip())
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(f"没有这一天：{value.strip()}") from None
    raise ValueError("日期应为 YYYY-MM-DD（如 2023-01-05）或 Excel 的日期格式")


def _fen(value: Any) -> int:
    """A cell of yuan → fen (0 for a blank cell). Exact: a float cell goes through ``Decimal(str(value))``."""
    if _blank(value):
        return 0
    if isinstance(value, bool):
        raise ValueError("金额应为数字")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(str(value))  # the shortest text that reads back as this float: what Excel showed
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip()
        if _GROUPED_RE.match(text):
            text = text.replace(",", "")
        if not _NUMBER_RE.match(text):
            raise ValueError("金额应为数字，如 1234.50")
        amount = Decimal(text)
    else:
        raise ValueError("金额应为数字")
    if not amount.is_finite():
        raise ValueError("金额应为数字")
    if amount < 0:
        raise ValueError("金额不能为负数；红字冲销请记到另一方向")
    if amount >= MAX_YUAN:
        raise ValueError("金额太大")
    try:
        exact = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError("金额太大") from None
    if exact != amount:
        raise ValueError(f"金额最多两位小数（到分），{amount} 不行")
    return int(exact * 100)


def _parse_row(number: int, cells: dict[str, Any], errors: RowErrors) -> _Row:
    r = _Row(row=number)
    r.key = _text(cells.get(KEY))
    if not r.key:
        errors.add(number, KEY, "请填写凭证号（同一张凭证的各行凭证号相同）")
    elif len(r.key) > 40:
        errors.add(number, KEY, "凭证号最多40个字")

    raw_date = cells.get(DATE)
    if _blank(raw_date):
        r.bad_date = True
        errors.add(number, DATE, "请填写日期")
    else:
        try:
            r.on = _date(raw_date)
        except ValueError as exc:
            r.bad_date = True
            errors.add(number, DATE, str(exc))

    summary = _text(cells.get(SUMMARY))
    if len(summary) > 200:
        errors.add(number, SUMMARY, "摘要最多200个字")
    r.summary = summary[:200] or None

    chart = _text(cells.get(CHART)) or "2023"
    if chart not in CHARTS:
        errors.add(number, CHART, "科目体系应为 2023 或 2004（旧账按科目名称对应新科目）")
    r.chart = chart
    r.code = _text(cells.get(CODE))
    r.name = _text(cells.get(NAME))

    for column, attr in ((DEBIT, "debit"), (CREDIT, "credit")):
        try:
            setattr(r, attr, _fen(cells.get(column)))
        except ValueError as exc:
            r.bad_amount = True
            errors.add(number, column, str(exc))
    if not r.bad_amount:
        if r.debit and r.credit:
            r.bad_amount = True
            errors.add(number, DEBIT, "借方金额和贷方金额只能填一个，请分成两行")
        elif not r.debit and not r.credit:
            r.bad_amount = True
            errors.add(number, DEBIT, "请填写借方金额或贷方金额（不为零）")

    decision = _text(cells.get(DECISION))
    if len(decision) > 40:
        errors.add(number, DECISION, "决议编号最多40个字")
    r.decision = decision or None

    raw = _text(cells.get(ATTACHMENTS))
    r.attachments = [a.strip() for a in _ATTACHMENT_SEP.split(raw) if a.strip()] if raw else []
    if any(len(a) > 300 for a in r.attachments):
        errors.add(number, ATTACHMENTS, "每个附件的引用最多300个字")
    return r


# ---------------------------------------------------------------- accounts


def _norm(name: str) -> str:
    return name.replace(" ", "").replace("\u3000", "").replace("（", "(").replace("）", ")")


@dataclass
class _Chart:
    """The village's accounts, loaded once."""

    by_code: dict[str, Account]
    children: dict[int, list[Account]]
    top_by_name: dict[str, list[Account]]
    by_name: dict[str, list[Account]]

    @classmethod
    def load(cls, village: Village) -> _Chart:
        accounts = list(db.session.execute(
            select(Account).where(Account.village_id == village.id).order_by(Account.code)).scalars())
        children: dict[int, list[Account]] = {}
        top: dict[str, list[Account]] = {}
        by_name: dict[str, list[Account]] = {}
        for a in accounts:
            if a.parent_id is not None:
                children.setdefault(a.parent_id, []).append(a)
            else:
                top.setdefault(_norm(a.name), []).append(a)
            by_name.setdefault(_norm(a.name), []).append(a)
        return cls({a.code: a for a in accounts}, children, top, by_name)

    def child(self, parent: Account, name: str) -> Account | None:
        return next((c for c in self.children.get(parent.id, ()) if _norm(c.name) == _norm(name)), None)


def _resolve_account(r: _Row, chart: _Chart, errors: RowErrors) -> None:
    """Which of the village's accounts the row posts to (a leaf), or an error on the row."""
    column = NAME if r.chart == "2004" or not r.code else CODE
    if r.chart == "2004":
        if not r.name:
            errors.add(r.row, NAME, "科目体系为2004的旧账请填写科目名称（新旧科目编码含义不同，按名称对应新科目）")
            return
        parts = [p for p in _PATH_SEP.split(r.name) if p]
        code = MAP_2004_BY_NAME.get(_norm(parts[0])) if parts else None
        if code and len(parts) > 1:  # a sub-account is named: start from the first-level account
            code = code[:3]
        acc = chart.by_code.get(code) if code else None
        if acc is None:
            errors.add(r.row, NAME, f"旧科目“{r.name}”无法对应到新科目，请改填2023年科目编码，并把科目体系填为2023")
            return
        rest = parts[1:]
    elif r.code:
        acc = chart.by_code.get(r.code)
        if acc is None:
            errors.add(r.row, CODE, f"科目编码 {r.code} 不存在（2023年科目或本村已设的明细科目）")
            return
        if r.name:
            named = [p for p in _PATH_SEP.split(r.name) if p]
            if not named or _norm(named[-1]) != _norm(acc.name):
                errors.add(r.row, NAME, f"科目编码 {acc.code} 是“{acc.name}”，与科目名称“{r.name}”不符")
                return
        rest = []
    elif r.name:
        parts = [p for p in _PATH_SEP.split(r.name) if p]
        candidates = chart.top_by_name.get(_norm(parts[0]), []) or chart.by_name.get(_norm(parts[0]), [])
        if not candidates:
            errors.add(r.row, NAME, f"没有名为“{parts[0]}”的科目，请核对科目名称或填写科目编码")
            return
        if len(candidates) > 1:
            codes = "、".join(c.code for c in candidates)
            errors.add(r.row, NAME, f"名为“{parts[0]}”的科目不止一个（{codes}），请填写科目编码")
            return
        acc = candidates[0]
        rest = parts[1:]
    else:
        errors.add(r.row, CODE, "请填写科目编码或科目名称")
        return

    for part in rest:
        sub = chart.child(acc, part)
        if sub is None:
            errors.add(r.row, column, f"科目 {acc.code} {acc.name} 下没有明细科目“{part}”，请先增设该明细科目")
            return
        acc = sub
    kids = chart.children.get(acc.id)
    if kids:
        example = kids[0]
        hint = (f"如“{acc.name}-{example.name}”" if column == NAME else f"如 {example.code} {example.name}")
        errors.add(r.row, column, f"科目 {acc.code} {acc.name} 有明细科目，请记到明细科目（{hint}）")
        return
    if not acc.active:
        errors.add(r.row, column, f"科目 {acc.code} {acc.name} 已停用")
        return
    r.account = acc


# ---------------------------------------------------------------- vouchers


@dataclass
class _Voucher:
    key: str
    rows: list[_Row]
    on: date | None = None
    summary: str = ""
    decision: str | None = None
    attachments: list[str] = field(default_factory=list)
    ref: DecisionRef | None = None  # the resolved decision cited, once checked
    spent: int = 0  # what the voucher spends (expense and capital accounts), in fen

    @property
    def first(self) -> int:
        return self.rows[0].row

    @property
    def period(self) -> str:
        assert self.on is not None
        return service.period_of(self.on)

    @property
    def total(self) -> int:
        return sum(r.debit for r in self.rows)

    def span(self) -> str:
        numbers = [r.row for r in self.rows]
        if numbers == list(range(numbers[0], numbers[-1] + 1)):
            return f"第{numbers[0]}–{numbers[-1]}行" if len(numbers) > 1 else f"第{numbers[0]}行"
        shown = "、".join(str(n) for n in numbers[:10])
        return f"第{shown}{'等' if len(numbers) > 10 else ''}行"


def _group(rows: list[_Row]) -> list[_Voucher]:
    by_key: dict[str, _Voucher] = {}
    for r in rows:
        if r.key:
            by_key.setdefault(r.key, _Voucher(r.key, [])).rows.append(r)
    return list(by_key.values())


def _check_voucher(village: Village, v: _Voucher, closed: set[str], errors: RowErrors) -> None:
    """What makes a voucher as a whole: one date, a summary, two lines or more, balance, an open month,
    and the large-expense rule."""
    dated = [r for r in v.rows if r.on is not None]
    if dated:
        v.on = dated[0].on
        for r in dated[1:]:
            if r.on != v.on:
                errors.add(r.row, DATE, f"凭证 {v.key} 的各行日期应相同（第{dated[0].row}行为 {v.on}，本行为 {r.on}）；"
                           f"如各月凭证号从1重新编起，请在凭证号前加上月份以区分，如 {v.on:%m}-{v.key}")
    summaries = [r.summary for r in v.rows if r.summary]
    if summaries:
        v.summary = summaries[0]
    else:
        errors.add(v.first, SUMMARY, f"凭证 {v.key} 没有摘要，请至少在第一行填写摘要")
    decisions = list(dict.fromkeys(r.decision for r in v.rows if r.decision))
    if len(decisions) > 1:
        for r in v.rows:
            if r.decision and r.decision != decisions[0]:
                errors.add(r.row, DECISION, f"凭证 {v.key} 的各行决议编号不一致（{'、'.join(decisions)}），请统一")
    v.decision = decisions[0] if decisions else None
    v.attachments = list(dict.fromkeys(a for r in v.rows for a in r.attachments))
    if len(v.attachments) > MAX_ATTACHMENTS:
        errors.add(v.first, ATTACHMENTS, f"一张凭证最多{MAX_ATTACHMENTS}个附件")

    if len(v.rows) < 2:
        errors.add(v.first, KEY, f"凭证 {v.key} 只有一行；一张凭证至少要有一借一贷两行")
    if any(r.bad_amount for r in v.rows):
        return  # the sums would mislead: the amounts are reported on their rows
    debit = sum(r.debit for r in v.rows)
    credit = sum(r.credit for r in v.rows)
    if debit != credit and len(v.rows) >= 2:
        more = "借方" if debit > credit else "贷方"
        errors.add(v.first, DEBIT if debit > credit else CREDIT,
                   f"凭证 {v.key}（{v.span()}）借贷不平：借方合计 {fen_to_yuan(debit)} 元，贷方合计 "
                   f"{fen_to_yuan(credit)} 元，{more}多 {fen_to_yuan(abs(debit - credit))} 元")
    if v.on is not None and v.period in closed:
        errors.add(v.first, DATE, f"{v.period} 已结账，不能再记入该月（凭证 {v.key}）")
    if debit == credit and all(r.account is not None for r in v.rows):
        spent = service.expense_of((r.account, r.debit, r.credit) for r in v.rows if r.account is not None)
        try:
            service.check_large_expense(village, spent, v.decision)
        except AppError as exc:
            errors.add(v.first, DECISION, f"凭证 {v.key}：{exc.message}")
            return
        if v.decision:  # a small voucher may cite a decision too: one of this village's, resolved
            ref = decision_cap.cited_decision(village.id, v.decision)
            if ref is None:
                errors.add(v.first, DECISION, f"凭证 {v.key}：找不到决议编号 {v.decision}（须是本村的决议）")
            elif not ref.resolved:
                errors.add(v.first, DECISION, f"凭证 {v.key}：决议“{ref.title}”尚未通过，不能据此支出")
            else:
                v.ref, v.spent = ref, spent


def _check_decision_amounts(village: Village, vouchers: list[_Voucher], errors: RowErrors) -> None:
    """The vouchers citing one decision, the books' and the file's together in file order, spend no more than the
    amount it states (as :func:`service.check_decision_amount` for one voucher)."""
    cited = {v.ref.id: v.ref for v in vouchers if v.ref is not None}
    before = decision_cap.decision_spent(village.id, cited)
    running: dict[int, int] = {}
    for v in vouchers:
        if v.ref is None:
            continue
        so_far = before.get(v.ref.id, 0) + running.get(v.ref.id, 0)
        if v.ref.amount_fen is not None and v.spent > 0 and so_far + v.spent > v.ref.amount_fen:
            errors.add(v.first, DECISION,
                       f"凭证 {v.key}：决议“{v.ref.title}”批准的金额为 {fen_to_yuan(v.ref.amount_fen)} 元，"
                       f"已支出 {fen_to_yuan(so_far)} 元（含本文件前面的凭证），本凭证支出 {fen_to_yuan(v.spent)} 元，"
                       f"超出 {fen_to_yuan(so_far + v.spent - v.ref.amount_fen)} 元")
            continue
        running[v.ref.id] = running.get(v.ref.id, 0) + v.spent


# ---------------------------------------------------------------- import


def _max_rows() -> int:
    return int(current_app.config.get("VOUCHER_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)) if has_app_context() else (
        DEFAULT_MAX_ROWS)


def _read(data: bytes, errors: RowErrors) -> list[_Row]:
    limit = _max_rows()
    wb, sheet = _open_sheet(data)
    rows: list[_Row] = []
    try:
        columns = _check_headers(next(sheet, None))
        for number, values in enumerate(sheet, start=2):
            cells = {h: values[i] if i < len(values) else None for h, i in columns.items()}
            if all(_blank(v) for v in cells.values()):
                continue
            if len(rows) >= limit:
                raise _refuse_file(f"一次最多导入 {limit} 行，本文件超过了，请分成几份导入", max_rows=limit)
            rows.append(_parse_row(number, cells, errors))
    finally:
        wb.close()
    if not rows:
        raise _refuse_file("文件中没有凭证数据（第1行为表头，从第2行起每行一条分录）")
    return rows


def _check(village: Village, rows: list[_Row], errors: RowErrors) -> list[_Voucher]:
    chart = _Chart.load(village)
    for r in rows:
        if r.chart in CHARTS:
            _resolve_account(r, chart, errors)
    closed = set(service.closed_periods(village.id))
    vouchers = _group(rows)
    for v in vouchers:
        _check_voucher(village, v, closed, errors)
    _check_decision_amounts(village, vouchers, errors)
    return vouchers


def _write(village: Village, vouchers: list[_Voucher], *, actor: Principal | None) -> dict[str, Voucher]:
    """Create and post every voucher: what ``service.create_voucher`` and ``service.post_voucher`` do one voucher
    at a time (some twenty statements each), done for the whole file in a few batched statements.

    The checks ran already (:func:`_check`); the database guards these vouchers as any others: the trigger
    refuses to post one whose lines do not balance, the unique index a number used twice. Numbers are taken
    month by month in ascending order (so that two imports lock the months' counters in the same order and
    cannot deadlock), in file order within a month, under the month's counter lock, and a month closed while
    the file was being checked refuses the whole file.
    """
    pid = actor.person_id if actor else None
    now = utcnow()
    made: dict[str, Voucher] = {}
    for v in vouchers:
        assert v.on is not None
        lines = [service.LineInput(r.account.code, r.debit, r.credit, r.summary) for r in v.rows if r.account]
        total = service.check_balanced(lines)  # checked already; the one definition of a balanced voucher
        voucher = Voucher(
            village_id=village.id, voucher_date=v.on, period=v.period, summary=v.summary, status="draft",
            total_fen=total, decision_ref=v.decision, attachments=json.dumps(v.attachments, ensure_ascii=False),
            source="import", created_by_id=pid, created_at=now,
        )
        voucher.lines = [
            VoucherLine(line_no=no, account_id=r.account.id, summary=r.summary, debit_fen=r.debit, credit_fen=r.credit)
            for no, r in enumerate(v.rows, start=1) if r.account
        ]
        made[v.key] = voucher
    db.session.add_all(made.values())
    db.session.flush()
    # again under each decision's lock: a voucher posted meanwhile may have taken what the file spends
    per_decision: dict[int, tuple[DecisionRef, int]] = {}
    for v in vouchers:
        if v.ref is not None:
            per_decision[v.ref.id] = (v.ref, per_decision.get(v.ref.id, (v.ref, 0))[1] + v.spent)
    for ref, spent in per_decision.values():
        decision_cap.check_decision_amount(village, ref, spent)

    months: dict[str, list[Voucher]] = {}
    for v in vouchers:
        months.setdefault(v.period, []).append(made[v.key])
    for period in sorted(months):
        service.lock_month(village.id, period)
        service.ensure_open(village.id, period)  # again, under the lock
        batch = months[period]
        last = db.session.execute(
            update(VoucherCounter)
            .where(VoucherCounter.village_id == village.id, VoucherCounter.period == period)
            .values(last_number=VoucherCounter.last_number + len(batch))
            .returning(VoucherCounter.last_number)
        ).scalar_one()
        for number, voucher in enumerate(batch, start=last - len(batch) + 1):
            voucher.number, voucher.status, voucher.posted_by_id, voucher.posted_at = number, "posted", pid, now
    db.session.flush()

    for voucher in made.values():  # the same entries as by hand: who made and who posted each voucher
        audit.record("ledger.voucher_create", "voucher", voucher.id, actor=actor, village_id=village.id,
                     after={"date": voucher.voucher_date.isoformat(), "total_fen": voucher.total_fen,
                            "lines": len(voucher.lines), "source": "import"})
        audit.record("ledger.voucher_post", "voucher", voucher.id, actor=actor, village_id=village.id,
                     after={"number": voucher.number, "period": voucher.period, "total_fen": voucher.total_fen})
    return made


def import_vouchers(village: Village, stream: IO[bytes], *, actor: Principal | None,
                    dry_run: bool = False) -> dict[str, Any]:
    """Check the whole file, then (unless ``dry_run``) create and post every voucher in one transaction and
    commit. Numbers are handed out in file order within each month, after those already used.

    Returns ``{vouchers, lines, total, periods, dry_run, created}`` (``created``: the key in the file, id,
    period and number of each voucher; empty on a dry run). Raises :class:`AppError` 422
    ``ledger.import_invalid`` (``details.rows``: every problem with its row) and then nothing is written;
    409 ``ledger.import_conflict`` if the books changed while writing (a month closed meanwhile).
    """
    errors = RowErrors(_INVALID, "凭证文件", {h: i for i, h in enumerate(HEADERS)}, MAX_LISTED_ERRORS)
    rows = _read(stream.read(), errors)
    savepoint = db.session.begin_nested()  # the chart may be seeded while checking: undone on a refusal or dry run
    try:
        service.ensure_chart(village)
        vouchers = _check(village, rows, errors)
        errors.raise_if_any()
        periods: dict[str, int] = {}
        for v in vouchers:
            periods[v.period] = periods.get(v.period, 0) + 1
        report: dict[str, Any] = {
            "vouchers": len(vouchers),
            "lines": len(rows),
            "total": fen_to_yuan(sum(v.total for v in vouchers)),
            "periods": dict(sorted(periods.items())),
            "dry_run": dry_run,
            "created": [],
        }
        if dry_run:
            savepoint.rollback()
            return report
        made = _write(village, vouchers, actor=actor)
        report["created"] = [{"key": v.key, "id": made[v.key].id, "period": made[v.key].period,
                              "number": made[v.key].number} for v in vouchers]
        audit.record("ledger.voucher_import", "village", village.id, actor=actor, village_id=village.id,
                     after={k: report[k] for k in ("vouchers", "lines", "total", "periods")}
                     | {"ids": [c["id"] for c in report["created"]]})
        db.session.flush()
        savepoint.commit()
    except AppError as exc:
        if savepoint.is_active:
            savepoint.rollback()
        if exc.code == _INVALID:
            raise
        # the checks passed but the books changed while writing (a month closed, a decision withdrawn)
        raise AppError(409, "ledger.import_conflict", f"导入时账簿有变动，整份未导入，请重新导入：{exc.message}",
                       {"cause": exc.code}) from exc
    except IntegrityError as exc:
        if savepoint.is_active:
            savepoint.rollback()
        raise AppError(409, "ledger.import_conflict", "导入时账簿有变动，整份未导入，请重新导入") from exc
    except BaseException:
        if savepoint.is_active:
            savepoint.rollback()
        raise
    db.session.commit()
    return report


class VoucherImportReportSchema(BaseSchema):
    """What an import did (or, on a dry run, would do)."""

    vouchers = fields.Integer(metadata={"description": "凭证张数"})
    lines = fields.Integer(metadata={"description": "分录行数"})
    total = fields.String(metadata={"description": "借方合计（元）"})
    periods = fields.Dict(keys=fields.String(), values=fields.Integer(), metadata={"description": "各月凭证张数"})
    dry_run = fields.Boolean()
    created = fields.List(fields.Dict(), metadata={"description": "文件中的凭证号 key → 记账后的 id、月份、编号"})


__all__ = ["HEADERS", "VoucherImportReportSchema", "import_vouchers"]
