"""清产核资: a dated inventory (基准日) whose lines confirm or correct each entry of the register (quantity, book
value, status), mark one missing (盘亏) or add one found (盘盈); sealing it (core.seal, canonical JSON) applies the
corrections to the register in the same transaction. A sealed inventory never changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from backend import registry
from backend.assets.leases import Leases
from backend.assets.models import (
    CATEGORIES,
    LINE_LABELS,
    STATUS_LABELS,
    Asset,
    Inventory,
    InventoryLine,
)
from backend.assets.service import AssetInput, create_asset, effective_status, mu_text, record_event, village_leases
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.seal import seal
from backend.registry import Village

SEAL_KIND = "asset_inventory"


@dataclass
class LineInput:
    result: str
    asset_id: int | None = None
    quantity: int | None = None
    book_fen: int | None = None
    status: str | None = None
    found_kind: str | None = None
    found_code: str | None = None
    found_name: str | None = None
    found_category: str | None = None
    note: str | None = None


def get_inventory(inventory_id: int) -> Inventory:
    inv = db.session.get(Inventory, inventory_id)
    if inv is None:
        raise not_found("assets.inventory_not_found", "找不到该清产核资")
    return inv


def _open(inv: Inventory) -> None:
    if inv.status == "sealed":
        raise conflict("assets.inventory_sealed", "该次清产核资已封存，不能再修改")


def create_inventory(village: Village, title: str, base_date: date, note: str | None, *,
                     actor: Principal | None) -> Inventory:
    if base_date > today():
        raise unprocessable("assets.date_future", "基准日不能晚于今天", field="base_date")
    if db.session.execute(select(Inventory.id).where(Inventory.village_id == village.id,
                                                     Inventory.status == "open")).first():
        raise conflict("assets.inventory_open", "本村还有一次清产核资未封存，请先完成并封存")
    inv = Inventory(village_id=village.id, title=title.strip(), base_date=base_date, note=note,
                    created_by_id=actor.person_id if actor else None)
    db.session.add(inv)
    db.session.flush()
    audit.record("assets.inventory_create", "asset_inventory", inv.id, actor=actor, village_id=village.id,
                 after={"title": inv.title, "base_date": base_date.isoformat()})
    return inv


def set_line(inv: Inventory, data: LineInput, *, actor: Principal | None) -> InventoryLine:
    """Record (or replace) one entry's result while the inventory is open."""
    _open(inv)
    if data.result not in LINE_LABELS:
        raise unprocessable("assets.line_result_invalid", "核对结果应为账实相符、更正、盘亏或盘盈", field="result")
    if data.status is not None and data.status not in ("in_use", "idle"):
        raise unprocessable("assets.status_invalid", "核实后的状态只能是在用或闲置（盘亏另行标记）", field="status")
    if data.quantity is not None and data.quantity <= 0:
        raise unprocessable("assets.quantity_invalid", "数量应大于零", field="quantity")
    if data.result == "found":
        kind, code = data.found_kind or "", (data.found_code or "").strip()
        if kind != "asset" or data.found_category not in CATEGORIES["asset"]:
            raise unprocessable("assets.category_invalid", "盘盈的资产须写明类别（资源请在登记中添加）",
                                field="found_category")
        if not code or not (data.found_name or "").strip():
            raise unprocessable("assets.code_required", "盘盈须填写编号和名称", field="found_code")
        if data.book_fen is None:
            raise unprocessable("assets.book_required", "盘盈的资产须填写账面价值（元）", field="book_value")
        if db.session.execute(select(Asset.id).where(Asset.village_id == inv.village_id, Asset.code == code)).first():
            raise conflict("assets.code_exists", f"本村已有编号 {code}", field="found_code")
        line = db.session.execute(select(InventoryLine).where(InventoryLine.inventory_id == inv.id,
                                                              InventoryLine.found_code == code)).scalar_one_or_none()
        if line is None:
            line = InventoryLine(inventory_id=inv.id, village_id=inv.village_id, result="found")
            db.session.add(line)
        line.found_kind, line.found_code, line.found_name = kind, code, (data.found_name or "").strip()
        line.found_category = data.found_category
    else:
        a = db.session.get(Asset, data.asset_id) if data.asset_id is not None else None
        if a is None or a.village_id != inv.village_id:
            raise unprocessable("assets.not_found", "找不到本村的这一登记项", field="asset_id")
        if a.status == "disposed":
            raise conflict("assets.read_only", f"{a.name}已处置，不在清产核资范围内")
        if a.kind == "fund":
            raise unprocessable("assets.fund_from_books", "资金以账簿余额为准，不在这里核对", field="asset_id")
        if data.result == "corrected" and data.quantity is None and data.book_fen is None and data.status is None:
            raise unprocessable("assets.correction_empty", "更正须写明核实后的数量、账面价值或状态", field="result")
        line = db.session.execute(select(InventoryLine).where(InventoryLine.inventory_id == inv.id,
                                                              InventoryLine.asset_id == a.id)).scalar_one_or_none()
        if line is None:
            line = InventoryLine(inventory_id=inv.id, village_id=inv.village_id, asset_id=a.id, result=data.result)
            db.session.add(line)
        line.result = data.result
    line.quantity = data.quantity if data.result in ("corrected", "found") else None
    line.book_fen = data.book_fen if data.result in ("corrected", "found") else None
    line.status = data.status if data.result in ("corrected", "found") else None
    line.note = data.note
    db.session.flush()
    audit.record("assets.inventory_line", "asset_inventory", inv.id, actor=actor, village_id=inv.village_id,
                 after={"line": line.id, "asset_id": line.asset_id, "result": line.result})
    return line


