"""The village's audit log for the console: filters by person, action and dates, Chinese labels, the pickers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from backend.core import audit
from backend.core.db import db

API = "/api/v1"
T = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 on 10 March in China


@pytest.fixture
def log(make, now):
    now[0] = T
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    sec = make.member(a, "王建国", roles=("secretary",))
    sup = make.member(a, "孙立平", roles=("supervisor",))
    acc = make.member(a, "李秀英", roles=("accountant",))
    b_sec = make.member(b, "乙书记", roles=("secretary",))
    staff = make.staff(qs)
    other = make.staff(make.township("BS", "白石镇"), "杨帆")
    p_sec, p_sup = make.principal(sec), make.principal(sup)

    def at(moment, action, who, village=a):
        now[0] = moment
        audit.record(action, "thing", 1, actor=who, village_id=village.id)

    at(datetime(2026, 3, 11, 15, 59, tzinfo=UTC), "household.update", p_sec)  # 23:59 on 11 March
    at(datetime(2026, 3, 11, 16, 0, tzinfo=UTC), "member.update", p_sec)  # 00:00 on 12 March
    at(datetime(2026, 3, 12, 3, 0, tzinfo=UTC), "disclosure.approve", p_sup)
    at(datetime(2026, 3, 13, 3, 0, tzinfo=UTC), "vote.tally", None)
    at(datetime(2026, 3, 13, 4, 0, tzinfo=UTC), "something.new", p_sec)
    at(datetime(2026, 3, 13, 5, 0, tzinfo=UTC), "member.update", make.principal(b_sec), village=b)
    now[0] = T
    db.session.commit()
    return {"a": a, "b": b, "sec": sec, "sup": sup, "acc": acc, "staff": staff, "other": other, "b_sec": b_sec}


def entries(client, make, log, query="", who="sec"):
    r = client.get(f"{API}/villages/{log['a'].id}/audit{query}", headers=make.headers(log[who]))
    assert r.status_code == 200, r.json
    return r.json


def actions(body):
    return [e["action"] for e in body["items"]]


def test_entries_carry_the_actor_name_and_a_chinese_label(client, make, log):
    body = entries(client, make, log, "?page_size=100")
    by_action = {e["action"]: e for e in body["items"]}
    assert by_action["disclosure.approve"]["actor_name"] == "孙立平"
    assert by_action["disclosure.approve"]["action_label"] == "审核通过财务公开"
    assert by_action["vote.tally"]["actor_name"] == "系统" and by_action["vote.tally"]["actor_person_id"] is None
    assert by_action["something.new"]["action_label"] == "系统：其他操作"
    assert by_action["household.update"]["action_label"] == "修改户信息"
    assert "member.update" in by_action and body["total"] >= 5
    # 乙村's entry never shows in 甲村's log
    assert all(e["actor_name"] != "乙书记" for e in body["items"])


def test_filters(client, make, log):
    sec_id, sup_id = log["sec"].person_id, log["sup"].person_id
    assert actions(entries(client, make, log, f"?person_id={sup_id}")) == ["disclosure.approve"]
    assert actions(entries(client, make, log, "?action=member.update")) == ["member.update"]
    assert actions(entries(client, make, log, f"?person_id={sec_id}&action=household.update")) == ["household.update"]
    # days are China's and inclusive: 12 March starts at 00:00 +08:00
    assert actions(entries(client, make, log, "?since=2026-03-12&until=2026-03-12")) == [
        "disclosure.approve", "member.update"]
    assert actions(entries(client, make, log, f"?person_id={sec_id}&until=2026-03-11")) == ["household.update"]
    assert actions(entries(client, make, log, f"?person_id={sec_id}&since=2026-03-12")) == [
        "something.new", "member.update"]
    assert actions(entries(client, make, log, "?since=2026-03-13T12:00:00%2B08:00")) == ["something.new"]
    # nobody's entries: an empty page, not an error
    assert entries(client, make, log, "?person_id=999999")["items"] == []


@pytest.mark.parametrize(("query", "field"), [
    ("?since=2026-13-01", "since"), ("?since=yesterday", "since"), ("?until=2026-03-12T10:00:00", "until"),
    ("?since=2026-03-13&until=2026-03-12", "until"), ("?person_id=0", "person_id"), ("?person_id=x", "person_id"),
])
def test_bad_filters_are_refused_in_chinese(client, make, log, query, field):
    r = client.get(f"{API}/villages/{log['a'].id}/audit{query}", headers=make.headers(log["sec"]))
    assert r.status_code == 422, r.json
    said = str(r.json["error"]["details"]["fields"][field])
    assert any("\u4e00" <= c <= "\u9fff" for c in said) and "Not a valid" not in said, said


def test_the_pickers(client, make, log):
    r = client.get(f"{API}/villages/{log['a'].id}/audit/actions", headers=make.headers(log["sup"]))
    assert r.status_code == 200
    got = {x["action"]: x["label"] for x in r.json}
    assert got["disclosure.approve"] == "审核通过财务公开" and got["vote.tally"] == "表决计票"
    assert "role.grant" in got  # the fixture's own role grants, by the system
    assert list(got) == sorted(got)
    r = client.get(f"{API}/villages/{log['a'].id}/audit/actors", headers=make.headers(log["staff"]))
    assert r.status_code == 200
    assert sorted(x["name"] for x in r.json) == ["孙立平", "王建国"]  # 乙书记 acted in 乙村 only; the system is no one
    assert {x["person_id"] for x in r.json} == {log["sec"].person_id, log["sup"].person_id}


@pytest.mark.parametrize("path", ["audit", "audit/actions", "audit/actors"])
def test_permissions(client, make, log, path):
    url = f"{API}/villages/{log['a'].id}/{path}"
    for who in ("sec", "sup", "staff"):
        assert client.get(url, headers=make.headers(log[who])).status_code == 200, who
    assert client.get(url, headers=make.headers(log["acc"])).status_code == 403  # the accountant: not the log
    for who in ("b_sec", "other"):  # another village's secretary, another township's staff
        assert client.get(url, headers=make.headers(log[who])).status_code == 404, who
    assert client.get(url).status_code == 401
