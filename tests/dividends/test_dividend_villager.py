"""A villager's own dividends (docs/api.md ``GET /me/dividends``), their household's statement, and who
may do what across the dividend endpoints."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend import registry
from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.dividends.models import (
    BucketTemplate,
    Distribution,
    DividendObjection,
    PayeeAccount,
    PaymentBatch,
    ShareCertificate,
    ShareEvent,
    ShareType,
)
from tests import factories
from tests.dividends.conftest import approving_decision, post_income

ISO_CN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$")


def _plan(client, h, books, year, **over) -> int:
    body = {"year": year, "title": f"{year}年度收益分配方案", "components": [{"kind": "equity"}], **over}
    r = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=h)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _compute(client, h, did, on: date) -> dict:
    r = client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": on.isoformat()}, headers=h)
    assert r.status_code == 200, r.json
    return r.json


def _publish(client, h, did, decision_id) -> dict:
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": decision_id}, headers=h)
    assert r.status_code == 200, r.json
    return r.json


def _published(client, make, books, **over) -> int:
    sec = make.headers(books.secretary)
    did = _plan(client, sec, books, books.year, **over)
    _compute(client, sec, did, today())
    _publish(client, sec, did, books.decision_id)
    return did


def _pay(client, h, did, household_ids) -> dict:
    r = client.post(f"/api/v1/distributions/{did}/payments",
                    json={"household_ids": household_ids, "method": "cash", "paid_on": today().isoformat()}, headers=h)
    assert r.status_code == 201, r.json
    return r.json


# ---------------------------------------------------------------- GET /me/dividends


def test_my_dividends_newest_first_in_the_contract_shape(client, make, books, now):
    older_year = books.year - 1
    post_income(books.village, date(older_year, 6, 30), 20_000_00)
    older_decision = approving_decision(books.village)
    db.session.commit()
    sec = make.headers(books.secretary)
    older = _plan(client, sec, books, older_year)
    _compute(client, sec, older, books.register_on)  # the register as it stood when that year was closed
    _publish(client, sec, older, older_decision)
    newer = _published(client, make, books)

    now[0] = now[0] + timedelta(days=8)
    sec, villager = make.headers(books.secretary), make.headers(books.villager)
    assert client.post(f"/api/v1/distributions/{older}/payout", headers=sec).status_code == 200
    _pay(client, sec, older, [books.households[0].id])

    r = client.get("/api/v1/me/dividends", headers=villager)
    assert r.status_code == 200
    body = r.json
    assert {k: body[k] for k in ("total", "page", "page_size")} == {"total": 2, "page": 1, "page_size": 20}
    items = body["items"]
    contract = {"declaration", "household_shares", "amount", "status", "paid_at"}
    assert all(contract <= set(item) for item in items)
    assert all(set(item["declaration"]) == {"id", "year", "title", "per_share"} for item in items)
    first, second = items
    staff_plans = {d: client.get(f"/api/v1/distributions/{d}", headers=sec).json for d in (newer, older)}
    staff_lines = {d: client.get(f"/api/v1/distributions/{d}/lines", headers=sec).json["items"][0]
                   for d in (newer, older)}
    assert first["declaration"] == {"id": newer, "year": books.year, "title": f"{books.year}年度收益分配方案",
                                    "per_share": staff_plans[newer]["per_share"]}
    assert (first["household_shares"], first["amount"], first["status"], first["paid_at"]) == \
        (5, staff_lines[newer]["amount"], "announced", None)
    assert second["declaration"] == {"id": older, "year": older_year, "title": f"{older_year}年度收益分配方案",
                                     "per_share": staff_plans[older]["per_share"]}
    assert second["household_shares"] == 5 and second["status"] == "paid"
    assert second["amount"] == staff_lines[older]["amount"] and second["amount"] != "0.00"
    assert ISO_CN.match(second["paid_at"]), second["paid_at"]

    page1 = client.get("/api/v1/me/dividends?page_size=1", headers=villager).json
    page2 = client.get("/api/v1/me/dividends?page_size=1&page=2", headers=villager).json
    assert [i["declaration"]["id"] for i in page1["items"]] == [newer] and page1["total"] == 2
    assert [i["declaration"]["id"] for i in page2["items"]] == [older] and page2["page"] == 2
    assert client.get("/api/v1/me/dividends?page_size=101", headers=villager).status_code == 422

    # another member of the same household sees the same, a member of the next household their own
    spouse = client.get("/api/v1/me/dividends", headers=make.headers(books.members[0][1])).json["items"]
    assert [(i["declaration"]["id"], i["amount"]) for i in spouse] == \
        [(newer, first["amount"]), (older, second["amount"])]
    other = client.get("/api/v1/me/dividends", headers=make.headers(books.members[1][0])).json["items"]
    assert [(i["household_shares"], i["status"]) for i in other] == [(3, "announced"), (3, "announced")]
    assert other[0]["amount"] != first["amount"]


def test_no_line_no_dividends(client, make, books):
    did = _published(client, make, books)
    elsewhere = make.member(make.village("XZ02", "新竹村"), "吴强")
    township_staff = make.staff(books.village.township, "郑雯")
    late = make.member(books.village, "钱新户")  # a household with no shares on the record date
    db.session.commit()
    for who in (books.secretary, late, elsewhere, township_staff):
        r = client.get("/api/v1/me/dividends", headers=make.headers(who))
        assert r.status_code == 200
        assert r.json == {"items": [], "total": 0, "page": 1, "page_size": 20}
        r = client.get(f"/api/v1/me/dividends/{did}", headers=make.headers(who))
        assert r.status_code == 404, r.json
    assert client.get("/api/v1/me/dividends").status_code == 401


def test_drafts_previews_and_cancelled_plans_never_appear(client, make, books):
    sec, villager = make.headers(books.secretary), make.headers(books.villager)
    post_income(books.village, date(books.year - 1, 6, 30), 20_000_00)
    db.session.commit()
    draft = _plan(client, sec, books, today().year)
    computed = _plan(client, sec, books, books.year - 1)
    _compute(client, sec, computed, books.register_on)
    cancelled = _published(client, make, books)
    r = client.post(f"/api/v1/distributions/{cancelled}/cancel", json={"reason": "比例算错"}, headers=sec)
    assert r.status_code == 200
    assert client.get("/api/v1/me/dividends", headers=villager).json["items"] == []
    for did in (draft, computed, cancelled, 999_999):
        r = client.get(f"/api/v1/me/dividends/{did}", headers=villager)
        assert r.status_code == 404 and r.json["error"]["code"] == "dividend.not_found"

    again = _published(client, make, books)
    assert [i["declaration"]["id"] for i in client.get("/api/v1/me/dividends", headers=villager).json["items"]] == \
        [again]


# ---------------------------------------------------------------- GET /me/dividends/{id}


def test_a_households_statement_of_fixed_and_equity_dividends(client, make, books, now):
    did = _published(client, make, books, components=[
        {"kind": "fixed_per_share", "share_type_id": books.labor_type.id, "per_unit": "100.00"},
        {"kind": "fixed_per_member", "per_unit": "50.00"},
        {"kind": "equity"},
    ])
    villager = make.headers(books.villager)
    r = client.get(f"/api/v1/me/dividends/{did}", headers=villager)
    assert r.status_code == 200, r.json
    s = r.json
    d = db.session.get(Distribution, did)
    seal_hash = client.get(f"/api/v1/distributions/{did}", headers=villager).json["seal"]
    assert s["declaration"] == {"id": did, "year": books.year, "title": f"{books.year}年度收益分配方案",
                                "per_share": "5663.64", "record_date": today().isoformat(),
                                "decision_id": books.decision_id, "seal": seal_hash}
    assert d.seal_id is not None and len(seal_hash) == 64
    assert s["household"] == {"id": books.households[0].id, "number": "LJ-101", "head_name": "张10"}
    assert s["household_shares"] == 5
    assert s["shares_by_type"] == [{"code": "member", "name": "成员股", "shares": 3},
                                   {"code": "labor", "name": "劳龄股", "shares": 2}]
    assert s["members"] == [
        {"name": "张10", "shares_by_type": [{"code": "member", "name": "成员股", "shares": 1},
                                           {"code": "labor", "name": "劳龄股", "shares": 2}]},
        {"name": "张11", "shares_by_type": [{"code": "member", "name": "成员股", "shares": 1}]},
        {"name": "张12", "shares_by_type": [{"code": "member", "name": "成员股", "shares": 1}]},
    ]
    # 63,000.00 less 3 劳龄股 × 100.00 and 8 members × 50.00 leaves 62,300.00 over 11 shares: 5,663.6363… a share
    assert s["components"] == [
        {"kind": "fixed_per_share", "label": "固定分红（每股）", "per_share": "100.00", "per_share_exact": True,
         "units": 2, "amount": "200.00"},
        {"kind": "fixed_per_member", "label": "固定分红（每人）", "per_share": "50.00", "per_share_exact": True,
         "units": 3, "amount": "150.00"},
        {"kind": "equity", "label": "按股分红", "per_share": "5663.64", "per_share_exact": False,
         "units": 5, "amount": "28318.18"},
    ]
    assert s["amount"] == "28668.18"
    assert (s["status"], s["paid_on"], s["paid_at"]) == ("announced", None, None)

    now[0] = now[0] + timedelta(days=8)
    sec, villager = make.headers(books.secretary), make.headers(books.villager)
    client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    _pay(client, sec, did, [books.households[0].id])
    s = client.get(f"/api/v1/me/dividends/{did}", headers=villager).json
    assert (s["status"], s["paid_on"]) == ("paid", today().isoformat()) and ISO_CN.match(s["paid_at"])
    listed = client.get("/api/v1/me/dividends", headers=villager).json["items"][0]
    assert (listed["amount"], listed["paid_at"], listed["declaration"]["per_share"]) == \
        ("28668.18", s["paid_at"], "5663.64")


def test_an_equity_dividend_of_whole_fen_per_share_is_exact(client, make, books):
    did = _published(client, make, books, dividend_total="55000.00")
    s = client.get(f"/api/v1/me/dividends/{did}", headers=make.headers(books.members[3][1])).json
    assert s["household"]["number"] == "LJ-104"
    assert s["components"] == [{"kind": "equity", "label": "按股分红", "per_share": "5000.00", "per_share_exact": True,
                                "units": 2, "amount": "10000.00"}]
    assert s["declaration"]["per_share"] == "5000.00" and s["amount"] == "10000.00"


# ---------------------------------------------------------------- who may do what


@pytest.fixture
def posted(client, make, books):
    """A published list with an objection, and everything the dividend endpoints take an id of."""
    did = _published(client, make, books)
    oid = client.post(f"/api/v1/distributions/{did}/objections", json={"text": "有疑问"},
                      headers=make.headers(books.villager)).json["id"]
    return {"village_id": books.village.id, "distribution_id": did, "dividend_objection_id": oid,
            "household_id": books.households[0].id, "type_id": books.member_type.id}


def _writes(books, ids):
    v, d, h = ids["village_id"], ids["distribution_id"], ids["household_id"]
    return {
        "dividends.create_share_type": ("POST", f"/villages/{v}/share-types", {"code": "x", "name": "新股"}),
        "dividends.update_share_type": ("PATCH", f"/share-types/{ids['type_id']}", {"name": "改名"}),
        "dividends.record_share_event": ("POST", f"/villages/{v}/share-events", {
            "kind": "adjust", "effective_on": today().isoformat(),
            "changes": [{"share_type_id": ids["type_id"], "delta": 1, "household_id": h}]}),
        "dividends.put_certificate": ("PUT", f"/households/{h}/share-certificate",
                                      {"number": "GQ-1", "issued_on": today().isoformat()}),
        "dividends.put_payee": ("PUT", f"/households/{h}/payee-account",
                                {"account_name": "张10", "bank_name": "农商行", "account_no": "6228480012345678"}),
        "dividends.put_template": ("PUT", f"/villages/{v}/dividend-template", {"buckets": [
            {"name": "公积公益金", "kind": "retain", "percent": "50", "account_code": "311"},
            {"name": "分红", "kind": "dividend", "percent": "50"}]}),
        "dividends.create_distribution": ("POST", f"/villages/{v}/distributions",
                                          {"year": today().year, "title": "方案", "components": [{"kind": "equity"}]}),
        "dividends.compute": ("POST", f"/distributions/{d}/compute", {"record_date": today().isoformat()}),
        "dividends.publish": ("POST", f"/distributions/{d}/publish", {"decision_id": books.decision_id}),
        "dividends.cancel": ("POST", f"/distributions/{d}/cancel", {"reason": "不要了"}),
        "dividends.answer_objection": ("POST", f"/dividend-objections/{ids['dividend_objection_id']}/answer",
                                       {"answer": "答复"}),
        "dividends.open_payout": ("POST", f"/distributions/{d}/payout", None),
        "dividends.record_payments": ("POST", f"/distributions/{d}/payments",
                                      {"household_ids": [h], "method": "cash", "paid_on": today().isoformat()}),
        "dividends.bank_batch": ("GET", f"/distributions/{d}/bank-batch.xlsx", None),
    }


def _reads(ids):
    v, d = ids["village_id"], ids["distribution_id"]
    return {
        "dividends.list_share_types": ("GET", f"/villages/{v}/share-types", None),
        "dividends.share_register": ("GET", f"/villages/{v}/share-register", None),
        "dividends.list_share_events": ("GET", f"/villages/{v}/share-events", None),
        "dividends.get_template": ("GET", f"/villages/{v}/dividend-template", None),
        "dividends.list_distributions": ("GET", f"/villages/{v}/distributions", None),
        "dividends.get_distribution": ("GET", f"/distributions/{d}", None),
        "dividends.lines": ("GET", f"/distributions/{d}/lines", None),
        # the console's: picking a household, the plan's form, the decisions to publish on, the payments made
        "dividends.pick_households": ("GET", f"/villages/{v}/share-households?q=张", None),
        "dividends.distribution_preview": ("GET", f"/villages/{v}/distribution-preview?year={today().year - 1}", None),
        "dividends.approving_decisions": ("GET", f"/villages/{v}/distribution-decisions", None),
        "dividends.list_payments": ("GET", f"/distributions/{d}/payments", None),
    }


# open to anyone of the village: raising an objection, and one's own dividends
OWN = {"dividends.raise_objection", "dividends.my_dividends", "dividends.my_statement"}


def test_the_lists_below_cover_every_dividend_endpoint(app, books, posted):
    endpoints = {r.endpoint for r in app.url_map.iter_rules() if r.endpoint.startswith("dividends.")}
    assert endpoints == set(_writes(books, posted)) | set(_reads(posted)) | OWN


def _snapshot(did: int) -> tuple:
    db.session.expire_all()
    counts = tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                   for m in (Distribution, DividendObjection, ShareType, ShareEvent, ShareCertificate, PayeeAccount,
                             BucketTemplate, PaymentBatch, AuditEntry))
    d = db.session.get(Distribution, did)
    return (d.status, d.cancelled_reason, d.accrual_voucher_id, d.updated_at, *counts)


def _call(client, h, method, url, body):
    return client.open(f"/api/v1{url}", method=method, json=body, headers=h)


def test_a_villager_reads_the_published_list_and_writes_nothing(client, make, books, posted):
    villager = make.headers(books.villager)
    before = _snapshot(posted["distribution_id"])
    for endpoint, (method, url, body) in _writes(books, posted).items():
        r = _call(client, villager, method, url, body)
        assert r.status_code == 403, (endpoint, r.status_code, r.json)
        assert r.json["error"]["code"] == "auth.forbidden", r.json
    assert _snapshot(posted["distribution_id"]) == before
    staff_only = {"dividends.share_register", "dividends.list_share_events", "dividends.pick_households",
                  "dividends.distribution_preview", "dividends.approving_decisions", "dividends.list_payments"}
    for endpoint, (method, url, body) in _reads(posted).items():
        r = _call(client, villager, method, url, body)
        assert r.status_code == (403 if endpoint in staff_only else 200), (endpoint, r.json)
    plans = client.get(f"/api/v1/villages/{books.village.id}/distributions", headers=villager).json
    assert [p["id"] for p in plans["items"]] == [posted["distribution_id"]]
    assert "paid_total" not in plans["items"][0]


def test_a_supervisor_reads_everything_and_writes_nothing(client, make, books, posted):
    supervisor = make.headers(books.supervisor)
    before = _snapshot(posted["distribution_id"])
    for endpoint, (method, url, body) in _writes(books, posted).items():
        r = _call(client, supervisor, method, url, body)
        assert r.status_code == 403, (endpoint, r.status_code, r.json)
    assert _snapshot(posted["distribution_id"]) == before
    for endpoint, (method, url, body) in _reads(posted).items():
        r = _call(client, supervisor, method, url, body)
        assert r.status_code == 200, (endpoint, r.json)
    lines = client.get(f"/api/v1/distributions/{posted['distribution_id']}/lines", headers=supervisor).json["items"]
    assert lines[0]["head_name"] == "张10" and lines[0]["by_member"]
    # a draft is staff's business: the supervisor sees it, a villager does not
    draft = _plan(client, make.headers(books.secretary), books, today().year)
    assert client.get(f"/api/v1/distributions/{draft}", headers=supervisor).status_code == 200
    assert client.get(f"/api/v1/distributions/{draft}", headers=make.headers(books.villager)).status_code == 404


def test_the_agency_accountant_of_another_village_sees_nothing_here(client, make, books, posted):
    other = make.village("XZ02", "新竹村")
    agent = registry.add_staff_person("冯立", factories.id_card(), books.village.township, actor=None)
    make.role(agent, "township_accountant", village=other)
    db.session.commit()
    h = make.headers(agent)
    before = _snapshot(posted["distribution_id"])
    for endpoint, (method, url, body) in {**_writes(books, posted), **_reads(posted)}.items():
        r = _call(client, h, method, url, body)
        assert r.status_code == 404, (endpoint, r.status_code, r.json)
    r = _call(client, h, "POST", f"/distributions/{posted['distribution_id']}/objections", {"text": "看看"})
    assert r.status_code == 404
    assert _snapshot(posted["distribution_id"]) == before
    assert client.get("/api/v1/me/dividends", headers=h).json["items"] == []
    assert client.get(f"/api/v1/me/dividends/{posted['distribution_id']}", headers=h).status_code == 404
    # … while in their own village the same role keeps the books
    assert client.get(f"/api/v1/villages/{other.id}/distributions", headers=h).status_code == 200
