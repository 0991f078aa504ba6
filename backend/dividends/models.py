"""Share register and distributions. Invariants the database enforces too:

- a share type's code and name are unique in its village; changes reference a type of their own village;
- a share change moves a non-zero whole number of shares; a change held by a member names its household;
- one live (not cancelled) distribution per village and year; bucket names unique per distribution;
- one line per household per distribution (and one line for the collective's own shares);
- one payment per line (a household can never be paid twice for one distribution); one payment batch per
  idempotency key; amounts are never negative.

The balance of a holding never going below zero, and no change dated on or before a frozen record date, are
checked by the service under the village's register lock (``ShareRegister`` row, ``SELECT … FOR UPDATE``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db, in_values
from backend.core.objections import ANSWERED_CHECK, ObjectionMixin

HOLDERS = ("member", "collective")
EVENT_KINDS = ("initial", "birth", "death", "marry_in", "marry_out", "transfer", "inherit", "adjust")
BUCKET_KINDS = ("retain", "dividend")
COMPONENT_KINDS = ("fixed_per_share", "fixed_per_member", "equity")
DISTRIBUTION_STATUSES = ("draft", "computed", "published", "paying", "paid", "cancelled")
PAY_METHODS = ("bank", "cash", "internal")


class ShareType(db.Model):
    """A kind of share the village's charter sets up (成员股, 劳龄股, 集体股 …), with its unit."""

    __tablename__ = "share_types"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(20), nullable=False)
    unit: Mapped[str] = mapped_column(String(10), default="股", nullable=False)
    holder: Mapped[str] = mapped_column(String(12), default="member", nullable=False)
    # shares a newly qualified member receives when the register is adjusted dynamically (birth, marriage in)
    per_person: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "code", name="uq_share_types_village_code"),
        UniqueConstraint("village_id", "name", name="uq_share_types_village_name"),
        UniqueConstraint("id", "village_id", name="uq_share_types_id_village"),
        CheckConstraint(in_values("holder", HOLDERS), name="holder"),
        CheckConstraint("per_person >= 0", name="per_person"),
    )


class ShareRegister(db.Model):
    """One row per village: the lock that serialises register changes, and the latest frozen record date."""

    __tablename__ = "share_registers"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), primary_key=True, autoincrement=False)
    frozen_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class ShareCertificate(db.Model):
    """股权证: issued per household (the household is the holding unit), numbered within the village."""

    __tablename__ = "share_certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    household_id: Mapped[int] = mapped_column(BigId, nullable=False, unique=True)
    number: Mapped[str] = mapped_column(String(30), nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)

    __table_args__ = (
        UniqueConstraint("village_id", "number", name="uq_share_certificates_village_number"),
        ForeignKeyConstraint(
            ["household_id", "village_id"],
            ["households.id", "households.village_id"],
            name="fk_share_certificates_household_same_village",
        ),
    )


class ShareEvent(db.Model):
    """A dated change of the register (birth, death, marriage, transfer, adjustment, the initial entry)."""

    __tablename__ = "share_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)  # whom it concerns
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint(in_values("kind", EVENT_KINDS), name="kind"),)


class ShareChange(db.Model):
    """One line of an event: ``delta`` shares of a type for a holding (household + member, the household
    alone when the shares stay with the household, or the collective when both are empty)."""

    __tablename__ = "share_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("share_events.id", ondelete="CASCADE"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    household_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True)
    share_type_id: Mapped[int] = mapped_column(BigId, nullable=False)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["share_type_id", "village_id"],
            ["share_types.id", "share_types.village_id"],
            name="fk_share_changes_type_same_village",
        ),
        ForeignKeyConstraint(
            ["household_id", "village_id"],
            ["households.id", "households.village_id"],
            name="fk_share_changes_household_same_village",
        ),
        CheckConstraint("delta <> 0", name="delta"),
        CheckConstraint("member_id IS NULL OR household_id IS NOT NULL", name="member_household"),
        Index("ix_share_changes_village_date", "village_id", "effective_on"),
    )


class BucketTemplate(db.Model):
    """The village's standing split of distributable income (its charter): name, percentage, purpose, account."""

    __tablename__ = "dividend_bucket_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(30), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    percent_bp: Mapped[int] = mapped_column(Integer, nullable=False)  # basis points: 3000 = 30%
    purpose: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_code: Mapped[str | None] = mapped_column(String(20), nullable=True)

    __table_args__ = (
        UniqueConstraint("village_id", "name", name="uq_dividend_bucket_templates_village_name"),
        CheckConstraint(in_values("kind", BUCKET_KINDS), name="kind"),
        CheckConstraint("percent_bp >= 0 AND percent_bp <= 10000", name="percent"),
    )


