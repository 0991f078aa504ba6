"""Votes and ballots. Invariants the database enforces too:

- the electorate is frozen when the vote is opened (one row per elector; its hash is stored on the vote);
- one participation per elector per vote (unique): a person — or a household, where the body votes by
  household — votes once, whatever the channel;
- who voted (``vote_participations``) is kept apart from what was chosen (``vote_ballots``): a ballot has no
  voter, no serial id and no time, only its random receipt, so the two cannot be joined;
- a choice is agree, oppose or abstain; a receipt is unique in its vote;
- one vote at a time on a stage of a decision (a partial unique index over votes not yet tallied whose result is
  recorded on the stage).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db

CHOICES = ("agree", "oppose", "abstain")


class Vote(db.Model):
    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), nullable=False, index=True)
    stage: Mapped[str] = mapped_column(String(12), nullable=False)
    body: Mapped[str] = mapped_column(String(30), nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    by_household: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # the result is recorded on the decision's stage (a decision with the 四议两公开 pipeline); a vote on a decision
    # resolved outside the app records nothing on it
    on_stage: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(), nullable=False)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    record_date: Mapped[date] = mapped_column(Date, nullable=False)
    electorate_size: Mapped[int] = mapped_column(Integer, nullable=False)
    households_size: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    electorate_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    rule: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: the rule in force when it opened
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON, set once when it is tallied
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"), nullable=True, unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # when the "closing within 24 hours" reminders were queued (votes.pushes): each vote is looked at once
    reminders_queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("closes_at > opens_at", name="window"),
        CheckConstraint("electorate_size >= 0", name="size"),
        CheckConstraint("(result IS NULL) = (tallied_at IS NULL)", name="tallied"),
        # one vote at a time on a stage of a decision: a second may be opened only once the first is tallied
        Index(
            "uq_votes_one_open_per_stage",
            "decision_id",
            "stage",
            unique=True,
            sqlite_where=text("result IS NULL AND on_stage"),
            postgresql_where=text("result IS NULL AND on_stage"),
        ),
    )


class VoteElector(db.Model):
    """The frozen electorate: ``unit`` is a person id, or a household id where the body votes by household."""

    __tablename__ = "vote_electors"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    unit: Mapped[int] = mapped_column(BigId, primary_key=True)
    household_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class VoteParticipation(db.Model):
    """Who voted, through which channel, when — never what they chose."""

    __tablename__ = "vote_participations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False)
    unit: Mapped[int] = mapped_column(BigId, nullable=False)
    channel: Mapped[str] = mapped_column(String(8), default="app", nullable=False)
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("vote_id", "unit", name="uq_vote_participations_once"),
        CheckConstraint("channel IN ('app', 'proxy', 'paper')", name="channel"),
    )


class Ballot(db.Model):
    """What was chosen: no voter, no time, no serial number — only the receipt the voter was given."""

    __tablename__ = "vote_ballots"

    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    receipt: Mapped[str] = mapped_column(String(16), primary_key=True)
    choice: Mapped[str] = mapped_column(String(8), nullable=False)

    __table_args__ = (CheckConstraint("choice IN ('agree', 'oppose', 'abstain')", name="choice"),)


class VoteProxy(db.Model):
    """A written authorisation for one 成员大会 vote to another capable member of the same household (第27条)."""

    __tablename__ = "vote_proxies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False)
    grantor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    proxy_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    document_ref: Mapped[str] = mapped_column(String(200), nullable=False)  # the signed authorisation
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    vote: Mapped[Vote] = relationship()

    @property
    def village_id(self) -> int:  # the scope permission checks use
        return self.vote.village_id

    __table_args__ = (
        CheckConstraint("grantor_id <> proxy_id", name="two_people"),
        CheckConstraint("revoked_at IS NULL OR used_at IS NULL", name="revoked_or_used"),
        Index(
            "uq_vote_proxies_grantor",
            "vote_id",
            "grantor_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index(
            "uq_vote_proxies_holder",
            "vote_id",
            "proxy_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class PaperTally(db.Model):
    """The signed count of paper ballots from an in-person meeting, entered once per vote."""

    __tablename__ = "vote_paper_tallies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), nullable=False, unique=True)
    agree: Mapped[int] = mapped_column(Integer, nullable=False)
    oppose: Mapped[int] = mapped_column(Integer, nullable=False)
    abstain: Mapped[int] = mapped_column(Integer, nullable=False)
    signed_by: Mapped[str] = mapped_column(String(400), nullable=False)  # JSON list: counters and scrutineers
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint("agree >= 0 AND oppose >= 0 AND abstain >= 0", name="counts"),)
