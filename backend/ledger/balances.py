"""Balances of accounts from the posted books, for the 三资 register's funds (资金) and the cash limit
(placeholder: filled by the assets work)."""

from __future__ import annotations

from datetime import date


def account_balances(village_id: int, codes: list[str], on: date | None = None) -> dict[str, int]:
    """Each code's balance in fen (debits − credits of posted vouchers dated up to ``on``, the code's subaccounts
    included); a code with nothing posted is 0."""
    return {c: 0 for c in codes}
