"""成员资格 on the roster, set by the membership confirmation (backend/membership) and nothing else of the domains.

The 成员大会 confirms a member (农村集体经济组织法 第12条); once its confirmed list has been publicly posted with
every objection answered, the membership domain registers each confirmed person here: their roster entry's
``is_collective_member`` becomes true, audited with the meeting it rests on.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from backend.core import audit
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.permissions import Principal
from backend.registry.history import record_event
from backend.registry.models import Member, Person
from backend.registry.people import event_dict


def _active_entry(person_id: int, village_id: int) -> Member:
    m = db.session.execute(
        select(Member).where(Member.person_id == person_id, Member.village_id == village_id).with_for_update()
    ).scalar_one_or_none()
    if m is None or m.status != "active":
        name = db.session.execute(select(Person.name).where(Person.id == person_id)).scalar_one_or_none() or ""
        raise conflict("membership.not_on_roster", f"{name}已不在本村花名册上（迁出或去世），不能登记为成员，请先核实",
                       person_id=person_id)
    return m


def register_member(person_id: int, village_id: int, *, actor: Principal | None, on: date,
                    meeting_id: int | None = None) -> int:
    """Set the person's 成员资格 in the village (their active roster entry); returns the roster entry's id.
    409 ``membership.not_on_roster`` if they have left the roster meanwhile; a member already is left as is."""
    m = _active_entry(person_id, village_id)
    before = m.is_collective_member
    history_before = event_dict(m)
    m.is_collective_member = True
    db.session.flush()
    if not before:  # the member's history shows the day the 成员大会's confirmation was registered
        record_event(m, "edited", actor=actor, on=on, before=history_before, after=event_dict(m),
                     note="经成员大会确认，登记为集体经济组织成员")
    audit.record("membership.register_member", "member", m.id, actor=actor, village_id=village_id,
                 before={"is_collective_member": before},
                 after={"is_collective_member": True, "on": on.isoformat(), "meeting_id": meeting_id})
    return m.id


def is_member(person_id: int) -> bool:
    """Whether the person is a 成员 on an active roster entry."""
    return bool(db.session.execute(
        select(Member.is_collective_member).where(Member.person_id == person_id, Member.status == "active")
    ).scalar_one_or_none())
