"""Audit log: every write by a person leaves an entry (who, in which role, village, what, when, ids).

Entries are written in the same transaction as the change they describe, so an entry exists if and
only if the change does. The table is append-only by convention and by code: nothing updates it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
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
