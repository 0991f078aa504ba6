"""Registry rules: the roster, households, people and role assignments. Plain functions over the session.

Every change takes the acting :class:`Principal` and writes an audit entry in the same transaction;
the caller (a route or a CLI command) commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, forbidden, not_found, unprocessable
from backend.core.identity import (
    IdentityError,
    birth_date_from_id,
    gender_from_id,
    id_hashes,
    last6_hash,
    normalize_id_card,
    normalize_phone,
)
from backend.core.permissions import ROLE_LABELS, ROLES, TOWNSHIP_ROLES, Grant, Principal
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village

# Roles that come from the roster itself rather than from an assignment.
DERIVED_ROLES = frozenset({"villager", "member"})
ASSIGNABLE_ROLES = tuple(r for r in ROLES if r not in DERIVED_ROLES)
RELATIONS = ("户主", "配偶", "子女", "儿媳", "女婿", "孙子女", "父母", "兄弟姐妹", "其他")
STATUSES = {"active": "在册", "moved_out": "迁出", "deceased": "已故"}


def identity_key() -> bytes:
    return current_app.config["IDENTITY_HASH_KEY"].encode()


# ---------------------------------------------------------------- places


def get_township(township_id: int) -> Township:
    t = db.session.get(Township, township_id)
    if t is None:
        raise not_found("township.not_found", "找不到该乡镇")
    return t


def get_village(village_id: int) -> Village:
    v = db.session.get(Village, village_id)
    if v is None:
        raise not_found("village.not_found", "找不到该村")
    return v


def village_by_code(code: str) -> Village | None:
    return db.session.execute(select(Village).where(Village.code == code.strip().upper())).scalar_one_or_none()


def township_by_code(code: str) -> Township | None:
    return db.session.execute(select(Township).where(Township.code == code.strip().upper())).scalar_one_or_none()


def villages_of_township(township_id: int) -> list[Village]:
    return list(
        db.session.execute(select(Village).where(Village.township_id == township_id).order_by(Village.code)).scalars()
    )


def ensure_township(code: str, name: str) -> Township:
    t = township_by_code(code)
    if t is None:
        t = Township(code=code.upper(), name=name)
        db.session.add(t)
        db.session.flush()
    return t


def ensure_village(township: Township, code: str, name: str) -> Village:
    v = village_by_code(code)
    if v is None:
        v = Village(township_id=township.id, code=code.upper(), name=name)
        db.session.add(v)
        db.session.flush()
    elif v.township_id != township.id:
        raise conflict("village.code_taken", "该村编码已被其他乡镇使用", code=code)
    return v


# ---------------------------------------------------------------- households


def household_by_number(village_id: int, number: str) -> Household | None:
    return db.session.execute(
        select(Household).where(Household.village_id == village_id, Household.number == number.strip())
    ).scalar_one_or_none()


def create_household(
    village: Village,
    number: str,
    *,
    actor: Principal | None,
    address: str | None = None,
    is_tuopin: bool = False,
    is_jiance: bool = False,
) -> Household:
    number = number.strip()
    if household_by_number(village.id, number) is not None:
        raise conflict("household.duplicate", f"户号 {number} 已存在", number=number)
    h = Household(village_id=village.id, number=number, address=address, is_tuopin=is_tuopin, is_jiance=is_jiance)
    db.session.add(h)
    db.session.flush()
    audit.record("household.create", "household", h.id, actor=actor, village_id=village.id, after=household_dict(h))
    return h


def update_household(h: Household, changes: dict[str, Any], *, actor: Principal | None) -> Household:
    before = household_dict(h)
    if "number" in changes and changes["number"] != h.number:
        other = household_by_number(h.village_id, changes["number"])
        if other is not None:
            raise conflict("household.duplicate", f"户号 {changes['number']} 已存在")
    for key in ("number", "address", "is_tuopin", "is_jiance"):
        if key in changes:
            setattr(h, key, changes[key])
    db.session.flush()
    audit.record(
        "household.update",
        "household",
        h.id,
        actor=actor,
        village_id=h.village_id,
        before=before,
        after=household_dict(h),
    )
    return h


def household_dict(h: Household) -> dict[str, Any]:
    return {"number": h.number, "address": h.address, "is_tuopin": h.is_tuopin, "is_jiance": h.is_jiance}


# ---------------------------------------------------------------- people and members


@dataclass
class MemberInput:
    name: str
    id_card: str
    household_number: str
    relation: str = "户主"
    is_head: bool = False
    phone: str | None = None
    is_collective_member: bool = True
    status: str = "active"


def person_by_id_card(id_card: str) -> Person | None:
    h, _, _ = id_hashes(identity_key(), id_card)
    return db.session.execute(select(Person).where(Person.id_hash == h)).scalar_one_or_none()


def _person(name: str, id_card: str, phone: str | None, township_id: int | None = None) -> Person:
    """A new (unsaved) Person from what staff typed: the ID number becomes hashes and its last 4."""
    try:
        full, six, four = id_hashes(identity_key(), id_card)
        born, gender = birth_date_from_id(id_card), gender_from_id(id_card)
        phone = normalize_phone(phone) if phone else None
    except IdentityError as exc:
        raise unprocessable("validation.failed", str(exc)) from exc
    return Person(
        name=name.strip(),
        gender=gender,
        birth_date=born,
        id_hash=full,
        id6_hash=six,
        id_last4=four,
        phone=phone,
        township_id=township_id,
    )


def _new_person(name: str, id_card: str, phone: str | None, township_id: int | None = None) -> Person:
    p = _person(name, id_card, phone, township_id)
    if db.session.execute(select(Person.id).where(Person.id_hash == p.id_hash)).first():
        raise conflict("person.duplicate", "该身份证号已在系统中登记")
    db.session.add(p)
    db.session.flush()
    return p


def add_member(village: Village, data: MemberInput, *, actor: Principal | None) -> Member:
    """Put a person on the village roster (their household must already exist there)."""
    h = household_by_number(village.id, data.household_number)
    if h is None:
        raise unprocessable(
            "household.not_found", f"户号 {data.household_number} 不存在，请先建户", number=data.household_number
        )
    person = _new_person(data.name, data.id_card, data.phone)
    if data.is_head and _head_of(h.id) is not None:
        raise conflict("household.head_exists", f"{h.number} 已有户主")
    m = _roster_entry(person, h, data)
    db.session.add(m)
    db.session.flush()
    audit.record("member.create", "member", m.id, actor=actor, village_id=village.id, after=member_dict(m))
    return m


def _roster_entry(person: Person, h: Household, d: MemberInput) -> Member:
    return Member(
        person_id=person.id,
        person=person,
        village_id=h.village_id,
        household_id=h.id,
        is_head=d.is_head,
        relation="户主" if d.is_head else d.relation,
        is_collective_member=d.is_collective_member,
        status=d.status,
    )


def add_members(village: Village, items: Sequence[MemberInput], *, actor: Principal | None) -> list[Member]:
    """Many ``add_member`` at once (roster import): the caller has checked households, heads and duplicates;
    the database's constraints still hold (one person per ID, one head per household, same village)."""
    homes = {
        h.number: h for h in db.session.execute(select(Household).where(Household.village_id == village.id)).scalars()
    }
    people, targets = [], []
    for d in items:
        h = homes.get(d.household_number.strip())
        if h is None:
            raise unprocessable("household.not_found", f"户号 {d.household_number} 不存在，请先建户")
        people.append(_person(d.name, d.id_card, d.phone))
        targets.append(h)
    db.session.add_all(people)
    db.session.flush()
    members = [_roster_entry(p, h, d) for p, h, d in zip(people, targets, items, strict=True)]
    db.session.add_all(members)
    db.session.flush()
    for m in members:
        audit.record("member.create", "member", m.id, actor=actor, village_id=village.id, after=member_dict(m))
    return members


