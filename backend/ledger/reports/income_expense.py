"""The income and expense lines of a village's posted vouchers over some months, and the large expenses among those
vouchers: what a 财务公开 lists line by line (逐项逐笔).

Income is the credit-side movement of an income-class account, expense the debit-side movement of an expense-class
account, so a reversal shows as a negative line. A large expense is a voucher (not a reversal) that spends more than
the village's threshold (:func:`backend.ledger.service.large_expense_threshold`), with the decision it cites.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backend.core.db import db
from backend.ledger.models import Voucher, VoucherLine
from backend.ledger.service import accounts, category_of, expense_total, large_expense_threshold
from backend.registry import Village


@dataclass(frozen=True)
class IncomeExpenseLine:
    on: date
    voucher_no: str  # "2026-03-007": month and number
    summary: str  # the line's own, else its voucher's
    account: str  # "501002 租赁收入"
    category: str | None  # the 财务公开 category (the account's own, else its parent's); None: none given
    income: bool  # an income line (else an expense line)
    amount_fen: int  # signed: a reversal is negative


@dataclass(frozen=True)
class LargeExpense:
    on: date
    voucher_no: str
    summary: str
    spent_fen: int
    decision_ref: str | None  # the decision the voucher cites, as written on it


@dataclass(frozen=True)
class IncomeExpense:
    lines: list[IncomeExpenseLine]
    large_expenses: list[LargeExpense]
    threshold_fen: int  # the village's large-expense threshold the large expenses were picked by


def voucher_no(v: Voucher) -> str:
    return f"{v.period}-{v.number:03d}"


def income_and_expense(village: Village, months: Collection[str]) -> IncomeExpense:
    """Every income and expense line of the posted vouchers of ``months``, in date order, and the large expenses."""
    by_id = {a.id: a for a in accounts(village.id)}
    vouchers = db.session.execute(
        select(Voucher)
        .where(Voucher.village_id == village.id, Voucher.period.in_(list(months)), Voucher.status == "posted")
        .options(selectinload(Voucher.lines).joinedload(VoucherLine.account))
        .order_by(Voucher.voucher_date, Voucher.period, Voucher.number)
    ).scalars()
    threshold = large_expense_threshold(village)
    lines: list[IncomeExpenseLine] = []
    large: list[LargeExpense] = []
    for v in vouchers:
        for ln in v.lines:
            acc = by_id[ln.account_id]
            if acc.klass not in ("income", "expense"):
                continue
            is_income = acc.klass == "income"
            lines.append(IncomeExpenseLine(
                on=v.voucher_date,
                voucher_no=voucher_no(v),
                summary=ln.summary or v.summary,
                account=f"{acc.code} {acc.name}",
                category=category_of(acc, by_id),
                income=is_income,
                amount_fen=ln.credit_fen - ln.debit_fen if is_income else ln.debit_fen - ln.credit_fen,
            ))
        spent = expense_total(v)
        if v.reverses_id is None and spent > threshold:
            large.append(LargeExpense(v.voucher_date, voucher_no(v), v.summary, spent, v.decision_ref))
    return IncomeExpense(lines, large, threshold)


@dataclass(frozen=True)
class VoucherBrief:
    id: int
    number: str  # "2026-03-007", as voucher_no writes it
    on: date
    summary: str
    total_fen: int  # the voucher's debits (= its credits)


def vouchers_by_number(village_id: int, numbers: Collection[str]) -> dict[str, VoucherBrief]:
    """The village's posted vouchers named "YYYY-MM-NNN" (as a 财务公开 line cites them), in one query; numbers
    that name no posted voucher of the village are left out."""
    wanted: dict[tuple[str, int], str] = {}
    for n in numbers:
        period, _, seq = n.rpartition("-")
        if len(period) == 7 and seq.isascii() and seq.isdigit():
            wanted[(period, int(seq))] = n
    if not wanted:
        return {}
    rows = db.session.execute(
        select(Voucher).where(Voucher.village_id == village_id, Voucher.status == "posted",
                              Voucher.period.in_({p for p, _ in wanted}))
    ).scalars()
    out = {}
    for v in rows:
        key = wanted.get((v.period, v.number or 0))
        if key is not None:
            out[key] = VoucherBrief(v.id, voucher_no(v), v.voucher_date, v.summary, v.total_fen)
    return out
