"""Townships and villages: found by id or code, listed, created once (the demo, the CLI)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from backend.core.db import db
from backend.core.errors import conflict, not_found
from backend.registry.models import Township, Village


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


def villages_by_ids(ids: Collection[int]) -> list[Village]:
    """These villages, by code (the ones a caller may see)."""
    if not ids:
        return []
    return list(db.session.execute(select(Village).where(Village.id.in_(list(ids))).order_by(Village.code)).scalars())


def all_villages() -> list[tuple[int, str, str]]:
    """(id, code, name) of every village, by code."""
    return [(vid, code, name) for vid, code, name in db.session.execute(
        select(Village.id, Village.code, Village.name).order_by(Village.code))]


@dataclass(frozen=True)
class Places:
    """A caller's township and, for a roster member, their village (id, code, name of each)."""

    village_id: int | None
    village_code: str | None
    village_name: str | None
    township_id: int
    township_name: str
    township_code: str


_townships, _villages = Township.__table__, Village.__table__
# one statement, built once: /me runs it on every uncached call
_PLACES = (
    select(_villages.c.id, _villages.c.code, _villages.c.name, _townships.c.id, _townships.c.name, _townships.c.code)
    .select_from(_townships)
    .outerjoin(_villages, _villages.c.id == bindparam("village_id"))
    .where(_townships.c.id == bindparam("township_id"))
)


def places_of(township_id: int, village_id: int | None) -> Places | None:
    """The township and (if ``village_id``) the village, names and codes, in one statement; None for no such
    township."""
    row = db.session.execute(_PLACES, {"village_id": village_id, "township_id": township_id}).first()
    return None if row is None else Places(*row)


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
