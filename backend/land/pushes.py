""""租金转付到您家了" (``rent_paid``), through notices' outbox: when a household's rent payout is recorded — a cash
payout, or the bank batch it is in marked paid — every active member of the household with a bound WeChat account
is told the amount (``notices.household_people``). Once per payout: the message's object is the household's payout
(its first of the batch, when a batch pays it for several contracts, and the amount is their sum)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from backend import notices
from backend.land.models import RentPayout

RENT_PAID = "rent_paid"
PAGE = "pages/land/land"
METHOD_WORDS = {"bank": "银行代发", "cash": "现金"}


def queue_paid(village_id: int, payouts: Sequence[RentPayout], paid_on: date) -> int:
    """Tell each household of ``payouts`` (all of one cash payout or one bank batch) what was passed on to it."""
    by_household: dict[int, list[RentPayout]] = {}
    for p in payouts:
        by_household.setdefault(p.household_id, []).append(p)
    people = notices.household_people(village_id, by_household)
    queued = 0
    for household, rows in sorted(by_household.items()):
        first = min(rows, key=lambda r: r.id)
        data = {"thing1": "土地流转租金", "amount2": notices.amount_text(sum(r.amount_fen for r in rows)),
                "date3": paid_on.isoformat(), "phrase4": METHOD_WORDS.get(first.method, first.method)}
        queued += notices.queue_push(RENT_PAID, first.id, people.get(household, []),
                                     template=notices.template_for(RENT_PAID), data=data, page=PAGE)
    return queued
