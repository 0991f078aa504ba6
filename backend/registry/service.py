"""Reads other domains make of the registry: households and members in brief, the people of a roster, names by id.

Each answers in one or two statements whatever the village's size; the model classes stay inside the registry.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select

from backend.core.db import db, in_ids
from backend.core.shared_pages import shared_read
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village


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
    """Household number and head (name, last 4 of the ID) of the village's households, in one query (a household
    without a head has None for both)."""
    stmt = (
        select(Household.id, Household.number, Person.name, Person.id_last4)
        .outerjoin(Member, and_(Member.household_id == Household.id, Member.is_head.is_(True),
                                Member.village_id == village_id))
        .outerjoin(Person, Person.id == Member.person_id)
        .where(Household.village_id == village_id)
    )
    if ids is not None:
        stmt = stmt.where(Household.id.in_(list(ids)))
    return {hid: HouseholdBrief(hid, number, name, last4) for hid, number, name, last4 in db.session.execute(stmt)}


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


def roster_counts_among(village_ids: Collection[int], among: Select[Any]) -> dict[int, int]:
    """village id → how many people on its active roster are among ``among`` (a select of person ids), in one
    grouped statement (every id is a key)."""
    out = dict.fromkeys(village_ids, 0)
    if out:
        for vid, n in db.session.execute(
                select(Member.village_id, func.count()).where(
                    Member.village_id.in_(list(out)), Member.status == "active", Member.person_id.in_(among))
                .group_by(Member.village_id)):
            out[vid] = n
    return out


# ---------------------------------------------------------------- reads other domains make by id


NAMES_KEPT_UP_TO = 500  # a larger list of ids is read straight (a value kept per argument: keys stay small)


def person_names(ids: Collection[int]) -> Mapping[int, str]:
    """person id → name, in one query (ids that do not exist are left out). Read-only: the same mapping may be given
    to every reader of the same ids (``@shared_read``)."""
    return _names(Person, ids)


def village_names(ids: Collection[int]) -> Mapping[int, str]:
    """village id → name, in one query (read-only, like :func:`person_names`)."""
    return _names(Village, ids)


def township_names(ids: Collection[int]) -> Mapping[int, str]:
    """township id → name, in one query (read-only, like :func:`person_names`)."""
    return _names(Township, ids)


_EMPTY: Mapping[int, str] = MappingProxyType({})


def _names(model: Any, ids: Collection[int]) -> Mapping[int, str]:
    wanted = frozenset(i for i in ids if i is not None)
    if not wanted:
        return _EMPTY
    if len(wanted) > NAMES_KEPT_UP_TO:
        return _names_read(model.__tablename__, wanted)
    return _names_kept(model.__tablename__, wanted)


_NAMED = {m.__tablename__: m for m in (Person, Village, Township)}


def _names_read(table: str, wanted: frozenset[int]) -> Mapping[int, str]:
    model = _NAMED[table]
    return MappingProxyType(dict(db.session.execute(
        select(model.id, model.name).where(in_ids(model.id, sorted(wanted)))).all()))


_names_kept = shared_read(_names_read)


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


def place_name_select(township_id: Any, village_id: Any) -> Any:
    """The name of the township in ``township_id`` or, where that is NULL, of the village in ``village_id`` (another
    domain's columns): a correlated scalar subquery, so that a listing reads its rows and where each comes from in
    one statement."""
    return func.coalesce(select(Township.name).where(Township.id == township_id).scalar_subquery(),
                         select(Village.name).where(Village.id == village_id).scalar_subquery())


# ---------------------------------------------------------------- the township's view of its villages' people

# roles that run a village (shown as its staff), and those that make a person the township's for its pickers
STAFF_ROLES = ("secretary", "committee", "accountant", "supervisor", "township_accountant")
TOWNSHIP_PICKER_ROLES = ("township_staff", "township_accountant")


def roster_counts(village_ids: Collection[int]) -> dict[int, tuple[int, int]]:
    """village id → (people on the active roster, of whom collective-economic-organisation members), one query."""
    out = {vid: (0, 0) for vid in village_ids}
    if not out:
        return out
    members = func.sum(case((Member.is_collective_member.is_(True), 1), else_=0))
    for vid, n, m in db.session.execute(
        select(Member.village_id, func.count(), members)
        .where(Member.village_id.in_(list(out)), Member.status == "active")
        .group_by(Member.village_id)
    ):
        out[vid] = (int(n), int(m or 0))
    return out


@dataclass(frozen=True)
class StaffBrief:
    assignment_id: int
    village_id: int
    role: str
    person_id: int
    name: str
    since: datetime


def village_staff(village_ids: Collection[int]) -> list[StaffBrief]:
    """The current holders of the village-running roles (:data:`STAFF_ROLES`) in these villages, longest-serving
    first, in one query."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(RoleAssignment.id, RoleAssignment.village_id, RoleAssignment.role, Person.id, Person.name,
               RoleAssignment.valid_from)
        .join(Person, Person.id == RoleAssignment.person_id)
        .where(RoleAssignment.village_id.in_(list(village_ids)), RoleAssignment.valid_to.is_(None),
               RoleAssignment.role.in_(STAFF_ROLES))
        .order_by(RoleAssignment.valid_from, RoleAssignment.id)
    ).all()
    return [StaffBrief(*row) for row in rows]


@dataclass(frozen=True)
class TownshipPerson:
    person_id: int
    name: str
    roles: tuple[str, ...]  # current township roles, in TOWNSHIP_PICKER_ROLES order


def township_people(township_id: int) -> list[TownshipPerson]:
    """The township's own people, for its pickers: those whose home is the township (staff without a roster entry)
    and those holding a township role now, in the township or in one of its villages (agency accountants); by name."""
    in_township = or_(
        RoleAssignment.township_id == township_id,
        RoleAssignment.village_id.in_(select(Village.id).where(Village.township_id == township_id)),
    )
    held = db.session.execute(
        select(RoleAssignment.person_id, RoleAssignment.role)
        .where(RoleAssignment.valid_to.is_(None), RoleAssignment.role.in_(TOWNSHIP_PICKER_ROLES), in_township)
    ).all()
    roles: dict[int, set[str]] = {}
    for pid, role in held:
        roles.setdefault(pid, set()).add(role)
    people = db.session.execute(
        select(Person.id, Person.name)
        .where(or_(Person.township_id == township_id, Person.id.in_(list(roles) or [-1])))
        .order_by(Person.name, Person.id)
    ).all()
    return [
        TownshipPerson(pid, name, tuple(r for r in TOWNSHIP_PICKER_ROLES if r in roles.get(pid, set())))
        for pid, name in people
    ]
