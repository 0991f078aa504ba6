"""An account's posted movements month by month, for the project library's income from the books
(placeholder: filled by the projects work)."""

from __future__ import annotations

from datetime import date


def monthly_credits(village_id: int, account_ids: list[int], start: date, end: date) -> dict[int, dict[str, int]]:
    """For each account (its subaccounts included): ``{"YYYY-MM": credits − debits in fen}`` of posted vouchers
    dated from ``start`` to ``end`` inclusive (months with nothing posted absent)."""
    return {a: {} for a in account_ids}
