"""Role assignments: who holds which assigned role in a village or a township, and since when. Granting and ending
are audited; history is kept (an ended assignment keeps its dates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import joinedload

from backend.core import audit
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, forbidden, not_found, unprocessable
from backend.core.permissions import ROLE_LABELS, ROLES, TOWNSHIP_ROLES, Principal
from backend.registry.models import Member, Person, RoleAssignment, Township, Village

DERIVED_ROLES = frozenset({"villager", "member"})


ASSIGNABLE_ROLES = tuple(r for r in ROLES if r not in DERIVED_ROLES)


TOWNSHIP_APPOINTED = frozenset({"secretary", "township_accountant"})


def _check_appointer(role: str, village: Village | None, actor: Principal | None) -> None:
    if (
        village is not None
        and role in TOWNSHIP_APPOINTED
        and actor is not None
        and not actor.can("township.manage", township_id=village.township_id)
    ):
        raise forbidden("role.township_only", f"{ROLE_LABELS[role]}须由乡镇工作人员指定")


# roles only a collective-economic-organisation member (成员) may hold: 成员代表 are chosen from and by the 成员
MEMBERS_ONLY = frozenset({"member_representative"})


def _moment(day: date) -> datetime:
    """A day as a moment: today is now (so that the order of today's events holds); another day its first moment
    in China."""
    if day == today():
        return utcnow()
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI)


def _check_days(start_on: date | None, end_on: date | None) -> None:
    if start_on is not None and start_on > today():
        raise unprocessable("role.start_future", "任职开始日期不能晚于今天；请在任职当天或之后登记",
                            fields={"start_on": "任职开始日期不能晚于今天"})
    if end_on is not None and end_on > today():
        raise unprocessable("role.end_future", "任职结束日期不能晚于今天；任期未满的，到期时再点“结束任职”",
                            fields={"end_on": "任职结束日期不能晚于今天"})
    if start_on is not None and end_on is not None and end_on < start_on:
        raise unprocessable("role.end_before_start", "任职结束日期不能早于开始日期",
                            fields={"end_on": "结束日期不能早于开始日期"})


def current_village_roles(person_id: int, village_id: int) -> list[RoleAssignment]:
    """The person's current (not ended) role assignments in the village."""
    return list(db.session.execute(
        select(RoleAssignment).where(RoleAssignment.person_id == person_id, RoleAssignment.village_id == village_id,
                                     RoleAssignment.valid_to.is_(None)).order_by(RoleAssignment.id)
    ).scalars())


def get_assignment(assignment_id: int) -> RoleAssignment:
    ra = db.session.get(RoleAssignment, assignment_id)
    if ra is None:
        raise not_found()
    return ra


def grant_role(
    person: Person,
    role: str,
    *,
    village: Village | None = None,
    township: Township | None = None,
    actor: Principal | None,
    note: str | None = None,
    start_on: date | None = None,
    end_on: date | None = None,
) -> RoleAssignment:
    """Assign a role (``actor`` None means the system: CLI or demo seed) from ``start_on`` (today if None); with
    ``end_on`` (not after today) the appointment is recorded as already ended (a past term entered as history)."""
    _check_appointer(role, village, actor)
    _check_days(start_on, end_on)
    if role not in ASSIGNABLE_ROLES:
        raise unprocessable("role.invalid", f"不能直接指定角色：{ROLE_LABELS.get(role, role)}")
    if (village is None) == (township is None):
        raise unprocessable("role.scope", "角色必须属于一个村或一个乡镇")
    if role in TOWNSHIP_ROLES and township is None and role != "township_accountant":
        raise unprocessable("role.scope", "乡镇工作人员的角色只能在乡镇范围内指定")
    if role not in TOWNSHIP_ROLES and village is None:
        raise unprocessable("role.scope", "村级角色只能在村范围内指定")
    if village is not None and role == "township_accountant":
        home = person.township_id or (person.member.village.township_id if person.member else None)
        if home != village.township_id:
            raise unprocessable("role.scope", "代理记账只能指定本乡镇的村")
    if village is not None and role not in TOWNSHIP_ROLES:
        m = person.member
        if m is None or m.village_id != village.id or m.status != "active":
            raise unprocessable("role.not_on_roster", "只能给本村在册人员指定村级角色")
        if role in MEMBERS_ONLY and not m.is_collective_member:
            raise unprocessable("role.not_member",
                                f"{person.name} 不是本村集体经济组织成员，不能担任{ROLE_LABELS[role]}")
        if start_on is not None and start_on < person.birth_date:
            raise unprocessable("role.start_before_birth", "任职开始日期不能早于此人的出生日期",
                                fields={"start_on": "任职开始日期不能早于出生日期"})
    existing = db.session.execute(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role,
            RoleAssignment.valid_to.is_(None),
            RoleAssignment.village_id == village.id if village else RoleAssignment.township_id == township.id,  # type: ignore[union-attr]
        )
    ).scalar_one_or_none()
    if existing is not None and end_on is None:
        raise conflict("role.exists", f"{person.name} 已担任{ROLE_LABELS[role]}")
    ra = RoleAssignment(
        person_id=person.id,
        role=role,
        village_id=village.id if village else None,
        township_id=township.id if township else None,
        valid_from=_moment(start_on) if start_on is not None else utcnow(),
        valid_to=_moment(end_on) if end_on is not None else None,
        granted_by_id=actor.person_id if actor else None,
        ended_by_id=actor.person_id if actor and end_on is not None else None,
        note=note,
    )
    db.session.add(ra)
    db.session.flush()
    audit.record(
        "role.grant",
        "role_assignment",
        ra.id,
        actor=actor,
        village_id=ra.village_id,
        township_id=ra.township_id,
        after={"person_id": person.id, "role": role, "start_on": ra.valid_from.astimezone(SHANGHAI).date().isoformat(),
               "end_on": end_on.isoformat() if end_on else None},
    )
    return ra


