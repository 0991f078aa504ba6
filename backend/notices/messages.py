"""Subscribe messages other than announcements, through the same outbox (``push_outbox``) and the same consent
rules as :mod:`backend.notices.outbox`: a job is written in the transaction that does the thing it tells of, only
for people with a bound WeChat account; the worker (``outbox.work``) spends one of the person's one-time consents
to the message's template, and a person who gave none is never sent anything (``no_consent``).

Each domain queues what it tells of, with :func:`queue_push` (the same message to everyone) or :func:`queue_each`
(a message per person: a household's own amount). Kinds (the outbox's key is kind, object, person — once each):

- ``vote_opened`` / ``vote_closing`` / ``vote_result`` (object: the vote) — decisions.votes;
- ``dividend_notice`` / ``dividend_paid`` (object: the distribution) — dividends;
- ``rent_paid`` (object: a household's first rent payout of the batch or the cash payout) — land;
- ``job_drawn`` / ``job_hired`` (object: the application) — jobs;
- ``assisted``: "an assisted action was recorded for your household" — sent to the other members of a household
  when staff recorded a vote or a job application for a member without a phone (backend/assisted). The message
  says what kind of thing was recorded and for whom, never how they voted.

The mini-program asks for consent at a few moments (:data:`MOMENTS`, ``GET /me/push-templates``), never more than
WeChat's three templates at a time.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from backend import auth, registry
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.notices.models import PushJob

_CHUNK = 5000

ASSISTED_KIND = "assisted"
ASSISTED_TEMPLATE = "assisted-recorded"  # overridden by the config key WECHAT_TEMPLATE_ASSISTED


# the moments a villager may be told of, and the subscribe-message template of each: the config key
# WECHAT_TEMPLATE_<MOMENT> (upper case) names the template id registered for the mini-program in WeChat's console;
# without it, the stand-in's id below is used
TEMPLATES: dict[str, str] = {
    "notice": "notice-published",
    "vote_opened": "vote-opened",
    "vote_closing": "vote-closing",
    "vote_result": "vote-result",
    "dividend_notice": "dividend-notice",
    "dividend_paid": "dividend-paid",
    "rent_paid": "rent-paid",
    "answer": "question-answered",
    "job_outcome": "job-outcome",
    "assisted": "assisted-recorded",
}


# where the mini-program asks for consent (utils/subscribe.js ask(moment)), and the templates asked for there: at
# most three, WeChat's limit for one wx.requestSubscribeMessage. Rent is asked for on the dividends page: both are
# money the collective pays the household.
MOMENTS: dict[str, tuple[str, ...]] = {
    "vote": ("vote_result", "vote_opened", "vote_closing"),  # after casting a ballot
    "notices": ("notice", "assisted"),  # on the notices page
    "job_apply": ("job_outcome",),  # after applying for a job
    "dividends": ("dividend_notice", "dividend_paid", "rent_paid"),  # on the dividends page
    "objection": ("answer",),  # after objecting or asking on a record in 公示
}
THING_MAX = 20  # WeChat's limit for a thing field


def moment_templates() -> dict[str, list[str]]:
    """Each moment's template ids in this deployment (a template configured for two moments is asked for once at
    each)."""
    out: dict[str, list[str]] = {}
    for moment, keys in MOMENTS.items():
        ids = [template_for(k) for k in keys]
        out[moment] = list(dict.fromkeys(ids))[:3]
    return out


def thing(text: str) -> str:
    """A ``thing`` field: at most 20 characters, cut at 19 and marked with "…" when longer."""
    text = " ".join(text.split())
    return text if len(text) <= THING_MAX else text[:THING_MAX - 1] + "…"


def amount_text(fen: int) -> str:
    """123450 → ``"1,234.50元"``: what a subscribe message shows of money."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole:,}.{cents:02d}元"


def time_text(at: datetime | date) -> str:
    """A time as ``2026-12-06 13:00`` (China), a date as ``2026-12-06``."""
    if isinstance(at, datetime):
        return (to_iso(at) or "")[:16].replace("T", " ")
    return at.isoformat()


def template_for(moment: str) -> str:
    """The template id of ``moment`` (a key of :data:`TEMPLATES`) in this deployment."""
    return str(current_app.config.get(f"WECHAT_TEMPLATE_{moment.upper()}") or TEMPLATES[moment])


def queue_push(kind: str, object_id: int, people: Collection[int], *, template: str, data: dict[str, str],
               page: str | None) -> int:
    """A subscribe message of ``kind`` about ``object_id`` to each of ``people`` with a bound WeChat account, written
    in the caller's transaction; the outbox's key (kind, object, person) keeps it to one each, so calling this again
    for the same thing queues nothing for those already queued. ``template`` is the template id (from config);
    ``data`` the template's fields. Returns how many were queued now."""
    return queue_each(kind, object_id, dict.fromkeys(people, data), template=template, page=page)


def queue_each(kind: str, object_id: int, data_by_person: Mapping[int, dict[str, str]], *, template: str,
               page: str | None) -> int:
    """:func:`queue_push` where each person's message says something of its own (a household's amount): one lookup
    of the bound accounts, one of those already queued and one insert, however many people — a dividend list of a
    thousand households is one statement of each, in the caller's transaction."""
    people = sorted(data_by_person)
    bound: set[int] = set()
    already: set[int] = set()
    for start in range(0, len(people), _CHUNK):  # PostgreSQL takes at most 65,535 parameters in a statement
        chunk = people[start:start + _CHUNK]
        found = list(auth.openids_of(chunk))
        bound.update(found)
        if found:
            already.update(db.session.execute(select(PushJob.person_id).where(
                PushJob.kind == kind, PushJob.object_id == object_id, PushJob.person_id.in_(found))).scalars())
    now = utcnow()
    rows = [{"kind": kind, "object_id": object_id, "person_id": pid, "template_id": template, "page": page,
             "data": json.dumps(data_by_person[pid], ensure_ascii=False), "status": "pending", "attempts": 0,
             "next_attempt_at": now, "created_at": now}
            for pid in people if pid in bound and pid not in already]
    if rows:
        db.session.execute(PushJob.__table__.insert(), rows)
    return len(rows)


def household_people(village_id: int, household_ids: Collection[int]) -> dict[int, list[int]]:
    """household → its active members (one read of the village's roster). What a household is told of (its
    dividend, its rent) goes to every one of them with a bound WeChat account, not only the head: the household's
    phone may be anyone's, and each is told once."""
    wanted = set(household_ids)
    out: dict[int, list[int]] = {h: [] for h in wanted}
    for m in registry.members_brief(village_id).values():
        if m.household_id in wanted and m.status == "active":
            out[m.household_id].append(m.person_id)
    return out


def assisted_template_id() -> str:
    return template_for("assisted")


def queue_assisted_message(entry_id: int, people: Collection[int], *, member_name: str, what: str,
                           at: datetime) -> int:
    """A message to each of ``people`` with a bound WeChat account: "<what> was recorded at the village office for
    <member_name>". ``what`` names the kind of action (表决投票, 公益岗位报名) — never a ballot's choice. Returns how
    many were queued; one per entry and person (the outbox's key, and :func:`queue_push`'s check)."""
    data = {"thing1": thing(f"村里为{member_name}代办了{what}"), "name2": member_name[:10], "time3": time_text(at)}
    return queue_push(ASSISTED_KIND, entry_id, people, template=assisted_template_id(), data=data,
                      page="pages/home/home")
