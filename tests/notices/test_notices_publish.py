"""Publishing: who may publish where, audiences, the content check (nothing written when refused), expiry and
withdrawal, and what ``/me/notices`` and ``GET /notices/{id}`` show to whom."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from backend.core.clock import to_iso
from backend.core.db import db
from backend.notices import outbox
from backend.notices import service as notices
from backend.notices.models import Notice, NoticeTarget, PushJob
from tests.notices.conftest import bind

MSG_SEC_CHECK = "/wxa/msg_sec_check"


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Notice, NoticeTarget, PushJob))


def _setup(make):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    xz = make.village("XZ02", "新竹村", township=qs)
    other = make.township("HS", "湖山镇")
    far = make.village("HS01", "湖边村", township=other)
    staff = make.staff(qs, "郑雯")
    bind(staff.id, "o-staff")
    db.session.commit()
    return qs, lj, xz, other, far, staff


def _post_township(client, make, who, township, **body):
    return client.post(f"/api/v1/townships/{township.id}/notices", headers=make.headers(who),
                       json={"title": "通知", "body": "请注意防火。", **body})


def _post_village(client, make, who, village, **body):
    return client.post(f"/api/v1/villages/{village.id}/notices", headers=make.headers(who),
                       json={"title": "村通知", "body": "今晚开会。", **body})


def test_township_staff_publish_to_all_or_chosen_villages_of_their_township_only(client, make, wechat):
    qs, lj, xz, other, far, staff = _setup(make)
    everywhere = _post_township(client, make, staff, qs)
    assert everywhere.status_code == 201, everywhere.json
    assert sorted(everywhere.json["villages"]) == sorted([lj.id, xz.id])
    chosen = _post_township(client, make, staff, qs, village_ids=[xz.id])
    assert chosen.status_code == 201 and chosen.json["villages"] == [xz.id]
    before = _counts()
    bad = _post_township(client, make, staff, qs, village_ids=[xz.id, far.id])
    assert bad.status_code == 422 and bad.json["error"]["code"] == "notice.villages_invalid"
    assert _post_township(client, make, staff, qs, village_ids=[]).status_code == 422
    # another township's endpoint: not theirs
    assert _post_township(client, make, staff, other).status_code in (403, 404)
    assert _counts() == before


def test_a_secretary_publishes_to_their_own_village_only(client, make, wechat):
    qs, lj, xz, _other, _far, _staff = _setup(make)
    sec = make.member(lj, "书记", roles=("secretary",))
    com = make.member(lj, "委员", roles=("committee",))
    plain = make.member(lj, "村民")
    for m, oid in ((sec, "o-sec"), (com, "o-com"), (plain, "o-plain")):
        bind(m.person_id, oid)
    db.session.commit()
    r = _post_village(client, make, sec, lj)
    assert r.status_code == 201 and r.json["villages"] == [lj.id] and r.json["source"] == "village"
    assert _post_village(client, make, com, lj).status_code == 201
    before = _counts()
    wrong = _post_village(client, make, sec, lj, village_ids=[xz.id])
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "notice.villages_invalid"
    assert _post_village(client, make, sec, xz).status_code in (403, 404)  # another village
    assert _post_village(client, make, plain, lj).status_code == 403
    assert _post_township(client, make, sec, qs).status_code in (403, 404)
    assert _counts() == before


def test_audiences_resolve_to_the_right_people(make, wechat):
    _qs, lj, xz, *_ = _setup(make)
    a = make.member(lj, "成员甲")
    b = make.member(lj, "非成员乙", collective=False)
    rep = make.member(lj, "代表丙", roles=("representative",))
    party = make.member(xz, "党员丁", roles=("party_member",))
    c = make.member(xz, "成员戊")
    assert notices.audience([lj.id, xz.id], "everyone") == {a.person_id: lj.id, b.person_id: lj.id,
                                                            rep.person_id: lj.id, party.person_id: xz.id,
                                                            c.person_id: xz.id}
    assert set(notices.audience([lj.id, xz.id], "members")) == {a.person_id, rep.person_id, party.person_id,
                                                                 c.person_id}
    assert notices.audience([lj.id, xz.id], "representatives") == {rep.person_id: lj.id}
    assert notices.audience([lj.id, xz.id], "party_members") == {party.person_id: xz.id}
    assert notices.audience([lj.id], "party_members") == {}


def test_risky_text_is_refused_and_nothing_is_written(client, make, wechat):
    qs, lj, *_ = _setup(make)
    bind(make.member(lj, "甲").person_id, "o-a")
    db.session.commit()
    before = _counts()
    for word in ("赌博", "毒品", "枪支"):
        r = _post_township(client, make, _setup_staff(qs), qs, body=f"严禁{word}。")
        assert r.status_code == 422 and r.json["error"]["code"] == "notice.content_risky", r.json
    r = _post_township(client, make, _setup_staff(qs), qs, title="色情", body="正文")  # the title is checked too
    assert r.status_code == 422
    assert _counts() == before


def _setup_staff(qs):
    from backend.registry.models import Person, RoleAssignment

    return db.session.execute(select(Person).join(RoleAssignment, RoleAssignment.person_id == Person.id)
                              .where(RoleAssignment.township_id == qs.id)).scalars().first()


def test_review_text_is_published_flagged(client, make, wechat):
    qs, _lj, _xz, _o, _f, staff = _setup(make)
    r = _post_township(client, make, staff, qs, body="谨防高利贷。")
    assert r.status_code == 201
    assert db.session.get(Notice, r.json["id"]).content_check == "review"
    clean = _post_township(client, make, staff, qs, body="秋收。")
    assert db.session.get(Notice, clean.json["id"]).content_check == "pass"


def test_wechat_down_means_502_and_nothing_written(client, make, wechat):
    qs, lj, _xz, _o, _f, staff = _setup(make)
    bind(make.member(lj, "甲").person_id, "o-a")
    db.session.commit()
    before = _counts()
    for mode in ("http500", "errcode", "drop"):
        wechat.add_fault(MSG_SEC_CHECK, mode, errcode=-1)
        r = _post_township(client, make, staff, qs)
        wechat.clear_faults()
        assert r.status_code == 502 and r.json["error"]["code"] == "wechat.unavailable", (mode, r.json)
    assert _counts() == before
    assert _post_township(client, make, staff, qs).status_code == 201  # recovered


def test_a_publisher_without_wechat_is_refused(client, make, wechat):
    qs, lj, *_ = _setup(make)
    unbound = make.staff(qs, "钱七")
    sec = make.member(lj, "书记", roles=("secretary",))
    db.session.commit()
    r = _post_township(client, make, unbound, qs)
    assert r.status_code == 422 and r.json["error"]["code"] == "notice.publisher_unbound"
    assert _post_village(client, make, sec, lj).json["error"]["code"] == "notice.publisher_unbound"
    assert _counts() == (0, 0, 0)
    assert not [q for q in wechat.requests() if q["path"] == MSG_SEC_CHECK]


def test_expiry_in_the_past_is_refused_and_expired_notices_disappear(client, make, wechat, now):
    qs, lj, _xz, _o, _f, staff = _setup(make)
    a = make.member(lj, "甲")
    db.session.commit()
    past = _post_township(client, make, staff, qs, expires_at=to_iso(now[0] - timedelta(minutes=1)))
    assert past.status_code == 422 and past.json["error"]["code"] == "notice.expiry_invalid"
    assert _post_township(client, make, staff, qs, expires_at=to_iso(now[0])).status_code == 422
    r = _post_township(client, make, staff, qs, title="限时", expires_at=to_iso(now[0] + timedelta(hours=1)))
    assert r.status_code == 201
    nid = r.json["id"]
    ha = make.headers(a)
    assert [n["id"] for n in client.get("/api/v1/me/notices", headers=ha).json["items"]] == [nid]
    assert client.get(f"/api/v1/notices/{nid}", headers=ha).status_code == 200
    now[0] = now[0] + timedelta(hours=1, seconds=1)
    assert client.get("/api/v1/me/notices", headers=ha).json["items"] == []
    assert client.get(f"/api/v1/notices/{nid}", headers=ha).status_code == 404
    assert client.post(f"/api/v1/notices/{nid}/read", headers=ha).status_code == 404
    # the township still sees its reach
    assert client.get(f"/api/v1/notices/{nid}/reach", headers=make.headers(staff)).status_code == 200


def test_withdrawn_notices_disappear_and_only_the_source_withdraws(client, make, wechat):
    qs, lj, _xz, _o, _f, staff = _setup(make)
    a = make.member(lj, "甲")
    sec = make.member(lj, "书记", roles=("secretary",))
    bind(a.person_id, "o-a")
    db.session.commit()
    nid = _post_township(client, make, staff, qs).json["id"]
    # a target village's secretary may not withdraw the township's notice
    assert client.post(f"/api/v1/notices/{nid}/withdraw", headers=make.headers(sec)).status_code in (403, 404)
    assert client.post(f"/api/v1/notices/{nid}/withdraw", headers=make.headers(a)).status_code in (403, 404)
    assert db.session.get(Notice, nid).withdrawn_at is None
    assert client.get(f"/api/v1/notices/{nid}", headers=make.headers(a)).status_code == 200
    assert client.post(f"/api/v1/notices/{nid}/withdraw", headers=make.headers(staff)).status_code == 204
    ha = make.headers(a)
    assert client.get("/api/v1/me/notices", headers=ha).json["items"] == []
    assert client.get(f"/api/v1/notices/{nid}", headers=ha).status_code == 404
    assert outbox.outbox_counts("notice", nid) == {"failed": 1}  # a's pending push cancelled


def test_me_notices_contract_pinned_first_then_newest(client, make, wechat, now):
    qs, lj, xz, _o, _f, staff = _setup(make)
    a = make.member(lj, "甲")
    sec = make.member(lj, "书记", roles=("secretary",))
    bind(sec.person_id, "o-sec")
    db.session.commit()
    ids = {}
    for i, (title, pinned) in enumerate((("旧置顶", True), ("旧", False), ("新", False), ("新置顶", True))):
        now[0] = now[0] + timedelta(minutes=1)
        if i == 2:
            ids[title] = _post_village(client, make, sec, lj, title=title, pinned=pinned).json["id"]
        else:
            ids[title] = _post_township(client, make, staff, qs, title=title, pinned=pinned).json["id"]
    _post_township(client, make, staff, qs, title="别村", village_ids=[xz.id])
    items = client.get("/api/v1/me/notices", headers=make.headers(a)).json["items"]
    assert [n["title"] for n in items] == ["新置顶", "旧置顶", "新", "旧"]
    assert {k for n in items for k in n} >= {"id", "title", "source", "published_at", "read"}
    assert [n["source"] for n in items] == ["township", "township", "village", "township"]
    assert all(n["read"] is False for n in items)
    assert items[0]["published_at"] == to_iso(db.session.get(Notice, ids["新置顶"]).published_at)
    client.post(f"/api/v1/notices/{ids['旧']}/read", headers=make.headers(a))
    items = client.get("/api/v1/me/notices", headers=make.headers(a)).json["items"]
    assert [n["read"] for n in items] == [False, False, False, True]


def test_only_the_audience_sees_a_notice(client, make, wechat):
    qs, lj, xz, other, far, staff = _setup(make)
    plain = make.member(lj, "村民")
    rep = make.member(lj, "代表", roles=("representative",))
    neighbour = make.member(xz, "邻村")
    stranger = make.member(far, "外镇")
    other_staff = make.staff(other, "外镇干部")
    db.session.commit()
    nid = _post_township(client, make, staff, qs, audience="representatives", village_ids=[lj.id]).json["id"]
    mine = lambda who: [n["id"] for n in client.get("/api/v1/me/notices",  # noqa: E731
                                                     headers=make.headers(who)).json["items"]]
    assert mine(rep) == [nid]
    assert mine(plain) == []
    assert client.get(f"/api/v1/notices/{nid}", headers=make.headers(plain)).status_code == 404
    assert client.post(f"/api/v1/notices/{nid}/read", headers=make.headers(plain)).status_code == 404
    detail = client.get(f"/api/v1/notices/{nid}", headers=make.headers(rep)).json
    assert detail["body"] == "请注意防火。" and detail["audience"] == "representatives"
    assert mine(staff) == [nid]  # the township's staff see their township's notices
    for outsider in (neighbour, stranger, other_staff):
        assert mine(outsider) == []
        assert client.get(f"/api/v1/notices/{nid}", headers=make.headers(outsider)).status_code == 404
