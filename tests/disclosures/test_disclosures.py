"""财务公开: drafting from closed books, review by the supervision committee, sealed publication, errata,
villagers' questions, and the township's view. Books are built through the ledger service."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from backend import disclosures
from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.seal import Seal, seal, verify_chain, verify_seal
from backend.disclosures.models import Disclosure
from backend.ledger import service as ledger
from backend.registry import settings
from tests.factories import resolved_decision

MONEY = re.compile(r"^-?\d+\.\d{2}$")
API = "/api/v1"


def _post(village, on: date, summary: str, lines, decision_ref: str | None = None):
    v = ledger.create_voucher(
        village,
        ledger.VoucherInput(
            on, summary, [ledger.LineInput(code, debit_fen=d, credit_fen=c) for code, d, c in lines], decision_ref
        ),
        actor=None,
    )
    return ledger.post_voucher(v, actor=None)


@pytest.fixture
def lj(make):
    """临江村 with the first quarter of 2026 booked and closed, April open; 新竹村 next door."""
    qs = make.township("QS", "青山镇")
    v = make.village("LJ01", "临江村", township=qs)
    xz = make.village("XZ02", "新竹村", township=qs)
    people = {
        "acc": make.member(v, "李秀英", roles=("accountant",)),
        "sec": make.member(v, "王建国", roles=("secretary",)),
        "sup": make.member(v, "孙立平", roles=("supervisor",)),
        "sup2": make.member(v, "赵敏", roles=("supervisor",)),
        "dual": make.member(v, "钱进", roles=("accountant", "supervisor")),
        "plain": make.member(v, "张大山"),
        "xz_villager": make.member(xz, "吴强"),
        "xz_sup": make.member(xz, "周敏", roles=("supervisor",)),
        "xz_acc": make.member(xz, "周会计", roles=("accountant",)),
        "staff": make.staff(qs, "郑雯"),
    }
    ledger.ensure_chart(v)
    road = resolved_decision(v.id, "村道硬化维修", "工程", 8_000_000, date(2026, 1, 10))
    _post(v, date(2026, 1, 5), "收2026年土地发包款", [("102", 1_200_000, 0), ("501001", 0, 1_200_000)])
    rent = _post(v, date(2026, 1, 10), "收门面租金", [("102", 300_000, 0), ("501002", 0, 300_000)])
    _post(v, date(2026, 1, 15), "付1月保洁工资", [("513", 60_000, 0), ("102", 0, 60_000)])
    _post(v, date(2026, 2, 20), "村道维修工程款", [("514", 6_000_000, 0), ("102", 0, 6_000_000)], str(road.id))
    _post(v, date(2026, 2, 25), "收上级补助", [("102", 500_000, 0), ("503", 0, 500_000)])
    ledger.reverse_voucher(rent, date(2026, 3, 3), "租户退租", actor=None)
    _post(v, date(2026, 3, 10), "提取备用金", [("101", 100_000, 0), ("102", 0, 100_000)])
    _post(v, date(2026, 3, 12), "购办公用品及慰问", [("513", 20_000, 0), ("515", 10_000, 0), ("101", 0, 30_000)])
    _post(v, date(2026, 4, 2), "付4月保洁工资", [("513", 60_000, 0), ("102", 0, 60_000)])
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(v, m, actor=None)
    db.session.commit()
    return {"v": v, "xz": xz, "qs": qs, "road": road, **people}


def h(make, who):
    return make.headers(who)


def draft(client, make, lj, period="2026-Q1", who="acc", **extra):
    return client.post(f"{API}/villages/{lj['v'].id}/disclosures", json={"period": period, **extra},
                       headers=h(make, lj[who]))


def approve(client, make, lj, d_id, who="sup"):
    return client.post(f"{API}/disclosures/{d_id}/approve", headers=h(make, lj[who]))


def publish(client, make, lj, d_id, who="acc"):
    return client.post(f"{API}/disclosures/{d_id}/publish", headers=h(make, lj[who]))


def published(client, make, lj, period="2026-Q1"):
    r = draft(client, make, lj, period)
    assert r.status_code == 201, r.json
    assert approve(client, make, lj, r.json["id"]).status_code == 200
    r = publish(client, make, lj, r.json["id"])
    assert r.status_code == 200, r.json
    return r.json


# ---------------------------------------------------------------- drafting


def test_only_periods_whose_months_are_all_closed_can_be_drafted(client, make, lj):
    r = draft(client, make, lj, "2026-Q2")
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.period_open"
    assert "2026-04、2026-05、2026-06 尚未结账" in r.json["error"]["message"]
    assert r.json["error"]["details"]["open_months"] == ["2026-04", "2026-05", "2026-06"]
    r = draft(client, make, lj, "2026-04")
    assert r.status_code == 409 and r.json["error"]["message"].startswith("2026-04 尚未结账")
    ledger.close_period(lj["v"], "2026-04", actor=None)
    db.session.commit()
    r = draft(client, make, lj, "2026-Q2")  # May and June still open
    assert r.status_code == 409 and r.json["error"]["details"]["open_months"] == ["2026-05", "2026-06"]
    for bad in ("2026-13", "2026-Q5", "2026Q1", "26-01"):
        r = draft(client, make, lj, bad)
        assert r.status_code == 422 and r.json["error"]["code"] == "validation.failed", bad
    assert db.session.execute(select(func.count(Disclosure.id))).scalar_one() == 0
    r = draft(client, make, lj, "2026-04")
    assert r.status_code == 201 and r.json["status"] == "draft" and r.json["title"] == "临江村2026年4月财务收支公开"
    assert r.json["expense_total"] == "600.00" and r.json["seal"] is None and r.json["prepared_by"] == "李秀英"


def test_only_book_keepers_draft(client, make, lj):
    for who, status in (("plain", 403), ("sup", 403), ("xz_acc", 404)):
        assert draft(client, make, lj, who=who).status_code == status, who
    assert draft(client, make, lj, who="sec").status_code == 201


def test_lines_totals_and_categories_are_exact(client, make, lj):
    r = draft(client, make, lj)
    assert r.status_code == 201, r.json
    d = r.json
    assert d["title"] == "临江村2026年第一季度财务收支公开" and d["period"] == "2026-Q1"
    got = [(ln["line_no"], ln["date"], ln["voucher_no"], ln["summary"], ln["category"], ln["income"], ln["expense"])
           for ln in d["lines"]]
    assert got == [
        (1, "2026-01-05", "2026-01-001", "收2026年土地发包款", "发包及上交收入", "12000.00", "0.00"),
        (2, "2026-01-10", "2026-01-002", "收门面租金", "经营收入", "3000.00", "0.00"),
        (3, "2026-01-15", "2026-01-003", "付1月保洁工资", "管理费用", "0.00", "600.00"),
        (4, "2026-02-20", "2026-02-001", "村道维修工程款", "公益支出", "0.00", "60000.00"),
        (5, "2026-02-25", "2026-02-002", "收上级补助", "补助收入", "5000.00", "0.00"),
        (6, "2026-03-03", "2026-03-001", "冲销2026-01第2号凭证：租户退租", "经营收入", "-3000.00", "0.00"),
        (7, "2026-03-12", "2026-03-003", "购办公用品及慰问", "管理费用", "0.00", "200.00"),
        (8, "2026-03-12", "2026-03-003", "购办公用品及慰问", "其他支出", "0.00", "100.00"),
    ]
    assert d["lines"][0]["account"] == "501001 发包及上交收入"
    assert (d["income_total"], d["expense_total"]) == ("17000.00", "60900.00")
    assert d["by_category"] == [
        {"category": "经营收入", "income": "0.00", "expense": "0.00"},
        {"category": "发包及上交收入", "income": "12000.00", "expense": "0.00"},
        {"category": "补助收入", "income": "5000.00", "expense": "0.00"},
        {"category": "管理费用", "income": "0.00", "expense": "800.00"},
        {"category": "公益支出", "income": "0.00", "expense": "60000.00"},
        {"category": "其他支出", "income": "0.00", "expense": "100.00"},
    ]
    road = lj["road"]
    assert d["large_expense_threshold"] == "50000.00"
    assert d["large_items"] == [
        {
            "date": "2026-02-20",
            "voucher_no": "2026-02-001",
            "summary": "村道维修工程款",
            "amount": "60000.00",
            "decision": {"id": road.id, "ref": str(road.id), "title": "村道硬化维修", "resolved_on": "2026-01-10",
                         "amount": "80000.00"},
        }
    ]
    # the totals agree with their lines, to the fen
    inc = sum(int(ln["income"].replace(".", "").replace("-", "")) * (-1 if ln["income"].startswith("-") else 1)
              for ln in d["lines"])
    assert inc == 1_700_000
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.object_type == "disclosure")).scalars()
    assert list(actions) == ["disclosure.draft"]


def test_the_content_is_frozen_when_drafted_and_refreshed_on_redraft(client, make, lj):
    first = draft(client, make, lj).json
    settings.put(ledger.LARGE_EXPENSE.key, 50_000, actor=None, village=lj["v"])  # 500 元
    db.session.commit()
    assert client.get(f"{API}/disclosures/{first['id']}", headers=h(make, lj["acc"])).json["large_items"] == \
        first["large_items"]
    r = draft(client, make, lj, title="临江村一季度收支")
    assert r.status_code == 200 and r.json["id"] == first["id"] and r.json["title"] == "临江村一季度收支"
    assert [i["summary"] for i in r.json["large_items"]] == ["付1月保洁工资", "村道维修工程款"]
    assert r.json["large_items"][0]["decision"] is None  # spent without one: the committee sees it
    assert r.json["large_expense_threshold"] == "500.00"


# ---------------------------------------------------------------- review


def test_separation_of_duties(client, make, lj):
    d = draft(client, make, lj, who="dual").json  # an accountant who also sits on the committee
    r = approve(client, make, lj, d["id"], who="dual")
    assert r.status_code == 403 and r.json["error"]["code"] == "disclosure.same_person"
    assert "编制人" in r.json["error"]["message"]
    r = client.post(f"{API}/disclosures/{d['id']}/return", json={"reason": "自己退回"}, headers=h(make, lj["dual"]))
    assert r.status_code == 403 and r.json["error"]["code"] == "disclosure.same_person"
    for who, status in (("plain", 403), ("acc", 403), ("sec", 403), ("xz_sup", 404)):
        assert approve(client, make, lj, d["id"], who=who).status_code == status, who
    assert client.post(f"{API}/disclosures/{d['id']}/approve").status_code == 401
    r = approve(client, make, lj, d["id"])
    assert r.status_code == 200 and r.json["status"] == "approved" and r.json["approved_by"] == "孙立平"
    assert approve(client, make, lj, d["id"], who="sup2").json["error"]["code"] == "disclosure.already_approved"
    # the database refuses the same person on both sides too
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE ledger_disclosures SET approved_by_id = prepared_by_id WHERE id = :id"),
                           {"id": d["id"]})
    db.session.rollback()


def test_return_with_a_reason_then_redraft(client, make, lj):
    d = draft(client, make, lj).json
    url = f"{API}/disclosures/{d['id']}/return"
    assert client.post(url, json={"reason": ""}, headers=h(make, lj["sup"])).status_code == 422
    assert client.post(url, json={}, headers=h(make, lj["sup"])).status_code == 422
    r = client.post(url, json={"reason": "村道维修款请附上验收单"}, headers=h(make, lj["sup"]))
    assert r.status_code == 200 and r.json["status"] == "returned"
    assert r.json["return_reason"] == "村道维修款请附上验收单"
    assert client.post(url, json={"reason": "再退"}, headers=h(make, lj["sup"])).status_code == 409
    r = approve(client, make, lj, d["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.returned"
    r = publish(client, make, lj, d["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.not_approved"
    r = draft(client, make, lj, who="sec")
    assert r.status_code == 200 and r.json["id"] == d["id"] and r.json["status"] == "draft"
    assert r.json["prepared_by"] == "王建国"
    assert approve(client, make, lj, d["id"]).status_code == 200
    # a committee member may still send an approved one back before it is published; it can then be redrafted
    r = client.post(url, json={"reason": "金额有误"}, headers=h(make, lj["sup2"]))
    assert r.status_code == 200 and r.json["status"] == "returned" and r.json["approved_by"] is None
    assert draft(client, make, lj).status_code == 200
    actions = list(db.session.execute(
        select(AuditEntry.action).where(AuditEntry.object_id == d["id"], AuditEntry.object_type == "disclosure")
        .order_by(AuditEntry.id)).scalars())
    assert actions == ["disclosure.draft", "disclosure.return", "disclosure.redraft", "disclosure.approve",
                       "disclosure.return", "disclosure.redraft"]


def test_an_approved_draft_is_not_redrafted(client, make, lj):
    d = draft(client, make, lj).json
    approve(client, make, lj, d["id"])
    r = draft(client, make, lj)
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.approved"


# ---------------------------------------------------------------- publication and seals


def test_publish_only_when_approved_and_drafts_stay_private(client, make, lj):
    d = draft(client, make, lj).json
    r = publish(client, make, lj, d["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.not_approved"
    assert "监督委员会审核" in r.json["error"]["message"]
    assert client.get(f"{API}/disclosures/{d['id']}", headers=h(make, lj["plain"])).status_code == 404
    assert client.get(f"{API}/disclosures/{d['id']}", headers=h(make, lj["sup"])).status_code == 200
    assert client.get(f"{API}/villages/{lj['v'].id}/disclosures", headers=h(make, lj["plain"])).json["total"] == 0
    staff = client.get(f"{API}/villages/{lj['v'].id}/disclosures/drafts", headers=h(make, lj["acc"])).json
    assert [(i["id"], i["status"], i["seal"]) for i in staff["items"]] == [(d["id"], "draft", None)]
    assert client.get(f"{API}/villages/{lj['v'].id}/disclosures/drafts",
                      headers=h(make, lj["plain"])).status_code == 403
    approve(client, make, lj, d["id"])
    assert publish(client, make, lj, d["id"], who="sup").status_code == 403  # publishing is the book-keepers'
    r = publish(client, make, lj, d["id"])
    assert r.status_code == 200 and r.json["status"] == "published" and r.json["seal"]
    assert client.get(f"{API}/disclosures/{d['id']}", headers=h(make, lj["plain"])).status_code == 200


def test_seals_chain_verify_and_can_be_recomputed_from_the_api(client, make, lj):
    for m in ("2026-04",):
        ledger.close_period(lj["v"], m, actor=None)
    db.session.commit()
    first = published(client, make, lj, "2026-01")
    second = published(client, make, lj, "2026-04")
    assert first["prev_seal"] == ""  # the village's first seal
    assert second["prev_seal"] == first["seal"]
    check = verify_chain(lj["v"].id)
    assert check.ok and check.count == 2
    for body in (first, second):
        got = client.get(f"{API}/disclosures/{body['id']}", headers=h(make, lj["plain"])).json
        recomputed = hashlib.sha256((got["prev_seal"] + "\n" + got["sealed_content"]).encode()).hexdigest()
        assert recomputed == got["seal"]
        sealed = json.loads(got["sealed_content"])
        assert sealed["lines"] == got["lines"] and sealed["income_total"] == got["income_total"]
        assert sealed["village"] == {"code": "LJ01", "name": "临江村"} and sealed["period"] == got["period"]
        assert sealed["prepared_by"] == "李秀英" and sealed["approved_by"] == "孙立平"
        assert sealed["published_at"] == got["published_at"] and got["published_at"].endswith("+08:00")
        row = db.session.get(Disclosure, body["id"])
        assert verify_seal(row.seal, disclosures.sealed_payload(row))
    # a seal sealed by anything else in between still links (the chain is the village's)
    other = seal(lj["v"].id, "resolution", 1, {"n": 1})
    db.session.commit()
    assert verify_chain(lj["v"].id).count == 3 and other.prev_hash == second["seal"]


def test_a_published_disclosure_never_changes(client, make, lj):
    d = published(client, make, lj)
    url = f"{API}/disclosures/{d['id']}"
    for r in (
        approve(client, make, lj, d["id"]),
        client.post(f"{url}/return", json={"reason": "晚了"}, headers=h(make, lj["sup2"])),
        publish(client, make, lj, d["id"]),
        draft(client, make, lj),
    ):
        assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.published", r.json
    assert "更正" in draft(client, make, lj).json["error"]["message"]
    # the database refuses any change to the published row, even from code that bypasses the service
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(text("UPDATE ledger_disclosures SET title = '改过的标题' WHERE id = :id"), {"id": d["id"]})
    db.session.rollback()
    row = db.session.get(Disclosure, d["id"])
    assert row.title == d["title"] and verify_seal(row.seal, disclosures.sealed_payload(row))
    assert client.get(url, headers=h(make, lj["plain"])).json["sealed_content"] == d["sealed_content"]
    # and a tampered payload no longer verifies: the check is not vacuous
    tampered = disclosures.sealed_payload(row)
    tampered["lines"][3]["expense"] = "6000.00"
    assert not verify_seal(row.seal, tampered)


def test_erratum_cites_the_original_goes_through_review_and_both_stay_visible(client, make, lj):
    original = published(client, make, lj)
    base = f"{API}/disclosures/{original['id']}"
    assert client.post(f"{base}/erratum", json={"reason": "x"}, headers=h(make, lj["sup"])).status_code == 403
    assert client.post(f"{base}/erratum", json={}, headers=h(make, lj["acc"])).status_code == 422
    r = client.post(f"{base}/erratum", json={"reason": "补助收入应为上级专项补助"}, headers=h(make, lj["acc"]))
    assert r.status_code == 201, r.json
    e = r.json
    assert e["corrects_id"] == original["id"] and e["status"] == "draft" and e["period"] == "2026-Q1"
    assert e["title"] == "更正：" + original["title"] and e["erratum_reason"] == "补助收入应为上级专项补助"
    r = client.post(f"{base}/erratum", json={"reason": "补助收入应为上级专项补助资金"}, headers=h(make, lj["acc"]))
    assert r.status_code == 200 and r.json["id"] == e["id"]  # redrafting the erratum in the works
    r = client.post(f"{API}/disclosures/{e['id']}/erratum", json={"reason": "x"}, headers=h(make, lj["acc"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.not_published"
    assert publish(client, make, lj, e["id"]).json["error"]["code"] == "disclosure.not_approved"
    assert approve(client, make, lj, e["id"]).status_code == 200
    r = publish(client, make, lj, e["id"])
    assert r.status_code == 200 and r.json["prev_seal"] == original["seal"]
    sealed = json.loads(r.json["sealed_content"])
    assert sealed["corrects"] == {"id": original["id"], "seal": original["seal"]}
    assert sealed["erratum_reason"] == "补助收入应为上级专项补助资金"
    listed = client.get(f"{API}/villages/{lj['v'].id}/disclosures", headers=h(make, lj["plain"])).json
    assert [i["id"] for i in listed["items"]] == [e["id"], original["id"]]
    got = client.get(base, headers=h(make, lj["plain"])).json
    assert got["corrected_by"] == e["id"] and got["seal"] == original["seal"]
    r = client.post(f"{base}/erratum", json={"reason": "再改"}, headers=h(make, lj["acc"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.already_corrected"
    assert r.json["error"]["details"]["corrected_by"] == e["id"]
    r = client.post(f"{API}/disclosures/{e['id']}/erratum", json={"reason": "更正的更正"}, headers=h(make, lj["acc"]))
    assert r.status_code == 201 and r.json["corrects_id"] == e["id"]
    assert verify_chain(lj["v"].id).ok


def test_one_published_disclosure_per_village_and_period(client, make, lj):
    d = published(client, make, lj, "2026-01")
    r = draft(client, make, lj, "2026-01")
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.published"
    # a second approved one slipped in beside the service: publishing it is refused
    row = db.session.get(Disclosure, d["id"])
    twin = Disclosure(village_id=row.village_id, period="2026-01", title="重复", status="approved",
                      content=row.content, income_total_fen=0, expense_total_fen=0,
                      prepared_by_id=lj["acc"].person_id, approved_by_id=lj["sup"].person_id,
                      approved_at=row.approved_at, drafted_at=row.drafted_at)
    db.session.add(twin)
    db.session.commit()
    with pytest.raises(Exception) as exc:
        disclosures.publish(twin, actor=None)
    assert getattr(exc.value, "status", None) == 409 and exc.value.code == "disclosure.period_published"
    db.session.rollback()
    # and the database's partial unique index refuses a second published one outright
    s = seal(row.village_id, "disclosure", None, {"n": "twin"})
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Disclosure(village_id=row.village_id, period="2026-01", title="重复", status="published",
                                  content=row.content, income_total_fen=0, expense_total_fen=0,
                                  approved_by_id=lj["sup"].person_id, approved_at=row.approved_at,
                                  published_at=row.published_at, seal_id=s.id))
        db.session.flush()
    db.session.rollback()
    # a quarter and its months are different periods
    assert draft(client, make, lj, "2026-Q1").status_code == 201


# ---------------------------------------------------------------- the contract


def test_contract_endpoints_fields_money_and_order(client, make, lj):
    ledger.close_period(lj["v"], "2026-04", actor=None)
    db.session.commit()
    q1 = published(client, make, lj, "2026-Q1")
    apr = published(client, make, lj, "2026-04")
    r = client.get(f"{API}/villages/{lj['v'].id}/disclosures", headers=h(make, lj["plain"]))
    assert r.status_code == 200
    body = r.json
    assert set(body) == {"items", "total", "page", "page_size"} and body["total"] == 2
    assert [i["id"] for i in body["items"]] == [apr["id"], q1["id"]]  # newest first
    for item in body["items"]:
        assert set(item) == {"id", "period", "title", "published_at", "income_total", "expense_total", "seal"}
        assert MONEY.match(item["income_total"]) and MONEY.match(item["expense_total"])
        assert re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$", item["published_at"])
        assert re.match(r"^[0-9a-f]{64}$", item["seal"])
    item = body["items"][1]
    assert (item["period"], item["income_total"], item["expense_total"]) == ("2026-Q1", "17000.00", "60900.00")
    assert item["seal"] == q1["seal"]
    d = client.get(f"{API}/disclosures/{q1['id']}", headers=h(make, lj["plain"])).json
    assert {k: d[k] for k in item} == item
    assert {"lines", "large_items", "approved_by", "prev_seal", "corrects_id", "corrected_by", "questions",
            "sealed_content"} <= set(d)
    for ln in d["lines"]:
        assert {"date", "summary", "category", "income", "expense"} <= set(ln)
        assert MONEY.match(ln["income"]) and MONEY.match(ln["expense"])
    assert d["large_items"][0]["decision"]["title"] == "村道硬化维修"
    assert d["approved_by"] == "孙立平" and d["questions"] == [] and d["corrects_id"] is None
    two = client.get(f"{API}/villages/{lj['v'].id}/disclosures?page_size=1&page=2", headers=h(make, lj["plain"]))
    assert [i["id"] for i in two.json["items"]] == [q1["id"]]


def test_strangers_and_anonymous_are_refused(client, make, lj):
    d = published(client, make, lj)
    for url in (f"{API}/disclosures/{d['id']}", f"{API}/villages/{lj['v'].id}/disclosures"):
        assert client.get(url, headers=h(make, lj["xz_villager"])).status_code == 404
        assert client.get(url, headers=h(make, lj["xz_sup"])).status_code == 404
        r = client.get(url)
        assert r.status_code == 401 and r.json["error"]["code"] == "auth.unauthenticated"
        assert client.get(url, headers=h(make, lj["staff"])).status_code == 200  # the township oversees it
    assert client.get(f"{API}/disclosures/999999", headers=h(make, lj["plain"])).status_code == 404


# ---------------------------------------------------------------- questions


def test_questions_due_dates_overdue_and_answers(client, make, lj, now):
    now[0] = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)
    d = draft(client, make, lj).json
    url = f"{API}/disclosures/{d['id']}/questions"
    r = client.post(url, json={"line_no": 1, "text": "草稿能问吗"}, headers=h(make, lj["acc"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.not_published"
    assert client.post(url, json={"line_no": 1, "text": "草稿能问吗"}, headers=h(make, lj["plain"])).status_code == 404
    approve(client, make, lj, d["id"])
    publish(client, make, lj, d["id"])
    settings.put(disclosures.QUESTION_DAYS.key, 5, actor=None, village=lj["v"])
    db.session.commit()
    vh = h(make, lj["plain"])
    for body, code in (
        ({"line_no": 9, "text": "第九行"}, "disclosure.line_unknown"),
        ({"line_no": 0, "text": "零"}, "validation.failed"),
        ({"line_no": "1", "text": "字符串行号"}, "validation.failed"),
        ({"line_no": 1, "text": ""}, "validation.failed"),
        ({"line_no": 1, "text": "长" * 501}, "validation.failed"),  # 1–500 since issue 20
    ):
        r = client.post(url, json=body, headers=vh)
        assert r.status_code == 422 and r.json["error"]["code"] == code, (body, r.json)
    assert "共8笔" in client.post(url, json={"line_no": 9, "text": "x"}, headers=vh).json["error"]["message"]
    assert client.post(url, json={"line_no": 4, "text": "?"}, headers=h(make, lj["xz_villager"])).status_code == 404
    assert client.post(url, json={"line_no": 4, "text": "?"}).status_code == 401
    # 17:30 UTC on the 20th is already the 21st in Shanghai: the business date counts
    now[0] = datetime(2026, 4, 20, 17, 30, tzinfo=UTC)
    r = client.post(url, json={"line_no": 4, "text": "村道维修为什么花了六万？"}, headers=vh)
    assert r.status_code == 201, r.json
    q = r.json
    assert q["due_on"] == "2026-04-26" and q["asked_at"] == "2026-04-21T01:30:00+08:00"
    assert q["asked_by"] == "张**" and q["overdue"] is False and q["answer"] is None
    status_url = f"{API}/townships/{lj['qs'].id}/disclosure-status"
    sh = h(make, lj["staff"])
    lj_row = next(v for v in client.get(status_url, headers=sh).json["villages"] if v["village_code"] == "LJ01")
    assert (lj_row["open_questions"], lj_row["overdue_questions"]) == (1, 0)
    now[0] = datetime(2026, 4, 26, 15, 0, tzinfo=UTC)  # 23:00 on the due day: not late yet
    lj_row = next(v for v in client.get(status_url, headers=sh).json["villages"] if v["village_code"] == "LJ01")
    assert lj_row["overdue_questions"] == 0
    now[0] = datetime(2026, 4, 26, 16, 0, tzinfo=UTC)  # midnight: the 27th in Shanghai
    lj_row = next(v for v in client.get(status_url, headers=sh).json["villages"] if v["village_code"] == "LJ01")
    assert (lj_row["open_questions"], lj_row["overdue_questions"]) == (1, 1)
    assert lj_row["overdue"][0]["id"] == q["id"] and lj_row["overdue"][0]["days_overdue"] == 1
    seen = client.get(f"{API}/disclosures/{d['id']}", headers=vh).json["questions"]
    assert [(x["id"], x["overdue"], x["answer"]) for x in seen] == [(q["id"], True, None)]
    answer_url = f"{API}/questions/{q['id']}/answer"
    for who, status in (("plain", 403), ("sup", 403), ("xz_acc", 404)):
        assert client.post(answer_url, json={"text": "答"}, headers=h(make, lj[who])).status_code == status, who
    assert client.post(answer_url, json={"text": ""}, headers=h(make, lj["sec"])).status_code == 422
    r = client.post(answer_url, json={"text": "村道维修经村民代表会议决议，见第4行所附决议。"},
                    headers=h(make, lj["sec"]))
    assert r.status_code == 200 and r.json["answered_by"] == "王建国" and r.json["overdue"] is False
    r = client.post(answer_url, json={"text": "再答"}, headers=h(make, lj["acc"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.question_answered"
    seen = client.get(f"{API}/disclosures/{d['id']}", headers=vh).json["questions"]
    assert seen[0]["answer"].startswith("村道维修经村民代表会议决议") and seen[0]["answered_at"].endswith("+08:00")
    lj_row = next(v for v in client.get(status_url, headers=sh).json["villages"] if v["village_code"] == "LJ01")
    assert (lj_row["open_questions"], lj_row["overdue_questions"], lj_row["overdue"]) == (0, 0, [])
    actions = db.session.execute(
        select(AuditEntry.action).where(AuditEntry.object_type == "disclosure_question").order_by(AuditEntry.id)
    ).scalars().all()
    assert actions == ["disclosure.question", "disclosure.answer"]


# ---------------------------------------------------------------- the township


def test_township_status_lists_unpublished_villages(client, make, lj, now):
    now[0] = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)
    url = f"{API}/townships/{lj['qs'].id}/disclosure-status"
    sh = h(make, lj["staff"])
    r = client.get(url, headers=sh)
    assert r.status_code == 200 and r.json["period"] == "2026-Q1"  # the last completed quarter
    assert r.json["unpublished"] == 2
    assert [(v["village_code"], v["published"]) for v in r.json["villages"]] == [("LJ01", False), ("XZ02", False)]
    q1 = published(client, make, lj, "2026-Q1")
    # 新竹村 publishes month by month: the three months together cover the quarter
    xz = lj["xz"]
    ledger.ensure_chart(xz)
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(xz, m, actor=None)
    db.session.commit()
    xz_lj = {"v": xz, "acc": lj["xz_acc"], "sup": lj["xz_sup"]}
    for m in ("2026-01", "2026-02"):
        published(client, make, xz_lj, m)
    body = client.get(url, headers=sh).json
    rows = {v["village_code"]: v for v in body["villages"]}
    assert rows["LJ01"]["published"] is True and [x["id"] for x in rows["LJ01"]["disclosures"]] == [q1["id"]]
    assert rows["XZ02"]["published"] is False and body["unpublished"] == 1
    published(client, make, xz_lj, "2026-03")
    assert client.get(url, headers=sh).json["unpublished"] == 0
    # a month is covered by its quarter's disclosure; an earlier quarter is not covered
    r = client.get(f"{url}?period=2026-02", headers=sh).json
    assert r["period"] == "2026-02" and r["unpublished"] == 0
    r = client.get(f"{url}?period=2025-Q4", headers=sh).json
    assert [v["published"] for v in r["villages"]] == [False, False]
    assert client.get(f"{url}?period=2026-Q9", headers=sh).status_code == 422
    for who in ("plain", "sec", "xz_villager"):
        assert client.get(url, headers=h(make, lj[who])).status_code == 404, who
    other = make.staff(make.township("BS", "白石镇"), "白石镇干部")
    db.session.commit()
    assert client.get(url, headers=h(make, other)).status_code == 404
    assert client.get(url).status_code == 401


def test_previous_quarter_and_period_parsing():
    assert disclosures.previous_quarter(date(2026, 5, 10)) == "2026-Q1"
    assert disclosures.previous_quarter(date(2026, 1, 1)) == "2025-Q4"
    assert disclosures.previous_quarter(date(2026, 12, 31)) == "2026-Q3"
    assert disclosures.months_of("2026-Q4") == ["2026-10", "2026-11", "2026-12"]
    assert disclosures.months_of("2026-07") == ["2026-07"]
    for bad in ("2026-00", "2026-Q0", "2026-q1", "２０２６-01"):
        with pytest.raises(Exception) as exc:
            disclosures.months_of(bad)
        assert exc.value.status == 422


def test_a_seal_row_is_what_the_detail_shows(client, make, lj):
    d = published(client, make, lj)
    s = db.session.execute(select(Seal).where(Seal.object_id == d["id"], Seal.kind == "disclosure")).scalar_one()
    assert (s.hash, s.prev_hash, s.canonical) == (d["seal"], d["prev_seal"], d["sealed_content"])


# ---------------------------------------------------------------- exports for the notice board


def test_exports_of_a_published_disclosure(client, make, lj):
    from io import BytesIO

    from openpyxl import load_workbook

    d = draft(client, make, lj).json
    url = f"{API}/disclosures/{d['id']}/export"
    r = client.get(f"{url}.pdf", headers=h(make, lj["acc"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.not_published"
    assert client.get(f"{url}.pdf", headers=h(make, lj["plain"])).status_code == 404  # a draft is not shown
    approve(client, make, lj, d["id"])
    pub = publish(client, make, lj, d["id"]).json
    vh = h(make, lj["plain"])
    x = client.get(f"{url}.xlsx", headers=vh)
    assert x.status_code == 200
    assert x.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert x.data[:2] == b"PK" and "attachment" in x.headers["Content-Disposition"]
    cells = [c for row in load_workbook(BytesIO(x.data)).active.iter_rows(values_only=True) for c in row if c]
    assert any("临江村" in str(c) for c in cells) and "村道维修工程款" in cells
    p = client.get(f"{url}.pdf", headers=vh)
    assert p.status_code == 200 and p.mimetype == "application/pdf" and p.data.startswith(b"%PDF")
    assert len(p.data) > 1000
    for path in (f"{url}.xlsx", f"{url}.pdf"):
        assert client.get(path, headers=h(make, lj["xz_villager"])).status_code == 404
        assert client.get(path).status_code == 401
    # the QR code opens the mini-program page of this disclosure (the base is configurable)
    row = db.session.get(Disclosure, d["id"])
    doc = disclosures.export_doc(row, disclosures.detail_url("pages/disclosure/detail", row.id))
    assert doc.url == f"pages/disclosure/detail?id={row.id}"
    assert disclosures.detail_url("https://x.example/m?from=qr", 7) == "https://x.example/m?from=qr&id=7"
    assert (doc.seal_hash, doc.prev_seal_hash, doc.title) == (pub["seal"], None, pub["title"])
    assert (doc.income_total_fen, doc.expense_total_fen) == (1_700_000, 6_090_000)
    assert [(i.decision_title, i.decision_ref) for i in doc.large_items] == [
        ("村道硬化维修", f"第{lj['road'].id}号决议")]
