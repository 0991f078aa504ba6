"""The whole life of a distribution over HTTP: plan → compute → publish → 公示 with an objection → payout →
payments → the villager's view, and the books."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backend.core.clock import today
from backend.core.db import db
from backend.ledger.models import Voucher


def _plan(client, h, books, **over):
    body = {"year": books.year, "title": f"{books.year}年度收益分配方案", "components": [{"kind": "equity"}]}
    body.update(over)
    return client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=h)


def test_a_distribution_from_plan_to_paid(client, make, books, now):
    sec = make.headers(books.secretary)
    r = _plan(client, sec, books)
    assert r.status_code == 201, r.json
    did = r.json["id"]
    assert r.json["status"] == "draft"
    assert [b["percent"] for b in r.json["buckets"]] == ["30%", "70%"]

    r = client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
    assert r.status_code == 200, r.json
    plan = r.json
    assert plan["distributable"] == "90000.00"
    assert [b["amount"] for b in plan["buckets"]] == ["27000.00", "63000.00"]
    assert plan["pool"] == "63000.00" and plan["total"] == "63000.00"
    assert plan["total_shares"] == 11 and plan["households"] == 4
    lines = client.get(f"/api/v1/distributions/{did}/lines", headers=sec).json
    amounts = {ln["household_number"]: ln["amount"] for ln in lines["items"]}
    # 6,300,000 fen / 11 shares: 5 → 2,863,636.36, 3 → 1,718,181.82, 1 → 572,727.27, 2 → 1,145,454.55 (exact);
    # the floors leave 2 fen, which go to the largest remainders (.82 and .55)
    assert amounts == {"LJ-101": "28636.36", "LJ-102": "17181.82", "LJ-103": "5727.27", "LJ-104": "11454.55"}
    assert sum(int(a.replace(".", "")) for a in amounts.values()) == 63_000_00

    # a villager does not see the preview
    villager = make.headers(books.villager)
    assert client.get(f"/api/v1/distributions/{did}", headers=villager).status_code == 404
    assert client.get("/api/v1/me/dividends", headers=villager).json["items"] == []

    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "published" and len(r.json["seal"]) == 64
    until = r.json["publicity_until"]

    mine = client.get("/api/v1/me/dividends", headers=villager).json["items"]
    assert mine == [{
        "declaration": {"id": did, "year": books.year, "title": f"{books.year}年度收益分配方案",
                        "per_share": "5727.27"},
        "household_shares": 5, "amount": "28636.36", "status": "announced", "paid_at": None, "paid_on": None}]
    public = client.get(f"/api/v1/distributions/{did}/lines", headers=villager).json["items"]
    assert public[0]["head_name"] == "张*0" and "by_member" not in public[0]

    r = client.post(f"/api/v1/distributions/{did}/objections", json={"text": "我家劳龄股少算了一股"}, headers=villager)
    assert r.status_code == 201, r.json
    oid = r.json["id"]
    assert client.post(f"/api/v1/distributions/{did}/payout", headers=sec).json["error"]["code"] == \
        "dividend.publicity_open"
    now[0] = now[0] + timedelta(days=8)
    sec, villager = make.headers(books.secretary), make.headers(books.villager)  # tokens last 7 days
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.objections_open"
    r = client.post(f"/api/v1/dividend-objections/{oid}/answer", json={"answer": "经核对，劳龄股按章程计算无误"},
                    headers=sec)
    assert r.status_code == 200, r.json
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "paying" and r.json["accrual_voucher_id"]
    assert today().isoformat() > until

    hid = books.households[0].id
    body = {"household_ids": [hid], "method": "bank", "paid_on": today().isoformat(), "reference": "回单001"}
    r = client.post(f"/api/v1/distributions/{did}/payments", json=body, headers={**sec, "Idempotency-Key": "k1"})
    assert r.status_code == 201, r.json
    assert r.json["total"] == "28636.36" and r.json["count"] == 1
    again = client.post(f"/api/v1/distributions/{did}/payments", json=body, headers={**sec, "Idempotency-Key": "k1"})
    assert again.status_code == 200 and again.json["id"] == r.json["id"] and again.json["replayed"] is True
    twice = client.post(f"/api/v1/distributions/{did}/payments", json=body, headers=sec)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "dividend.already_paid"

    mine = client.get("/api/v1/me/dividends", headers=villager).json["items"][0]
    assert mine["status"] == "paid" and mine["paid_at"]
    rest = [h.id for h in books.households[1:]]
    r = client.post(f"/api/v1/distributions/{did}/payments",
                    json={"household_ids": rest, "method": "cash", "paid_on": today().isoformat()}, headers=sec)
    assert r.status_code == 201 and r.json["total"] == "34363.64"
    plan = client.get(f"/api/v1/distributions/{did}", headers=sec).json
    assert plan["status"] == "paid" and plan["paid_total"] == "63000.00" and plan["unpaid_total"] == "0.00"

    vouchers = db.session.execute(select(Voucher).where(Voucher.source == "dividends")).scalars().all()
    assert [v.status for v in vouchers] == ["posted"] * 3
    assert sorted(v.total_fen for v in vouchers) == [28636_36, 34363_64, 90_000_00]
