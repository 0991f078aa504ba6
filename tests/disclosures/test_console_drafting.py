"""The console's drafting screen: the periods the accountant may draft (by the village's cadence, with each one's
state and the reason it cannot be drafted), the preview that saves nothing, and drafting refused for an open month."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend import disclosures, registry
from backend.core.db import db
from backend.disclosures.models import Disclosure
from backend.ledger import service as ledger

API = "/api/v1"


def voucher(village, on: date, summary: str, lines: list[tuple[str, int, int]]):
    v = ledger.create_voucher(village, ledger.VoucherInput(on, summary, [ledger.LineInput(*ln) for ln in lines]),
                              actor=None)
    ledger.post_voucher(v, actor=None)
    return v


@pytest.fixture
def w(make, now):
    now[0] = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)  # Q1 done, April done (not closed), May open
    qs = make.township("QS", "青山镇")
    a = make.village("A01", "甲村", township=qs)
    b = make.village("B02", "乙村", township=qs)
    ledger.ensure_chart(a)
    voucher(a, date(2026, 1, 15), "收土地流转服务费", [("102", 1_200_00, 0), ("501001", 0, 1_200_00)])
    voucher(a, date(2026, 3, 9), "付保洁工资", [("514", 600_00, 0), ("102", 0, 600_00)])
    voucher(a, date(2026, 4, 9), "付办公费", [("513", 50_00, 0), ("102", 0, 50_00)])
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(a, m, actor=None)
    out = {"a": a, "b": b, "acc": make.member(a, "李秀英", roles=("accountant",)),
           "sup": make.member(a, "孙立平", roles=("supervisor",)), "villager": make.member(a, "张大山"),
           "b_acc": make.member(b, "乙会计", roles=("accountant",))}
    db.session.commit()
    return out


def periods(client, make, w, who="acc", **query):
    r = client.get(f"{API}/villages/{w['a'].id}/disclosures/periods", query_string=query, headers=make.headers(w[who]))
    assert r.status_code == 200, r.json
    return r.json


def by_period(body):
    return {it["period"]: it for it in body["items"]}


def test_quarters_by_default_newest_first_with_what_is_closed(client, make, w):
    body = periods(client, make, w)
    assert body["cadence"] == "quarter"
    assert [it["period"] for it in body["items"][:3]] == ["2026-Q1", "2025-Q4", "2025-Q3"]
    assert len(body["items"]) == 8
    q1, q4 = body["items"][0], body["items"][1]
    assert q1 == {"period": "2026-Q1", "label": "2026年第一季度", "months": ["2026-01", "2026-02", "2026-03"],
                  "closed": True, "open_months": [], "disclosure": None, "covered_by": None, "can_draft": True,
                  "reason": None}
    assert not q4["closed"] and q4["open_months"] == ["2025-10", "2025-11", "2025-12"] and not q4["can_draft"]
    assert q4["reason"] == "2025-10、2025-11、2025-12 尚未结账，结账后才能编制"


def test_each_state_of_the_periods_disclosure(client, make, w):
    acc, sup = make.principal(w["acc"]), make.principal(w["sup"])
    d, _ = disclosures.draft_disclosure(w["a"], "2026-Q1", None, actor=acc)
    db.session.commit()
    q1 = periods(client, make, w)["items"][0]
    assert q1["disclosure"] == {"id": d.id, "status": "draft", "status_label": "待审核", "title": d.title,
                                "return_reason": None}
    assert q1["can_draft"] and q1["reason"] is None  # drafting again refreshes it
    client.post(f"{API}/disclosures/{d.id}/return", json={"reason": "缺少领条"}, headers=make.headers(w["sup"]))
    q1 = periods(client, make, w)["items"][0]
    assert q1["disclosure"]["status_label"] == "已退回" and q1["disclosure"]["return_reason"] == "缺少领条"
    assert q1["can_draft"]
    disclosures.draft_disclosure(w["a"], "2026-Q1", None, actor=acc)
    disclosures.approve(db.session.get(Disclosure, d.id), actor=sup)
    db.session.commit()
    q1 = periods(client, make, w)["items"][0]
    assert q1["disclosure"]["status_label"] == "已审核" and not q1["can_draft"]
    assert q1["reason"] == "已经审核通过，可以公开"
    disclosures.publish(db.session.get(Disclosure, d.id), actor=acc)
    db.session.commit()
    q1 = periods(client, make, w)["items"][0]
    assert q1["disclosure"]["status_label"] == "已公开" and not q1["can_draft"]
    assert q1["reason"] == "已经公开；如有错误请发布更正"
    # by month, March is covered by the published quarter; April is not closed
    months = by_period(periods(client, make, w, kind="month"))
    assert months["2026-03"]["covered_by"] == "2026-Q1" and not months["2026-03"]["can_draft"]
    assert months["2026-03"]["reason"] == "已由 2026-Q1 的财务公开覆盖"
    assert months["2026-04"]["open_months"] == ["2026-04"] and not months["2026-04"]["can_draft"]


def test_a_monthly_village_gets_months(client, make, w):
    registry.settings.put("disclosures.monthly", 1, actor=None, village=w["a"])
    db.session.commit()
    body = periods(client, make, w)
    assert body["cadence"] == "month"
    assert [it["period"] for it in body["items"][:3]] == ["2026-04", "2026-03", "2026-02"]
    assert [it["can_draft"] for it in body["items"][:3]] == [False, True, True]
    assert periods(client, make, w, kind="quarter")["cadence"] == "quarter"


def test_the_setting_is_a_yes_or_no(make, w):
    from backend.core.errors import AppError
    with pytest.raises(AppError) as err:
        registry.settings.put("disclosures.monthly", 2, actor=None, village=w["a"])
    assert err.value.code == "setting.out_of_range" and "财务公开按月公开" in err.value.message


def test_a_bad_kind_is_refused_in_chinese(client, make, w):
    r = client.get(f"{API}/villages/{w['a'].id}/disclosures/periods?kind=year", headers=make.headers(w["acc"]))
    assert r.status_code == 422 and "应为以下之一" in r.json["error"]["message"]


def test_the_preview_is_what_drafting_freezes_and_saves_nothing(client, make, w):
    h = make.headers(w["acc"])
    r = client.get(f"{API}/villages/{w['a'].id}/disclosures/preview?period=2026-Q1", headers=h)
    assert r.status_code == 200, r.json
    p = r.json
    assert (p["period"], p["label"], p["title"]) == ("2026-Q1", "2026年第一季度", "甲村2026年第一季度财务收支公开")
    assert (p["income_total"], p["expense_total"]) == ("1200.00", "600.00")
    assert [ln["summary"] for ln in p["lines"]] == ["收土地流转服务费", "付保洁工资"]
    assert db.session.query(Disclosure).count() == 0
    drafted = client.post(f"{API}/villages/{w['a'].id}/disclosures", json={"period": "2026-Q1"}, headers=h).json
    assert drafted["lines"] == p["lines"] and drafted["by_category"] == p["by_category"]
    assert drafted["title"] == p["title"] and drafted["income_total"] == p["income_total"]


def test_an_open_period_is_refused_with_its_months_named(client, make, w):
    h = make.headers(w["acc"])
    for period, months in (("2026-Q2", "2026-04、2026-05、2026-06"), ("2026-04", "2026-04")):
        r = client.get(f"{API}/villages/{w['a'].id}/disclosures/preview", query_string={"period": period}, headers=h)
        assert r.status_code == 409
        assert r.json["error"]["code"] == "disclosure.period_open"
        assert r.json["error"]["message"] == f"{months} 尚未结账，结账后才能编制财务公开"
        r = client.post(f"{API}/villages/{w['a'].id}/disclosures", json={"period": period}, headers=h)
        assert r.status_code == 409 and r.json["error"]["code"] == "disclosure.period_open"
    assert db.session.query(Disclosure).count() == 0


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "2026", "abc"])
def test_a_bad_preview_period_is_refused_in_chinese(client, make, w, period):
    r = client.get(f"{API}/villages/{w['a'].id}/disclosures/preview", query_string={"period": period},
                   headers=make.headers(w["acc"]))
    assert r.status_code == 422 and "公开期间应为月份" in r.json["error"]["message"]


def test_who_may_see_the_periods_and_the_preview(client, make, w):
    vid = w["a"].id
    # the supervisor reads the periods, but drafting (and its preview) is the accountant's
    assert periods(client, make, w, who="sup")["cadence"] == "quarter"
    r = client.get(f"{API}/villages/{vid}/disclosures/preview?period=2026-Q1", headers=make.headers(w["sup"]))
    assert r.status_code == 403
    for path in ("periods", "preview?period=2026-Q1"):
        assert client.get(f"{API}/villages/{vid}/disclosures/{path}", headers=make.headers(w["villager"])
                          ).status_code == 403
        assert client.get(f"{API}/villages/{vid}/disclosures/{path}", headers=make.headers(w["b_acc"])
                          ).status_code == 404
        assert client.get(f"{API}/villages/{vid}/disclosures/{path}").status_code == 401