def _head_of(household_id: int) -> Member | None:
    return db.session.execute(
        select(Member).where(Member.household_id == household_id, Member.is_head.is_(True))
    ).scalar_one_or_none()


def update_member(m: Member, changes: dict[str, Any], *, actor: Principal | None, interim: bool = False) -> Member:
    """Change a roster entry. ``interim=True`` lets a head step down before the same transaction names
    their new relation (a roster import swapping heads); the caller must leave the roster coherent."""
    before = member_dict(m)
    p = m.person
    if "name" in changes:
        p.name = changes["name"].strip()
    if "phone" in changes:
        try:
            p.phone = normalize_phone(changes["phone"]) if changes["phone"] else None
        except IdentityError as exc:
            raise unprocessable("validation.failed", str(exc)) from exc
    if "household_number" in changes:
        h = household_by_number(m.village_id, changes["household_number"])
        if h is None:
            raise unprocessable("household.not_found", f"户号 {changes['household_number']} 不存在")
        if h.id != m.household_id:
            m.household_id = h.id
            m.is_head = False
    if changes.get("is_head") is True and not m.is_head:
        head = _head_of(m.household_id)
        if head is not None and head.id != m.id:
            raise conflict("household.head_exists", "该户已有户主，请先更改原户主")
        m.is_head, m.relation = True, "户主"
    elif changes.get("is_head") is False:
        m.is_head = False
    for key in ("relation", "is_collective_member", "status"):
        if key in changes:
            setattr(m, key, changes[key])
    if m.is_head != (m.relation == "户主") and not interim:
        raise unprocessable(
            "member.relation_required",
            "户主的关系应为“户主”；不再是户主时，请填写与户主关系"
            if m.is_head
            else "不再是户主时，请填写与户主关系（如子女、配偶）",
        )
    db.session.flush()
    audit.record(
        "member.update", "member", m.id, actor=actor, village_id=m.village_id, before=before, after=member_dict(m)
    )
    return m


