"""Balances of accounts from the posted books, for the 三资 register's funds (资金) and the cash limit.

A balance reads the months' totals (``ledger_account_months``, kept by the trigger of :mod:`backend.ledger.totals`):
up to a day, the totals of the months up to the day's month less the lines of that month dated after the day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, CompoundSelect, Select, func, or_, select, union_all

from backend.core.db import db
from backend.ledger.models import Account, AccountMonth, Voucher, VoucherLine


def _period(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def _under(village_id: int, codes: list[str]) -> ColumnElement[bool]:
    """The village's accounts whose code is one of ``codes`` or under one of them."""
    return (Account.village_id == village_id) & or_(*[Account.code.startswith(c, autoescape=True) for c in codes])


def _lines_after(village_id: int, codes: list[str], on: date) -> Select[tuple[str, int]]:
    """Each account's posted debits − credits in ``on``'s month dated after ``on``."""
    return (
        select(Account.code, func.sum(VoucherLine.credit_fen - VoucherLine.debit_fen))
        .select_from(Voucher)
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(Voucher.village_id == village_id, Voucher.period == _period(on), Voucher.status == "posted",
               Voucher.voucher_date > on, _under(village_id, codes))
        .group_by(Account.code)
    )


def account_balances(village_id: int, codes: list[str], on: date | None = None) -> dict[str, int]:
    """Each code's balance in fen (debits − credits of posted vouchers dated up to ``on``, the code's subaccounts
    included); a code with nothing posted is 0. One statement over the months' totals (and ``on``'s month)."""
    out = {c: 0 for c in codes}
    if not codes:
        return out
    months = (
        select(Account.code, func.sum(AccountMonth.debit_fen - AccountMonth.credit_fen))
        .join(AccountMonth, AccountMonth.account_id == Account.id)
        .where(_under(village_id, codes))
        .group_by(Account.code)
    )
    stmt: Select[tuple[str, int]] | CompoundSelect[tuple[str, int]] = months if on is None else union_all(
        months.where(AccountMonth.period <= _period(on)), _lines_after(village_id, codes, on))
    for code, fen in db.session.execute(stmt):
        for c in codes:
            if code.startswith(c):
                out[c] += int(fen or 0)
    return out


def daily_movements(village_id: int, code: str, after: date, on: date) -> dict[date, int]:
    """Each day's posted debits − credits of ``code`` (its subaccounts included) on the days after ``after`` up to
    ``on`` that have any: one statement."""
    stmt = (
        select(Voucher.voucher_date, func.sum(VoucherLine.debit_fen - VoucherLine.credit_fen))
        .select_from(Voucher)
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(Voucher.village_id == village_id, Voucher.status == "posted", Voucher.voucher_date > after,
               Voucher.voucher_date <= on, _under(village_id, [code]))
        .group_by(Voucher.voucher_date)
    )
    return {d: int(fen) for d, fen in db.session.execute(stmt) if fen}
