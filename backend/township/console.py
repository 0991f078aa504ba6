"""What the staff console reads of a township besides the progress table: its villages at a glance (roster size,
members, WeChat-bound people, staff), the people its pickers offer, and one village's income month by month.

Read-only, like the rest of the township.

Months (the one place the rule is stated): each month's 总收入 and 经营性收入 are the ledger's
(:func:`backend.ledger.month_income`, the same rule as the progress table's :func:`backend.ledger.year_income`), and
the cumulative figures add them up from January, so the cumulative figures of month *m* equal the progress table's
for ``month=m``. A month of the current year that has not begun yet is ``null`` in every field (not 0: nothing is
known of it yet); past months without vouchers are "0.00".
"""

from __future__ import annotations

from typing import Any

from backend import auth, ledger, registry
from backend.core.clock import today
from backend.core.errors import not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import role_label
from backend.registry import Village
from backend.township.service import TARGET_OPERATING, TARGET_TOTAL


def overview(township_id: int) -> dict[str, Any]:
    """Each village of the township: its roster size, its collective members, how many of them have bound WeChat,
    and who runs it now (a fixed number of queries, whatever the number of villages)."""
    registry.get_township(township_id)
    villages = registry.villages_of_township(township_id)
    ids = [v.id for v in villages]
    counts = registry.roster_counts(ids)
    bound = auth.bound_counts(ids)
    staff: dict[int, list[dict[str, Any]]] = {vid: [] for vid in ids}
    for s in registry.village_staff(ids):
        staff[s.village_id].append({"assignment_id": s.assignment_id, "role": s.role, "role_label": role_label(s.role),
                                    "person_id": s.person_id, "name": s.name, "since": s.since})
    return {"items": [
        {"id": v.id, "code": v.code, "name": v.name, "roster_size": counts[v.id][0], "members": counts[v.id][1],
         "bound": int(bound.get(v.id, 0)), "staff": staff[v.id]}
        for v in villages
    ]}


def people(township_id: int) -> dict[str, Any]:
    """The township's staff and agency accountants (and its people with no role yet), for the role pickers."""
    registry.get_township(township_id)
    return {"items": [
        {"id": p.person_id, "name": p.name,
         "roles": [{"role": r, "role_label": role_label(r)} for r in p.roles]}
        for p in registry.township_people(township_id)
    ]}


def village_of(township_id: int, village_id: int) -> Village:
    """The village if it lies in the township; else the 404 of a village that does not exist."""
    v = registry.get_village(village_id)
    if v.township_id != township_id:
        raise not_found("village.not_found", "找不到该村")
    return v


def months(township_id: int, village_id: int, year: int | None) -> dict[str, Any]:
    """One village's income by month of ``year`` (default this year), with cumulative figures and its targets."""
    v = village_of(township_id, village_id)
    now = today()
    y = year or now.year
    if not 1900 <= y <= 2999:
        raise unprocessable("township.year", "年份应为四位数字，例如 year=2026")
    if y > now.year:
        raise unprocessable("township.future", "不能查看还没到的年份")
    by_month = ledger.month_income(v.id, y)
    rows: list[dict[str, Any]] = []
    total = operating = 0
    for m in range(1, 13):
        if y == now.year and m > now.month:
            rows.append({"month": m, "total_income": None, "operating_income": None, "cumulative_total": None,
                         "cumulative_operating": None})
            continue
        t, o = by_month.get(f"{y:04d}-{m:02d}", (0, 0))
        total, operating = total + t, operating + o
        rows.append({"month": m, "total_income": fen_to_yuan(t), "operating_income": fen_to_yuan(o),
                     "cumulative_total": fen_to_yuan(total), "cumulative_operating": fen_to_yuan(operating)})
    return {
        "village": {"id": v.id, "name": v.name},
        "year": y,
        "months": rows,
        "target_total": fen_to_yuan(registry.settings.get(v, TARGET_TOTAL.key)),
        "target_operating": fen_to_yuan(registry.settings.get(v, TARGET_OPERATING.key)),
    }
