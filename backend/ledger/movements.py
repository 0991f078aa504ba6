"""An account's posted movements month by month, for the project library's income from the books.

The rule is the books' own: only posted vouchers count, and a reversed voucher and its reversal count for nothing
(as in :mod:`backend.ledger.decision_cap`): the original is left out, and a reversal (which points to what it
reverses) is never counted, whatever month it is dated in.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend.core.db import db
from backend.ledger.models import Account, Voucher, VoucherLine


def _descendants(village_id: int, account_ids: list[int]) -> dict[int, int]:
    """Every account of the village under one of ``account_ids`` (itself included) → the one it falls under."""
    rows = db.session.execute(select(Account.id, Account.parent_id).where(Account.village_id == village_id)).all()
    parent = {i: p for i, p in rows}
    wanted = set(account_ids)
    out: dict[int, int] = {}
    for acc in parent:
        a: int | None = acc
        while a is not None:
            if a in wanted:
                out[acc] = a
                break
            a = parent.get(a)
    return out


def monthly_credits(village_id: int, account_ids: list[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """For each account (its subaccounts included): ``{"YYYY-MM": credits − debits in fen}`` of posted vouchers
    dated from ``start`` to ``end`` inclusive (months with nothing posted absent). Accounts of another village
    get an empty dict. A reversed voucher and its reversal count for nothing."""
    out: dict[int, dict[str, int]] = {a: {} for a in account_ids}
    under = _descendants(village_id, account_ids)
    if not under or start > end:
        return out
    reversed_ids = select(Voucher.reverses_id).where(
        Voucher.village_id == village_id, Voucher.reverses_id.is_not(None)
    )
    rows = db.session.execute(
        select(Voucher.period, VoucherLine.account_id, func.sum(VoucherLine.credit_fen - VoucherLine.debit_fen))
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .where(
            Voucher.village_id == village_id,
            Voucher.status == "posted",
            Voucher.voucher_date >= start,
            Voucher.voucher_date <= end,
            Voucher.reverses_id.is_(None),
            Voucher.id.not_in(reversed_ids),
            VoucherLine.account_id.in_(list(under)),
        )
        .group_by(Voucher.period, VoucherLine.account_id)
    ).all()
    for period, account_id, total in rows:
        months = out[under[account_id]]
        months[period] = months.get(period, 0) + int(total or 0)
    for months in out.values():
        for period in [p for p, v in months.items() if v == 0]:
            del months[period]
    return out
