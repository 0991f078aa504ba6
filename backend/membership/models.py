"""Tables of membership confirmation (成员确认, 农村集体经济组织法 第11–12条, 第26–28条).

An application goes ``submitted`` (待审查) → the committee's review: ``referred`` (提交成员大会) or ``refused``
(审查未通过, with its reason) → a meeting of the 成员大会 votes on it: ``confirmed`` (≥ 2/3 of ALL members agree) or
``not_passed`` (with the rule's reason) → after the meeting's 公示 with every objection answered: ``registered``
(the roster's ``is_collective_member`` set). ``refused``, ``not_passed`` and ``registered`` are final.

Invariants the database enforces too:
- one open application (``submitted``, ``referred``, ``confirmed``) per person (a partial unique index);
- a refusal and a failed vote carry their reason; a reviewed application its review time; an application the
  meeting decided names the meeting and carries its counts; a registered one its registration time;
- a recorded meeting met its quorum (三分之二以上 of those who ought to attend, 第27条) and has a 实到 within 应到;
  its 公示 has a start and an end; a registered meeting its registration time.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values
from backend.core.objections import ANSWERED_CHECK, ObjectionMixin

GROUNDS = ("residence", "birth", "marriage", "adoption", "other")
GROUND_LABELS = {"residence": "户籍在本村", "birth": "出生", "marriage": "婚入", "adoption": "收养", "other": "其他"}
STATUSES = ("submitted", "referred", "refused", "confirmed", "not_passed", "registered")
OPEN_STATUSES = ("submitted", "referred", "confirmed")
STATUS_LABELS = {
    "submitted": "待审查",
    "referred": "待成员大会确认",
    "refused": "审查未通过",
    "confirmed": "成员大会已确认",
    "not_passed": "成员大会未通过",
    "registered": "已登记为成员",
}
BODIES = ("members_assembly", "members_rep_assembly")
MEETING_STATUSES = ("recorded", "publicity", "registered", "closed")
MEETING_STATUS_LABELS = {
    "recorded": "待公示", "publicity": "公示中", "registered": "已登记", "closed": "无人通过，已结束"}


class MembershipMeeting(db.Model):
    """A meeting of the 成员大会 that voted on one or more referred applications, and the 公示 of its confirmed list."""

    __tablename__ = "membership_meetings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    body: Mapped[str] = mapped_column(String(24), nullable=False)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    place: Mapped[str | None] = mapped_column(String(120), nullable=True)
    eligible: Mapped[int] = mapped_column(Integer, nullable=False)  # 应到: the body's electorate that day
    present: Mapped[int] = mapped_column(Integer, nullable=False)  # 实到: the attendees picked by name
    attendees: Mapped[str] = mapped_column(Text, nullable=False)  # JSON list of person ids
    attendance: Mapped[str] = mapped_column(Text, nullable=False)  # the quorum sentence, as shown before saving
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    attachments: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    status: Mapped[str] = mapped_column(String(12), nullable=False)
    publicity_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    publicity_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint(in_values("body", BODIES), name="body"),
        CheckConstraint(in_values("status", MEETING_STATUSES), name="status"),
        CheckConstraint("eligible > 0 AND present >= 0 AND present <= eligible", name="counts"),
        CheckConstraint("present * 3 >= eligible * 2", name="quorum"),
        CheckConstraint("(publicity_from IS NULL) = (publicity_until IS NULL)", name="publicity"),
        CheckConstraint("publicity_until IS NULL OR publicity_until >= publicity_from", name="publicity_order"),
        CheckConstraint("(status IN ('publicity', 'registered')) = (publicity_from IS NOT NULL)",
                        name="publicity_status"),
        CheckConstraint("(status = 'registered') = (registered_at IS NOT NULL)", name="registered"),
    )


class MembershipApplication(db.Model):
    """One person's application to be confirmed as a member (成员资格申请), from submission to registration."""

    __tablename__ = "membership_applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), nullable=False)
    grounds: Mapped[str] = mapped_column(String(12), nullable=False)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    attachments: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)  # staff, for them
    # the dates of the steps as they happened: today when done in the app; an earlier day when the secretary enters
    # proceedings held on paper (补录). The audit log keeps when each was entered.
    submitted_on: Mapped[date] = mapped_column(Date, nullable=False)
    reviewed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="submitted", nullable=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    review_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # why refused, or why the vote failed
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("membership_meetings.id"), nullable=True, index=True)
    agree: Mapped[int | None] = mapped_column(Integer, nullable=True)
    oppose: Mapped[int | None] = mapped_column(Integer, nullable=True)
    abstain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint(in_values("grounds", GROUNDS), name="grounds"),
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint("status NOT IN ('refused', 'not_passed') OR reason IS NOT NULL", name="reason"),
        CheckConstraint("status = 'submitted' OR reviewed_at IS NOT NULL", name="reviewed"),
        CheckConstraint("(reviewed_on IS NULL) = (reviewed_at IS NULL)", name="reviewed_on"),
        CheckConstraint("reviewed_on IS NULL OR reviewed_on >= submitted_on", name="review_order"),
        CheckConstraint("(status IN ('confirmed', 'not_passed', 'registered')) = (meeting_id IS NOT NULL)",
                        name="meeting"),
        CheckConstraint("(meeting_id IS NULL) = (agree IS NULL) AND (agree IS NULL) = (oppose IS NULL) "
                        "AND (agree IS NULL) = (abstain IS NULL)", name="votes_set"),
        CheckConstraint("agree IS NULL OR (agree >= 0 AND oppose >= 0 AND abstain >= 0)", name="votes"),
        CheckConstraint("(status = 'registered') = (registered_at IS NOT NULL)", name="registered"),
        Index(
            "uq_membership_applications_open",
            "person_id",
            unique=True,
            sqlite_where=text(in_values("status", OPEN_STATUSES)),
            postgresql_where=text(in_values("status", OPEN_STATUSES)),
        ),
    )


class MembershipObjection(ObjectionMixin, db.Model):
    """An objection to a meeting's confirmed list while it is publicly posted (公示), and its answer."""

    __tablename__ = "membership_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("membership_meetings.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)

    __table_args__ = (CheckConstraint(ANSWERED_CHECK, name="answered"),)
