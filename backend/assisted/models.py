"""Assisted entries: a vote or a job application entered at the village office by one staff person for a member
without a phone, waiting for a second staff person (a 村务监督委员) to co-sign it in their own session.

Invariants the database enforces too:

- the person who entered an entry never co-signs or refuses it (``entered_by_id <> cosigned_by_id``);
- an entry is about a vote (``vote_id``) or a job posting (``posting_id``), as its kind says;
- the member was confirmed in person when it was entered;
- the choice of a ballot is held only while the entry is pending (``held_choice``, a keyed seal of the choice that
  only the service can open, never returned by an endpoint nor written to the audit log); it is NULL once the
  entry is signed, refused or expired;
- a signed entry names its co-signer and what it recorded (the participation row or the application), a refused
  one who refused it; one pending entry per member and vote (or posting).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values

KINDS = ("vote", "job_application")
STATUSES = ("pending", "signed", "refused", "expired")
KIND_LABELS = {"vote": "表决投票", "job_application": "公益岗位报名"}
STATUS_LABELS = {"pending": "等待会签", "signed": "已会签，已记录", "refused": "已拒绝，未记录",
                 "expired": "已过期，未记录"}


class AssistedEntry(db.Model):
    __tablename__ = "assisted_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)  # the member
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), nullable=False)
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id"), nullable=True, index=True)
    posting_id: Mapped[int | None] = mapped_column(ForeignKey("job_postings.id"), nullable=True, index=True)
    entered_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    member_confirmed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="pending", nullable=False)
    held_choice: Mapped[str | None] = mapped_column(String(96), nullable=True)  # sealed; only while pending
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)  # a job application's note
    cosigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    cosigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    present_confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)  # the co-signer saw the member
    refused_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    refused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # signed, refused or expired
    participation_id: Mapped[int | None] = mapped_column(ForeignKey("vote_participations.id"), nullable=True,
                                                         unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("job_applications.id"), nullable=True, unique=True)

    __table_args__ = (
        CheckConstraint(in_values("kind", KINDS), name="kind"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("entered_by_id <> cosigned_by_id", name="two_staff"),
        CheckConstraint("entered_by_id <> person_id", name="not_oneself"),
        CheckConstraint("member_confirmed", name="member_confirmed"),
        CheckConstraint("expires_at > entered_at", name="expiry"),
        CheckConstraint(
            "(kind = 'vote' AND vote_id IS NOT NULL AND posting_id IS NULL)"
            " OR (kind = 'job_application' AND posting_id IS NOT NULL AND vote_id IS NULL)",
            name="target",
        ),
        CheckConstraint("held_choice IS NULL OR (status = 'pending' AND kind = 'vote')", name="held_only_pending"),
        CheckConstraint("status <> 'pending' OR kind <> 'vote' OR held_choice IS NOT NULL", name="held_choice"),
        CheckConstraint("(status = 'pending') = (closed_at IS NULL)", name="closed"),
        CheckConstraint(
            "(status = 'signed') = (cosigned_by_id IS NOT NULL AND cosigned_at IS NOT NULL)", name="signed"
        ),
        CheckConstraint("status <> 'signed' OR kind <> 'job_application' OR application_id IS NOT NULL",
                        name="signed_application"),
        CheckConstraint("status <> 'signed' OR kind <> 'vote' OR participation_id IS NOT NULL", name="signed_vote"),
        CheckConstraint("(status = 'refused') = (refused_by_id IS NOT NULL)", name="refused"),
        Index("uq_assisted_entries_pending_vote", "vote_id", "person_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("uq_assisted_entries_pending_posting", "posting_id", "person_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
        Index("ix_assisted_entries_due", "status", "expires_at"),
    )
