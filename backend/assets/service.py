"""The register's rules: entries created and corrected with their history, funds read from the books, 出租 following
an active lease on the linked parcel, and disposal resting on a resolved decision of the same village."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, func, not_, or_, select

from backend import registry
from backend.assets.leases import Leases, leases
from backend.assets.models import (
    ACQUIRED_LABELS,
    CATEGORIES,
    DISPOSAL_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    Asset,
    AssetEvent,
    AssetVoucher,
)
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.decisions import get_ref, refs_of
from backend.ledger import account_balances, vouchers_by_number
from backend.registry import Village

MU4 = 10_000
CASH_CODE, BANK_CODE = "101", "102"
# fields a secretary may hide from villagers (everything else of the list is always public)
HIDEABLE = ("location", "quantity", "area", "original_value", "book_value", "acquired", "lessee", "photos")
HIDEABLE_LABELS = {"location": "位置", "quantity": "数量", "area": "面积", "original_value": "原值",
                   "book_value": "账面价值", "acquired": "取得方式和时间", "lessee": "承租方", "photos": "照片"}
EDITABLE = ("name", "category", "location", "quantity", "unit", "area_mu4", "original_fen", "book_fen",
            "acquired_how", "acquired_on", "status", "status_since", "parcel_id", "bank_name", "account_last4",
            "ledger_code", "photos", "hidden_fields", "note", "vouchers")


def mu_text(mu4: int | None) -> str | None:
    if mu4 is None:
        return None
    whole, frac = divmod(mu4, MU4)
    return f"{whole}.{frac:04d}".rstrip("0").rstrip(".") if frac else str(whole)


@dataclass
class AssetInput:
    kind: str
    code: str
    name: str
    category: str
    location: str | None = None
    quantity: int | None = None
    unit: str | None = None
    area_mu4: int | None = None
    original_fen: int | None = None
    book_fen: int | None = None
    acquired_how: str | None = None
    acquired_on: date | None = None
    status: str = "in_use"
    status_since: date | None = None
    parcel_id: int | None = None
    bank_name: str | None = None
    account_last4: str | None = None
    ledger_code: str | None = None
    photos: list[str] = field(default_factory=list)
    hidden_fields: list[str] = field(default_factory=list)
    note: str | None = None
    vouchers: list[str] = field(default_factory=list)  # "YYYY-MM-NNN"


# ---------------------------------------------------------------- checks


def _check(village_id: int, kind: str, v: dict[str, Any]) -> None:
    """Every rule an entry's fields must meet together (422 with the field in Chinese); ``v`` holds the values."""
    cats = CATEGORIES[kind]
    if v["category"] not in cats:
        raise unprocessable("assets.category_invalid", f"{KIND_LABELS[kind]}的类别应为：{'、'.join(cats)}",
                            field="category")
    if not (v.get("name") or "").strip():
        raise unprocessable("assets.name_required", "请填写名称", field="name")
    if kind == "fund":
        code = v.get("ledger_code") or ""
        want = CASH_CODE if v["category"] == "库存现金" else BANK_CODE
        if not (code.isascii() and code.isdigit() and code.startswith(want)):
            raise unprocessable("assets.ledger_code_invalid",
                                f"{v['category']}须对应会计科目 {want}（或其明细科目）", field="ledger_code")
        for f in ("original_fen", "book_fen", "parcel_id"):
            if v.get(f) is not None:
                raise unprocessable("assets.fund_value_typed", "资金的余额取自账簿，不能手工填写，也不关联地块",
                                    field={"original_fen": "original_value", "book_fen": "book_value"}.get(f, f))
        last4 = v.get("account_last4")
        if last4 is not None and not (len(last4) == 4 and last4.isascii() and last4.isdigit()):
            raise unprocessable("assets.last4_invalid", "银行账号只登记后4位数字", field="account_last4")
        if v["category"] == "银行存款" and not (v.get("bank_name") or "").strip():
            raise unprocessable("assets.bank_required", "请填写开户银行", field="bank_name")
    else:
        for f in ("ledger_code", "bank_name", "account_last4"):
            if v.get(f) is not None:
                raise unprocessable("assets.not_fund", "只有资金登记开户银行和会计科目", field=f)
    if kind == "resource" and not v.get("area_mu4"):
        raise unprocessable("assets.area_required", "资源须填写面积（亩）", field="area")
    if v.get("quantity") is not None and v["quantity"] <= 0:
        raise unprocessable("assets.quantity_invalid", "数量应大于零", field="quantity")
    if (v.get("quantity") is None) != (not (v.get("unit") or "").strip()) and kind == "asset":
        raise unprocessable("assets.unit_required", "数量和计量单位须一并填写", field="unit")
    if kind == "asset" and v.get("book_fen") is None:
        raise unprocessable("assets.book_required", "请填写账面价值（元）", field="book_value")
    if v.get("status") not in ("in_use", "idle"):
        raise unprocessable("assets.status_invalid",
                            "状态只能登记为在用或闲置：出租由土地合同决定，处置须走处置程序（依据决议）",
                            field="status")
    if v.get("acquired_on") is not None and v["acquired_on"] > today():
        raise unprocessable("assets.date_future", "取得日期不能晚于今天", field="acquired_on")
    bad = [h for h in v.get("hidden_fields") or [] if h not in HIDEABLE]
    if bad:
        raise unprocessable("assets.hidden_invalid", f"不能隐藏的字段：{'、'.join(bad)}", field="hidden_fields")
    pid = v.get("parcel_id")
    if pid is not None and not _parcel_in_village(village_id, pid):
        raise unprocessable("assets.parcel_unknown", "所关联的地块须是本村登记的集体土地或资产", field="parcel_id")


