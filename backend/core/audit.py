"""Audit log: every write by a person leaves an entry (who, in which role, village, what, when, ids).

Entries are written in the same transaction as the change they describe, so an entry exists if and
only if the change does. The table is append-only: nothing in the code updates or deletes an entry, and the
database refuses to (triggers on SQLite and PostgreSQL, :func:`guard_create_statements`, installed by migration
0012), so neither can a script or a console that bypasses the code.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Select, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from backend.core.clock import utcnow
from backend.core.db import BigId, UTCDateTime, db
from backend.core.permissions import Principal


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), nullable=True)
    actor_roles: Mapped[str] = mapped_column(String(200), default="", nullable=False)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), nullable=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    object_type: Mapped[str] = mapped_column(String(64), nullable=False)
    object_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        Index("ix_audit_log_village_at", "village_id", "at"),
        Index("ix_audit_log_object", "object_type", "object_id"),
    )

    def before_data(self) -> Any:
        return json.loads(self.before) if self.before else None

    def after_data(self) -> Any:
        return json.loads(self.after) if self.after else None


def village_entries(village_id: int) -> Select[tuple[AuditEntry]]:
    """The village's entries, newest first."""
    return select(AuditEntry).where(AuditEntry.village_id == village_id).order_by(AuditEntry.id.desc())


def record(
    action: str,
    object_type: str,
    object_id: int | None,
    *,
    actor: Principal | None,
    village_id: int | None = None,
    township_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry to the current transaction (the caller commits)."""
    roles = ""
    if actor is not None:
        if village_id is not None:
            roles = ",".join(sorted(actor.roles_in(village_id))) or ",".join(actor.roles())
        else:
            roles = ",".join(actor.roles())
    entry = AuditEntry(
        at=utcnow(),
        actor_person_id=actor.person_id if actor else None,
        actor_roles=roles[:200],
        village_id=village_id,
        township_id=township_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=json.dumps(before, ensure_ascii=False, sort_keys=True, default=str) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, sort_keys=True, default=str) if after is not None else None,
    )
    db.session.add(entry)
    return entry


# ---------------------------------------------------------------- the database's guard

APPEND_ONLY = "操作记录只能追加，不能修改或删除"
GUARD_TRIGGERS = ("audit_log_guard_update", "audit_log_guard_delete")

_SQLITE_CREATE = tuple(
    f"""CREATE TRIGGER audit_log_guard_{op.lower()} BEFORE {op} ON audit_log
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"""
    for op in ("UPDATE", "DELETE")
)
_POSTGRES_CREATE = (
    f"""CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'integrity_constraint_violation';
    END $$""",
    *(
        f"""CREATE TRIGGER audit_log_guard_{op.lower()} BEFORE {op} ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard()"""
        for op in ("UPDATE", "DELETE")
    ),
)
_POSTGRES_DROP = (
    *(f"DROP TRIGGER IF EXISTS {name} ON audit_log" for name in GUARD_TRIGGERS),
    "DROP FUNCTION IF EXISTS audit_log_guard()",
)
_SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in GUARD_TRIGGERS)


def guard_create_statements(dialect: str) -> tuple[str, ...]:
    """The statements that make the database refuse UPDATE and DELETE of audit rows (INSERT stays free).

    PostgreSQL's TRUNCATE is not a row operation and is not refused: emptying a test database, or ``pg_restore
    --clean`` dropping the table, still works."""
    return _POSTGRES_CREATE if dialect == "postgresql" else _SQLITE_CREATE


def guard_drop_statements(dialect: str) -> tuple[str, ...]:
    return _POSTGRES_DROP if dialect == "postgresql" else _SQLITE_DROP
