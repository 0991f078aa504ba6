"""The home screen: everything the mini-program's first page shows, in one request.

Read-only, and only through the other domains' public functions (like ``township``): who the caller is from
:func:`backend.auth.me`, notices by the rule of ``GET /me/notices``, votes from ``GET /me/votes``'s own
function, the village's newest published disclosure, and the money of this year. The number of SQL statements does
not grow with the data: every part is one or two queries (a test counts them).

Rules (the one place they are stated):

- **Notices**: those ``GET /me/notices`` lists (same statement, same audience filter); ``unread_notices`` counts the
  ones without a read receipt; ``latest_notice`` is the first of that list (pinned first, then newest).
- **Open votes**: exactly ``GET /me/votes``.
- **Latest disclosure**: the caller's home village's newest published disclosure (the first of
  ``GET /villages/{id}/disclosures``); none for someone without a village.
- **Money this year** — what actually reached the caller's household in the current calendar year, Asia/Shanghai
  (``core.clock.today``), whatever year the money was for:
  - dividends: the household's lines of published distributions (``GET /me/dividends``) whose ``paid_on`` falls in
    the year — last year's dividend paid in January counts this year;
  - land rent: the household's rent payouts recorded as paid in the year (a bank batch's date, a cash payout's
    date) — the ``paid`` of ``GET /me/land/rent-history``; rent the collective received and has not passed on
    (待转付) is not yet the household's;
  - job pay: the caller's public-benefit job pay (``GET /me/job-pay``) with ``paid_on`` in the year; recorded but
    unpaid months do not count.
  Someone without a household (township staff) gets zeros for the household's money.
- **Summary**: the same money in a sentence, and what is still owed to the household and when, a sentence each
  (``summary``; its rules are stated there). ``None`` for someone without a household.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from backend import auth, decisions, disclosures, dividends, jobs, land, notices
from backend.core.clock import today
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.home import summary


@dataclass(frozen=True)
class Money:
    """Fen reaching the caller (their household) in ``year``."""

    year: int
    dividends: int = 0
    land_rent: int = 0
    job_pay: int = 0

    @property
    def total(self) -> int:
        return self.dividends + self.land_rent + self.job_pay


@dataclass(frozen=True)
class Sources:
    """What the money card and the summary are made of, each read once: the household's dividend lines, its land
    rent position in the year (``None`` without a household), the caller's job pay."""

    year: int
    dividend_lines: list[tuple[Any, Any]]
    rent: land.RentPosition | None
    job_pay: list[Any]


def money_sources(p: Principal, year: int) -> Sources:
    """Three statements: the dividend lines, the land rent position (which carries the rent passed on in the year),
    the job pay."""
    lines: list[tuple[Any, Any]] = []
    rent = None
    if p.household_id is not None:
        lines = list(dividends.household_lines(p.household_id))
        rent = land.rent_position(p.household_id, year)
    return Sources(year, lines, rent, jobs.pay_of_person(p.person_id))


def money_in_year(src: Sources) -> Money:
    start, end = date(src.year, 1, 1), date(src.year, 12, 31)

    def within(day: date | None) -> bool:
        return day is not None and start <= day <= end

    dividend_fen = sum(ln.amount_fen for _d, ln in src.dividend_lines if within(ln.paid_on))
    rent_fen = src.rent.received_fen if src.rent is not None else 0
    job_fen = sum(pay.amount_fen for pay in src.job_pay if within(pay.paid_on))
    return Money(src.year, dividend_fen, rent_fen, job_fen)


def money_summary(p: Principal, src: Sources, money: Money, on: date) -> dict[str, Any] | None:
    """The summary's sentences (``summary``) for a member of a household; ``None`` for someone without one."""
    if p.household_id is None:
        return None
    owed = summary.owed_items(on, src.rent, src.dividend_lines, src.job_pay)
    return summary.summary((money.dividends, money.land_rent, money.job_pay), owed)


def notices_summary(p: Principal) -> tuple[int, dict[str, Any] | None]:
    """(unread, the first notice of ``GET /me/notices``) for the caller: the same one-statement list as that
    endpoint (read flag, targets and source name as columns; no bodies read)."""
    rows = notices.my_notices_listed(p)
    if not rows:
        return 0, None
    unread = sum(1 for r in rows if not r.read)
    first, n = rows[0], rows[0].notice
    return unread, {"id": n.id, "title": n.title, "source": "township" if n.township_id is not None else "village",
                    "source_name": n.source_name, "category": n.category, "pinned": n.pinned,
                    "published_at": n.published_at, "read": first.read}


def latest_disclosure(village_id: int | None) -> Mapping[str, Any] | None:
    return None if village_id is None else _latest_disclosure(village_id)


@shared_read  # the same for every reader of the village (read-only)
def _latest_disclosure(village_id: int) -> Mapping[str, Any] | None:
    d = disclosures.latest_published(village_id)
    if d is None:
        return None
    return MappingProxyType({"id": d.id, "period": d.period, "title": d.title, "published_at": d.published_at,
                             "income_total": d.income_total_fen, "expense_total": d.expense_total_fen,
                             "seal": d.seal.hash if d.seal else None})


def home(p: Principal) -> dict[str, Any]:
    me = auth.me(p)
    unread, latest = notices_summary(p)
    on = today()
    src = money_sources(p, on.year)
    money = money_in_year(src)
    return {
        "person_id": me["person_id"],
        "name": me["name"],
        "member": me["member"],
        "village": me["village"],
        "township": me["township"],
        "roles": me["roles"],
        "unread_notices": unread,
        "latest_notice": latest,
        "open_votes": decisions.my_open_votes(p),
        "latest_disclosure": latest_disclosure(p.village_id),
        "money_this_year": {"year": money.year, "dividends": money.dividends, "land_rent": money.land_rent,
                            "job_pay": money.job_pay, "total": money.total},
        "summary": money_summary(p, src, money, on),
    }
