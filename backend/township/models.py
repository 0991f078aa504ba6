"""Models of backend.township: the warnings' store (预警的开启、消除和历史).

- ``warnings``: one row per time a warning was open: opened when a rule first finds its cause, its message kept up
  to date while the cause lasts, closed (``closed_at``) when the cause is gone. A cause that comes back opens a new
  row, so the history keeps both. The database allows ONE open row per (kind, key): a partial unique index
  ``WHERE closed_at IS NULL`` (SQLite and PostgreSQL).
- ``warning_townships``: per township, when its warnings were last refreshed, whether a write has changed its data
  since (``dirty_since``), and when the clock alone may change them next (``next_check_at``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db

OPEN = "closed_at IS NULL"


class StoredWarning(db.Model):
    """One opening of a warning (预警): from ``opened_at`` until ``closed_at`` (None while open)."""

    __tablename__ = "warnings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), nullable=False)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    key: Mapped[str] = mapped_column(String(80), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False)
    link: Mapped[str] = mapped_column(Text, nullable=False)  # JSON {"type", "id", "village_id", …}
    since: Mapped[str] = mapped_column(String(32), nullable=False)  # ISO date or datetime (+08:00), as the rule says
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        CheckConstraint("closed_at IS NULL OR closed_at >= opened_at", name="closed_after_opened"),
        CheckConstraint("last_seen_at >= opened_at", name="seen_after_opened"),
        Index("uq_warnings_open", "kind", "key", unique=True,
              sqlite_where=text(OPEN), postgresql_where=text(OPEN)),
        Index("ix_warnings_township_open", "township_id", "closed_at"),
    )


class WarningTownship(db.Model):
    """When a township's warnings were refreshed and whether they are due again."""

    __tablename__ = "warning_townships"

    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), primary_key=True, autoincrement=False)
    refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dirty_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
