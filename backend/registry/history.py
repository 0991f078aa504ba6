"""Each roster entry's history (``member_events``): registered, changed, moved to another household, membership
ended — the day it happened, what it was before and after, and who did it. Written in the same transaction as the
change itself (the caller commits); rows are only ever added."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.permissions import Principal
from backend.registry.models import Member, MemberEvent, Person

EVENT_LABELS = {"joined": "登记入册", "edited": "修改信息", "moved": "迁户", "ended": "注销成员"}
END_REASONS = {"moved_out": "迁出", "deceased": "死亡", "other": "其他原因"}
# the status a roster entry takes when its membership ends for this reason
END_STATUS = {"moved_out": "moved_out", "deceased": "deceased", "other": "ended"}


def record_event(
    m: Member,
    kind: str,
    *,
    actor: Principal | None,
    on: date | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    note: str | None = None,
) -> MemberEvent:
    e = MemberEvent(
        member_id=m.id,
        village_id=m.village_id,
        kind=kind,
        on_date=on or today(),
        reason=reason,
        note=note,
        before=json.dumps(before, ensure_ascii=False, default=str) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False, default=str) if after is not None else None,
        actor_person_id=actor.person_id if actor else None,
        at=utcnow(),
    )
    db.session.add(e)
    return e


@dataclass(frozen=True)
class HistoryItem:
    id: int
    kind: str
    kind_label: str
    on: date
    at: datetime
    reason: str | None
    reason_label: str | None
    note: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    actor_name: str


def member_history(member_id: int) -> list[HistoryItem]:
    """The entry's events in the order they were recorded, with the names of who did each (“系统” for the CLI,
    demo and import scripts), in one query."""
    rows = db.session.execute(
        select(MemberEvent, Person.name)
        .outerjoin(Person, Person.id == MemberEvent.actor_person_id)
        .where(MemberEvent.member_id == member_id)
        .order_by(MemberEvent.at, MemberEvent.id)
    ).all()
    return [
        HistoryItem(
            e.id, e.kind, EVENT_LABELS.get(e.kind, e.kind), e.on_date, e.at, e.reason,
            END_REASONS.get(e.reason) if e.reason else None, e.note,
            json.loads(e.before) if e.before else None, json.loads(e.after) if e.after else None,
            name or "系统",
        )
        for e, name in rows
    ]
