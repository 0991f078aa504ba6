"""Ledger tables. Invariants the database enforces too:

- an account code is unique in its village; a voucher line is either a debit or a credit, positive;
- a posted voucher has a number, unique in its village and month, and the month's counter hands numbers
  out without gaps (the counter row is locked while posting);
- a voucher is reversed at most once (unique ``reverses_id``); a period is closed at most once;
- a posted voucher and its lines never change (the triggers of :mod:`backend.ledger.guards`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db

CLASSES = ("asset", "liability", "equity", "cost", "income", "expense")


class Account(db.Model):
    """A first-level account of the 2023 chart, or a village's own sub-account under one."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    code: Mapped[str] = mapped_column(String(12), nullable=False)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=True)
    klass: Mapped[str] = mapped_column(String(10), nullable=False)
    debit_normal: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # the 财务公开 category of an income or expense account (sub-accounts may name their own)
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    parent: Mapped[Account | None] = relationship(remote_side=[id])

    __table_args__ = (
        UniqueConstraint("village_id", "code", name="uq_ledger_accounts_village_code"),
        CheckConstraint(f"klass IN ({', '.join(repr(c) for c in CLASSES)})", name="klass"),
    )


class Period(db.Model):
    """A closed month. A month with no row is open."""

    __tablename__ = "ledger_periods"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)

    __table_args__ = (UniqueConstraint("village_id", "period", name="uq_ledger_periods_village_period"),)


class VoucherCounter(db.Model):
    """The last number handed out in a village's month; locked while a voucher is posted."""

    __tablename__ = "ledger_voucher_counters"

    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


class Voucher(db.Model):
    """记账凭证: a draft until posted; posted ones never change (a correction reverses them)."""

    __tablename__ = "ledger_vouchers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    voucher_date: Mapped[date] = mapped_column(Date, nullable=False)
    period: Mapped[str] = mapped_column(String(7), nullable=False)  # YYYY-MM of voucher_date
    number: Mapped[int | None] = mapped_column(Integer, nullable=True)  # given when posted
    summary: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[str] = mapped_column(String(8), default="draft", nullable=False)
    total_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)  # debits (= credits)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_vouchers.id"), nullable=True, unique=True)
    decision_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)  # 四议两公开 decision it rests on
    attachments: Mapped[str] = mapped_column(Text, default="[]", nullable=False)  # JSON list of references
    source: Mapped[str] = mapped_column(String(12), default="manual", nullable=False)  # manual, import, demo …
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    lines: Mapped[list[VoucherLine]] = relationship(
        back_populates="voucher", order_by="VoucherLine.line_no", cascade="all, delete-orphan"
    )
    reverses: Mapped[Voucher | None] = relationship(remote_side=[id], foreign_keys=[reverses_id])

    __table_args__ = (
        UniqueConstraint("village_id", "period", "number", name="uq_ledger_vouchers_number"),
        CheckConstraint("status IN ('draft', 'posted')", name="status"),
        CheckConstraint("(status = 'posted') = (number IS NOT NULL)", name="number_when_posted"),
        CheckConstraint("total_fen >= 0", name="total"),
        Index("ix_ledger_vouchers_village_period", "village_id", "period", "status"),
    )


class VoucherLine(db.Model):
    __tablename__ = "ledger_voucher_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("ledger_vouchers.id", ondelete="CASCADE"), nullable=False)
    line_no: Mapped[int] = mapped_column(Integer, nullable=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), nullable=False, index=True)
    summary: Mapped[str | None] = mapped_column(String(200), nullable=True)
    debit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)

    voucher: Mapped[Voucher] = relationship(back_populates="lines")
    account: Mapped[Account] = relationship()

    __table_args__ = (
        UniqueConstraint("voucher_id", "line_no", name="uq_ledger_voucher_lines_no"),
        CheckConstraint("debit_fen >= 0 AND credit_fen >= 0", name="non_negative"),
        CheckConstraint("(debit_fen = 0) <> (credit_fen = 0)", name="one_side"),
        # reports read a village's lines through its vouchers: index-only on PostgreSQL (bench/ledger_books.py)
        Index("ix_ledger_voucher_lines_voucher_cover", "voucher_id",
              postgresql_include=["account_id", "debit_fen", "credit_fen"]),
    )


class AccountMonth(db.Model):
    """An account's posted debits and credits in one month (the vouchers' ``period``): a balance reads these few
    rows, not every line. Kept by the database itself (:mod:`backend.ledger.totals`: a trigger adds a voucher's
    lines in the statement that posts it; posted vouchers never change), and backfilled by migration 0028."""

    __tablename__ = "ledger_account_months"

    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), primary_key=True)
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM
    debit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    credit_fen: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)

    __table_args__ = (CheckConstraint("debit_fen >= 0 AND credit_fen >= 0", name="non_negative"),)
