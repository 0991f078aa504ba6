"""待办/预警: the four kinds, each rule at its edge, the settings that move them, and another township's villages
never appearing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backend import disclosures
from backend.core.db import db
from backend.decisions.pipeline import service as pipeline
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.ledger import service as ledger
from backend.registry import settings

API = "/api/v1"
APR_20 = datetime(2026, 4, 20, 2, 0, tzinfo=UTC)  # 10:00 in China; the last quarter (2026-Q1) ended 31 March


def income(village, on: date) -> None:
    ledger.ensure_chart(village)
    v = ledger.create_voucher(village, ledger.VoucherInput(
        on, "租金", [ledger.LineInput("102", 500_00, 0), ledger.LineInput("501001", 0, 500_00)]), actor=None)
    ledger.post_voucher(v, actor=None)


def publish_q1(make, village, acc, sup):
    income(village, date(2026, 2, 3))
    for m in ("2026-01", "2026-02", "2026-03"):
        ledger.close_period(village, m, actor=None)
    d, _ = disclosures.draft_disclosure(village, "2026-Q1", None, actor=make.principal(acc))
    disclosures.approve(d, actor=make.principal(sup))
    disclosures.publish(d, actor=make.principal(acc))
    return d


@pytest.fixture
def world(make, now):
    now[0] = APR_20 - timedelta(days=16)  # 4 April: Q1 published by 甲村
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    bs = make.township("BS", "白石镇")
    c = make.village("C03", "白石村", township=bs)
    w = {
        "qs": qs, "bs": bs, "a": a, "b": b, "c": c,
        "staff": make.staff(qs, "郑雯"), "agency": make.staff(qs, "冯立", role="township_accountant"),
        "other": make.staff(bs, "杨帆"),
        "acc": make.member(a, "李秀英", roles=("accountant",)), "sup": make.member(a, "孙立平", roles=("supervisor",)),
        "v1": make.member(a, "张一"), "v2": make.member(a, "张二"),
        "c_acc": make.member(c, "白会计", roles=("accountant",)), "c_v": make.member(c, "白一"),
    }
    w["disclosure"] = publish_q1(make, a, w["acc"], w["sup"])
    db.session.commit()
    now[0] = APR_20
    return w


def get(client, make, w, who="staff", township="qs"):
    r = client.get(f"{API}/townships/{w[township].id}/warnings", headers=make.headers(w[who]))
    assert r.status_code == 200, r.json
    return r.json


def kinds(items):
    return sorted((x["kind"], x["village"]["name"]) for x in items)


def decide(village, title):
    return pipeline.create_decision(village.id, pipeline.DecisionInput(title, "project", "村干部提议"), actor=None)


def test_disclosure_overdue_after_the_allowance(client, make, world, now):
    items = get(client, make, world)
    assert kinds(items) == [("disclosure_overdue", "乙村")]  # 甲村 published; 白石村 is another township's
    x = items[0]
    assert x["id"] == f"disclosure_overdue:{world['b'].id}"
    assert x["village"] == {"id": world["b"].id, "name": "乙村"}
    assert x["since"] == "2026-04-11"  # 10 days after 31 March
    assert "2026年第1季度的财务公开逾期未公布" in x["message"]
    assert x["link"] == {"type": "village", "id": world["b"].id, "village_id": world["b"].id}
    # the edge: on the tenth day it is not overdue yet
    now[0] = datetime(2026, 4, 10, 15, 59, tzinfo=UTC)  # 23:59 on 10 April in China
    assert get(client, make, world) == []
    now[0] = datetime(2026, 4, 10, 16, 0, tzinfo=UTC)  # 00:00 on 11 April
    assert kinds(get(client, make, world)) == [("disclosure_overdue", "乙村")]
    # the township's own allowance moves it
    settings.put("township.disclosure_due_days", 15, actor=None, township=world["qs"])
    db.session.commit()
    assert get(client, make, world) == []


def test_question_overdue_the_day_after_its_due_date_until_answered(client, make, world, now):
    now[0] = APR_20 - timedelta(days=10)  # asked on 10 April: due 17 April (7 days)
    q = disclosures.ask(world["disclosure"], 1, "这笔租金是哪块地的？", actor=make.principal(world["v1"]))
    db.session.commit()
    assert q.due_on == date(2026, 4, 17)
    now[0] = datetime(2026, 4, 17, 15, 0, tzinfo=UTC)  # 23:00 on the due date: not overdue
    assert kinds(get(client, make, world)) == [("disclosure_overdue", "乙村")]
    now[0] = datetime(2026, 4, 17, 16, 0, tzinfo=UTC)  # 00:00 on 18 April
    items = [x for x in get(client, make, world) if x["kind"] == "question_overdue"]
    assert len(items) == 1
    x = items[0]
    assert x["id"] == f"question_overdue:{q.id}" and x["since"] == "2026-04-18"
    assert x["link"] == {"type": "question", "id": q.id, "village_id": world["a"].id}
    assert "第1行的提问已逾期1天未答复" in x["message"]
    disclosures.answer(q, "是村东头那块。", actor=make.principal(world["acc"]))
    db.session.commit()
    assert [x for x in get(client, make, world) if x["kind"] == "question_overdue"] == []


def test_decision_stuck_past_the_stuck_days(client, make, world, now):
    now[0] = APR_20 - timedelta(days=31)
    stuck = decide(world["a"], "修村道")
    ended = decide(world["a"], "建冷库")
    pipeline.end_decision(ended, "资金不足", actor=None)  # ended: never stuck
    decide(world["c"], "白石村的路")  # another township's: never here
    now[0] = APR_20 - timedelta(days=30)
    edge = decide(world["b"], "装路灯")  # exactly 30 days: not more than 30
    now[0] = APR_20
    db.session.commit()
    items = [x for x in get(client, make, world) if x["kind"] == "decision_stuck"]
    assert [x["id"] for x in items] == [f"decision_stuck:{stuck.id}"]
    assert items[0]["link"] == {"type": "decision", "id": stuck.id, "village_id": world["a"].id}
    assert items[0]["since"] == "2026-03-20T10:00:00+08:00"
    assert "“修村道”已有31天没有推进" in items[0]["message"]
    settings.put("township.stuck_days", 29, actor=None, township=world["qs"])
    db.session.commit()
    ids = [x["id"] for x in get(client, make, world) if x["kind"] == "decision_stuck"]
    assert ids == [f"decision_stuck:{stuck.id}", f"decision_stuck:{edge.id}"]
    # the other township sees only its own
    theirs = get(client, make, world, who="other", township="bs")
    assert {x["village"]["name"] for x in theirs} == {"白石村"}


def open_vote(village, title, opens: datetime, closes: datetime) -> int:
    d = decide(village, f"{title}事项")
    v = votes.open_vote(db.session.get(Decision, d.id), stage="决议", body="villagers_meeting", title=title,
                        opens_at=opens, closes_at=closes, actor=None)
    return v.id


def test_vote_low_turnout_near_its_close(client, make, world, now):
    a, c = world["a"], world["c"]
    low = open_vote(a, "修村道表决", APR_20 - timedelta(days=1), APR_20 + timedelta(days=2))
    half = open_vote(a, "装路灯表决", APR_20 - timedelta(days=1), APR_20 + timedelta(days=2))
    later = open_vote(a, "建冷库表决", APR_20 - timedelta(days=1), APR_20 + timedelta(days=3, seconds=1))
    open_vote(c, "白石村表决", APR_20 - timedelta(days=1), APR_20 + timedelta(days=1))  # 0 of 2: another township's
    db.session.commit()
    electors = [world[k] for k in ("acc", "sup", "v1", "v2")]  # 甲村's four adults
    votes.cast_ballot(db.session.get(votes.Vote, low), "agree", actor=make.principal(electors[0]))
    for e in electors[:2]:  # 2 of 4: exactly half is not "fewer than half"
        votes.cast_ballot(db.session.get(votes.Vote, half), "agree", actor=make.principal(e))
    db.session.commit()
    items = [x for x in get(client, make, world) if x["kind"] == "vote_low_turnout"]
    assert [x["id"] for x in items] == [f"vote_low_turnout:{low}"]  # `later` closes after the 3-day window
    x = items[0]
    assert x["link"] == {"type": "vote", "id": low, "village_id": a.id}
    assert "已投 1 / 4 人，不到应投人数的50%" in x["message"] and "4月22日 10:00 截止" in x["message"]
    assert x["since"] == "2026-04-19T10:00:00+08:00"  # opened within the window: since its opening
    now[0] = APR_20 + timedelta(seconds=2)  # `later` enters the window (3 days before its close)
    ids = [x["id"] for x in get(client, make, world) if x["kind"] == "vote_low_turnout"]
    assert ids == [f"vote_low_turnout:{low}", f"vote_low_turnout:{later}"]
    settings.put("township.vote_low_turnout_pct", 60, actor=None, township=world["qs"])
    db.session.commit()
    ids = {x["id"] for x in get(client, make, world) if x["kind"] == "vote_low_turnout"}
    assert ids == {f"vote_low_turnout:{v}" for v in (low, half, later)}
    now[0] = APR_20 + timedelta(days=2)  # closed: no longer a warning
    ids = {x["id"] for x in get(client, make, world) if x["kind"] == "vote_low_turnout"}
    assert ids == {f"vote_low_turnout:{later}"}


def test_sorted_by_since_and_seen_by_the_agency_accountant_too(client, make, world, now):
    now[0] = APR_20 - timedelta(days=31)
    decide(world["a"], "修村道")
    now[0] = APR_20
    db.session.commit()
    items = get(client, make, world, who="agency")
    assert [x["kind"] for x in items] == ["decision_stuck", "disclosure_overdue"]  # 20 March before 11 April
    # the contract's fields, and the store's (added freely)
    assert all(set(x) >= {"id", "village", "kind", "message", "since", "link"} for x in items)
    assert all(set(x) >= {"warning_id", "label", "state", "opened_at", "closed_at"} for x in items)
