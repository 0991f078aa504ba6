"""财务公开 tables. Invariants the database enforces too:

- a disclosure is draft → (returned → draft …) → approved → published; a published one carries its seal and
  its publication time, an approved or published one its approver, a returned one its reason;
- the person who drafted it is not the person who approved it;
- one published disclosure per village and period, errata aside; one draft in the works per village and period;
  a disclosure is corrected by at most one erratum (which may itself be corrected by another);
- a published row is never updated: a trigger refuses any UPDATE of it (see ``GUARD_*`` below; migration 0003
  creates it). Deleting is left to the database owner (the test suite empties tables between tests).

The frozen content (lines, totals, by-category totals, large items, village name) is one JSON text written when the
disclosure is drafted; publishing seals it (``core.seal``) together with the names and the publication time.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.seal import Seal

STATUSES = ("draft", "returned", "approved", "published")


class Disclosure(db.Model):
    """One 财务公开 of a village for a month (``YYYY-MM``) or a quarter (``YYYY-Qn``)."""

    __tablename__ = "ledger_disclosures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    period: Mapped[str] = mapped_column(String(7), nullable=False)
    title: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="draft", nullable=False)
    # the frozen snapshot (JSON): village, lines, totals, by_category, large_items, threshold. Deferred: loaded when
    # first read, so lists, permission checks and the sealed detail (read from the seal) never carry it
    content: Mapped[str] = mapped_column(Text, nullable=False, deferred=True)
    income_total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    expense_total_fen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_disclosures.id"), nullable=True, unique=True
    )
    erratum_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    prepared_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    prepared_by_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    return_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    approved_by_name: Mapped[str | None] = mapped_column(String(40), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seal_id: Mapped[int | None] = mapped_column(ForeignKey("seals.id"), nullable=True, unique=True)

    seal: Mapped[Seal | None] = relationship()
    corrects: Mapped[Disclosure | None] = relationship(remote_side=[id], foreign_keys=[corrects_id])

    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in STATUSES)})", name="status"),
        CheckConstraint("length(period) = 7", name="period"),
        CheckConstraint(
            "(status = 'published') = (seal_id IS NOT NULL AND published_at IS NOT NULL)", name="sealed_when_published"
        ),
        CheckConstraint(
            "status NOT IN ('approved', 'published') OR (approved_by_id IS NOT NULL AND approved_at IS NOT NULL)",
            name="approved",
        ),
        CheckConstraint(
            "approved_by_id IS NULL OR prepared_by_id IS NULL OR approved_by_id <> prepared_by_id",
            name="four_eyes",
        ),
        CheckConstraint("status <> 'returned' OR return_reason IS NOT NULL", name="return_reason"),
        CheckConstraint("(corrects_id IS NULL) = (erratum_reason IS NULL)", name="erratum_reason"),
        Index(
            "uq_ledger_disclosures_published",
            "village_id",
            "period",
            unique=True,
            sqlite_where=text("status = 'published' AND corrects_id IS NULL"),
            postgresql_where=text("status = 'published' AND corrects_id IS NULL"),
        ),
        Index(
            "uq_ledger_disclosures_open",
            "village_id",
            "period",
            unique=True,
            sqlite_where=text("status <> 'published' AND corrects_id IS NULL"),
            postgresql_where=text("status <> 'published' AND corrects_id IS NULL"),
        ),
        Index("ix_ledger_disclosures_village_published", "village_id", "status", "published_at"),
    )

    def content_data(self) -> dict[str, Any]:
        return json.loads(self.content)


class DisclosureQuestion(db.Model):
    """A villager's question on one line of a published disclosure, and the village's answer."""

    __tablename__ = "ledger_disclosure_questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False)
    disclosure_id: Mapped[int] = mapped_column(ForeignKey("ledger_disclosures.id"), nullable=False, index=True)
    line_no: Mapped[int] = mapped_column(nullable=False)
    text: Mapped[str] = mapped_column(String(300), nullable=False)
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"), nullable=False)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    answer: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    disclosure: Mapped[Disclosure] = relationship()

    __table_args__ = (
        CheckConstraint("line_no >= 1", name="line_no"),
        CheckConstraint(
            "(answer IS NULL) = (answered_at IS NULL) AND (answer IS NULL) = (answered_by_id IS NULL)", name="answered"
        ),
        Index("ix_ledger_disclosure_questions_open", "village_id", "answered_at", "due_on"),
    )


# ---------------------------------------------------------------- the database guard (created by migration 0003)

IMMUTABLE = "财务公开已公开，不能修改"

GUARD_SQLITE_CREATE = (
    f"""CREATE TRIGGER ledger_disclosure_guard_update BEFORE UPDATE ON ledger_disclosures
    WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '{IMMUTABLE}'); END""",
)
GUARD_SQLITE_DROP = ("DROP TRIGGER IF EXISTS ledger_disclosure_guard_update",)
GUARD_POSTGRES_CREATE = (
    f"""CREATE FUNCTION ledger_disclosure_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF OLD.status = 'published' THEN
        RAISE EXCEPTION '{IMMUTABLE}' USING ERRCODE = 'integrity_constraint_violation';
      END IF;
      RETURN NEW;
    END $$""",
    """CREATE TRIGGER ledger_disclosure_guard_update BEFORE UPDATE ON ledger_disclosures
    FOR EACH ROW EXECUTE FUNCTION ledger_disclosure_guard()""",
)
GUARD_POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS ledger_disclosure_guard_update ON ledger_disclosures",
    "DROP FUNCTION IF EXISTS ledger_disclosure_guard()",
)


def guard_create_statements(dialect: str) -> tuple[str, ...]:
    return GUARD_POSTGRES_CREATE if dialect == "postgresql" else GUARD_SQLITE_CREATE


def guard_drop_statements(dialect: str) -> tuple[str, ...]:
    return GUARD_POSTGRES_DROP if dialect == "postgresql" else GUARD_SQLITE_DROP