def member_dict(m: Member) -> dict[str, Any]:
    return {
        "person_id": m.person_id,
        "name": m.person.name,
        "household_id": m.household_id,
        "is_head": m.is_head,
        "relation": m.relation,
        "is_collective_member": m.is_collective_member,
        "status": m.status,
        "id_last4": m.person.id_last4,
        "phone_set": bool(m.person.phone),
    }


def add_staff_person(
    name: str, id_card: str, township: Township, phone: str | None = None, *, actor: Principal | None
) -> Person:
    """A township employee with no roster entry (they bind with the township code)."""
    p = _new_person(name, id_card, phone, township_id=township.id)
    audit.record(
        "person.create",
        "person",
        p.id,
        actor=actor,
        township_id=township.id,
        after={"name": p.name, "id_last4": p.id_last4},
    )
    return p


def members_query(village_id: int, q: str | None = None, status: str | None = None) -> Select[Any]:
    stmt = (
        select(Member)
        .join(Member.person)
        .join(Member.household)
        .where(Member.village_id == village_id)
        .options(joinedload(Member.person), joinedload(Member.household))
    )
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Person.name.like(like), Household.number.like(like)))
    if status:
        stmt = stmt.where(Member.status == status)
    return stmt.order_by(Household.number, Member.is_head.desc(), Member.id)


# ---------------------------------------------------------------- roles


# Village roles that only the township may assign or end (the branch secretary; an agency accountant).
TOWNSHIP_APPOINTED = frozenset({"secretary", "township_accountant"})


def _check_appointer(role: str, village: Village | None, actor: Principal | None) -> None:
    if (
        village is not None
        and role in TOWNSHIP_APPOINTED
        and actor is not None
        and not actor.can("township.manage", township_id=village.township_id)
    ):
        raise forbidden("role.township_only", f"{ROLE_LABELS[role]}须由乡镇工作人员指定")


