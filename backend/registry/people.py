"""People and their roster entries (members): staff register and change them, each change audited in the same
transaction (the caller commits); a WeChat account binds to the person these lookups find.

An ID number is never stored: only keyed hashes of it, of its last 6, and its last 4 for display.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from backend.core import audit
from backend.core.clock import SHANGHAI, today
from backend.core.db import db
from backend.core.errors import AppError, conflict, unprocessable
from backend.core.identity import (
    IdentityError,
    birth_date_from_id,
    gender_from_id,
    id_hashes,
    last6_hash,
    normalize_id_card,
    normalize_phone,
)
from backend.core.permissions import ROLE_LABELS, Principal
from backend.registry.history import END_REASONS, END_STATUS, record_event
from backend.registry.households import household_by_number
from backend.registry.models import Household, Member, MemberEvent, Person, Township, Village
from backend.registry.places import township_by_code, village_by_code

RELATIONS = ("户主", "配偶", "子女", "儿媳", "女婿", "孙子女", "父母", "兄弟姐妹", "其他")


STATUSES = {"active": "在册", "moved_out": "迁出", "deceased": "已故", "ended": "已注销"}


def identity_key() -> bytes:
    return current_app.config["IDENTITY_HASH_KEY"].encode()


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


def person_for_role(person_id: int) -> Person:
    """The person a role is to be given to (422 when there is none: the id came in the body)."""
    person = db.session.get(Person, person_id)
    if person is None:
        raise unprocessable("person.not_found", "找不到该人员")
    return person


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
    record_event(m, "joined", actor=actor, after=event_dict(m, h.number))
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
    for m, h in zip(members, targets, strict=True):
        audit.record("member.create", "member", m.id, actor=actor, village_id=village.id, after=member_dict(m))
        record_event(m, "joined", actor=actor, after=event_dict(m, h.number))
    return members


def _head_of(household_id: int) -> Member | None:
    return db.session.execute(
        select(Member).where(Member.household_id == household_id, Member.is_head.is_(True))
    ).scalar_one_or_none()


def update_member(m: Member, changes: dict[str, Any], *, actor: Principal | None, interim: bool = False) -> Member:
    """Change a roster entry. ``interim=True`` lets a head step down before the same transaction names
    their new relation (a roster import swapping heads); the caller must leave the roster coherent."""
    before = member_dict(m)
    before_event = event_dict(m)
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
    after_event = event_dict(m)
    if after_event != before_event:
        kind = "moved" if after_event["household_number"] != before_event["household_number"] else "edited"
        record_event(m, kind, actor=actor, before=before_event, after=after_event)
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


def event_dict(m: Member, household_number: str | None = None) -> dict[str, Any]:
    """What a member's history shows of the entry (no ID number; whether a phone is set, not the number)."""
    if household_number is None:
        h = db.session.get(Household, m.household_id)
        household_number = h.number if h is not None else ""
    return {
        "name": m.person.name,
        "household_number": household_number,
        "relation": m.relation,
        "is_head": m.is_head,
        "is_collective_member": m.is_collective_member,
        "status": m.status,
        "phone_set": bool(m.person.phone),
    }


def _check_day(m: Member, on: date | None, what: str) -> date:
    """The day a move or an ending happened: not after today, not before the person was born."""
    day = on or today()
    if day > today():
        raise unprocessable("member.date_future", f"{what}日期不能晚于今天", fields={"on": f"{what}日期不能晚于今天"})
    if day < m.person.birth_date:
        message = f"{what}日期不能早于此人的出生日期（{m.person.birth_date.isoformat()}）"
        raise unprocessable("member.date_before_birth", message, fields={"on": message})
    return day


def _require_active(m: Member, doing: str) -> None:
    if m.status != "active":
        raise conflict("member.not_active",
                       f"{m.person.name} 已{STATUSES.get(m.status, m.status)}，不在册，不能{doing}")


def _active_housemates(m: Member, household_id: int) -> list[Member]:
    return list(db.session.execute(
        select(Member).where(Member.household_id == household_id, Member.status == "active", Member.id != m.id)
        .order_by(Member.id)
    ).scalars())


