"""Decisions under 四议两公开: the matter (事项), its stages copied from a template when it is created, the
objections raised while a stage is publicly posted (公示), and the vouchers that paid for it.

Other domains know a decision through ``service.get_ref`` (does it exist in the village, is it resolved). A
decision resolved outside the app (paper records) has no stages and no template (``variant`` NULL).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db

DECISION_STATUSES = ("in_progress", "resolved", "failed", "done")
STAGE_KINDS = ("meeting", "publicity", "result")
STAGE_STATUSES = ("pending", "open", "passed", "failed")
ORIGINS = ("党员群众建议", "村干部提议", "上级党委政府安排")


class Decision(db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    category: Mapped[str] = mapped_column(String(20), nullable=False)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(12), default="in_progress", nullable=False)
    resolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # the pipeline; NULL on decisions resolved outside the app
    origin: Mapped[str | None] = mapped_column(String(12), nullable=True)  # 动议事由, the same across stages
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    special_matter: Mapped[str | None] = mapped_column(String(30), nullable=True)  # rules.MATTERS key
    decision_body: Mapped[str | None] = mapped_column(String(30), nullable=True)  # who meets at 决议
    variant: Mapped[str | None] = mapped_column(String(30), nullable=True)  # the stage template it was copied from
    current_stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('in_progress', 'resolved', 'failed', 'done')", name="status"),
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount"),
        CheckConstraint("(status IN ('resolved', 'done')) = (resolved_on IS NOT NULL)", name="resolved_on"),
        CheckConstraint(
            "origin IS NULL OR origin IN ('党员群众建议', '村干部提议', '上级党委政府安排')", name="origin"
        ),
    )


class DecisionStage(db.Model):
    """One stage of one decision (a register sheet of 《四议两公开决策实施登记表》), copied from the template.

    meeting: held_on, form, 应到 (``eligible``, from the body's electorate on the day), 实到 (``present``; the
    people in ``attendees`` JSON where the body can be enumerated), show-of-hands counts, minutes, township
    officials present. publicity/result: the 公示 window (start_on … end_on), what was published, the
    supervisors' opinion. result: money spent and acceptance (验收); its vouchers are in ``decision_vouchers``.
    """

    __tablename__ = "decision_stages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    stage: Mapped[str] = mapped_column(String(20), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    body: Mapped[str | None] = mapped_column(String(30), nullable=True)
    permission: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(8), default="pending", nullable=False)
    # meeting
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    meeting_form: Mapped[str | None] = mapped_column(String(40), nullable=True)
    eligible: Mapped[int | None] = mapped_column(Integer, nullable=True)
    present: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households_eligible: Mapped[int | None] = mapped_column(Integer, nullable=True)
    households_present: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attendees: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of person ids
    agree: Mapped[int | None] = mapped_column(Integer, nullable=True)
    oppose: Mapped[int | None] = mapped_column(Integer, nullable=True)
    abstain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[str | None] = mapped_column(Text, nullable=True)  # 内容 / 公开情况
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # the rule's verdict, or why it failed
    township_officials: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON [{"name", "post"}]
    attachments: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON list of references
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("votes.id"), nullable=True)
    # publicity
    start_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(60), nullable=True)
    supervisor_opinion: Mapped[str | None] = mapped_column(Text, nullable=True)
    # result
    spent_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    accepted_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    acceptance_opinion: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("decision_id", "seq", name="uq_decision_stages_seq"),
        UniqueConstraint("decision_id", "stage", name="uq_decision_stages_stage"),
        CheckConstraint("kind IN ('meeting', 'publicity', 'result')", name="kind"),
        CheckConstraint("status IN ('pending', 'open', 'passed', 'failed')", name="status"),
        CheckConstraint("present IS NULL OR eligible IS NULL OR present <= eligible", name="present"),
        CheckConstraint("spent_fen IS NULL OR spent_fen >= 0", name="spent"),
        CheckConstraint("end_on IS NULL OR start_on IS NULL OR end_on > start_on", name="window"),
    )


class DecisionObjection(db.Model):
    """An objection raised while a stage was publicly posted, and its answer."""

    __tablename__ = "decision_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    stage_id: Mapped[int] = mapped_column(ForeignKey("decision_stages.id", ondelete="CASCADE"), nullable=False)
    raised_by: Mapped[str] = mapped_column(String(60), nullable=False)
    raised_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    raised_on: Mapped[date] = mapped_column(Date, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)  # raised_on + objections.answer_days
    text: Mapped[str] = mapped_column(Text, nullable=False)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered"),)


class DecisionVoucher(db.Model):
    """A posted voucher of the same village that paid for the decision (linked at 实施结果公开)."""

    __tablename__ = "decision_vouchers"

    stage_id: Mapped[int] = mapped_column(ForeignKey("decision_stages.id", ondelete="CASCADE"), primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("ledger_vouchers.id"), primary_key=True)
