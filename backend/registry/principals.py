"""The principal of a request: a person with their roster entry and current roles, read in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, bindparam, select

from backend.core.db import db
from backend.core.permissions import Grant, Principal
from backend.registry.models import Member, Person, RoleAssignment, Village


def principal_stmt(person_id: Any) -> Select[Any]:
    """Everything a :class:`Principal` needs in one statement, for the person ``person_id`` names: a bound
    parameter, or a column of another table, which is then joined (``backend.auth`` passes the token's person
    column and adds the token's own columns). Its first ``PRINCIPAL_COLUMNS`` columns are what :func:`principal_of`
    reads.

    One row per current role assignment × village of a township-scoped one (a villager without roles: one row);
    plain table columns, so the rows skip the ORM's object loading. Build it once and reuse it: its SQL and cache
    key are then computed once.
    """
    p, m, ra = Person.__table__.c, Member.__table__.c, RoleAssignment.__table__.c
    home, scope = Village.__table__.alias("home"), Village.__table__.alias("scope")
    members, assignments = Member.__table__, RoleAssignment.__table__
    people: FromClause = Person.__table__
    if isinstance(person_id, ColumnElement) and getattr(person_id, "table", None) is not None:
        people = people.join(person_id.table, person_id == p.id)
    return (
        select(p.id, p.name, p.township_id, m.id, m.household_id, m.village_id, m.is_collective_member,
               home.c.township_id, ra.role, ra.village_id, ra.township_id, scope.c.id)
        .select_from(people)
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
