"""Statements per request of the register's reads, the same however much data: the funds' page however long the cash
history (the day cash went over its limit is searched over the days' movements read once, not one balance read per
probed day), the inventories' list however many inventories, an entry's page however many events cite decisions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import event

from backend.assets.models import Asset, AssetEvent, Inventory, InventoryLine
from backend.assets.service import record_event
from backend.core.clock import today
from backend.core.db import db
from tests.assets.conftest import API, post_voucher
from tests.assets.test_assets_register import new_asset


def _statements(app: Any, path: str, headers: dict[str, str]) -> tuple[int, list[str], dict[str, Any]]:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.app_context():  # a cold session of its own, as a request has
            r = app.test_client().get(path, headers=headers)
            db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    return r.status_code, seen, r.json


def test_funds_over_the_limit_take_the_same_statements_with_a_long_cash_history(app, client, make, reg):
    fund = {"kind": "fund", "quantity": None, "unit": None, "original_value": None, "book_value": None,
            "acquired_how": None, "acquired_on": None}
    new_asset(client, make, reg, code="ZJ-101", name="库存现金", category="库存现金", ledger_code="101", **fund)
    new_asset(client, make, reg, code="ZJ-102", name="基本存款账户", category="银行存款", ledger_code="102",
              bank_name="农商银行青山支行", account_last4="6688", **fund)
    post_voucher(reg.village, today() - timedelta(days=3), "101", "301", 9_000_00, "收到现金")
    path, headers = f"{API}/villages/{reg.village.id}/assets/funds", make.headers(reg.accountant)
    status, short, body = _statements(app, path, headers)
    assert status == 200 and body["over_limit"]
    # two years of cash in and banked three days later, always within the limit, then over it since 280 days ago
    for i in range(60):
        day = today() - timedelta(days=700 - 7 * i)
        post_voucher(reg.village, day, "101", "301", 4_000_00, "收到现金")
        post_voucher(reg.village, day + timedelta(days=3), "102", "101", 4_000_00, "存入银行")
    post_voucher(reg.village, today() - timedelta(days=280), "101", "301", 6_000_00, "收到现金")
    status, long, body = _statements(app, path, headers)
    assert status == 200 and body["over_limit"] and body["over_since"] == (today() - timedelta(days=280)).isoformat()
    assert len(long) == len(short), "\n".join(long)
    assert len(long) <= 8, "\n".join(long)


def _inventory(reg: Any, n: int) -> None:
    inv = Inventory(village_id=reg.village.id, title=f"第{n}次清产核资", base_date=today() - timedelta(days=n),
                    status="open", created_by_id=reg.secretary.person_id)
    db.session.add(inv)
    db.session.flush()
    for i in range(n):
        db.session.add(InventoryLine(inventory_id=inv.id, village_id=reg.village.id, result="found", found_kind="asset",
                                     found_code=f"PY-{n}-{i}", found_name="盘盈", found_category="其他"))
    db.session.commit()


def test_the_inventories_list_takes_the_same_statements_for_many_inventories(app, make, reg):
    path, headers = f"{API}/villages/{reg.village.id}/asset-inventories", make.headers(reg.accountant)
    _inventory(reg, 1)
    status, one, body = _statements(app, path, headers)
    assert status == 200 and body["items"][0]["counts"]["found"] == 1
    for n in range(2, 6):
        _inventory(reg, n)
    status, many, body = _statements(app, path, headers)
    assert status == 200 and [i["counts"]["found"] for i in body["items"]] == [1, 2, 3, 4, 5]
    assert body["items"][0]["created_by"] == "王建国"
    assert len(many) == len(one), "\n".join(many)


def test_an_entrys_events_read_their_decisions_at_once(app, client, make, reg):
    a = new_asset(client, make, reg)
    path, headers = f"{API}/assets/{a['id']}", make.headers(reg.secretary)
    entry = db.session.get(Asset, a["id"])
    record_event(entry, "update", None, {}, {}, decision_id=reg.decision.id)
    db.session.commit()
    status, one, body = _statements(app, path, headers)
    assert status == 200 and body["events"][0]["decision"]["title"] == "集体资产出租和处置方案"
    for d in (reg.decision, reg.unresolved, reg.other_decision, reg.decision):
        record_event(db.session.get(Asset, a["id"]), "update", None, {}, {}, decision_id=d.id)
    db.session.commit()
    status, many, body = _statements(app, path, headers)
    assert status == 200 and len(body["events"]) == len(db.session.query(AssetEvent).all())
    # another village's decision is not shown, as before
    assert [e["decision"] and e["decision"]["id"] for e in body["events"][:4]] == [
        reg.decision.id, None, reg.unresolved.id, reg.decision.id]
    assert len(many) == len(one), "\n".join(many)
