"""Households of a village's roster: created and changed by staff, each change audited (the caller commits)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from backend.core import audit
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.permissions import Principal
from backend.registry.models import Household, Village


def household_by_number(village_id: int, number: str) -> Household | None:
    return db.session.execute(
        select(Household).where(Household.village_id == village_id, Household.number == number.strip())
    ).scalar_one_or_none()


def households_query(village_id: int, q: str | None = None) -> Select[Any]:
    """The village's households by number, those whose number contains ``q`` if given."""
    stmt = select(Household).where(Household.village_id == village_id)
    if q:
        stmt = stmt.where(Household.number.like(f"%{q}%"))
    return stmt.order_by(Household.number)


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
