"""Public-benefit jobs (公益岗位): postings, applications, the sealed draw, 公示 and objections, hires, monthly pay.

Invariants the database enforces too:
- one application per person and posting; one per household where the posting says so (``household_key`` is the
  household then, NULL otherwise: NULLs never collide);
- one draw per posting; one hire per application; one pay record per hire and month; amounts never negative.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values
from backend.core.objections import ANSWERED_CHECK, ObjectionMixin

CATEGORIES = ("保洁", "护路", "护林", "巡河", "水管", "养老助残", "治安", "就业信息", "其他")
POSTING_STATUSES = ("open", "sealed", "drawn", "publicity", "confirmed", "cancelled")
APPLICATION_STATUSES = ("applied", "selected", "waitlisted", "hired", "withdrawn", "ineligible")
PAY_METHODS = ("bank", "cash")


class JobPosting(db.Model):
    __tablename__ = "job_postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(60), nullable=False)
    category: Mapped[str] = mapped_column(String(10), nullable=False)
    positions: Mapped[int] = mapped_column(Integer, nullable=False)
    monthly_wage_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    term_months: Mapped[int] = mapped_column(Integer, nullable=False)
    duties: Mapped[str | None] = mapped_column(Text, nullable=True)
    place: Mapped[str | None] = mapped_column(String(120), nullable=True)
    funding: Mapped[str | None] = mapped_column(String(60), nullable=True)  # 衔接资金, 光伏收益, 集体收入 …
    apply_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    apply_until: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    min_age: Mapped[int] = mapped_column(Integer, nullable=False)
    max_age: Mapped[int] = mapped_column(Integer, nullable=False)
    priority_tuopin: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)  # 脱贫户 first
    priority_jiance: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)  # 监测户 first
    priority_only: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # e.g. solar-funded posts
    one_per_household: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    exclude_cadre_families: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="open", nullable=False)
    publicity_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    publicity_seal_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint(in_values("category", CATEGORIES), name="category"),
        CheckConstraint(in_values("status", POSTING_STATUSES), name="status"),
        CheckConstraint("positions > 0", name="positions"),
        CheckConstraint("monthly_wage_fen > 0", name="wage"),
        CheckConstraint("term_months BETWEEN 1 AND 36", name="term"),
        CheckConstraint("apply_until > apply_from", name="window"),
        CheckConstraint("min_age >= 16 AND max_age >= min_age AND max_age <= 80", name="ages"),
    )


class JobApplication(db.Model):
    __tablename__ = "job_applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), nullable=False)
    household_key: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # household when one per household
    priority: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)  # in a priority group
    priority_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    assisted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)  # staff, for them
    status: Mapped[str] = mapped_column(String(12), default="applied", nullable=False)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # place after the draw
    receipt: Mapped[str] = mapped_column(String(16), nullable=False)  # public, random: the draw's key
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("posting_id", "person_id", name="uq_job_applications_person"),
        UniqueConstraint("posting_id", "household_key", name="uq_job_applications_household"),
        UniqueConstraint("posting_id", "receipt", name="uq_job_applications_receipt"),
        CheckConstraint(in_values("status", APPLICATION_STATUSES), name="status"),
    )


class JobDraw(db.Model):
    """The selection of one posting: the applicant list sealed first, the seed announced afterwards, and the
    deterministic draw from both (anyone can re-run it: ``jobs.service.draw_order``)."""

    __tablename__ = "job_draws"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), nullable=False, unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    list_seal_id: Mapped[int] = mapped_column(ForeignKey("seals.id"), nullable=False)
    list_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    seed: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seed_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    seed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON: receipts in drawn order

    __table_args__ = (CheckConstraint("(seed IS NULL) = (seed_at IS NULL)", name="seed"),)


class JobObjection(ObjectionMixin, db.Model):
    __tablename__ = "job_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)

    __table_args__ = (CheckConstraint(ANSWERED_CHECK, name="answered"),)


class JobHire(db.Model):
    """A confirmed hire: the 劳务协议, at most the posting's term (a year by default), renewable by a new posting."""

    __tablename__ = "job_hires"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("job_applications.id"), nullable=False, unique=True)
    posting_id: Mapped[int] = mapped_column(ForeignKey("job_postings.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False, index=True)
    start_on: Mapped[date] = mapped_column(Date, nullable=False)
    end_on: Mapped[date] = mapped_column(Date, nullable=False)
    monthly_wage_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    agreement_no: Mapped[str | None] = mapped_column(String(40), nullable=True)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)

    __table_args__ = (CheckConstraint("end_on > start_on", name="term"),
                      CheckConstraint("monthly_wage_fen > 0", name="wage"))


class JobPay(db.Model):
    """One month of one hire: attendance and the pay, and when it was paid (posted as 公益支出)."""

    __tablename__ = "job_pay"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    hire_id: Mapped[int] = mapped_column(ForeignKey("job_hires.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    month: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    days_worked: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)  # monthly assessment out of 100
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    method: Mapped[str | None] = mapped_column(String(8), nullable=True)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("hire_id", "month", name="uq_job_pay_month"),
        CheckConstraint("days_worked BETWEEN 0 AND 31", name="days"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="score"),
        CheckConstraint("amount_fen >= 0", name="amount"),
        CheckConstraint("(paid_on IS NULL) = (method IS NULL)", name="paid"),
    )