def _parcel_in_village(village_id: int, parcel_id: int) -> bool:
    from sqlalchemy import column, table

    parcels = table("land_parcels", column("id"), column("village_id"), column("kind"))
    return db.session.execute(
        select(parcels.c.id).where(parcels.c.id == parcel_id, parcels.c.village_id == village_id,
                                   parcels.c.kind != "contracted")
    ).first() is not None


def _vouchers(village_id: int, numbers: list[str]) -> dict[str, Any]:
    numbers = [n.strip() for n in numbers if n and n.strip()]
    found = vouchers_by_number(village_id, numbers)
    missing = [n for n in numbers if n not in found]
    if missing:
        raise unprocessable("assets.voucher_unknown",
                            f"找不到本村已记账的凭证：{'、'.join(missing)}（格式如 2026-03-007）", field="vouchers")
    return found


def _set_vouchers(a: Asset, numbers: list[str]) -> None:
    found = _vouchers(a.village_id, numbers)
    have = {v.number: v for v in
            db.session.execute(select(AssetVoucher).where(AssetVoucher.asset_id == a.id)).scalars()}
    for n, brief in found.items():
        if n not in have:
            db.session.add(AssetVoucher(asset_id=a.id, village_id=a.village_id, voucher_id=brief.id, number=n))
    for n, row in have.items():
        if n not in found:
            db.session.delete(row)


def _jsonable(v: Any) -> Any:
    if isinstance(v, date):
        return v.isoformat()
    return v


def record_event(a: Asset, action: str, actor: Principal | None, before: dict[str, Any], after: dict[str, Any],
                 decision_id: int | None = None, note: str | None = None) -> AssetEvent:
    e = AssetEvent(asset_id=a.id, village_id=a.village_id, action=action, actor_id=actor.person_id if actor else None,
                   before=json.dumps({k: _jsonable(v) for k, v in before.items()}, ensure_ascii=False),
                   after=json.dumps({k: _jsonable(v) for k, v in after.items()}, ensure_ascii=False),
                   decision_id=decision_id, note=note)
    db.session.add(e)
    return e


# ---------------------------------------------------------------- writes


def create_asset(village: Village, data: AssetInput, *, actor: Principal | None, action: str = "create") -> Asset:
    code = data.code.strip()
    if not code:
        raise unprocessable("assets.code_required", "请填写编号", field="code")
    if data.kind not in CATEGORIES:
        raise unprocessable("assets.kind_invalid", "类型应为资产、资源或资金", field="kind")
    values = {k: getattr(data, k) for k in EDITABLE if k != "vouchers"}
    _check(village.id, data.kind, values)
    if db.session.execute(select(Asset.id).where(Asset.village_id == village.id, Asset.code == code)).first():
        raise conflict("assets.code_exists", f"本村已有编号 {code}", field="code")
    _vouchers(village.id, data.vouchers)
    a = Asset(village_id=village.id, kind=data.kind, code=code, name=data.name.strip(), category=data.category,
              location=data.location, quantity=data.quantity, unit=(data.unit or None), area_mu4=data.area_mu4,
              original_fen=data.original_fen, book_fen=data.book_fen, acquired_how=data.acquired_how,
              acquired_on=data.acquired_on, status=data.status, status_since=data.status_since or today(),
              parcel_id=data.parcel_id, bank_name=data.bank_name, account_last4=data.account_last4,
              ledger_code=data.ledger_code, photos=json.dumps(data.photos, ensure_ascii=False),
              hidden_fields=json.dumps(sorted(set(data.hidden_fields))), note=data.note,
              created_by_id=actor.person_id if actor else None)
    db.session.add(a)
    db.session.flush()
    if data.vouchers:
        _set_vouchers(a, data.vouchers)
    after = {"code": code, "name": a.name, "category": a.category, "book_fen": a.book_fen, "status": a.status}
    record_event(a, action, actor, {}, after)
    audit.record("assets.create", "asset", a.id, actor=actor, village_id=village.id, after=after)
    db.session.flush()
    return a


