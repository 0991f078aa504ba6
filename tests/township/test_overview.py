"""The console's township screens: villages at a glance, the people pickers, adding a village; who may see them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.auth.models import WeChatAccount
from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.registry.models import Village

API = "/api/v1"


def bind(person_id: int, openid: str) -> None:
    db.session.add(WeChatAccount(appid="wx-demo-appid", openid=openid, person_id=person_id, bound_at=utcnow()))


@pytest.fixture
def ts(make):
    qs = make.township("QS", "青山镇")
    a, b = make.village("A01", "甲村", township=qs), make.village("B02", "乙村", township=qs)
    bs = make.township("BS", "白石镇")
    c = make.village("C03", "白石村", township=bs)
    people = {
        "staff": make.staff(qs, "郑雯"),
        "agency": make.staff(qs, "冯立", role="township_accountant"),
        "sec": make.member(a, "王建国", roles=("secretary",)),
        "sup": make.member(a, "孙立平", roles=("supervisor", "representative")),
        "acc": make.member(a, "李秀英", roles=("accountant",), collective=False),
        "moved": make.member(a, "赵六"),
        "villager": make.member(b, "吴强"),
        "other": make.staff(bs, "杨帆"),
        "c_villager": make.member(c, "白一"),
    }
    make.role(people["agency"], "township_accountant", village=b)  # keeps 乙村's books
    make.role(people["other"], "township_accountant", village=c)  # 白石镇's: never in 青山镇's lists
    db.session.flush()
    people["moved"].status = "moved_out"
    for who in ("sec", "sup", "moved", "villager", "c_villager"):
        bind(people[who].person_id, f"o-{who}")
    db.session.commit()
    return {"qs": qs, "bs": bs, "a": a, "b": b, "c": c, **people}


def test_overview_counts_roster_members_bound_and_staff(client, make, ts):
    r = client.get(f"{API}/townships/{ts['qs'].id}/villages/overview", headers=make.headers(ts["staff"]))
    assert r.status_code == 200, r.json
    items = {x["code"]: x for x in r.json["items"]}
    assert list(items) == ["A01", "B02"]  # by code; 白石镇's village never appears
    a, b = items["A01"], items["B02"]
    # 甲村: 3 on the active roster (赵六 moved out), 2 of them 成员 (李秀英 is not), 2 bound (赵六's not counted)
    assert (a["id"], a["name"], a["roster_size"], a["members"], a["bound"]) == (ts["a"].id, "甲村", 3, 2, 2)
    assert sorted((s["role"], s["role_label"], s["name"]) for s in a["staff"]) == [
        ("accountant", "会计", "李秀英"), ("secretary", "村党组织书记", "王建国"),
        ("supervisor", "村务监督委员", "孙立平")]
    assert all(set(s) == {"assignment_id", "role", "role_label", "person_id", "name", "since"} for s in a["staff"])
    assert a["staff"][0]["since"].endswith("+08:00")
    # 乙村: the agency accountant shows as its staff; a representative is not staff
    assert (b["roster_size"], b["members"], b["bound"]) == (1, 1, 1)
    assert [(s["role"], s["name"]) for s in b["staff"]] == [("township_accountant", "冯立")]


def test_an_ended_role_leaves_the_staff(client, make, ts):
    from backend import registry
    from backend.registry.models import RoleAssignment

    ra = db.session.execute(select(RoleAssignment).where(
        RoleAssignment.person_id == ts["sec"].person_id, RoleAssignment.role == "secretary")).scalar_one()
    registry.end_role(ra, actor=None)
    db.session.commit()
    r = client.get(f"{API}/townships/{ts['qs'].id}/villages/overview", headers=make.headers(ts["staff"]))
    assert "王建国" not in [s["name"] for x in r.json["items"] for s in x["staff"]]


def test_people_are_the_townships_staff_and_agency_accountants(client, make, ts):
    r = client.get(f"{API}/townships/{ts['qs'].id}/people", headers=make.headers(ts["staff"]))
    assert r.status_code == 200, r.json
    got = [(p["name"], [x["role"] for x in p["roles"]]) for p in r.json["items"]]
    assert sorted(got) == sorted([("郑雯", ["township_staff"]), ("冯立", ["township_accountant"])])
    assert r.json["items"][0]["roles"][0]["role_label"] in ("镇（乡）工作人员", "镇（乡）代理会计")
    r = client.get(f"{API}/townships/{ts['bs'].id}/people", headers=make.headers(ts["other"]))
    assert [p["name"] for p in r.json["items"]] == ["杨帆"]


def test_add_a_village(client, make, ts):
    url = f"{API}/townships/{ts['qs'].id}/villages"
    sh = make.headers(ts["staff"])
    r = client.post(url, json={"code": " td04 ", "name": "桃店村"}, headers=sh)
    assert r.status_code == 201, r.json
    assert (r.json["code"], r.json["name"], r.json["township"]["id"]) == ("TD04", "桃店村", ts["qs"].id)
    e = db.session.execute(select(AuditEntry).where(AuditEntry.action == "village.create")).scalar_one()
    assert (e.actor_person_id, e.village_id, e.township_id) == (ts["staff"].id, r.json["id"], ts["qs"].id)
    # the new village is in the township's lists at once
    r = client.get(f"{url}/overview", headers=sh)
    assert [x["code"] for x in r.json["items"]] == ["A01", "B02", "TD04"]


@pytest.mark.parametrize(
    ("body", "status", "field", "says"),
    [
        ({"code": "A01", "name": "新村"}, 409, None, "编码 A01 已被甲村使用"),
        ({"code": "c03", "name": "新村"}, 409, None, "已被白石村使用"),  # another township's village: still taken
        ({"code": "BS", "name": "新村"}, 409, None, "已被白石镇使用"),  # a township's code binds staff: taken too
        ({"code": "9X", "name": "新村"}, 422, "code", "以字母开头"),
        ({"code": "X", "name": "新村"}, 422, "code", "2 到 20 位"),
        ({"code": "AB-1", "name": "新村"}, 422, "code", "字母和数字"),
        ({"code": "AB01", "name": "新 村"}, 422, "name", "2 到 30 个字"),
        ({"code": "AB01", "name": "村"}, 422, "name", "2 到 30 个字"),
        ({"code": "AB01"}, 422, "name", None),
        ({"name": "新村"}, 422, "code", None),
    ],
)
def test_a_bad_village_is_refused_in_chinese_and_nothing_changes(client, make, ts, body, status, field, says):
    sh = make.headers(ts["staff"])
    before = db.session.execute(select(func.count()).select_from(Village)).scalar_one()
    r = client.post(f"{API}/townships/{ts['qs'].id}/villages", json=body, headers=sh)
    assert r.status_code == status, r.json
    err = r.json["error"]
    if field:
        assert field in err["details"]["fields"]
    if says:
        assert says in err["message"]
    assert db.session.execute(select(func.count()).select_from(Village)).scalar_one() == before
    assert db.session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "village.create")).scalar_one() == 0


@pytest.mark.parametrize(
    ("method", "path", "viewer_ok"),
    [
        ("GET", "villages/overview", True),
        ("GET", "warnings", True),
        ("GET", "progress/{a}/months", True),
        ("GET", "people", False),
        ("POST", "villages", False),
    ],
)
def test_permissions(client, make, ts, method, path, viewer_ok):
    url = f"{API}/townships/{ts['qs'].id}/{path.format(a=ts['a'].id)}"
    body = {"code": "NEW9", "name": "新村"} if method == "POST" else None

    def call(who=None):
        headers = make.headers(ts[who]) if who else {}
        return client.open(url, method=method, json=body, headers=headers).status_code

    assert call("staff") in (200, 201)
    # the agency accountant views the township but does not manage it
    assert call("agency") == (200 if viewer_ok else 403)
    # village people and another township's staff: the township does not exist for them
    for who in ("sec", "sup", "villager", "other"):
        assert call(who) == 404, who
    assert call() == 401
    missing = url.replace(f"/townships/{ts['qs'].id}/", "/townships/999999/")
    assert client.open(missing, method=method, json=body, headers=make.headers(ts["staff"])).status_code == 404


def test_a_village_of_another_township_has_no_months_here(client, make, ts):
    sh = make.headers(ts["staff"])
    r = client.get(f"{API}/townships/{ts['qs'].id}/progress/{ts['c'].id}/months", headers=sh)
    assert r.status_code == 404
    assert client.get(f"{API}/townships/{ts['qs'].id}/progress/999999/months", headers=sh).status_code == 404
