"""What a household is told of its dividend, through notices' outbox (one message per kind, distribution and
person): the list published for 公示 (``dividend_notice``: the household's own amount and the 公示's last day) and
its payout recorded (``dividend_paid``: by bank or in cash). Every active member of the household with a bound
WeChat account is told (``notices.household_people``); the collective's own line tells nobody."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select

from backend import notices
from backend.core.db import db
from backend.dividends.models import Distribution, DividendLine

NOTICE, PAID = "dividend_notice", "dividend_paid"
METHOD_WORDS = {"bank": "银行代发", "cash": "现金发放"}


def _page(d: Distribution) -> str:
    return f"pages/dividend/dividend?id={d.id}"


def _each(d: Distribution, amounts: dict[int, int], data: dict[str, str]) -> dict[int, dict[str, str]]:
    """person → the message of their household (its own amount)."""
    people = notices.household_people(d.village_id, amounts)
    return {pid: {**data, "amount2": notices.amount_text(amounts[h])} for h, pids in people.items() for pid in pids}


def queue_published(d: Distribution) -> int:
    """"分红名单公示了": to each household on the list, in the transaction that publishes it."""
    amounts = {h: fen for h, fen in db.session.execute(
        select(DividendLine.household_id, DividendLine.amount_fen)
        .where(DividendLine.distribution_id == d.id, DividendLine.household_id.is_not(None))).all()}
    until = d.publicity_until.isoformat() if d.publicity_until else ""
    data = {"thing1": notices.thing(d.title), "date3": until, "thing4": "名单公示中，有疑问可以提出"}
    return notices.queue_each(NOTICE, d.id, _each(d, amounts, data), template=notices.template_for(NOTICE),
                              page=_page(d))


def queue_paid(d: Distribution, paid: Iterable[tuple[int | None, int]], method: str, paid_on: date) -> int:
    """"分红发放了": to each household of ``paid`` ((household, amount in fen) of the lines just paid), in the
    transaction that records the payment."""
    amounts = {h: fen for h, fen in paid if h is not None}
    data = {"thing1": notices.thing(d.title), "date3": paid_on.isoformat(),
            "phrase4": METHOD_WORDS.get(method, method)}
    return notices.queue_each(PAID, d.id, _each(d, amounts, data), template=notices.template_for(PAID),
                              page=_page(d))