def _current(a: Asset) -> dict[str, Any]:
    v = {k: getattr(a, k) for k in EDITABLE if k not in ("photos", "hidden_fields", "vouchers")}
    v["photos"] = json.loads(a.photos)
    v["hidden_fields"] = json.loads(a.hidden_fields)
    return v


def ensure_editable(a: Asset) -> None:
    if a.status == "disposed":
        raise conflict("assets.read_only", "该项已处置，登记内容不能再修改")


def update_asset(a: Asset, changes: dict[str, Any], *, actor: Principal | None) -> Asset:
    """Correct an entry (PATCH semantics); every changed field goes into its history."""
    ensure_editable(a)
    changes = {k: v for k, v in changes.items() if k in EDITABLE}
    current = _current(a)
    merged = {**current, **{k: v for k, v in changes.items() if k != "vouchers"}}
    _check(a.village_id, a.kind, merged)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for k, v in changes.items():
        if k == "vouchers":
            old = sorted(db.session.execute(select(AssetVoucher.number).where(AssetVoucher.asset_id == a.id))
                         .scalars())
            new = sorted({n.strip() for n in v if n and n.strip()})
            _vouchers(a.village_id, new)
            if old != new:
                _set_vouchers(a, new)
                before["vouchers"], after["vouchers"] = old, new
            continue
        if current.get(k) == v:
            continue
        before[k], after[k] = current.get(k), v
        if k in ("photos", "hidden_fields"):
            v = json.dumps(sorted(set(v)) if k == "hidden_fields" else v, ensure_ascii=False)
        elif k == "name":
            v = v.strip()
        setattr(a, k, v)
    if "status" in after and "status_since" not in changes:
        a.status_since = today()
        after["status_since"] = a.status_since
    if after:
        record_event(a, "update", actor, before, after)
        audit.record("assets.update", "asset", a.id, actor=actor, village_id=a.village_id,
                     before={k: _jsonable(v) for k, v in before.items()},
                     after={k: _jsonable(v) for k, v in after.items()})
    db.session.flush()
    return a


def dispose_asset(a: Asset, kind: str, on: date, decision_id: int | None, note: str | None, *,
                  actor: Principal | None) -> Asset:
    """出售, 报废/核销 or 无偿调出, on a resolved decision of the entry's village; the entry is read-only after."""
    ensure_editable(a)
    if a.kind == "fund":
        raise unprocessable("assets.fund_not_disposable", "资金不能处置：资金的变动通过记账凭证反映")
    if kind not in ("sale", "write_off", "transfer"):
        raise unprocessable("assets.disposal_kind_invalid", "处置方式应为出售、报废/核销或无偿调出", field="kind")
    if decision_id is None:
        raise unprocessable("assets.decision_required", "处置集体资产须依据已通过的四议两公开决议，请选择决议",
                            field="decision_id")
    ref = get_ref(a.village_id, decision_id)
    if ref is None:
        raise unprocessable("assets.decision_unknown", "找不到该决议（须是本村的决议）", field="decision_id")
    if not ref.resolved:
        raise unprocessable("assets.decision_unresolved", f"决议“{ref.title}”尚未通过，不能据此处置资产",
                            field="decision_id")
    if on > today():
        raise unprocessable("assets.date_future", "处置日期不能晚于今天", field="on")
    if ref.resolved_on is not None and on < ref.resolved_on:
        raise unprocessable("assets.before_decision", f"处置日期不能早于决议通过日（{ref.resolved_on.isoformat()}）",
                            field="on")
    lease = village_leases(a.village_id).of(a)
    if lease is not None:
        raise conflict("assets.leased", f"该项正在出租（合同 {lease['number']}，承租方 {lease['party']}），"
                       "须先终止租赁合同再处置")
    before = {"status": a.status, "book_fen": a.book_fen}
    a.status, a.status_since, a.disposed_on, a.disposal_kind = "disposed", on, on, kind
    a.disposal_decision_id = decision_id
    after = {"status": "disposed", "disposal_kind": kind, "disposed_on": on}
    record_event(a, "dispose", actor, before, after, decision_id=decision_id, note=note)
    audit.record("assets.dispose", "asset", a.id, actor=actor, village_id=a.village_id,
                 before={k: _jsonable(v) for k, v in before.items()},
                 after={**{k: _jsonable(v) for k, v in after.items()}, "decision_id": decision_id})
    db.session.flush()
    return a


