"""Reach: per village audience, readers (app, meeting, loudspeaker) and share; who has not read; reminders only to
them, once each; and who may look."""

from __future__ import annotations

from sqlalchemy import select

from backend.core.db import db
from backend.notices.models import NoticeRead, PushJob
from tests.notices.conftest import bind


def _world(make):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    xz = make.village("XZ02", "新竹村", township=qs)
    staff = make.staff(qs, "郑雯")
    bind(staff.id, "o-staff")
    lj_people = [make.member(lj, f"临江{i}") for i in range(4)]
    rep = make.member(lj, "代表", roles=("representative",))
    xz_people = [make.member(xz, f"新竹{i}") for i in range(2)]
    sec = make.member(lj, "书记", roles=("secretary",))
    xz_sec = make.member(xz, "新竹书记", roles=("secretary",))
    for i, m in enumerate([*lj_people, rep, *xz_people]):
        bind(m.person_id, f"o-{i}")
    db.session.commit()
    return qs, lj, xz, staff, [*lj_people, rep, sec], [*xz_people, xz_sec], rep, sec, xz_sec


def _publish(client, make, staff, qs, **body):
    r = client.post(f"/api/v1/townships/{qs.id}/notices", headers=make.headers(staff),
                    json={"title": "防汛通知", "body": "注意汛情。", **body})
    assert r.status_code == 201, r.json
    return r.json["id"]


def _reach(client, make, who, nid):
    r = client.get(f"/api/v1/notices/{nid}/reach", headers=make.headers(who))
    assert r.status_code == 200, r.json
    return {row["village"]: (row["audience"], row["read"], row["read_in_app"], row["read_offline"], row["share"])
            for row in r.json["villages"]}


def test_reach_counts_app_and_offline_reads_per_village(client, make, wechat):
    qs, lj, _xz, staff, ljp, _xzp, _rep, sec, _xs = _world(make)
    nid = _publish(client, make, staff, qs)
    assert _reach(client, make, staff, nid) == {"临江村": (6, 0, 0, 0, "0.0%"), "新竹村": (3, 0, 0, 0, "0.0%")}
    for m in ljp[:2]:
        assert client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(m)).status_code == 204
    r = client.post(f"/api/v1/notices/{nid}/offline-reads", headers=make.headers(sec),
                    json={"village_id": lj.id, "person_ids": [ljp[1].person_id, ljp[2].person_id],
                          "channel": "meeting"})
    assert r.status_code == 200 and r.json["count"] == 1  # ljp[1] had read it in the app already
    r = client.post(f"/api/v1/notices/{nid}/offline-reads", headers=make.headers(sec),
                    json={"village_id": lj.id, "person_ids": [ljp[2].person_id], "channel": "loudspeaker"})
    assert r.json["count"] == 0  # idempotent
    assert client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(ljp[2])).status_code == 204
    channels = dict(db.session.execute(select(NoticeRead.person_id, NoticeRead.channel)).all())
    assert channels == {ljp[0].person_id: "app", ljp[1].person_id: "app", ljp[2].person_id: "meeting"}
    assert _reach(client, make, staff, nid) == {"临江村": (6, 3, 2, 1, "50.0%"), "新竹村": (3, 0, 0, 0, "0.0%")}
    # the village's secretary sees their own village's row only
    assert _reach(client, make, sec, nid) == {"临江村": (6, 3, 2, 1, "50.0%")}
    assert client.get(f"/api/v1/notices/{nid}/reach", headers=make.headers(ljp[0])).status_code == 403


def test_offline_reads_only_for_that_villages_audience(client, make, wechat):
    qs, lj, _xz, staff, ljp, xzp, rep, sec, xz_sec = _world(make)
    nid = _publish(client, make, staff, qs, audience="representatives")
    url = f"/api/v1/notices/{nid}/offline-reads"
    other_village = client.post(url, headers=make.headers(sec),
                                json={"village_id": lj.id, "person_ids": [xzp[0].person_id], "channel": "meeting"})
    assert other_village.status_code == 422 and other_village.json["error"]["code"] == "notice.not_in_audience"
    not_audience = client.post(url, headers=make.headers(sec), json={
        "village_id": lj.id, "person_ids": [rep.person_id, ljp[0].person_id], "channel": "meeting"})
    assert not_audience.status_code == 422
    assert not_audience.json["error"]["details"]["person_ids"] == [ljp[0].person_id]
    assert db.session.scalars(select(NoticeRead)).all() == []  # all or nothing
    # another village's secretary may not record for this village
    assert client.post(url, headers=make.headers(xz_sec),
                       json={"village_id": lj.id, "person_ids": [rep.person_id], "channel": "meeting"}).status_code \
        in (403, 404)
    assert client.post(url, headers=make.headers(rep),
                       json={"village_id": lj.id, "person_ids": [rep.person_id], "channel": "meeting"}).status_code \
        == 403
    ok = client.post(url, headers=make.headers(sec),
                     json={"village_id": lj.id, "person_ids": [rep.person_id], "channel": "loudspeaker"})
    assert ok.status_code == 200 and ok.json["count"] == 1
    assert _reach(client, make, staff, nid)["临江村"] == (1, 1, 0, 1, "100.0%")