def end_role(ra: RoleAssignment, *, actor: Principal | None, on: date | None = None) -> RoleAssignment:
    """End an appointment on ``on`` (today if None; not after today, not before it began)."""
    _check_appointer(ra.role, ra.village, actor)
    if ra.valid_to is not None:
        raise conflict("role.already_ended", "该角色已经结束")
    _check_days(None, on)
    moment = _moment(on) if on is not None else utcnow()
    if moment < ra.valid_from:
        if on is not None and on < ra.valid_from.astimezone(SHANGHAI).date():
            raise unprocessable("role.end_before_start", "任职结束日期不能早于开始日期",
                                fields={"end_on": "结束日期不能早于任职开始日期"})
        moment = ra.valid_from
    ra.valid_to = moment
    ra.ended_by_id = actor.person_id if actor else None
    db.session.flush()
    audit.record(
        "role.end",
        "role_assignment",
        ra.id,
        actor=actor,
        village_id=ra.village_id,
        township_id=ra.township_id,
        before={"person_id": ra.person_id, "role": ra.role},
        after={"end_on": ra.valid_to.astimezone(SHANGHAI).date().isoformat()},
    )
    return ra


def role_history(
    *,
    village_id: int | None = None,
    township_id: int | None = None,
    person_id: int | None = None,
    current_only: bool = False,
    role: str | None = None,
) -> Select[Any]:
    stmt = select(RoleAssignment).options(joinedload(RoleAssignment.person))
    if role is not None:
        stmt = stmt.where(RoleAssignment.role == role)
    if village_id is not None:
        stmt = stmt.where(RoleAssignment.village_id == village_id)
    if township_id is not None:
        stmt = stmt.where(RoleAssignment.township_id == township_id)
    if person_id is not None:
        stmt = stmt.where(RoleAssignment.person_id == person_id)
    if current_only:
        stmt = stmt.where(RoleAssignment.valid_to.is_(None))
    return stmt.order_by(RoleAssignment.valid_from.desc(), RoleAssignment.id.desc())


def people_with_roles(village_id: int, roles: Sequence[str], at: datetime) -> list[tuple[int, int | None]]:
    """(person id, household id) of everyone holding one of ``roles`` in the village at ``at``."""
    rows = db.session.execute(
        select(RoleAssignment.person_id, Member.household_id)
        .outerjoin(Member, and_(Member.person_id == RoleAssignment.person_id, Member.status == "active"))
        .where(
            RoleAssignment.village_id == village_id,
            RoleAssignment.role.in_(list(roles)),
            RoleAssignment.valid_from <= at,
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to > at),
        )
        .distinct()
        .order_by(RoleAssignment.person_id)
    ).all()
    return [(pid, hid) for pid, hid in rows]