# ---------------------------------------------------------------- reads


def get_asset(asset_id: int) -> Asset:
    a = db.session.get(Asset, asset_id)
    if a is None:
        raise not_found("assets.not_found", "找不到该登记项")
    return a


def village_leases(village_id: int, on: date | None = None) -> Leases:
    return leases([village_id], on or today())


def list_stmt(village_id: int, *, kind: str | None = None, status: str | None = None, category: str | None = None,
              q: str | None = None, leased: Leases | None = None) -> Select[Any]:
    stmt = select(Asset).where(Asset.village_id == village_id)
    if kind:
        stmt = stmt.where(Asset.kind == kind)
    if category:
        stmt = stmt.where(Asset.category == category)
    if q:
        stmt = stmt.where(or_(Asset.name.contains(q, autoescape=True), Asset.code.contains(q, autoescape=True)))
    if status:
        parcels, entries = sorted((leased or Leases()).by_parcel), sorted((leased or Leases()).by_asset)
        held = [*([Asset.parcel_id.in_(parcels)] if parcels else []), *([Asset.id.in_(entries)] if entries else [])]
        is_leased = or_(*held) if held else None
        if status == "leased":
            stmt = stmt.where(Asset.status != "disposed")
            stmt = stmt.where(is_leased) if is_leased is not None else stmt.where(Asset.id.is_(None))
        else:
            stmt = stmt.where(Asset.status == status)
            if status != "disposed" and is_leased is not None:
                stmt = stmt.where(not_(func.coalesce(is_leased, False)))
    return stmt.order_by(Asset.kind, Asset.code)


def effective_status(a: Asset, leased: Leases) -> tuple[str, date]:
    lease = leased.of(a)
    if lease is not None:
        return "leased", lease["start_date"]
    return a.status, a.status_since


def fund_balances(rows: list[Asset]) -> dict[int, int]:
    funds = [a for a in rows if a.kind == "fund"]
    if not funds:
        return {}
    bal = account_balances(funds[0].village_id, sorted({a.ledger_code for a in funds if a.ledger_code}))
    return {a.id: bal.get(a.ledger_code or "", 0) for a in funds}


def items(rows: list[Asset], *, staff: bool, leased: Leases) -> list[dict[str, Any]]:
    """List rows: the contract's fields, the public ones for a villager (hidden ones are null)."""
    balances = fund_balances(rows)
    out = []
    for a in rows:
        hidden = set() if staff else set(json.loads(a.hidden_fields))
        status, since = effective_status(a, leased)
        book = balances.get(a.id) if a.kind == "fund" else a.book_fen
        lease = leased.of(a) if status == "leased" else None
        row = {
            "id": a.id, "kind": a.kind, "kind_name": KIND_LABELS[a.kind], "code": a.code, "name": a.name,
            "category": a.category, "book_value": None if "book_value" in hidden or book is None else fen_to_yuan(book),
            "status": status, "status_name": STATUS_LABELS[status],
            "location": None if "location" in hidden else a.location,
            "quantity": None if "quantity" in hidden else a.quantity, "unit": a.unit,
            "area_mu": None if "area" in hidden else mu_text(a.area_mu4),
            "lessee": None if lease is None or "lessee" in hidden else lease["party"],
            "lease_until": None if lease is None or "lessee" in hidden else lease["end_date"],
        }
        if staff:
            row.update({"status_since": since, "original_value": None if a.original_fen is None
                        else fen_to_yuan(a.original_fen), "ledger_code": a.ledger_code, "bank_name": a.bank_name,
                        "account_last4": a.account_last4})
        out.append(row)
    return out