def test_unread_lists_exactly_who_has_not_read(client, make, wechat):
    qs, lj, xz, staff, ljp, xzp, _rep, sec, xz_sec = _world(make)
    nid = _publish(client, make, staff, qs)
    for m in (ljp[0], ljp[3], xzp[1]):
        client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(m))

    def unread(who, village=None):
        q = f"?village_id={village.id}" if village else ""
        r = client.get(f"/api/v1/notices/{nid}/unread{q}", headers=make.headers(who))
        return r.status_code, sorted(i["person_id"] for i in r.json.get("items", []))

    lj_unread = sorted(m.person_id for m in ljp if m not in (ljp[0], ljp[3]))
    xz_unread = sorted(m.person_id for m in xzp if m is not xzp[1])
    assert unread(staff, lj) == (200, lj_unread)
    assert unread(staff) == (200, sorted(lj_unread + xz_unread))
    assert unread(sec, lj) == (200, lj_unread)
    assert unread(sec) == (200, lj_unread)  # their village only, never the other village's names
    assert unread(sec, xz)[0] == 403
    assert unread(xz_sec, xz) == (200, xz_unread)
    assert unread(ljp[1], lj)[0] == 403


def test_unread_and_remind_refuse_a_village_outside_the_targets(client, make, wechat):
    qs, lj, xz, staff, *_ = _world(make)
    other = make.township("HS", "湖山镇")
    far = make.village("HS01", "湖边村", township=other)
    bind(make.member(far, "外镇人").person_id, "o-far")
    db.session.commit()
    nid = _publish(client, make, staff, qs, village_ids=[lj.id])
    h = make.headers(staff)
    for village in (xz, far):
        r = client.get(f"/api/v1/notices/{nid}/unread?village_id={village.id}", headers=h)
        assert r.status_code == 404, r.json
        assert client.post(f"/api/v1/notices/{nid}/remind", headers=h,
                           json={"village_id": village.id}).status_code == 404
    assert db.session.scalars(select(PushJob).where(PushJob.kind == "reminder")).all() == []


def test_remind_queues_only_the_unread_once_each(client, make, wechat):
    qs, lj, xz, staff, ljp, _xzp, rep, sec, xz_sec = _world(make)
    nid = _publish(client, make, staff, qs)
    client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(ljp[0]))
    client.post(f"/api/v1/notices/{nid}/offline-reads", headers=make.headers(sec),
                json={"village_id": lj.id, "person_ids": [ljp[1].person_id], "channel": "meeting"})
    r = client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(staff), json={"village_id": lj.id})
    # unread in 临江村: ljp[2], ljp[3], rep (bound) and the secretary (not bound: no push possible)
    expected = sorted(m.person_id for m in (ljp[2], ljp[3], rep))
    assert r.status_code == 200 and r.json["count"] == 3
    jobs = db.session.scalars(select(PushJob).where(PushJob.kind == "reminder")).all()
    assert sorted(j.person_id for j in jobs) == expected and all(j.object_id == nid for j in jobs)
    again = client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(staff), json={"village_id": lj.id})
    assert again.json["count"] == 0
    client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(ljp[2]))
    assert client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(sec),
                       json={"village_id": lj.id}).json["count"] == 0
    assert len(db.session.scalars(select(PushJob).where(PushJob.kind == "reminder")).all()) == 3
    assert client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(ljp[3]),
                       json={"village_id": lj.id}).status_code == 403
    assert client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(sec),
                       json={"village_id": xz.id}).status_code == 403
    xz_r = client.post(f"/api/v1/notices/{nid}/remind", headers=make.headers(xz_sec), json={"village_id": xz.id})
    assert xz_r.json["count"] == 2
