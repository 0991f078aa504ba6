"""A township notice over HTTP: published after the content check, pushed once per consent, read, and its reach."""

from __future__ import annotations

from backend.core.db import db
from backend.notices import outbox
from backend.notices import service as notices
from tests.notices.conftest import bind


def test_a_township_notice_reaches_the_villages(client, make, wechat):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    xz = make.village("XZ02", "新竹村", township=qs)
    staff = make.staff(qs, "郑雯")
    a = make.member(lj, "张大山")
    b = make.member(lj, "李四")
    c = make.member(xz, "吴强")
    for person_id, openid in ((staff.id, "o-zw"), (a.person_id, "o-a"), (b.person_id, "o-b"), (c.person_id, "o-c")):
        bind(person_id, openid)
    db.session.commit()
    h = make.headers(staff)
    risky = client.post(f"/api/v1/townships/{qs.id}/notices", headers=h,
                        json={"title": "通知", "body": "禁止赌博以外的一切"})
    assert risky.status_code == 422 and risky.json["error"]["code"] == "notice.content_risky"
    r = client.post(f"/api/v1/townships/{qs.id}/notices", headers=h,
                    json={"title": "秋冬季防火通知", "body": "请各村做好防火巡查。", "pinned": True})
    assert r.status_code == 201, r.json
    nid = r.json["id"]
    assert sorted(r.json["villages"]) == sorted([lj.id, xz.id])

    # a consent for a only: one message to a, none to the others (no consent, never sent)
    ra = client.post("/api/v1/me/push-consents", headers=make.headers(a),
                     json={"template_id": outbox.template_id(), "count": 1})
    assert ra.status_code == 200 and ra.json["remaining"] == 1
    wechat.grant_consent("o-a", outbox.template_id())
    report = outbox.work()
    assert (report.sent, report.no_consent) == (1, 2)
    assert [m["touser"] for m in wechat.messages()] == ["o-a"]
    assert outbox.work().sent == 0  # nothing twice

    mine = client.get("/api/v1/me/notices", headers=make.headers(a)).json["items"]
    assert mine == [{"id": nid, "title": "秋冬季防火通知", "source": "township", "source_name": "青山镇",
                     "category": "通知", "pinned": True, "published_at": mine[0]["published_at"], "read": False}]
    assert client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(a)).status_code == 204
    assert client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(a)).status_code == 204
    assert client.get(f"/api/v1/notices/{nid}", headers=make.headers(a)).json["read"] is True
    reach = client.get(f"/api/v1/notices/{nid}/reach", headers=h).json["villages"]
    by_name = {row["village"]: (row["audience"], row["read"], row["share"]) for row in reach}
    assert by_name == {"临江村": (2, 1, "50.0%"), "新竹村": (1, 0, "0.0%")}
    assert client.get(f"/api/v1/notices/{nid}/reach", headers=make.headers(a)).status_code == 403


def test_a_notice_withdrawn_or_expired_before_its_push_is_not_pushed(make, wechat, now):
    from datetime import timedelta

    from backend.core.clock import utcnow
    from backend.notices.models import PushJob

    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    staff = make.staff(qs, "郑雯")
    a = make.member(lj, "张大山")
    bind(staff.id, "o-zw")
    bind(a.person_id, "o-a")
    outbox.add_consent(a.person_id, outbox.template_id(), 2)
    wechat.grant_consent("o-a", outbox.template_id(), 2)
    n = notices.publish(notices.NoticeInput("停电通知", "明天停电。", expires_at=utcnow() + timedelta(hours=1)),
                        actor=make.principal(staff), township=qs)
    db.session.commit()
    now[0] = now[0] + timedelta(hours=2)
    report = outbox.work()
    assert (report.sent, report.failed) == (0, 1)
    assert wechat.messages() == []
    job = db.session.execute(db.select(PushJob).where(PushJob.object_id == n.id)).scalar_one()
    assert job.status == "failed" and "过期" in job.last_error