def detail(a: Asset, *, staff: bool) -> dict[str, Any]:
    leased = village_leases(a.village_id)
    row = items([a], staff=staff, leased=leased)[0]
    hidden = set() if staff else set(json.loads(a.hidden_fields))
    lease = leased.of(a) if row["status"] == "leased" else None
    row.update({
        "acquired_how": None if "acquired" in hidden else a.acquired_how,
        "acquired_name": None if "acquired" in hidden or not a.acquired_how else ACQUIRED_LABELS[a.acquired_how],
        "acquired_on": None if "acquired" in hidden else a.acquired_on,
        "original_value": None if "original_value" in hidden or a.original_fen is None else fen_to_yuan(a.original_fen),
        "photos": [] if "photos" in hidden else json.loads(a.photos),
        "disposal_kind": a.disposal_kind, "disposal_name": DISPOSAL_LABELS.get(a.disposal_kind or ""),
        "disposed_on": a.disposed_on, "read_only": a.status == "disposed",
        "lease": None if lease is None or "lessee" in hidden else
        {"number": lease["number"], "title": lease["title"], "party": lease["party"],
         "start_date": lease["start_date"], "end_date": lease["end_date"], "contract_id": lease["id"],
         "source": lease["source"]},
    })
    if staff:
        events = list(db.session.execute(select(AssetEvent).where(AssetEvent.asset_id == a.id)
                                         .order_by(AssetEvent.at.desc(), AssetEvent.id.desc())).scalars())
        # the disposal's decision and every event's in one statement (not one per event)
        briefs = _decision_briefs(a.village_id, [a.disposal_decision_id, *(e.decision_id for e in events)])
        row.update({"hidden_fields": json.loads(a.hidden_fields), "note": a.note, "parcel_id": a.parcel_id,
                    "parcel_name": _parcel_name(a.parcel_id), "status_since": effective_status(a, leased)[1],
                    "disposal_decision": briefs.get(a.disposal_decision_id or 0),
                    "vouchers": voucher_rows(a), "events": _event_rows(events, briefs)})
    return row


def _parcel_name(parcel_id: int | None) -> str | None:
    if parcel_id is None:
        return None
    from sqlalchemy import column, table

    parcels = table("land_parcels", column("id"), column("name"))
    return db.session.execute(select(parcels.c.name).where(parcels.c.id == parcel_id)).scalar_one_or_none()


def _decision_briefs(village_id: int, decision_ids: list[int | None]) -> dict[int, dict[str, Any]]:
    """decision id → the brief an answer shows, for those that are decisions of the village: one statement."""
    return {i: {"id": ref.id, "title": ref.title, "resolved_on": ref.resolved_on}
            for i, ref in refs_of(village_id, decision_ids).items()}


def voucher_rows(a: Asset) -> list[dict[str, Any]]:
    numbers = list(db.session.execute(select(AssetVoucher.number).where(AssetVoucher.asset_id == a.id)
                                      .order_by(AssetVoucher.number)).scalars())
    found = vouchers_by_number(a.village_id, numbers)
    return [{"number": n, "id": found[n].id, "date": found[n].on, "summary": found[n].summary,
             "amount": fen_to_yuan(found[n].total_fen), "period": n[:7]} for n in numbers if n in found]


ACTION_LABELS = {"create": "登记", "update": "修改", "dispose": "处置", "inventory": "清产核资", "import": "导入"}


def _event_rows(events: list[AssetEvent], briefs: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    names = registry.person_names({e.actor_id for e in events if e.actor_id})
    return [{"id": e.id, "action": e.action, "action_name": ACTION_LABELS.get(e.action, e.action), "at": e.at,
             "actor": names.get(e.actor_id) if e.actor_id else None, "before": json.loads(e.before),
             "after": json.loads(e.after), "decision": briefs.get(e.decision_id or 0),
             "note": e.note} for e in events]


def summary(village_id: int, *, staff: bool) -> dict[str, Any]:
    """Totals by kind (count and book value; funds from the books), disposed entries left out."""
    rows = list(db.session.execute(select(Asset).where(Asset.village_id == village_id,
                                                       Asset.status != "disposed")).scalars())
    balances = fund_balances(rows)
    out: dict[str, Any] = {}
    for kind in ("asset", "resource", "fund"):
        mine = [a for a in rows if a.kind == kind]
        mine_sum = mine if staff else [a for a in mine if "book_value" not in json.loads(a.hidden_fields)]
        total = sum((balances.get(a.id, 0) if kind == "fund" else a.book_fen or 0) for a in mine_sum)
        out[kind] = {"kind": kind, "name": KIND_LABELS[kind], "count": len(mine), "book_value": fen_to_yuan(total),
                     "area_mu": mu_text(sum(a.area_mu4 or 0 for a in mine)) if kind == "resource" and mine else None}
    out["disposed_count"] = db.session.execute(
        select(func.count()).select_from(Asset).where(Asset.village_id == village_id, Asset.status == "disposed")
    ).scalar_one()
    return out