def delete_line(inv: Inventory, line_id: int, *, actor: Principal | None) -> None:
    _open(inv)
    line = db.session.get(InventoryLine, line_id)
    if line is None or line.inventory_id != inv.id:
        raise not_found("assets.line_not_found", "找不到该核对记录")
    db.session.delete(line)
    audit.record("assets.inventory_line_delete", "asset_inventory", inv.id, actor=actor, village_id=inv.village_id,
                 before={"line": line_id})
    db.session.flush()


def unchecked(inv: Inventory) -> list[Asset]:
    """Entries of the register (not funds, not disposed) this inventory has no line for yet."""
    done = select(InventoryLine.asset_id).where(InventoryLine.inventory_id == inv.id,
                                                InventoryLine.asset_id.is_not(None))
    return list(db.session.execute(
        select(Asset).where(Asset.village_id == inv.village_id, Asset.kind != "fund", Asset.status != "disposed",
                            Asset.id.not_in(done)).order_by(Asset.code)).scalars())


def _payload(inv: Inventory, lines: list[InventoryLine], assets: dict[int, Asset]) -> dict[str, Any]:
    out = []
    for ln in lines:
        a = assets.get(ln.asset_id or 0)
        out.append({"result": ln.result, "asset_id": ln.asset_id, "code": a.code if a else ln.found_code,
                    "name": a.name if a else ln.found_name, "quantity": ln.quantity, "book_fen": ln.book_fen,
                    "status": ln.status, "note": ln.note,
                    "was": None if a is None else {"quantity": a.quantity, "book_fen": a.book_fen, "status": a.status}})
    return {"inventory_id": inv.id, "village_id": inv.village_id, "title": inv.title,
            "base_date": inv.base_date.isoformat(), "lines": out}


def seal_inventory(inv: Inventory, *, actor: Principal | None) -> Inventory:
    """Apply every line to the register and seal the inventory, in the caller's transaction."""
    _open(inv)
    # the row lock: two sealings of one inventory — the second finds it sealed
    db.session.execute(select(Inventory.id).where(Inventory.id == inv.id).with_for_update())
    db.session.refresh(inv)
    _open(inv)
    left = unchecked(inv)
    if left:
        names = "、".join(a.name for a in left[:5]) + ("等" if len(left) > 5 else "")
        raise conflict("assets.inventory_incomplete", f"还有 {len(left)} 项未核对：{names}")
    lines = list(db.session.execute(select(InventoryLine).where(InventoryLine.inventory_id == inv.id)
                                    .order_by(InventoryLine.id)).scalars())
    if not lines:
        raise conflict("assets.inventory_empty", "没有任何核对记录，不能封存")
    assets = {a.id: a for a in db.session.execute(
        select(Asset).where(Asset.id.in_([ln.asset_id for ln in lines if ln.asset_id]))).scalars()}
    payload = _payload(inv, lines, assets)
    note = f"清产核资：{inv.title}（基准日 {inv.base_date.isoformat()}）"
    for ln in lines:
        if ln.result == "found":
            a = create_asset(registry.get_village(inv.village_id), AssetInput(
                kind=ln.found_kind or "asset", code=ln.found_code or "", name=ln.found_name or "",
                category=ln.found_category or "其他", quantity=ln.quantity, unit="项" if ln.quantity else None,
                book_fen=ln.book_fen, status=ln.status or "in_use", status_since=inv.base_date,
                note=f"盘盈：{inv.title}"), actor=actor, action="inventory")
            ln.created_asset_id = a.id
            continue
        a = assets[ln.asset_id or 0]
        if a.status == "disposed":
            raise conflict("assets.read_only", f"{a.name}已处置，不在清产核资范围内")
        if ln.result == "confirmed":
            record_event(a, "inventory", actor, {}, {"result": "confirmed"}, note=note)
        elif ln.result == "corrected":
            before: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for k in ("quantity", "book_fen", "status"):
                v = getattr(ln, k)
                if v is not None and v != getattr(a, k):
                    before[k], after[k] = getattr(a, k), v
                    setattr(a, k, v)
            if "status" in after:
                a.status_since = inv.base_date
            record_event(a, "inventory", actor, before, {"result": "corrected", **after}, note=note)
        else:  # missing: 盘亏, out of the register from the base date
            before = {"status": a.status, "book_fen": a.book_fen}
            a.status, a.status_since, a.disposed_on, a.disposal_kind = "disposed", inv.base_date, inv.base_date, \
                "missing"
            record_event(a, "inventory", actor, before, {"result": "missing", "status": "disposed"}, note=note)
    db.session.flush()  # every line written while the inventory is still open (the database refuses it after)
    s = seal(inv.village_id, SEAL_KIND, inv.id, payload)
    inv.status, inv.seal_hash, inv.sealed_at = "sealed", s.hash, utcnow()
    inv.sealed_by_id = actor.person_id if actor else None
    db.session.flush()
    audit.record("assets.inventory_seal", "asset_inventory", inv.id, actor=actor, village_id=inv.village_id,
                 after={"hash": s.hash, "lines": len(lines)})
    return inv


