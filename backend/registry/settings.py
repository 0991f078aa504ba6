"""Local rules as settings: a value per village, else per township, else the code default.

Many thresholds are local rather than national (公示 days, money thresholds, age caps): each domain declares its
keys here with :func:`declare` and reads them with :func:`get`. Township staff set them; everyone in the village
can read them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from backend.core import audit, request_memo
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.permissions import Principal
from backend.registry.models import Setting, Township, Village


@dataclass(frozen=True)
class SettingSpec:
    key: str
    label: str  # Chinese, shown to staff
    default: int
    minimum: int
    maximum: int
    unit: str = ""  # 天, 分 (fen), 岁 …


SPECS: dict[str, SettingSpec] = {}


def declare(key: str, label: str, default: int, minimum: int, maximum: int, unit: str = "") -> SettingSpec:
    spec = SettingSpec(key, label, default, minimum, maximum, unit)
    if key in SPECS and SPECS[key] != spec:
        raise ValueError(f"setting {key} declared twice with different specs")
    SPECS[key] = spec
    return spec


def _spec(key: str) -> SettingSpec:
    if key not in SPECS:
        raise unprocessable("setting.unknown", f"没有这项设置：{key}", key=key)
    return SPECS[key]


def get(village: Village, key: str) -> int:
    """The value in force for ``village``: its own, else its township's, else the default."""
    spec = _spec(key)
    values = _rows_of(village.id, village.township_id)
    if (True, key) in values:
        return values[(True, key)]
    if (False, key) in values:
        return values[(False, key)]
    return spec.default


_IN_REQUEST = "settings"  # core.request_memo: (village, township) → the rows read, for this request only


def _rows_of(village_id: int, township_id: int) -> dict[tuple[bool, str], int]:
    """Every setting of the village and of its township, by (set for the village?, key): one statement, read once
    per request however many keys the request asks for (a page asks for several, some twice). :func:`put` forgets
    them; outside a request (the worker, the command line) they are read each time."""
    kept = request_memo.kept(_IN_REQUEST)
    if kept is not None and (village_id, township_id) in kept:
        return kept[(village_id, township_id)]
    rows = db.session.execute(
        select(Setting.village_id, Setting.key, Setting.value).where(
            (Setting.village_id == village_id) | (Setting.township_id == township_id))
    ).all()
    values = {(vid is not None, key): int(json.loads(value)) for vid, key, value in rows}
    if kept is not None:
        kept[(village_id, township_id)] = values
    return values


def get_for_township(township_id: int, key: str) -> int:
    """The value a township sets for all its villages, else the default (a rule that is township-wide)."""
    spec = _spec(key)
    value = db.session.execute(
        select(Setting.value).where(Setting.key == key, Setting.township_id == township_id)
    ).scalar_one_or_none()
    return spec.default if value is None else int(json.loads(value))


def describe(key: str, value: int) -> dict[str, Any]:
    """A setting as staff see it: its value in force beside its label, default and bounds."""
    spec = SPECS[key]
    return {"key": key, "label": spec.label, "value": value, "default": spec.default, "minimum": spec.minimum,
            "maximum": spec.maximum, "unit": spec.unit}


def effective(village: Village) -> list[dict[str, Any]]:
    """Every declared setting with the value in force for ``village``, by key."""
    return [describe(key, get(village, key)) for key in sorted(SPECS)]


def put(
    key: str, value: int, *, actor: Principal | None, village: Village | None = None, township: Township | None = None
) -> Setting:
    spec = _spec(key)
    if isinstance(value, bool) or not isinstance(value, int) or not spec.minimum <= value <= spec.maximum:
        raise unprocessable("setting.out_of_range", f"{spec.label}应在{spec.minimum}到{spec.maximum}{spec.unit}之间")
    scope = Setting.village_id == village.id if village else Setting.township_id == township.id  # type: ignore[union-attr]
    row = db.session.execute(select(Setting).where(Setting.key == key, scope)).scalar_one_or_none()
    before = json.loads(row.value) if row else None
    if row is None:
        row = Setting(
            key=key,
            village_id=village.id if village else None,
            township_id=township.id if township else None,
            value="null",
        )
        db.session.add(row)
    row.value = json.dumps(value)
    row.updated_by_id = actor.person_id if actor else None
    db.session.flush()
    request_memo.forget(_IN_REQUEST)
    audit.record(
        "setting.put",
        "setting",
        row.id,
        actor=actor,
        village_id=row.village_id,
        township_id=row.township_id,
        before={"key": key, "value": before},
        after={"key": key, "value": value},
    )
    return row
