"""清产核资: lines confirm, correct, mark missing or add what was found; sealing needs every entry checked, applies
the corrections in one transaction with a seal of the canonical payload, and a sealed inventory never changes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.assets.models import Asset, Inventory, InventoryLine
from backend.core.clock import today
from backend.core.db import db
from backend.core.seal import Seal, verify_chain
from tests.assets.conftest import API, new_asset


def _start(client, make, reg, **over):
    body = {"title": "年度清产核资", "base_date": (today() - timedelta(days=1)).isoformat()}
    body.update(over)
    return client.post(f"{API}/villages/{reg.village.id}/asset-inventories", headers=make.headers(reg.secretary),
                       json=body)


def _line(client, make, reg, inv_id, **body):
    return client.post(f"{API}/asset-inventories/{inv_id}/lines", headers=make.headers(reg.secretary), json=body)


def test_inventory_seals_and_applies_corrections(client, make, reg):
    a = new_asset(client, make, reg)
    b = new_asset(client, make, reg, code="ZC-2", name="旧粮站仓库", category="房屋及建筑物", quantity=None, unit=None,
                  book_value="30000.00")
    c = new_asset(client, make, reg, code="ZC-3", name="打谷机", book_value="2000.00")
    r = _start(client, make, reg)
    assert r.status_code == 201, r.json
    inv = r.json["id"]
    assert {u["name"] for u in r.json["unchecked"]} == {"小型挖掘机", "旧粮站仓库", "打谷机"}
    assert _start(client, make, reg).status_code == 409  # one open inventory at a time
    assert _line(client, make, reg, inv, result="confirmed", asset_id=a["id"]).status_code == 200
    r = _line(client, make, reg, inv, result="corrected", asset_id=b["id"])
    assert r.status_code == 422 and r.json["error"]["code"] == "assets.correction_empty"
    assert _line(client, make, reg, inv, result="corrected", asset_id=b["id"], book_value="25000.00",
                 status="idle").status_code == 200
    # sealing before every entry is checked
    r = client.post(f"{API}/asset-inventories/{inv}/seal", headers=make.headers(reg.secretary))
    assert r.status_code == 409 and r.json["error"]["code"] == "assets.inventory_incomplete"
    assert "打谷机" in r.json["error"]["message"]
    assert _line(client, make, reg, inv, result="missing", asset_id=c["id"], note="未找到").status_code == 200
    r = _line(client, make, reg, inv, result="found", found_kind="asset", found_code="ZC-9", found_name="抽水泵",
              found_category="机器设备", quantity=2, book_value="1500.00")
    assert r.status_code == 200, r.json
    r = client.post(f"{API}/asset-inventories/{inv}/seal", headers=make.headers(reg.secretary))
    assert r.status_code == 200, r.json
    assert r.json["status"] == "sealed" and len(r.json["seal_hash"]) == 64 and r.json["sealed_by"] == "王建国"
    assert r.json["counts"] == {"confirmed": 1, "corrected": 1, "missing": 1, "found": 1}
    db.session.expire_all()
    assert db.session.get(Asset, b["id"]).book_fen == 25_000_00 and db.session.get(Asset, b["id"]).status == "idle"
    assert db.session.get(Asset, b["id"]).status_since == today() - timedelta(days=1)
    assert db.session.get(Asset, c["id"]).status == "disposed"
    assert db.session.get(Asset, c["id"]).disposal_kind == "missing"
    found = db.session.query(Asset).filter_by(code="ZC-9").one()
    assert found.book_fen == 1_500_00 and found.quantity == 2
    s = db.session.query(Seal).filter_by(kind="asset_inventory", object_id=inv).one()
    payload = json.loads(s.canonical)
    assert payload["base_date"] == (today() - timedelta(days=1)).isoformat() and len(payload["lines"]) == 4
    assert verify_chain(reg.village.id).ok
    # the history of each entry names the inventory
    d = client.get(f"{API}/assets/{b['id']}", headers=make.headers(reg.secretary)).json
    assert d["events"][0]["action_name"] == "清产核资" and "年度清产核资" in d["events"][0]["note"]


def test_sealed_inventory_is_immutable(client, make, reg):
    a = new_asset(client, make, reg)
    inv = _start(client, make, reg).json["id"]
    _line(client, make, reg, inv, result="confirmed", asset_id=a["id"])
    line_id = db.session.query(InventoryLine).filter_by(inventory_id=inv).one().id
    assert client.post(f"{API}/asset-inventories/{inv}/seal", headers=make.headers(reg.secretary)).status_code == 200
    seals = db.session.query(Seal).count()
    for r in (
        _line(client, make, reg, inv, result="corrected", asset_id=a["id"], book_value="1.00"),
        client.delete(f"{API}/asset-inventories/{inv}/lines/{line_id}", headers=make.headers(reg.secretary)),
        client.post(f"{API}/asset-inventories/{inv}/seal", headers=make.headers(reg.secretary)),
    ):
        assert r.status_code == 409 and r.json["error"]["code"] == "assets.inventory_sealed", r.json
        assert "封存" in r.json["error"]["message"]
    db.session.expire_all()
    assert db.session.query(Seal).count() == seals
    assert db.session.get(Asset, a["id"]).book_fen == 96_000_00
    assert db.session.query(InventoryLine).filter_by(inventory_id=inv).one().result == "confirmed"
    # the database refuses too, even to code that bypasses the service
    for change in ("UPDATE asset_inventories SET title = 'x' WHERE id = :id",
                   "UPDATE asset_inventory_lines SET result = 'missing' WHERE inventory_id = :id",
                   "INSERT INTO asset_inventory_lines (inventory_id, village_id, asset_id, result)"
                   " SELECT id, village_id, NULL, 'found' FROM asset_inventories WHERE id = :id"):
        with pytest.raises(DBAPIError) as exc:
            db.session.execute(text(change), {"id": inv})
        assert "封存" in str(exc.value)
        db.session.rollback()
    assert db.session.get(Inventory, inv).title == "年度清产核资"


def test_an_open_inventory_without_its_seal_is_refused_by_the_database(client, make, reg):
    inv = _start(client, make, reg).json["id"]
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE asset_inventories SET status = 'sealed' WHERE id = :id"), {"id": inv})
    db.session.rollback()


def test_a_disposed_entry_is_refused_by_the_database(client, make, reg):
    a = new_asset(client, make, reg)
    r = client.post(f"{API}/assets/{a['id']}/dispose", headers=make.headers(reg.secretary),
                    json={"kind": "sale", "on": today().isoformat(), "decision_id": reg.decision.id})
    assert r.status_code == 200
    with pytest.raises(DBAPIError) as exc:
        db.session.execute(text("UPDATE assets SET book_fen = 1 WHERE id = :id"), {"id": a["id"]})
    assert "已处置" in str(exc.value)
    db.session.rollback()


def test_inventory_rules(client, make, reg):
    a = new_asset(client, make, reg)
    r = _start(client, make, reg, base_date=(today() + timedelta(days=1)).isoformat())
    assert r.status_code == 422
    inv = _start(client, make, reg).json["id"]
    r = _line(client, make, reg, inv, result="found", found_kind="asset", found_code="ZC-001", found_name="重复",
              found_category="机器设备", book_value="1.00")
    assert r.status_code == 409 and r.json["error"]["code"] == "assets.code_exists"
    r = _line(client, make, reg, inv, result="found", found_kind="asset", found_code="ZC-8", found_name="X",
              found_category="水面", book_value="1.00")
    assert r.status_code == 422
    r = client.post(f"{API}/asset-inventories/{inv}/lines", headers=make.headers(reg.other_secretary),
                    json={"result": "confirmed", "asset_id": a["id"]})
    assert r.status_code in (403, 404)
    r = client.get(f"{API}/asset-inventories/{inv}", headers=make.headers(reg.villager))
    assert r.status_code == 403
    r = client.post(f"{API}/asset-inventories/{inv}/seal", headers=make.headers(reg.secretary))
    assert r.status_code == 409  # nothing checked yet