# ---------------------------------------------------------------- views


def inventories_stmt(village_id: int) -> Any:
    return select(Inventory).where(Inventory.village_id == village_id).order_by(Inventory.base_date.desc(),
                                                                                 Inventory.id.desc())


def inventory_items(invs: Sequence[Inventory]) -> list[dict[str, Any]]:
    """The list's rows: each inventory with its lines counted by result, in two statements however many."""
    if not invs:
        return []
    counts: dict[int, dict[str, int]] = {inv.id: {} for inv in invs}
    for inv_id, result, n in db.session.execute(
            select(InventoryLine.inventory_id, InventoryLine.result, func.count())
            .where(InventoryLine.inventory_id.in_(counts)).group_by(InventoryLine.inventory_id, InventoryLine.result)):
        counts[inv_id][result] = int(n)
    names = registry.person_names({i for inv in invs for i in (inv.sealed_by_id, inv.created_by_id) if i})
    return [{"id": inv.id, "title": inv.title, "base_date": inv.base_date, "status": inv.status,
             "status_name": "已封存" if inv.status == "sealed" else "核对中", "note": inv.note,
             "seal_hash": inv.seal_hash, "sealed_at": inv.sealed_at,
             "sealed_by": names.get(inv.sealed_by_id) if inv.sealed_by_id else None,
             "created_by": names.get(inv.created_by_id) if inv.created_by_id else None,
             "counts": {r: counts[inv.id].get(r, 0) for r in LINE_LABELS}} for inv in invs]


def inventory_item(inv: Inventory) -> dict[str, Any]:
    return inventory_items([inv])[0]


def inventory_detail(inv: Inventory) -> dict[str, Any]:
    lines = list(db.session.execute(select(InventoryLine).where(InventoryLine.inventory_id == inv.id)
                                    .order_by(InventoryLine.id)).scalars())
    ids = [ln.asset_id or ln.created_asset_id for ln in lines if ln.asset_id or ln.created_asset_id]
    assets = {a.id: a for a in db.session.execute(select(Asset).where(Asset.id.in_(ids))).scalars()} if ids else {}
    out = inventory_item(inv)
    out["lines"] = []
    for ln in lines:
        a = assets.get(ln.asset_id or ln.created_asset_id or 0)
        out["lines"].append({
            "id": ln.id, "asset_id": ln.asset_id or ln.created_asset_id, "result": ln.result,
            "result_name": LINE_LABELS[ln.result], "code": a.code if a else ln.found_code,
            "name": a.name if a else ln.found_name, "category": a.category if a else ln.found_category,
            "quantity": ln.quantity, "book_value": None if ln.book_fen is None else fen_to_yuan(ln.book_fen),
            "status": ln.status, "status_name": STATUS_LABELS.get(ln.status or ""), "note": ln.note})
    leased = village_leases(inv.village_id) if inv.status != "sealed" else Leases()
    out["unchecked"] = []
    for a in [] if inv.status == "sealed" else unchecked(inv):
        status = effective_status(a, leased)[0]
        out["unchecked"].append({
            "id": a.id, "code": a.code, "name": a.name, "category": a.category, "kind": a.kind,
            "quantity": a.quantity, "unit": a.unit, "area_mu": mu_text(a.area_mu4),
            "book_value": None if a.book_fen is None else fen_to_yuan(a.book_fen),
            "status": status, "status_name": STATUS_LABELS[status]})
    return out
