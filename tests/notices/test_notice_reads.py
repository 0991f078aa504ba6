"""A notice's reads look its target villages up once per request, however many checks and views ask for them."""

from __future__ import annotations

from typing import Any

from backend.core.db import db
from tests.notices.conftest import bind
from tests.statements import cold_get


def _statements(app: Any, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    """(answer, statements) of one GET in an app context of its own: a cold session, as each request has."""
    db.session.commit()
    r, seen = cold_get(app, path, headers)
    assert r.status_code == 200, r.json
    return r.json, seen


def test_a_notice_reads_its_targets_once(app, client, make, wechat):
    qs = make.township("QS", "青山镇")
    villages = [make.village(f"V{i:02d}", f"村{i}", township=qs) for i in range(3)]
    staff = make.staff(qs, "郑雯")
    bind(staff.id, "o-staff")
    reader = make.member(villages[1], "村民")
    db.session.commit()
    r = client.post(f"/api/v1/townships/{qs.id}/notices", headers=make.headers(staff),
                    json={"title": "防汛通知", "body": "注意汛情。"})
    assert r.status_code == 201, r.json
    for who, reads in ((reader, 1), (staff, 0)):  # the staff member's request finds the targets kept (shared read)
        body, seen = _statements(app, f"/api/v1/notices/{r.json['id']}", make.headers(who))
        assert body["villages"] == sorted(v.id for v in villages) and body["title"] == "防汛通知"
        assert sum("FROM notice_targets" in s for s in seen) == reads, seen


def test_reach_counts_the_roster_without_listing_it(app, client, make, wechat):
    qs = make.township("QS", "青山镇")
    lj = make.village("LJ01", "临江村", township=qs)
    sec = make.member(lj, "书记", roles=("secretary",))
    bind(sec.person_id, "o-sec")
    readers = [make.member(lj, f"村民{i}") for i in range(3)]
    db.session.commit()
    ids = []
    for audience in ("everyone", "members", "party_members"):
        r = client.post(f"/api/v1/villages/{lj.id}/notices", headers=make.headers(sec),
                        json={"title": f"通知{audience}", "body": "请相互转告。", "audience": audience})
        assert r.status_code == 201, r.json
        ids.append(r.json["id"])
    for m in readers[:2]:
        assert client.post(f"/api/v1/notices/{ids[0]}/read", headers=make.headers(m)).status_code == 204
    h = make.headers(sec)
    before = {nid: _statements(app, f"/api/v1/notices/{nid}/reach", h) for nid in ids[:2]}
    page_before = _statements(app, f"/api/v1/villages/{lj.id}/notices", h)
    for i in range(5):
        make.member(lj, f"新村民{i}")
    after = {nid: _statements(app, f"/api/v1/notices/{nid}/reach", h) for nid in ids[:2]}
    page_after = _statements(app, f"/api/v1/villages/{lj.id}/notices", h)
    everyone = after[ids[0]][0]["villages"][0]
    assert everyone["audience"] == before[ids[0]][0]["villages"][0]["audience"] + 5 and everyone["read"] == 2
    for nid in ids[:2]:
        assert len(after[nid][1]) == len(before[nid][1])
        assert not any(s.startswith("SELECT members.person_id, members.village_id FROM members") for s in after[nid][1])
    assert len(page_after[1]) == len(page_before[1])
    reach = {x["id"]: x["reach"] for x in page_after[0]["items"]}
    assert reach[ids[0]]["read"] == 2 and reach[ids[0]]["unread"] == everyone["audience"] - 2