def grant_role(
    person: Person,
    role: str,
    *,
    village: Village | None = None,
    township: Township | None = None,
    actor: Principal | None,
    note: str | None = None,
) -> RoleAssignment:
    """Assign a role (``actor`` None means the system: CLI or demo seed)."""
    _check_appointer(role, village, actor)
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
    existing = db.session.execute(
        select(RoleAssignment).where(
            RoleAssignment.person_id == person.id,
            RoleAssignment.role == role,
            RoleAssignment.valid_to.is_(None),
            RoleAssignment.village_id == village.id if village else RoleAssignment.township_id == township.id,  # type: ignore[union-attr]
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise conflict("role.exists", f"{person.name} 已担任{ROLE_LABELS[role]}")
    ra = RoleAssignment(
        person_id=person.id,
        role=role,
        village_id=village.id if village else None,
        township_id=township.id if township else None,
        valid_from=utcnow(),
        granted_by_id=actor.person_id if actor else None,
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
        after={"person_id": person.id, "role": role},
    )
    return ra


def end_role(ra: RoleAssignment, *, actor: Principal | None) -> RoleAssignment:
    _check_appointer(ra.role, ra.village, actor)
    if ra.valid_to is not None:
        raise conflict("role.already_ended", "该角色已经结束")
    ra.valid_to = utcnow()
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
    )
    return ra


def role_history(
    *,
    village_id: int | None = None,
    township_id: int | None = None,
    person_id: int | None = None,
    current_only: bool = False,
) -> Select[Any]:
    stmt = select(RoleAssignment).options(joinedload(RoleAssignment.person))
    if village_id is not None:
        stmt = stmt.where(RoleAssignment.village_id == village_id)
    if township_id is not None:
        stmt = stmt.where(RoleAssignment.township_id == township_id)
    if person_id is not None:
        stmt = stmt.where(RoleAssignment.person_id == person_id)
    if current_only:
        stmt = stmt.where(RoleAssignment.valid_to.is_(None))
    return stmt.order_by(RoleAssignment.valid_from.desc(), RoleAssignment.id.desc())


def roles_at(person_id: int, village_id: int, when: date) -> set[str]:
    """Which assigned roles a person held in a village on a given day (for later record dates)."""
    from datetime import datetime, time

    from backend.core.clock import SHANGHAI

    end_of_day = datetime.combine(when, time.max, tzinfo=SHANGHAI)
    rows = db.session.execute(
        select(RoleAssignment.role).where(
            RoleAssignment.person_id == person_id,
            RoleAssignment.village_id == village_id,
            RoleAssignment.valid_from <= end_of_day,
            or_(RoleAssignment.valid_to.is_(None), RoleAssignment.valid_to > end_of_day),
        )
    ).scalars()
    return set(rows)


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


def roster_people(village_id: int, *, collective_only: bool, adult_on: date) -> list[tuple[int, int]]:
    """(person id, household id) of the active roster aged 18 or more on ``adult_on`` (optionally 成员 only)."""
    try:
        born_by = adult_on.replace(year=adult_on.year - 18)
    except ValueError:  # 29 February
        born_by = adult_on.replace(year=adult_on.year - 18, day=28)
    stmt = (select(Member.person_id, Member.household_id).join(Person, Person.id == Member.person_id)
            .where(Member.village_id == village_id, Member.status == "active", Person.birth_date <= born_by))
    if collective_only:
        stmt = stmt.where(Member.is_collective_member.is_(True))
    return [(pid, hid) for pid, hid in db.session.execute(stmt.order_by(Member.person_id)).all()]


@dataclass(frozen=True)
class HouseholdBrief:
    id: int
    number: str
    head_name: str | None
    head_id_last4: str | None


@dataclass(frozen=True)
class MemberBrief:
    id: int
    person_id: int
    name: str
    household_id: int
    status: str
    is_collective_member: bool


def households_brief(village_id: int, ids: Collection[int] | None = None) -> dict[int, HouseholdBrief]:
    """Household number and head (name, last 4 of the ID) of the village's households, in two queries."""
    stmt = select(Household.id, Household.number).where(Household.village_id == village_id)
    if ids is not None:
        stmt = stmt.where(Household.id.in_(list(ids)))
    numbers = dict(db.session.execute(stmt).all())
    heads_stmt = (
        select(Member.household_id, Person.name, Person.id_last4)
        .join(Person, Person.id == Member.person_id)
        .where(Member.village_id == village_id, Member.is_head.is_(True))
    )
    if ids is not None:
        heads_stmt = heads_stmt.where(Member.household_id.in_(list(ids)))
    heads = {hid: (name, last4) for hid, name, last4 in db.session.execute(heads_stmt)}
    return {
        hid: HouseholdBrief(hid, number, *(heads.get(hid) or (None, None))) for hid, number in numbers.items()
    }


def members_brief(village_id: int, ids: Collection[int] | None = None) -> dict[int, MemberBrief]:
    """The village's roster entries with their names (all statuses: history needs the departed too)."""
    stmt = (
        select(Member.id, Member.person_id, Person.name, Member.household_id, Member.status,
               Member.is_collective_member)
        .join(Person, Person.id == Member.person_id)
        .where(Member.village_id == village_id)
    )
    if ids is not None:
        stmt = stmt.where(Member.id.in_(list(ids)))
    return {row[0]: MemberBrief(*row) for row in db.session.execute(stmt)}


def members_id_last4(village_id: int) -> dict[int, str]:
    """Member id → the last four characters of the person's ID number (display, and telling namesakes apart)."""
    stmt = select(Member.id, Person.id_last4).join(Person, Person.id == Member.person_id).where(
        Member.village_id == village_id)
    return {mid: last4 for mid, last4 in db.session.execute(stmt)}


def roster_person_ids(village_ids: Collection[int], *, collective_only: bool) -> dict[int, int]:
    """person id → village id of everyone on these villages' active rosters (optionally 成员 only)."""
    if not village_ids:
        return {}
    stmt = select(Member.person_id, Member.village_id).where(Member.village_id.in_(list(village_ids)),
                                                             Member.status == "active")
    if collective_only:
        stmt = stmt.where(Member.is_collective_member.is_(True))
    return {pid: vid for pid, vid in db.session.execute(stmt)}


# ---------------------------------------------------------------- the principal of a request


def principal_stmt(person_id: Any) -> Select[Any]:
    """Everything a :class:`Principal` needs in one statement, for the person ``person_id`` names (a bound
    parameter, or a column of a table the caller joins: ``backend.auth`` joins the token). Its first
    ``PRINCIPAL_COLUMNS`` columns are what :func:`principal_of` reads.

    One row per current role assignment × village of a township-scoped one (a villager without roles: one row);
    plain table columns, so the rows skip the ORM's object loading. Build it once and reuse it: its SQL and cache
    key are then computed once.
    """
    p, m, ra = Person.__table__.c, Member.__table__.c, RoleAssignment.__table__.c
    home, scope = Village.__table__.alias("home"), Village.__table__.alias("scope")
    members, assignments = Member.__table__, RoleAssignment.__table__
    return (
        select(p.id, p.name, p.township_id, m.id, m.household_id, m.village_id, m.is_collective_member,
               home.c.township_id, ra.role, ra.village_id, ra.township_id, scope.c.id)
        .select_from(Person.__table__)
        .outerjoin(members, and_(m.person_id == p.id, m.status == "active"))
        .outerjoin(home, home.c.id == m.village_id)
        .outerjoin(assignments, and_(ra.person_id == p.id, ra.valid_to.is_(None)))
        .outerjoin(scope, scope.c.township_id == ra.township_id)
        .where(p.id == person_id)
        .order_by(ra.id, scope.c.id)
    )


PRINCIPAL_COLUMNS = 12
_PRINCIPAL = principal_stmt(bindparam("person_id"))


def principal_of(rows: Sequence[Any], token_id: int | None = None) -> Principal | None:
    """The :class:`Principal` from the rows of a :func:`principal_stmt` (None for no rows)."""
    if not rows:
        return None
    pid, name, own_township, member_id, household_id, village_id, collective, village_township = rows[0][:8]
    grants: list[Grant] = []
    if member_id is not None:
        grants.append(Grant("villager", frozenset({village_id})))
        if collective:
            grants.append(Grant("member", frozenset({village_id})))
    by_key: dict[tuple[str, int | None, int | None], set[int]] = {}
    for row in rows:
        role, v_id, t_id, tv_id = row[8:PRINCIPAL_COLUMNS]
        if role is None:
            continue
        ids = by_key.setdefault((role, v_id, t_id), set())
        if v_id is not None:
            ids.add(v_id)
        if tv_id is not None:
            ids.add(tv_id)
    for (role, _v, t_id), ids in by_key.items():
        grants.append(Grant(role, frozenset(ids), t_id))
    return Principal(
        person_id=pid,
        name=name,
        token_id=token_id,
        member_id=member_id,
        household_id=household_id,
        village_id=village_id,
        township_id=village_township if member_id is not None else own_township,
        grants=tuple(grants),
    )


def load_principal(person_id: int, token_id: int | None = None) -> Principal | None:
    """Everything permission checks need about a person, read fresh (roles change take effect at once).

    One statement whatever the data size: the person, their roster entry and its village, and their current role
    assignments joined to the villages of township-scoped ones.
    """
    if db.session.autoflush:  # a Core statement does not autoflush: see what this transaction has just written
        db.session.flush()
    return principal_of(db.session.execute(_PRINCIPAL, {"person_id": person_id}).all(), token_id)


# ---------------------------------------------------------------- matching a person for binding


def find_people_for_bind(code: str, name: str, last6: str) -> list[Person]:
    """Roster members of the village ``code`` (or staff of the township ``code``) with this name and ID end."""
    try:
        six = last6_hash(identity_key(), last6)
    except IdentityError as exc:
        raise unprocessable("validation.failed", str(exc)) from exc
    name = name.strip()
    village = village_by_code(code)
    if village is not None:
        stmt = (
            select(Person)
            .join(Member, Member.person_id == Person.id)
            .where(Member.village_id == village.id, Member.status == "active")
        )
    else:
        township = township_by_code(code)
        if township is None:
            return []
        stmt = select(Person).where(Person.township_id == township.id)
    return list(db.session.execute(stmt.where(Person.name == name, Person.id6_hash == six)).scalars())


def find_people_by_phone(phone: str) -> list[Person]:
    return list(
        db.session.execute(
            select(Person)
            .outerjoin(Member, Member.person_id == Person.id)
            .where(Person.phone == phone, or_(Member.id.is_(None), Member.status == "active"))
        ).scalars()
    )


def people_count(village_id: int) -> int:
    return db.session.execute(select(func.count(Member.id)).where(Member.village_id == village_id)).scalar_one()


def validate_id_card_or_422(id_card: str) -> str:
    try:
        return normalize_id_card(id_card)
    except IdentityError as exc:
        raise AppError(422, "validation.failed", str(exc)) from exc


__all__: Sequence[str] = [
    "ASSIGNABLE_ROLES",
    "DERIVED_ROLES",
    "MemberInput",
    "add_member",
    "add_staff_person",
    "create_household",
    "end_role",
    "find_people_by_phone",
    "find_people_for_bind",
    "grant_role",
    "load_principal",
    "members_query",
    "role_history",
    "update_household",
    "update_member",
]


# ---------------------------------------------------------------- reads other domains make by id


def person_names(ids: Collection[int]) -> dict[int, str]:
    """person id → name, in one query (ids that do not exist are left out)."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted))).all())


def village_names(ids: Collection[int]) -> dict[int, str]:
    """village id → name, in one query."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Village.id, Village.name).where(Village.id.in_(wanted))).all())


def township_names(ids: Collection[int]) -> dict[int, str]:
    """township id → name, in one query."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Township.id, Township.name).where(Township.id.in_(wanted))).all())


def household_ids_by_number(village_id: int) -> dict[str, int]:
    """The village's household numbers → household ids (every household, whatever its members' status)."""
    return dict(db.session.execute(
        select(Household.number, Household.id).where(Household.village_id == village_id)).all())


def person_name_select(person_id: Any) -> Select[tuple[str]]:
    """The name of the person whose id is in ``person_id`` (another domain's column): a statement to embed as a
    correlated ``.scalar_subquery()``, so that a listing reads its rows and their people's names in one statement."""
    return select(Person.name).where(Person.id == person_id)


@dataclass(frozen=True)
class RosterEntry:
    """A person's roster entry with what a rule of age or hardship reads: their birth date and their household's
    脱贫户/监测户 flags."""

    person_id: int
    village_id: int
    household_id: int
    status: str
    birth_date: date
    is_tuopin: bool
    is_jiance: bool


def roster_entry(person_id: int) -> RosterEntry | None:
    """The person's roster entry (whatever its status; None if they have none), in one query."""
    row = db.session.execute(
        select(Member.person_id, Member.village_id, Member.household_id, Member.status, Person.birth_date,
               Household.is_tuopin, Household.is_jiance)
        .join(Person, Person.id == Member.person_id).join(Household, Household.id == Member.household_id)
        .where(Member.person_id == person_id)).first()
    return None if row is None else RosterEntry(*row)


def birth_dates(ids: Collection[int]) -> dict[int, date]:
    """person id → birth date, in one query."""
    wanted = [i for i in set(ids) if i is not None]
    if not wanted:
        return {}
    return dict(db.session.execute(select(Person.id, Person.birth_date).where(Person.id.in_(wanted))).all())
