"""The share register: share types, dated changes, certificates and payee accounts, and the register at any date.

A holding is (household, member, share type): the member's shares held in the household (the holding unit
that gets the 股权证), or shares the household keeps without a member (生不增、死不减: a deceased member's
shares stay with the household), or the collective's own shares (集体股: no household, no member). The register
at a date is the sum of every change dated on or before it, so any past register can be reproduced; changes
are never edited — a mistake is corrected by a later ``adjust`` event.

Every change runs under the village's register lock (one ``share_registers`` row, ``FOR UPDATE``), which also
carries ``frozen_until``: the latest record date a distribution has been computed on. Nothing may be dated on or
before it, so a computed list can always be recomputed from the register and match its stored hash.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.permissions import Principal
from backend.dividends.models import (
    EVENT_KINDS,
    PayeeAccount,
    ShareCertificate,
    ShareChange,
    ShareEvent,
    ShareRegister,
    ShareType,
)
from backend.registry import Village

STATIC = registry.settings.declare(
    "dividends.static_shares", "股权管理方式：1 静态（生不增、死不减），0 动态（随人口增减调整）", 1, 0, 1
)

EVENT_LABELS = {
    "initial": "初始登记",
    "birth": "出生",
    "death": "死亡",
    "marry_in": "婚入",
    "marry_out": "婚出",
    "transfer": "转让（集体内部）",
    "inherit": "继承",
    "adjust": "调整",
}
HOLDER_LABELS = {"member": "成员持有", "collective": "集体持有"}


# ---------------------------------------------------------------- share types


@dataclass
class ShareTypeInput:
    code: str
    name: str
    unit: str = "股"
    holder: str = "member"
    per_person: int = 0
    sort: int = 0


def share_types(village_id: int, *, active_only: bool = False) -> list[ShareType]:
    stmt = select(ShareType).where(ShareType.village_id == village_id)
    if active_only:
        stmt = stmt.where(ShareType.active.is_(True))
    return list(db.session.execute(stmt.order_by(ShareType.sort, ShareType.id)).scalars())


def get_share_type(type_id: int) -> ShareType:
    st = db.session.get(ShareType, type_id)
    if st is None:
        raise not_found("share.type_not_found", "找不到该股份类型")
    return st


def create_share_type(village: Village, data: ShareTypeInput, *, actor: Principal | None) -> ShareType:
    code, name = data.code.strip(), data.name.strip()
    taken = db.session.execute(
        select(ShareType.code, ShareType.name).where(ShareType.village_id == village.id,
                                                     (ShareType.code == code) | (ShareType.name == name))
    ).all()
    if taken:  # said at the field that clashes (both when both do)
        fields: dict[str, str] = {}
        if any(c == code for c, _ in taken):
            fields["code"] = f"本村已有代码为“{code}”的股份类型"
        if any(n == name for _, n in taken):
            fields["name"] = f"本村已有名称为“{name}”的股份类型"
        raise conflict("share.type_exists", "；".join(fields.values()), fields=fields)
    if data.holder == "collective" and data.per_person:
        raise unprocessable("share.type_invalid", "集体股不按人配股，每人配股数应为 0",
                            fields={"per_person": "集体股不按人配股，应为 0"})
    st = ShareType(village_id=village.id, code=code, name=name, unit=data.unit.strip() or "股", holder=data.holder,
                   per_person=data.per_person, sort=data.sort)
    db.session.add(st)
    db.session.flush()
    audit.record("share.type_create", "share_type", st.id, actor=actor, village_id=village.id,
                 after={"code": code, "name": name, "holder": data.holder, "per_person": data.per_person})
    return st


def update_share_type(st: ShareType, changes: dict[str, Any], *, actor: Principal | None) -> ShareType:
    """Name, unit, per-person allotment, order and whether it is still in use; code and holder never change."""
    before = {k: getattr(st, k) for k in changes}
    if "name" in changes:
        name = changes["name"].strip()
        clash = db.session.execute(
            select(ShareType.id).where(ShareType.village_id == st.village_id, ShareType.name == name,
                                       ShareType.id != st.id)
        ).first()
        if clash:
            raise conflict("share.type_exists", f"本村已有名称为“{name}”的股份类型",
                           fields={"name": f"本村已有名称为“{name}”的股份类型"})
        changes["name"] = name
    if st.holder == "collective" and changes.get("per_person"):
        raise unprocessable("share.type_invalid", "集体股不按人配股，每人配股数应为 0",
                            fields={"per_person": "集体股不按人配股，应为 0"})
    for k, v in changes.items():
        setattr(st, k, v)
    db.session.flush()
    audit.record("share.type_update", "share_type", st.id, actor=actor, village_id=st.village_id,
                 before=before, after=changes)
    return st


# ---------------------------------------------------------------- the register lock


def lock_register(village_id: int) -> ShareRegister:
    """The village's register row, created on first use, locked until the transaction ends."""
    row = db.session.execute(
        select(ShareRegister).where(ShareRegister.village_id == village_id).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(ShareRegister(village_id=village_id, version=0))
        except IntegrityError:  # another transaction created it meanwhile: wait for its lock below
            pass
        row = db.session.execute(
            select(ShareRegister).where(ShareRegister.village_id == village_id).with_for_update()
        ).scalar_one()
    return row


def freeze(village_id: int, record_date: date) -> None:
    """No change may be dated on or before ``record_date`` from now on (called when a list is computed)."""
    row = lock_register(village_id)
    if row.frozen_until is None or row.frozen_until < record_date:
        row.frozen_until = record_date
    db.session.flush()


def frozen_until(village_id: int) -> date | None:
    return db.session.execute(
        select(ShareRegister.frozen_until).where(ShareRegister.village_id == village_id)
    ).scalar_one_or_none()


# ---------------------------------------------------------------- events


@dataclass
class ChangeInput:
    share_type_id: int
    delta: int
    household_id: int | None = None
    member_id: int | None = None


@dataclass
class EventInput:
    kind: str
    effective_on: date
    member_id: int | None = None  # whom a birth, death or marriage concerns
    note: str | None = None
    changes: Sequence[ChangeInput] = field(default_factory=list)


Key = tuple[int | None, int | None, int]  # household, member, share type


def _balances(village_id: int, keys: Iterable[Key]) -> dict[Key, list[tuple[date, int]]]:
    """Every change of each holding in ``keys``, by date."""
    keys = set(keys)
    members = {m for _, m, _ in keys if m is not None}
    households = {h for h, _, _ in keys if h is not None}
    types = {t for _, _, t in keys}
    stmt = select(ShareChange.household_id, ShareChange.member_id, ShareChange.share_type_id,
                  ShareChange.effective_on, ShareChange.delta).where(
        ShareChange.village_id == village_id, ShareChange.share_type_id.in_(list(types)))
    if households:
        stmt = stmt.where(ShareChange.household_id.in_(list(households)) | ShareChange.household_id.is_(None))
    out: dict[Key, list[tuple[date, int]]] = defaultdict(list)
    for h, m, t, on, delta in db.session.execute(stmt):
        if (h, m, t) in keys and (m is None or m in members):
            out[(h, m, t)].append((on, delta))
    return out


def holdings_of_member(village_id: int, member_id: int, on: date) -> dict[tuple[int | None, int], int]:
    """(household, share type) → shares the member holds on ``on``."""
    rows = db.session.execute(
        select(ShareChange.household_id, ShareChange.share_type_id, func.sum(ShareChange.delta))
        .where(ShareChange.village_id == village_id, ShareChange.member_id == member_id,
               ShareChange.effective_on <= on)
        .group_by(ShareChange.household_id, ShareChange.share_type_id)
    ).all()
    return {(h, t): int(n) for h, t, n in rows if n}


def _member_of_village(village_id: int, member_id: int) -> registry.MemberBrief:
    m = registry.members_brief(village_id, [member_id]).get(member_id)
    if m is None:
        raise unprocessable("share.member_unknown", "该成员不在本村名册中", member_id=member_id)
    return m


def _auto_changes(village: Village, data: EventInput, static: bool) -> list[ChangeInput]:
    """The changes a birth, death or marriage implies under the village's policy."""
    if data.member_id is None:
        raise unprocessable("share.member_required", f"“{EVENT_LABELS[data.kind]}”须指明是哪位成员")
    m = _member_of_village(village.id, data.member_id)
    if static:
        if data.changes:
            raise unprocessable(
                "share.static_register",
                "本村实行静态股权管理（生不增、死不减），出生、死亡、婚入、婚出不调整股份；如须调整请登记“调整”并注明依据",
            )
        return []
    if data.changes:
        return list(data.changes)
    if data.kind in ("birth", "marry_in"):
        out = [ChangeInput(st.id, st.per_person, m.household_id, m.id)
               for st in share_types(village.id, active_only=True) if st.holder == "member" and st.per_person > 0]
        if not out:
            raise unprocessable("share.no_allotment", "本村的股份类型都没有设置每人配股数，请在变动中写明配给的股份")
        return out
    held = holdings_of_member(village.id, m.id, data.effective_on)
    if not held:
        raise unprocessable("share.nothing_held", f"{m.name}在{data.effective_on.isoformat()}没有持股")
    return [ChangeInput(t, -n, h, m.id) for (h, t), n in sorted(held.items(), key=lambda kv: (kv[0][0] or 0, kv[0][1]))
            if n]


def _check_changes(village: Village, kind: str, changes: Sequence[ChangeInput]) -> None:
    types = {st.id: st for st in share_types(village.id)}
    member_ids = {c.member_id for c in changes if c.member_id is not None}
    members = registry.members_brief(village.id, member_ids) if member_ids else {}
    household_ids = {c.household_id for c in changes if c.household_id is not None}
    households = registry.households_brief(village.id, household_ids) if household_ids else {}
    problems: list[str] = []
    for i, c in enumerate(changes, start=1):
        st = types.get(c.share_type_id)
        if st is None:
            problems.append(f"第{i}项：股份类型不属于本村")
            continue
        if isinstance(c.delta, bool) or not isinstance(c.delta, int) or c.delta == 0:
            problems.append(f"第{i}项：变动股数应为非零整数")
        if st.holder == "collective":
            if c.household_id is not None or c.member_id is not None:
                problems.append(f"第{i}项：{st.name}由集体持有，不记到户或人")
            continue
        if c.household_id is None:
            problems.append(f"第{i}项：{st.name}须记到户")
            continue
        if c.household_id not in households:
            problems.append(f"第{i}项：该户不在本村")
        if c.member_id is not None and c.member_id not in members:
            problems.append(f"第{i}项：该成员不在本村名册中")
        if kind == "initial" and c.delta < 0:
            problems.append(f"第{i}项：初始登记的股数应为正数")
        if not st.active and c.delta > 0:
            problems.append(f"第{i}项：{st.name}已停用，不能再配股")
    if problems:
        raise unprocessable("share.invalid_changes", "；".join(problems), problems=problems)
    if kind in ("transfer", "inherit"):
        net: dict[int, int] = defaultdict(int)
        for c in changes:
            net[c.share_type_id] += c.delta
        if any(net.values()) or len(changes) < 2:
            what = "继承" if kind == "inherit" else "集体内部转让"
            raise unprocessable("share.transfer_unbalanced", f"{what}须转出与转入股数相等（每种股份分别相等）")


def record_event(village: Village, data: EventInput, *, actor: Principal | None) -> ShareEvent:
    """Record a dated change of the register; refuses anything that would leave a holding below zero."""
    if data.kind not in EVENT_KINDS:
        raise unprocessable("share.kind_invalid", "变动类型不正确")
    if data.effective_on > today():
        raise unprocessable("share.future_date", "变动日期不能晚于今天")
    reg = lock_register(village.id)
    if reg.frozen_until is not None and data.effective_on <= reg.frozen_until:
        raise conflict(
            "share.frozen",
            f"{reg.frozen_until.isoformat()}及以前的股权已用于分红计算，不能再登记这段时间的变动",
            frozen_until=reg.frozen_until.isoformat(),
        )
    static = bool(registry.settings.get(village, STATIC.key))
    if data.kind in ("birth", "death", "marry_in", "marry_out"):
        changes = _auto_changes(village, data, static)
    else:
        if data.kind == "inherit" and data.member_id is None:
            raise unprocessable("share.inherit_member", "继承须注明被继承的成员（去世的持股人）",
                                fields={"member_id": "请选择被继承的成员"})
        if data.member_id is not None:
            _member_of_village(village.id, data.member_id)
        changes = list(data.changes)
        if not changes:
            raise unprocessable("share.no_changes", "请填写股份变动")
    if changes:
        _check_changes(village, data.kind, changes)
    _check_never_negative(village.id, data.effective_on, changes)
    ev = ShareEvent(village_id=village.id, kind=data.kind, effective_on=data.effective_on, member_id=data.member_id,
                    note=(data.note or "").strip() or None, recorded_by_id=actor.person_id if actor else None)
    db.session.add(ev)
    db.session.flush()
    if changes:  # one executemany, not one INSERT per line: the register import records thousands at once
        db.session.execute(insert(ShareChange), [
            {"event_id": ev.id, "village_id": village.id, "effective_on": data.effective_on,
             "household_id": c.household_id, "member_id": c.member_id, "share_type_id": c.share_type_id,
             "delta": c.delta} for c in changes])
    reg.version += 1
    db.session.flush()
    audit.record("share.event", "share_event", ev.id, actor=actor, village_id=village.id,
                 after={"kind": data.kind, "effective_on": data.effective_on.isoformat(), "changes": len(changes)})
    return ev


def _check_never_negative(village_id: int, on: date, changes: Sequence[ChangeInput]) -> None:
    if not changes:
        return
    add: dict[Key, int] = defaultdict(int)
    for c in changes:
        add[(c.household_id, c.member_id, c.share_type_id)] += c.delta
    history = _balances(village_id, add)
    for key, delta in add.items():
        if delta >= 0:
            continue
        # the register at a date is every change dated on or before it: net each day before checking the balance
        # (sorting (date, delta) pairs would put a day's reductions before its additions and refuse a same-day fix)
        by_day: dict[date, int] = defaultdict(int)
        for on_day, d in [*history.get(key, []), (on, delta)]:
            by_day[on_day] += d
        running, low = 0, 0
        for _, d in sorted(by_day.items()):
            running += d
            low = min(low, running)
        if low < 0:
            raise conflict("share.insufficient", "变动后持股会少于零：转出或减少的股数超过了当时持有的股数",
                           household_id=key[0], member_id=key[1], share_type_id=key[2])


def bulk_initial(village: Village, on: date, changes: Sequence[ChangeInput], *, actor: Principal | None,
                 note: str | None = None) -> ShareEvent | None:
    """One ``initial`` event for many holdings (the register import), checked like any other event."""
    if not changes:
        return None
    return record_event(village, EventInput(kind="initial", effective_on=on, note=note, changes=changes), actor=actor)


def events_stmt(village_id: int, household_id: int | None = None) -> Any:
    """The village's events, newest first; with ``household_id``, those that change that household's holdings or
    concern one of its members."""
    stmt = select(ShareEvent).where(ShareEvent.village_id == village_id)
    if household_id is not None:
        touching = select(ShareChange.event_id).where(ShareChange.village_id == village_id,
                                                      ShareChange.household_id == household_id)
        members = [m.id for m in registry.members_brief(village_id).values() if m.household_id == household_id]
        stmt = stmt.where(ShareEvent.id.in_(touching) | ShareEvent.member_id.in_(members))
    return stmt.order_by(ShareEvent.effective_on.desc(), ShareEvent.id.desc())


def event_changes(event_ids: Sequence[int]) -> dict[int, list[ShareChange]]:
    out: dict[int, list[ShareChange]] = defaultdict(list)
    if event_ids:
        for c in db.session.execute(
            select(ShareChange).where(ShareChange.event_id.in_(list(event_ids))).order_by(ShareChange.id)
        ).scalars():
            out[c.event_id].append(c)
    return out


def event_view(ev: ShareEvent, changes: Sequence[ShareChange]) -> dict[str, Any]:
    return event_views(ev.village_id, [ev], {ev.id: list(changes)})[0]


def event_views(village_id: int, events: Sequence[ShareEvent],
                changes: dict[int, list[ShareChange]]) -> list[dict[str, Any]]:
    """Events as people read them: each change with its household's number, the member's and the type's names."""
    names = {m.id: m.name for m in registry.members_brief(village_id).values()}
    numbers = {b.id: b.number for b in registry.households_brief(village_id).values()}
    types = {st.id: st.name for st in share_types(village_id)}
    return [{"id": ev.id, "kind": ev.kind, "kind_label": EVENT_LABELS[ev.kind], "effective_on": ev.effective_on,
             "member_id": ev.member_id, "member_name": names.get(ev.member_id) if ev.member_id else None,
             "note": ev.note,
             "changes": [{"share_type_id": c.share_type_id, "share_type_name": types.get(c.share_type_id, ""),
                          "household_id": c.household_id,
                          "household_number": numbers.get(c.household_id) if c.household_id else None,
                          "member_id": c.member_id, "member_name": names.get(c.member_id) if c.member_id else None,
                          "delta": c.delta} for c in changes.get(ev.id, [])]}
            for ev in events]


def share_households(village_id: int, q: str | None, limit: int = 20) -> list[dict[str, Any]]:
    """Households to pick by 户号 or a member's name (the register's forms never ask for an id), with their
    members, for recording an event, a certificate or a payee account."""
    text = (q or "").strip()
    members = list(registry.members_brief(village_id).values())
    by_household: dict[int, list[registry.MemberBrief]] = defaultdict(list)
    for m in members:
        by_household[m.household_id].append(m)
    out = []
    for h in sorted(registry.households_brief(village_id).values(), key=lambda b: b.number):
        people = by_household.get(h.id, [])
        if text and text not in h.number and not any(text in m.name for m in people):
            continue
        out.append({"id": h.id, "number": h.number, "head_name": h.head_name,
                    "members": [{"id": m.id, "name": m.name, "status": m.status,
                                 "is_collective_member": m.is_collective_member}
                                for m in sorted(people, key=lambda m: m.id)]})
        if len(out) >= limit:
            break
    return out


# ---------------------------------------------------------------- the register at a date


class Holding(NamedTuple):
    """One holding on a date (a named tuple: a register has a row per member and type, thousands in a village)."""

    household_id: int | None
    member_id: int | None
    share_type_id: int
    shares: int


def register_at(village_id: int, on: date) -> list[Holding]:
    """Every non-zero holding on ``on`` (changes dated on or before it), in a stable order."""
    total = func.sum(ShareChange.delta)
    rows = db.session.execute(
        select(ShareChange.household_id, ShareChange.member_id, ShareChange.share_type_id, total)
        .where(ShareChange.village_id == village_id, ShareChange.effective_on <= on)
        .group_by(ShareChange.household_id, ShareChange.member_id, ShareChange.share_type_id)
        .having(total != 0)
    ).all()
    out = [Holding(h, m, t, int(n)) for h, m, t, n in rows]
    out.sort(key=lambda x: (x.household_id or 0, x.member_id or 0, x.share_type_id))
    return out


def register_hash(village_id: int, on: date, holdings: Sequence[Holding]) -> str:
    """SHA-256 over the canonical JSON of the register on ``on``: the same register gives the same hash."""
    return _hash(village_id, on, holdings, {st.id: st.code for st in share_types(village_id)})


def _hash(village_id: int, on: date, holdings: Sequence[Holding], codes: dict[int, str]) -> str:
    payload = {
        "village_id": village_id,
        "on": on.isoformat(),
        "holdings": [[x.household_id, x.member_id, codes[x.share_type_id], x.shares] for x in holdings],
    }
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class HouseholdHolding:
    household_id: int | None
    number: str
    head_name: str | None
    head_id_last4: str | None
    certificate: str | None
    by_type: dict[int, int] = field(default_factory=dict)
    members: dict[int, dict[int, int]] = field(default_factory=dict)  # member → type → shares

    @property
    def shares(self) -> int:
        return sum(self.by_type.values())


COLLECTIVE_NUMBER = "集体"


def by_household(village_id: int, holdings: Sequence[Holding]) -> list[HouseholdHolding]:
    """The register grouped per household (the collective's own shares last), with heads and certificates."""
    ids = {x.household_id for x in holdings if x.household_id is not None}
    few = len(ids) <= 50  # one household's statement or a page: don't load the whole village
    briefs = registry.households_brief(village_id, ids if few else None)
    cert_q = select(ShareCertificate.household_id, ShareCertificate.number).where(
        ShareCertificate.village_id == village_id)
    if few:
        cert_q = cert_q.where(ShareCertificate.household_id.in_(list(ids)))
    certs = dict(db.session.execute(cert_q).all())
    out: dict[int | None, HouseholdHolding] = {}
    for x in holdings:
        hh = out.get(x.household_id)
        if hh is None:
            if x.household_id is None:
                hh = HouseholdHolding(None, COLLECTIVE_NUMBER, "集体经济组织", None, None)
            else:
                b = briefs[x.household_id]
                hh = HouseholdHolding(b.id, b.number, b.head_name, b.head_id_last4, certs.get(b.id))
            out[x.household_id] = hh
        hh.by_type[x.share_type_id] = hh.by_type.get(x.share_type_id, 0) + x.shares
        if x.member_id is not None:
            hh.members.setdefault(x.member_id, {})[x.share_type_id] = x.shares
    return sorted(out.values(), key=lambda h: (h.household_id is None, h.number))


def register_page(village_id: int, on: date, page: int, page_size: int) -> dict[str, Any]:
    """One page of the register on ``on``, by household: certificate, shares by type, each member's shares; with
    the whole register's hash and total. Only the page's households and members are looked up (their heads,
    certificates and names); the order of the whole register needs only the households' numbers."""
    holdings = register_at(village_id, on)
    type_rows = share_types(village_id)
    types = {st.id: (st.code, st.name) for st in type_rows}
    per_household: dict[int | None, list[Holding]] = {}
    for x in holdings:
        per_household.setdefault(x.household_id, []).append(x)
    numbers = {hid: number for number, hid in registry.household_ids_by_number(village_id).items()}
    order = sorted(per_household, key=lambda h: (h is None, COLLECTIVE_NUMBER if h is None else numbers[h]))
    start = (page - 1) * page_size
    shown = [x for h in order[start : start + page_size] for x in per_household[h]]
    rows = by_household(village_id, shown)
    member_ids = {m for h in rows for m in h.members}
    names = {m.id: m.name for m in registry.members_brief(village_id, member_ids).values()} if member_ids else {}
    items = [
        {
            "household_id": h.household_id,
            "household_number": h.number,
            "head_name": h.head_name,
            "certificate": h.certificate,
            "shares": h.shares,
            "shares_by_type": [{"code": types[t][0], "name": types[t][1], "shares": n}
                               for t, n in sorted(h.by_type.items())],
            "members": [{"member_id": m, "name": names.get(m, ""),
                         "shares_by_type": [{"code": types[t][0], "name": types[t][1], "shares": n}
                                            for t, n in sorted(bt.items())]}
                        for m, bt in sorted(h.members.items())],
        }
        for h in rows
    ]
    codes = {st.id: st.code for st in type_rows}
    return {"on": on, "register_hash": _hash(village_id, on, holdings, codes),
            "total_shares": sum(x.shares for x in holdings), "items": items, "total": len(per_household),
            "page": page, "page_size": page_size}


def household_register(village_id: int, household_id: int, on: date) -> HouseholdHolding | None:
    rows = db.session.execute(
        select(ShareChange.member_id, ShareChange.share_type_id, func.sum(ShareChange.delta))
        .where(ShareChange.village_id == village_id, ShareChange.household_id == household_id,
               ShareChange.effective_on <= on)
        .group_by(ShareChange.member_id, ShareChange.share_type_id)
    ).all()
    holdings = [Holding(household_id, m, t, int(n)) for m, t, n in rows if n]
    if not holdings:
        return None
    return by_household(village_id, holdings)[0]


# ---------------------------------------------------------------- certificates and payee accounts


def set_certificate(village: Village, household_id: int, number: str, issued_on: date, *,
                    actor: Principal | None) -> ShareCertificate:
    number = number.strip()
    if household_id not in registry.households_brief(village.id, [household_id]):
        raise unprocessable("share.household_unknown", "该户不在本村")
    clash = db.session.execute(
        select(ShareCertificate.household_id).where(ShareCertificate.village_id == village.id,
                                                    ShareCertificate.number == number)
    ).scalar_one_or_none()
    if clash is not None and clash != household_id:
        raise conflict("share.certificate_taken", f"股权证号 {number} 已发给本村另一户")
    cert = db.session.execute(
        select(ShareCertificate).where(ShareCertificate.household_id == household_id)
    ).scalar_one_or_none()
    before = {"number": cert.number} if cert else None
    if cert is None:
        cert = ShareCertificate(village_id=village.id, household_id=household_id, number=number, issued_on=issued_on)
        db.session.add(cert)
    else:
        cert.number, cert.issued_on = number, issued_on
    db.session.flush()
    audit.record("share.certificate", "share_certificate", cert.id, actor=actor, village_id=village.id,
                 before=before, after={"household_id": household_id, "number": number})
    return cert


def set_payee(village: Village, household_id: int, account_name: str, bank_name: str, account_no: str, *,
              actor: Principal | None) -> PayeeAccount:
    account_no = account_no.replace(" ", "")
    if not (account_no.isascii() and account_no.isdigit() and 8 <= len(account_no) <= 32):
        raise unprocessable("payee.account_invalid", "银行账号应为 8 到 32 位数字")
    if household_id not in registry.households_brief(village.id, [household_id]):
        raise unprocessable("share.household_unknown", "该户不在本村")
    row = db.session.execute(select(PayeeAccount).where(PayeeAccount.household_id == household_id)).scalar_one_or_none()
    if row is None:
        row = PayeeAccount(village_id=village.id, household_id=household_id, account_name=account_name.strip(),
                           bank_name=bank_name.strip(), account_no=account_no)
        db.session.add(row)
    else:
        row.account_name, row.bank_name, row.account_no = account_name.strip(), bank_name.strip(), account_no
    db.session.flush()
    audit.record("share.payee", "payee_account", row.id, actor=actor, village_id=village.id,
                 after={"household_id": household_id, "account_last4": account_no[-4:]})
    return row


def payees(village_id: int) -> dict[int, PayeeAccount]:
    return {p.household_id: p for p in db.session.execute(
        select(PayeeAccount).where(PayeeAccount.village_id == village_id)).scalars()}


def mask_account(no: str) -> str:
    return "*" * max(len(no) - 4, 4) + no[-4:]


def static_policy(village: Village) -> bool:
    return bool(registry.settings.get(village, STATIC.key))

