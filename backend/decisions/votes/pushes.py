"""What a villager is told of a vote, through notices' outbox (one message per kind, vote and person):

- ``vote_opened``: to everyone who may vote in it, in the transaction that opens it (a household vote: every
  active member of an elector household — any of them may cast the household's ballot);
- ``vote_closing``: once per vote, when it is open and closes within 24 hours, to those of the electorate who have
  not voted (:func:`queue_closing_reminders`, run by the push worker each round and by ``flask votes
  remind-closing``). A vote that runs 24 hours or less in all gets none: its opening message said when it closes;
- ``vote_result``: to everyone who may vote in it, when it is tallied (counts and passed or not — never a ballot).

Before the worker sends an opening or closing message it asks :func:`still_wanted`: a person who has voted
meanwhile, or a vote that has closed, is not sent a reminder to vote.

This module imports the votes' models only: ``service`` calls it, so it never calls back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from backend import notices, registry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.votes.models import Vote, VoteElector, VoteParticipation

CLOSING_WINDOW = timedelta(hours=24)
OPENED, CLOSING, RESULT = "vote_opened", "vote_closing", "vote_result"


def _page(v: Vote) -> str:
    return f"pages/vote/vote?id={v.id}"


def people_of(v: Vote, units: list[int]) -> list[int]:
    """The people behind these elector units: the units themselves, or for a household vote the active members of
    those households."""
    if not v.by_household:
        return units
    return [pid for people in notices.household_people(v.village_id, units).values() for pid in people]


def _units(v: Vote) -> list[int]:
    return list(db.session.execute(select(VoteElector.unit).where(VoteElector.vote_id == v.id)).scalars())


def queue_opened(v: Vote) -> int:
    """"表决开始了": to the whole electorate, in the transaction that opens the vote."""
    data = {"thing1": notices.thing(v.title), "time2": notices.time_text(v.opens_at),
            "time3": notices.time_text(v.closes_at), "thing4": "请在截止前投票"}
    return notices.queue_push(OPENED, v.id, people_of(v, _units(v)), template=notices.template_for(OPENED),
                              data=data, page=_page(v))


def queue_result(v: Vote) -> int:
    """"表决结果出来了": to the whole electorate, in the transaction that tallies the vote."""
    result = json.loads(v.result or "{}")
    outcome = "通过" if result.get("passed") else "未通过"
    data = {"thing1": notices.thing(v.title), "phrase2": outcome,
            "thing3": notices.thing(f"同意{result.get('agree', 0)}票，实到{result.get('cast', 0)}"),
            "time4": notices.time_text(v.closes_at)}
    return notices.queue_push(RESULT, v.id, people_of(v, _units(v)), template=notices.template_for(RESULT),
                              data=data, page=_page(v))


def queue_closing_reminders(now: datetime | None = None) -> int:
    """Queue "表决快截止了" for every open vote closing within 24 hours whose reminders are not queued yet, to
    those of its electorate who have not voted. One query finds the votes (none, on almost every round); each vote
    is then marked, so it is looked at once. Flushes; the caller commits. Returns how many messages were queued."""
    now = now or utcnow()
    due = list(db.session.execute(
        select(Vote).where(Vote.reminders_queued_at.is_(None), Vote.result.is_(None), Vote.opens_at <= now,
                           Vote.closes_at > now, Vote.closes_at <= now + CLOSING_WINDOW)
        .order_by(Vote.id).with_for_update(skip_locked=True)).scalars())
    queued = 0
    for v in due:
        v.reminders_queued_at = now
        if v.closes_at - v.opens_at <= CLOSING_WINDOW:
            continue  # its opening message already said when it closes
        voted = set(db.session.execute(
            select(VoteParticipation.unit).where(VoteParticipation.vote_id == v.id)).scalars())
        waiting = [u for u in _units(v) if u not in voted]
        left = v.closes_at - now
        hours = max(1, int(left.total_seconds() // 3600))
        data = {"thing1": notices.thing(v.title), "time2": notices.time_text(v.closes_at),
                "thing3": notices.thing(f"还有约{hours}小时截止，您还没有投票")}
        queued += notices.queue_push(CLOSING, v.id, people_of(v, waiting), template=notices.template_for(CLOSING),
                                     data=data, page=_page(v))
    db.session.flush()
    return queued


def still_wanted(vote_id: int, person_id: int) -> str | None:
    """Asked by the push worker before it sends an opening or closing message: the reason not to send it, if any."""
    v = db.session.get(Vote, vote_id)
    if v is None:
        return "表决已不存在，不再提醒"
    if v.result is not None or v.closes_at <= utcnow():
        return "表决已经结束，不再提醒"
    unit: int | None = person_id
    if v.by_household:
        entry = registry.roster_entry(person_id)
        unit = entry.household_id if entry is not None else None
    if unit is not None and db.session.execute(select(VoteParticipation.id).where(
            VoteParticipation.vote_id == v.id, VoteParticipation.unit == unit)).first() is not None:
        return "已经投过票，不再提醒"
    return None