class Distribution(db.Model):
    """A year's income-distribution plan (收益分配方案) and, once computed, its dividend list."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    title: Mapped[str] = mapped_column(String(120), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), nullable=True)
    # what is distributed: 可分配收益 of the year's 收益及收益分配表, less what the village excludes from it
    excluded_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    excluded_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    distributable_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # 分红总额 the meeting decided, at most what the dividend buckets allow; NULL: all of it. The rest is carried
    # forward in 未分配收益
    dividend_total_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pool_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # what the households share
    paid_out_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # the lines together
    record_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # 股权登记日
    register_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    total_shares: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    households: Mapped[int | None] = mapped_column(Integer, nullable=True)
    computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    publicity_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"), nullable=True)
    accrual_voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint(in_values("status", DISTRIBUTION_STATUSES), name="status"),
        CheckConstraint("year >= 2000 AND year <= 2200", name="year"),
        CheckConstraint("excluded_fen >= 0", name="excluded"),
        CheckConstraint("pool_fen IS NULL OR pool_fen >= 0", name="pool"),
        CheckConstraint("dividend_total_fen IS NULL OR dividend_total_fen > 0", name="dividend_total"),
        CheckConstraint("status IN ('draft', 'cancelled') OR register_hash IS NOT NULL", name="computed"),
        CheckConstraint("status NOT IN ('published', 'paying', 'paid') OR seal_id IS NOT NULL", name="sealed"),
        Index(
            "uq_distributions_live_year",
            "village_id",
            "year",
            unique=True,
            sqlite_where=text("status <> 'cancelled'"),
            postgresql_where=text("status <> 'cancelled'"),
        ),
    )


class DistributionBucket(db.Model):
    __tablename__ = "distribution_buckets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("distributions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(30), nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    percent_bp: Mapped[int] = mapped_column(Integer, nullable=False)
    purpose: Mapped[str | None] = mapped_column(String(100), nullable=True)
    account_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("distribution_id", "name", name="uq_distribution_buckets_name"),
        CheckConstraint(in_values("kind", BUCKET_KINDS), name="kind"),
        CheckConstraint("percent_bp >= 0 AND percent_bp <= 10000", name="percent"),
        CheckConstraint("amount_fen IS NULL OR amount_fen >= 0", name="amount"),
    )


class DividendComponent(db.Model):
    """One kind of dividend in a distribution: a fixed amount per share of a type, a fixed amount per
    shareholding member, or an equity dividend pro rata to shares (what the dividend pool has left)."""

    __tablename__ = "dividend_components"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("distributions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    label: Mapped[str] = mapped_column(String(30), nullable=False)
    share_type_id: Mapped[int | None] = mapped_column(ForeignKey("share_types.id"), nullable=True)
    per_unit_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    units: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # shares or members counted
    amount_fen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        CheckConstraint(in_values("kind", COMPONENT_KINDS), name="kind"),
        CheckConstraint("(kind = 'equity') = (per_unit_fen IS NULL)", name="per_unit"),
        CheckConstraint("per_unit_fen IS NULL OR per_unit_fen > 0", name="per_unit_positive"),
        CheckConstraint("kind <> 'fixed_per_share' OR share_type_id IS NOT NULL", name="fixed_type"),
    )


class DividendLine(db.Model):
    """One household's line of a computed distribution (``household_id`` NULL: the collective's own shares)."""

    __tablename__ = "dividend_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(
        ForeignKey("distributions.id", ondelete="CASCADE"), nullable=False, index=True
    )
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    household_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)
    household_number: Mapped[str] = mapped_column(String(30), nullable=False)
    head_name: Mapped[str] = mapped_column(String(40), nullable=False)
    head_id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    shares: Mapped[int] = mapped_column(BigInteger, nullable=False)
    members: Mapped[int] = mapped_column(Integer, nullable=False)  # shareholding members
    detail: Mapped[str] = mapped_column(Text, nullable=False)  # JSON: shares by type, by member, by component
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "village_id"],
            ["households.id", "households.village_id"],
            name="fk_dividend_lines_household_same_village",
        ),
        CheckConstraint("amount_fen >= 0", name="amount"),
        CheckConstraint("shares >= 0", name="shares"),
        CheckConstraint("(paid_on IS NULL) = (paid_at IS NULL)", name="paid"),
        UniqueConstraint("distribution_id", "household_id", name="uq_dividend_lines_household"),
        Index(
            "uq_dividend_lines_collective",
            "distribution_id",
            unique=True,
            sqlite_where=text("household_id IS NULL"),
            postgresql_where=text("household_id IS NULL"),
        ),
    )


class PaymentBatch(db.Model):
    """One recording of payments (a bank batch's result, a day at the 分红大会), posted as one voucher."""

    __tablename__ = "dividend_payment_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), nullable=False, index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    method: Mapped[str] = mapped_column(String(10), nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    reference: Mapped[str | None] = mapped_column(String(60), nullable=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    voucher_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        UniqueConstraint("distribution_id", "idempotency_key", name="uq_dividend_payment_batches_key"),
        CheckConstraint(in_values("method", PAY_METHODS), name="method"),
        CheckConstraint("count > 0 AND total_fen >= 0", name="totals"),
    )


class DividendPayment(db.Model):
    __tablename__ = "dividend_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), nullable=False)
    line_id: Mapped[int] = mapped_column(ForeignKey("dividend_lines.id"), nullable=False, unique=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("dividend_payment_batches.id"), nullable=False, index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (CheckConstraint("amount_fen >= 0", name="amount"),)


class DividendObjection(ObjectionMixin, db.Model):
    """An objection raised while the list is publicly posted, and the answer it got."""

    __tablename__ = "dividend_objections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    distribution_id: Mapped[int] = mapped_column(ForeignKey("distributions.id"), nullable=False, index=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), nullable=True)

    __table_args__ = (CheckConstraint(ANSWERED_CHECK, name="answered"),)


class PayeeAccount(db.Model):
    """Where a household's dividend is paid (a bank card, usually the head's): for the bank batch."""

    __tablename__ = "payee_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    household_id: Mapped[int] = mapped_column(BigId, nullable=False, unique=True)
    account_name: Mapped[str] = mapped_column(String(40), nullable=False)
    bank_name: Mapped[str] = mapped_column(String(60), nullable=False)
    account_no: Mapped[str] = mapped_column(String(32), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    __table_args__ = (
        ForeignKeyConstraint(
            ["household_id", "village_id"],
            ["households.id", "households.village_id"],
            name="fk_payee_accounts_household_same_village",
        ),
    )
