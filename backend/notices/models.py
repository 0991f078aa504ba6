"""Announcements, who read them (and how), the subscribe-message consents, and the durable push outbox.

Invariants the database enforces too: a notice comes from exactly one township or one village; one target row per
notice and village; one read receipt per notice and person; one push job per notice and person (so a notice is
never queued, and never sent, twice to someone); consents never negative.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values

AUDIENCES = ("everyone", "members", "representatives", "party_members")
AUDIENCE_LABELS = {"everyone": "全体村民", "members": "集体经济组织成员", "representatives": "村民代表",
                   "party_members": "党员"}
CATEGORIES = ("通知", "公告", "政策宣传", "会议", "便民服务", "其他")
READ_CHANNELS = ("app", "meeting", "loudspeaker")
PUSH_STATUSES = ("pending", "sending", "sent", "no_consent", "failed")


class Notice(db.Model):
    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True, index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True, index=True)
    title: Mapped[str] = mapped_column(String(80), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    category: Mapped[str] = mapped_column(String(10), nullable=False)
    audience: Mapped[str] = mapped_column(String(20), nullable=False)
    attachments: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    content_check: Mapped[str] = mapped_column(String(10), default="pass", nullable=False)  # msg_sec_check verdict
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the villages it was sent to, read once per notice and session (they never change once it is published)
    targets: Mapped[list[NoticeTarget]] = relationship(viewonly=True, order_by="NoticeTarget.village_id")

    __table_args__ = (
        CheckConstraint("(township_id IS NULL) <> (village_id IS NULL)", name="one_source"),
        CheckConstraint(in_values("audience", AUDIENCES), name="audience"),
        CheckConstraint(in_values("category", CATEGORIES), name="category"),
        CheckConstraint("content_check IN ('pass', 'review')", name="content_check"),
    )

    def is_live(self) -> bool:
        """Not withdrawn and not expired: readers see it, and its pushes still go out."""
        return self.withdrawn_at is None and (self.expires_at is None or self.expires_at > utcnow())


class NoticeTarget(db.Model):
    """A village a notice was sent to (a village's own notice targets itself)."""

    __tablename__ = "notice_targets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), nullable=False)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)

    __table_args__ = (UniqueConstraint("notice_id", "village_id", name="uq_notice_targets_village"),)


class NoticeRead(db.Model):
    """A person read the notice in the app, or it was read out to them at a meeting or on the loudspeaker."""

    __tablename__ = "notice_reads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(12), default="app", nullable=False)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)

    __table_args__ = (
        UniqueConstraint("notice_id", "person_id", name="uq_notice_reads_person"),
        CheckConstraint(in_values("channel", READ_CHANNELS), name="channel"),
        Index("ix_notice_reads_notice_village", "notice_id", "village_id"),
    )


class PushConsent(db.Model):
    """One-time subscribe-message consents a person gave in the mini-program (wx.requestSubscribeMessage), per
    template: each allows exactly one message."""

    __tablename__ = "push_consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    template_id: Mapped[str] = mapped_column(String(64), nullable=False)
    remaining: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("person_id", "template_id", name="uq_push_consents_person_template"),
        CheckConstraint("remaining >= 0", name="remaining"),
    )


class PushJob(db.Model):
    """A subscribe message to send, written in the same transaction as what it announces; a worker sends it."""

    __tablename__ = "push_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # notice, vote, dividend …
    object_id: Mapped[int] = mapped_column(BigId, nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    template_id: Mapped[str] = mapped_column(String(64), nullable=False)
    page: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: the template's fields
    status: Mapped[str] = mapped_column(String(12), default="pending", nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    msgid: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("kind", "object_id", "person_id", name="uq_push_outbox_once"),
        CheckConstraint(in_values("status", PUSH_STATUSES), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_push_outbox_due", "status", "next_attempt_at"),
    )
