"""Balances of accounts from the posted books, for the 三资 register's funds (资金) and the cash limit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, or_, select

from backend.core.db import db
from backend.ledger.models import Account, Voucher, VoucherLine


def account_balances(village_id: int, codes: list[str], on: date | None = None) -> dict[str, int]:
    """Each code's balance in fen (debits − credits of posted vouchers dated up to ``on``, the code's subaccounts
    included); a code with nothing posted is 0."""
    out = {c: 0 for c in codes}
    if not codes:
        return out
    stmt = (
        select(Account.code, func.coalesce(func.sum(VoucherLine.debit_fen - VoucherLine.credit_fen), 0))
        .join(VoucherLine, VoucherLine.account_id == Account.id)
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .where(Voucher.village_id == village_id, Voucher.status == "posted", Account.village_id == village_id,
               or_(*[Account.code.startswith(c, autoescape=True) for c in codes]))
        .group_by(Account.code)
    )
    if on is not None:
        stmt = stmt.where(Voucher.voucher_date <= on)
    for code, fen in db.session.execute(stmt):
        for c in codes:
            if code.startswith(c):
                out[c] += int(fen)
    return out
