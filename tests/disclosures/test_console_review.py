"""The reviewers' view of a 财务公开 (GET /disclosures/{id}/review): each line with the voucher it comes from."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend import disclosures
from backend.core.db import db
from backend.ledger import service as ledger

API = "/api/v1"


def voucher(village, on: date, summary: str, lines: list[tuple[str, int, int]]):
    v = ledger.create_voucher(village, ledger.VoucherInput(on, summary, [ledger.LineInput(*ln) for ln in lines]),
                              actor=None)
    ledger.post_voucher(v, actor=None)
    return v


@pytest.fixture
def q1(make, now):
    now[0] = datetime(2026, 4, 5, 2, 0, tzinfo=UTC)
    qs = make.township("QS", "青山镇")
    a = make.village("A01", "甲村", township=qs)
    b = make.village("B02", "乙村", township=qs)
    ledger.ensure_chart(a)
    rent = voucher(a, date(2026, 1, 15), "收土地流转服务费", [("102", 1_200_00, 0), ("501001", 0, 1_200_00)])
    # one voucher, two lines: both lines cite it; its amount is the voucher's total
    mixed = voucher(a, date(2026, 2, 3), "收租金和补助", [("102", 3_000_50, 0), ("501001", 0, 1_000_50),
                                                       ("503", 0, 2_000_00)])
    wage = voucher(a, date(2026, 3, 9), "付保洁工资", [("514", 600_00, 0), ("102", 0, 600_00)])
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(a, m, actor=None)
    w = {"a": a, "b": b, "rent": rent, "mixed": mixed, "wage": wage,
         "acc": make.member(a, "李秀英", roles=("accountant",)), "sup": make.member(a, "孙立平", roles=("supervisor",)),
         "sec": make.member(a, "王建国", roles=("secretary",)), "villager": make.member(a, "张大山"),
         "staff": make.staff(qs), "b_sup": make.member(b, "乙监督", roles=("supervisor",)),
         "other": make.staff(make.township("BS", "白石镇"), "杨帆")}
    d, _ = disclosures.draft_disclosure(a, "2026-Q1", None, actor=make.principal(w["acc"]))
    w["d"] = d
    db.session.commit()
    return w


def review(client, make, q1, who="sup"):
    return client.get(f"{API}/disclosures/{q1['d'].id}/review", headers=make.headers(q1[who]))


def test_each_line_carries_its_voucher(client, make, q1):
    r = review(client, make, q1)
    assert r.status_code == 200, r.json
    body = r.json
    assert body["status"] == "draft" and body["id"] == q1["d"].id
    lines = body["lines"]
    assert [(ln["summary"], ln["voucher_no"]) for ln in lines] == [
        ("收土地流转服务费", "2026-01-001"), ("收租金和补助", "2026-02-001"), ("收租金和补助", "2026-02-001"),
        ("付保洁工资", "2026-03-001")]
    assert lines[0]["vouchers"] == [{"id": q1["rent"].id, "number": "2026-01-001", "date": "2026-01-15",
                                     "summary": "收土地流转服务费", "amount": "1200.00"}]
    assert [v["id"] for v in lines[1]["vouchers"]] == [q1["mixed"].id] == [v["id"] for v in lines[2]["vouchers"]]
    assert lines[1]["vouchers"][0]["amount"] == "3000.50"
    assert lines[3]["vouchers"][0]["id"] == q1["wage"].id
    # the rest is the disclosure's detail, unchanged
    plain = client.get(f"{API}/disclosures/{q1['d'].id}", headers=make.headers(q1["sup"])).json
    assert {k: v for k, v in body.items() if k != "lines"} == {k: v for k, v in plain.items() if k != "lines"}
    assert [{k: v for k, v in ln.items() if k != "vouchers"} for ln in lines] == plain["lines"]
    # each voucher opens for the reviewer
    assert client.get(f"{API}/vouchers/{q1['rent'].id}", headers=make.headers(q1["sup"])).status_code == 200


def test_after_publication_too(client, make, q1):
    disclosures.approve(q1["d"], actor=make.principal(q1["sup"]))
    disclosures.publish(q1["d"], actor=make.principal(q1["acc"]))
    db.session.commit()
    body = review(client, make, q1, who="staff").json
    assert body["status"] == "published" and body["seal"]
    assert [ln["vouchers"][0]["number"] for ln in body["lines"]] == [
        "2026-01-001", "2026-02-001", "2026-02-001", "2026-03-001"]


def test_who_may_review(client, make, q1):
    for who in ("sup", "acc", "sec", "staff"):
        assert review(client, make, q1, who).status_code == 200, who
    assert review(client, make, q1, "villager").status_code == 403  # a villager reads the published page only
    for who in ("b_sup", "other"):
        assert review(client, make, q1, who).status_code == 404, who
    assert client.get(f"{API}/disclosures/999999/review", headers=make.headers(q1["sup"])).status_code == 404
    assert client.get(f"{API}/disclosures/{q1['d'].id}/review").status_code == 401
