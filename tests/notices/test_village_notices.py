"""A village's notices for its staff (``GET /villages/{id}/notices``): its own and its township's, withdrawn ones
kept, each with its reach in this village only (audience by the notice's kind, read in the app or offline, unread,
the share); only the village's secretary and committee see it, another village's secretary sees nothing."""

from __future__ import annotations

from backend.core.db import db
from tests.notices.conftest import bind


def _world(make):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    xz = make.village("XZ02", "新竹村", township=qs)
    staff = make.staff(qs, "郑雯")
    bind(staff.id, "o-staff")
    sec = make.member(lj, "王建国", roles=("secretary",))
    bind(sec.person_id, "o-sec")
    people = [make.member(lj, f"临江{i}") for i in range(3)]
    rep = make.member(lj, "陈桂兰", roles=("representative",))
    xz_sec = make.member(xz, "周海", roles=("secretary",))
    villager = people[0]
    for i, m in enumerate([*people, rep]):
        bind(m.person_id, f"o-{i}")
    db.session.commit()
    return qs, lj, xz, staff, sec, people, rep, xz_sec, villager


def _list(client, make, who, village):
    return client.get(f"/api/v1/villages/{village.id}/notices", headers=make.headers(who))


def test_the_village_list_has_its_own_and_the_townships_notices_with_reach_here(client, make, wechat):
    qs, lj, xz, staff, sec, people, rep, _xz_sec, _v = _world(make)
    own = client.post(f"/api/v1/villages/{lj.id}/notices", headers=make.headers(sec),
                      json={"title": "关于召开村民代表会议的通知", "body": "周五下午两点村委会。", "pinned": True,
                            "audience": "representatives"})
    assert own.status_code == 201, own.json
    town = client.post(f"/api/v1/townships/{qs.id}/notices", headers=make.headers(staff),
                       json={"title": "防汛通知", "body": "注意汛情。", "village_ids": [lj.id, xz.id]})
    assert town.status_code == 201
    assert client.post(f"/api/v1/notices/{town.json['id']}/read", headers=make.headers(people[0])).status_code == 204
    assert client.post(f"/api/v1/notices/{own.json['id']}/read", headers=make.headers(rep)).status_code == 204
    r = _list(client, make, sec, lj)
    assert r.status_code == 200, r.json
    assert r.json["total"] == 2
    by_title = {x["title"]: x for x in r.json["items"]}
    mine, theirs = by_title["关于召开村民代表会议的通知"], by_title["防汛通知"]
    assert mine["source"] == "village" and mine["can_withdraw"] and mine["pinned"]
    assert mine["audience_label"] == "村民代表" and mine["publisher"] == "王建国"
    assert mine["reach"] == {"audience": 1, "read": 1, "read_in_app": 1, "read_offline": 0, "unread": 0,
                             "share": "100.0%"}
    # the township's notice: 5 on 临江村's roster (the secretary, three villagers, the representative)
    assert theirs["source"] == "township" and theirs["source_name"] == "青山镇" and not theirs["can_withdraw"]
    assert theirs["reach"] == {"audience": 5, "read": 1, "read_in_app": 1, "read_offline": 0, "unread": 4,
                               "share": "20.0%"}


def test_a_withdrawn_notice_stays_listed_without_reach(client, make, wechat):
    _qs, lj, _xz, _staff, sec, _people, _rep, _xs, _v = _world(make)
    nid = client.post(f"/api/v1/villages/{lj.id}/notices", headers=make.headers(sec),
                      json={"title": "停水通知", "body": "明天停水。"}).json["id"]
    assert client.post(f"/api/v1/notices/{nid}/withdraw", headers=make.headers(sec)).status_code == 204
    item = _list(client, make, sec, lj).json["items"][0]
    assert item["status"] == "withdrawn" and item["status_label"] == "已撤回"
    assert item["reach"] is None and not item["can_withdraw"] and item["withdrawn_at"]


def test_an_empty_village_list_and_who_may_not_see_it(client, make, wechat):
    _qs, lj, xz, _staff, sec, _people, _rep, xz_sec, villager = _world(make)
    assert _list(client, make, sec, lj).json == {"items": [], "total": 0, "page": 1, "page_size": 20}
    assert _list(client, make, xz_sec, lj).status_code == 404  # another village: nothing of it
    assert _list(client, make, villager, lj).status_code == 403  # a villager reads /me/notices
    assert _list(client, make, xz_sec, xz).status_code == 200