def move_member(
    m: Member,
    target: Household,
    *,
    relation: str,
    actor: Principal | None,
    on: date | None = None,
    new_head: Member | None = None,
    note: str | None = None,
) -> Member:
    """Move a roster entry to another household of the same village, in one transaction (the caller commits).

    ``relation`` is the person's relation to the new household's head (户主: they head it, if it has no head).
    A head who leaves housemates behind names one of them (``new_head``) as the household's new head."""
    _require_active(m, "迁户")
    if target.village_id != m.village_id:
        raise unprocessable("household.not_found", "找不到该户：只能迁到本村的户",
                            fields={"household_id": "找不到该户"})
    if target.id == m.household_id:
        raise unprocessable("member.same_household", f"{m.person.name} 已在 {target.number} 户，不用迁户")
    if relation not in RELATIONS:
        raise unprocessable("validation.failed", "与户主关系应为：" + "、".join(RELATIONS),
                            fields={"relation": "与户主关系应为：" + "、".join(RELATIONS)})
    day = _check_day(m, on, "迁户")
    old = db.session.get(Household, m.household_id)
    assert old is not None
    if relation == "户主":
        head = _head_of(target.id)
        if head is not None:
            raise conflict("household.head_exists",
                           f"{target.number} 已有户主 {head.person.name}；请选择此人与户主的关系（如配偶、子女）")
    stay = _active_housemates(m, old.id)
    if m.is_head and stay:
        if new_head is None:
            raise conflict("member.head_leaving",
                           f"{m.person.name} 是 {old.number} 的户主，户内还有 {len(stay)} 人；"
                           "请同时指定该户的新户主", names=[x.person.name for x in stay])
        if new_head.id not in {x.id for x in stay}:
            raise unprocessable("member.new_head_invalid", f"新户主须是 {old.number} 户内的在册人员",
                                fields={"new_head_id": f"新户主须是 {old.number} 户内的在册人员"})
    elif new_head is not None:
        raise unprocessable("member.new_head_invalid", f"{m.person.name} 不是户主，不用指定新户主",
                            fields={"new_head_id": "只有户主迁出时才需要指定新户主"})

    before, before_event = member_dict(m), event_dict(m, old.number)
    was_head = m.is_head
    m.is_head = False  # give up the seat first: the one-head index holds at every flush
    db.session.flush()
    m.household_id, m.is_head, m.relation = target.id, relation == "户主", relation
    db.session.flush()
    if was_head and new_head is not None:
        head_before = event_dict(new_head, old.number)
        new_head.is_head, new_head.relation = True, "户主"
        db.session.flush()
        record_event(new_head, "edited", actor=actor, on=day, before=head_before,
                     after=event_dict(new_head, old.number), note=f"{m.person.name} 迁出后改任户主")
    db.session.expire(m, ["household"])
    audit.record("member.move", "member", m.id, actor=actor, village_id=m.village_id, before=before,
                 after={**member_dict(m), "on": day.isoformat()})
    record_event(m, "moved", actor=actor, on=day, before=before_event, after=event_dict(m, target.number),
                 note=note)
    return m


def end_member(m: Member, *, reason: str, actor: Principal | None, on: date | None = None,
               note: str | None = None) -> Member:
    """End a roster entry's membership (迁出, 死亡, 其他原因) on a day: its status changes, it stops being a member
    of the collective and the head of its household, and its village roles end the same day (the caller commits).
    The record stays, with its history."""
    from backend.registry import roles  # roles imports people

    if m.status != "active":
        last = db.session.execute(
            select(MemberEvent.on_date, MemberEvent.reason).where(
                MemberEvent.member_id == m.id, MemberEvent.kind == "ended").order_by(MemberEvent.id.desc())
        ).first()
        when = f"已于 {last[0].isoformat()} 注销（{END_REASONS.get(last[1], '')}）" if last else \
            f"已是“{STATUSES.get(m.status, m.status)}”"
        raise conflict("member.already_ended", f"{m.person.name} 的成员资格{when}，不能重复注销")
    if reason not in END_REASONS:
        message = "注销原因应为：" + "、".join(END_REASONS.values())
        raise unprocessable("validation.failed", message, fields={"reason": message})
    day = _check_day(m, on, "注销")
    held = roles.current_village_roles(m.person_id, m.village_id)
    blocked = [ra for ra in held if ra.role in roles.TOWNSHIP_APPOINTED]
    if blocked:
        label = ROLE_LABELS.get(blocked[0].role, blocked[0].role)
        raise conflict("member.holds_office",
                       f"{m.person.name} 现任{label}，须先由乡镇工作人员免去该职务，再注销成员资格")
    before, before_event = member_dict(m), event_dict(m)
    for ra in held:  # a role taken after that day (recorded late) ends on the day it began
        roles.end_role(ra, actor=actor, on=max(day, ra.valid_from.astimezone(SHANGHAI).date()))
    m.status, m.is_head, m.is_collective_member = END_STATUS[reason], False, False
    db.session.flush()
    audit.record("member.end", "member", m.id, actor=actor, village_id=m.village_id, before=before,
                 after={**member_dict(m), "reason": reason, "on": day.isoformat(), "note": note})
    record_event(m, "ended", actor=actor, on=day, before=before_event, after=event_dict(m), reason=reason,
                 note=note)
    return m


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


def validate_id_card_or_422(id_card: str) -> str:
    try:
        return normalize_id_card(id_card)
    except IdentityError as exc:
        raise AppError(422, "validation.failed", str(exc)) from exc
