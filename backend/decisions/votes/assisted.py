"""Assisted ballots: a ballot entered at the village office for a member without a phone, co-signed by a second
staff person (backend/assisted drives the flow; this module records the ballot and counts assisted ballots).

An assisted ballot is an ordinary secret ballot (``vote_ballots``: no voter, no time) whose participation row has
the channel ``assisted`` and ``cast_by_id`` = the staff person who entered it; ``vote_assists`` adds the co-signer
to that participation row. Neither table holds the choice. Who assisted how many ballots in a vote is public
(:func:`assisted_counts`, in the vote's view); which elector was assisted by whom is shown with the turnout
(:func:`assisted_voters`), never what they chose.

:func:`record_assisted_ballot` writes the participation and the ballot itself, the way votes.service writes any
ballot: votes.service imports this module (the turnout, the vote's view), so this module does not import it back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, aliased, mapped_column

from backend import registry
from backend.core.clock import utcnow
from backend.core.db import UTCDateTime, db
from backend.core.errors import conflict, forbidden, not_found, unprocessable
from backend.decisions.votes.models import CHOICES, Ballot, Vote, VoteElector, VoteParticipation

CHANNEL = "assisted"
# the words of votes.service.ALREADY_CAST: this module is imported by votes.service (the turnout, the vote's view),
# so it does not import it back (tests/test_layers.py refuses the cycle)
ALREADY_CAST = "已经投过票了（每人只能投一次，手机、委托、现场纸质票、代办只能选一种）"


def _state(v: Vote) -> str:
    now = utcnow()
    return "scheduled" if now < v.opens_at else "open" if now < v.closes_at else "closed"


class VoteAssist(db.Model):
    """The co-signer of an assisted participation (the entering staff is the participation's ``cast_by_id``)."""

    __tablename__ = "vote_assists"

    participation_id: Mapped[int] = mapped_column(
        ForeignKey("vote_participations.id", ondelete="CASCADE"), primary_key=True
    )
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    cosigned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    cosigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint("entered_by_id <> cosigned_by_id", name="two_staff"),)


@dataclass(frozen=True)
class AssistVote:
    """A vote as the assisted flow needs it: its village, title, window and whether it counts households."""

    id: int
    village_id: int
    title: str
    body: str
    opens_at: datetime
    closes_at: datetime
    by_household: bool
    state: str


def _brief(v: Vote) -> AssistVote:
    return AssistVote(v.id, v.village_id, v.title, v.body, v.opens_at, v.closes_at, v.by_household, _state(v))


def assisted_vote(vote_id: int) -> AssistVote | None:
    v = db.session.get(Vote, vote_id)
    return None if v is None else _brief(v)


def _unit(v: Vote, person_id: int, household_id: int | None) -> int | None:
    return household_id if v.by_household else person_id


def open_votes_for_member(village_id: int, person_id: int, household_id: int | None) -> list[AssistVote]:
    """The village's votes open now in which this member is an elector and has not voted (soonest closing first)."""
    now = utcnow()
    units = [u for u in (person_id, household_id) if u is not None]
    rows = db.session.execute(
        select(Vote, VoteElector.unit).join(VoteElector, VoteElector.vote_id == Vote.id)
        .where(Vote.village_id == village_id, Vote.opens_at <= now, Vote.closes_at > now,
               VoteElector.unit.in_(units))
        .order_by(Vote.closes_at, Vote.id)
    ).all()
    mine = {v.id: v for v, unit in rows if unit == _unit(v, person_id, household_id)}
    if not mine:
        return []
    voted = set(db.session.execute(
        select(VoteParticipation.vote_id, VoteParticipation.unit).where(VoteParticipation.vote_id.in_(list(mine)))
    ).all())
    return [_brief(v) for v in mine.values() if (v.id, _unit(v, person_id, household_id)) not in voted]


def check_assisted_ballot(vote_id: int, person_id: int, household_id: int | None) -> AssistVote:
    """The vote is open, the member is on its frozen electorate and has not voted (by any channel); else refused."""
    v = db.session.get(Vote, vote_id)
    if v is None:
        raise not_found()
    st = _state(v)
    if st == "scheduled":
        raise conflict("vote.not_open", "表决尚未开始")
    if st == "closed":
        raise conflict("vote.closed", "投票已结束")
    unit = _unit(v, person_id, household_id)
    if unit is None or db.session.get(VoteElector, (v.id, unit)) is None:
        raise forbidden("vote.not_eligible", "该成员不在本次表决的名单中（名单在表决开始时确定）")
    if db.session.execute(
        select(VoteParticipation.id).where(VoteParticipation.vote_id == v.id, VoteParticipation.unit == unit)
    ).first() is not None:
        raise conflict("vote.already_cast", ALREADY_CAST)
    return _brief(v)


def record_assisted_ballot(vote_id: int, person_id: int, household_id: int | None, choice: str, *,
                           entered_by: int, cosigned_by: int) -> int:
    """Record the member's secret ballot (channel ``assisted``, cast by the entering staff) with its co-signer, in
    the caller's transaction; returns the participation's id. Refused like any ballot: closed, not an elector,
    already voted (one participation per elector, whatever the channel)."""
    check_assisted_ballot(vote_id, person_id, household_id)
    v = db.session.get(Vote, vote_id)
    assert v is not None
    unit = _unit(v, person_id, household_id)
    if choice not in CHOICES:
        raise unprocessable("vote.choice", "请选择同意、反对或弃权")
    # the two rows any ballot is (as votes.service._record_ballot writes them): who voted, and apart from it, what
    # was chosen under a random receipt, with no voter and no time; the unique participation refuses a second vote
    part = VoteParticipation(vote_id=v.id, unit=unit, channel=CHANNEL, cast_by_id=entered_by, cast_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(part)
            db.session.add(Ballot(vote_id=v.id, receipt=secrets.token_hex(6), choice=choice))
            db.session.flush()
            db.session.add(VoteAssist(participation_id=part.id, vote_id=v.id, entered_by_id=entered_by,
                                      cosigned_by_id=cosigned_by))
            db.session.flush()
    except IntegrityError:
        raise conflict("vote.already_cast", ALREADY_CAST) from None
    return int(part.id)


def assisted_counts(vote_id: int) -> list[dict[str, Any]]:
    """Per pair of staff (entered by, co-signed by): how many ballots they assisted in this vote. Public."""
    rows = db.session.execute(
        select(VoteAssist.entered_by_id, VoteAssist.cosigned_by_id, func.count())
        .where(VoteAssist.vote_id == vote_id)
        .group_by(VoteAssist.entered_by_id, VoteAssist.cosigned_by_id)
    ).all()
    names = registry.person_names([i for e, c, _ in rows for i in (e, c)])
    out = [{"entered_by": names.get(e, ""), "cosigned_by": names.get(c, ""), "count": int(n)} for e, c, n in rows]
    return sorted(out, key=lambda r: (-r["count"], r["entered_by"], r["cosigned_by"]))


def assisted_voters(vote_id: int) -> dict[int, dict[str, str]]:
    """Elector unit → the names of the staff who entered and co-signed their assisted ballot (for the turnout)."""
    part = aliased(VoteParticipation)
    rows = db.session.execute(
        select(part.unit, VoteAssist.entered_by_id, VoteAssist.cosigned_by_id)
        .join(part, part.id == VoteAssist.participation_id)
        .where(VoteAssist.vote_id == vote_id)
    ).all()
    names = registry.person_names([i for _, e, c in rows for i in (e, c)])
    return {int(u): {"entered_by": names.get(e, ""), "cosigned_by": names.get(c, "")} for u, e, c in rows}
