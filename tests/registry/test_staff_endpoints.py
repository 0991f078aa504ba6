"""Staff endpoints for households, members and roles: the rules, their edges and their refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.registry.models import Household, Member, Person, RoleAssignment
from tests.factories import id_card


@pytest.fixture
def lj(make):
    qs = make.township()
    v = make.village(township=qs)
    sec = make.member(v, "王建国", household=make.household(v, "LJ-001"), roles=("secretary",),
                      phone="13811112222")
    acc = make.member(v, "李秀英", household=make.household(v, "LJ-002"), roles=("accountant",),
                      phone="13833334444", id_no=id_card(female=True))
    plain = make.member(v, "张大山", household=make.household(v, "LJ-005"), phone="13855556666")
    staff = make.staff(qs, "郑雯")
    db.session.commit()
    return {"v": v, "qs": qs, "sec": sec, "acc": acc, "plain": plain, "staff": staff}


def test_secretary_adds_a_household_and_a_member(client, make, lj):
    h = make.headers(lj["sec"])
    v = lj["v"]
    r = client.post(f"/api/v1/villages/{v.id}/households", json={"number": "LJ-010", "is_tuopin": True}, headers=h)
    assert r.status_code == 201 and r.json["number"] == "LJ-010" and r.json["is_tuopin"] is True
    new_id = id_card(female=True)
    r = client.post(f"/api/v1/villages/{v.id}/members", headers=h, json={
        "name": "刘小梅", "id_card": new_id, "household_number": "LJ-010", "is_head": True, "phone": "139 0000 1111"})
    assert r.status_code == 201, r.json
    body = r.json
    assert body["name"] == "刘小梅" and body["gender"] == "F" and body["id_last4"] == new_id[-4:]
    assert body["phone"] == "13900001111" and body["is_head"] is True and body["is_tuopin"] is True
    assert "id_card" not in body and new_id not in r.get_data(as_text=True)
    stored = db.session.get(Person, body["person_id"])
    assert new_id not in (stored.id_hash, stored.id6_hash)
    actions = db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions[-2:] == ["household.create", "member.create"]


def test_member_refusals_change_nothing(client, make, lj):
    h = make.headers(lj["sec"])
    v = lj["v"]
    before = db.session.execute(select(func.count(Member.id))).scalar_one()
    cases = [
        ({"name": "甲", "id_card": "371427196803120116", "household_number": "LJ-001"}, 422, "validation.failed"),
        ({"name": "乙", "id_card": id_card(), "household_number": "LJ-999"}, 422, "household.not_found"),
        ({"name": "", "id_card": id_card(), "household_number": "LJ-001"}, 422, "validation.failed"),
        ({"name": "丙", "id_card": id_card(), "household_number": "LJ-001", "is_head": True}, 409,
         "household.head_exists"),
        ({"name": "丁", "id_card": id_card(), "household_number": "LJ-001", "phone": "12345"}, 422,
         "validation.failed"),
        ({"name": "戊", "id_card": id_card(), "household_number": "LJ-001", "relation": "朋友"}, 422,
         "validation.failed"),
    ]
    for body, status, code in cases:
        r = client.post(f"/api/v1/villages/{v.id}/members", json=body, headers=h)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
    assert db.session.execute(select(func.count(Member.id))).scalar_one() == before
    first = client.post(f"/api/v1/villages/{v.id}/members", headers=h, json={
        "name": "王大伟", "id_card": "371427196803120115", "household_number": "LJ-001"})
    assert first.status_code == 201
    again = client.post(f"/api/v1/villages/{v.id}/members", headers=h, json={
        "name": "王大伟", "id_card": "371427196803120115", "household_number": "LJ-002"})
    assert again.status_code == 409 and again.json["error"]["code"] == "person.duplicate"


def test_phone_is_masked_in_lists_and_shown_to_the_roster_keeper_on_one_entry(client, make, lj):
    v = lj["v"]
    by_acc = client.get(f"/api/v1/villages/{v.id}/members", headers=make.headers(lj["acc"])).json
    by_sec = client.get(f"/api/v1/villages/{v.id}/members", headers=make.headers(lj["sec"])).json
    phones_acc = {m["name"]: m["phone"] for m in by_acc["items"]}
    phones_sec = {m["name"]: m["phone"] for m in by_sec["items"]}
    assert phones_acc["张大山"] == "138****6666" and phones_sec["张大山"] == "138****6666"
    assert phones_acc["李秀英"] == "13833334444"  # her own number, in full
    one = client.get(f"/api/v1/members/{lj['plain'].id}", headers=make.headers(lj["sec"])).json
    assert one["phone"] == "13855556666"  # the secretary edits it: the single entry shows it
    one = client.get(f"/api/v1/members/{lj['plain'].id}", headers=make.headers(lj["acc"])).json
    assert one["phone"] == "138****6666"
    assert by_sec["total"] == 3 and by_sec["page"] == 1 and by_sec["page_size"] == 20


def test_plain_member_cannot_read_the_roster_but_reads_their_own_record(client, make, lj):
    h = make.headers(lj["plain"])
    v = lj["v"]
    r = client.get(f"/api/v1/villages/{v.id}/members", headers=h)
    assert r.status_code == 403 and r.json["error"]["code"] == "auth.forbidden"
    own = client.get(f"/api/v1/members/{lj['plain'].id}", headers=h)
    assert own.status_code == 200 and own.json["phone"] == "13855556666"
    other = client.get(f"/api/v1/members/{lj['sec'].id}", headers=h)
    assert other.status_code == 403
    house = client.get(f"/api/v1/households/{lj['plain'].household_id}", headers=h)
    assert house.status_code == 200 and [m["name"] for m in house.json["members"]] == ["张大山"]


def test_search_and_paging(client, make, lj):
    v = lj["v"]
    for i in range(25):
        make.member(v, f"村民{i:02d}")
    db.session.commit()
    h = make.headers(lj["sec"])
    r = client.get(f"/api/v1/villages/{v.id}/members?page=2&page_size=10", headers=h).json
    assert r["total"] == 28 and len(r["items"]) == 10 and r["page"] == 2
    r = client.get(f"/api/v1/villages/{v.id}/members?q=张大", headers=h).json
    assert [m["name"] for m in r["items"]] == ["张大山"]
    for bad in ("page_size=101", "page_size=0", "page=0", "page=abc"):
        resp = client.get(f"/api/v1/villages/{v.id}/members?{bad}", headers=h)
        assert resp.status_code == 422, bad


def test_edit_member_moves_household_and_changes_head(client, make, lj):
    h = make.headers(lj["sec"])
    plain = lj["plain"]
    r = client.patch(f"/api/v1/members/{plain.id}", json={"household_number": "LJ-002"}, headers=h)
    assert r.status_code == 422 and r.json["error"]["code"] == "member.relation_required"  # a head must say
    r = client.patch(f"/api/v1/members/{plain.id}", json={"household_number": "LJ-002", "relation": "女婿"},
                     headers=h)
    assert r.status_code == 200 and r.json["household_number"] == "LJ-002" and r.json["is_head"] is False
    r = client.patch(f"/api/v1/members/{plain.id}", json={"is_head": True}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "household.head_exists"
    r = client.patch(f"/api/v1/members/{plain.id}", json={"status": "deceased"}, headers=h)
    assert r.status_code == 200 and r.json["status"] == "deceased"
    r = client.patch(f"/api/v1/members/{plain.id}", json={"status": "gone"}, headers=h)
    assert r.status_code == 422
    entry = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "member.update").order_by(AuditEntry.id.desc())).scalars().first()
    assert entry.before_data()["status"] == "active" and entry.after_data()["status"] == "deceased"


def test_database_refuses_two_heads_even_without_the_service(app, make, lj):
    from sqlalchemy.exc import IntegrityError

    h = db.session.get(Household, lj["sec"].household_id)
    second = make.member(lj["v"], "王小二", household=h, head=False)
    second.is_head = True
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_household_of_another_village(app, make, lj):
    from sqlalchemy.exc import IntegrityError

    other = make.village("XZ02", "新竹村", township=lj["qs"])
    foreign = make.household(other, "XZ-001")
    m = db.session.get(Member, lj["plain"].id)
    m.household_id = foreign.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_roles_are_granted_ended_and_kept_as_history(client, make, lj):
    h = make.headers(lj["sec"])
    v = lj["v"]
    pid = lj["plain"].person_id
    r = client.post(f"/api/v1/villages/{v.id}/roles", json={"person_id": pid, "role": "representative"}, headers=h)
    assert r.status_code == 201 and r.json["current"] is True
    dup = client.post(f"/api/v1/villages/{v.id}/roles", json={"person_id": pid, "role": "representative"}, headers=h)
    assert dup.status_code == 409 and dup.json["error"]["code"] == "role.exists"
    ended = client.delete(f"/api/v1/role-assignments/{r.json['id']}", headers=h)
    assert ended.status_code == 200 and ended.json["current"] is False and ended.json["valid_to"]
    assert client.delete(f"/api/v1/role-assignments/{r.json['id']}", headers=h).status_code == 409
    again = client.post(f"/api/v1/villages/{v.id}/roles", json={"person_id": pid, "role": "representative"}, headers=h)
    assert again.status_code == 201
    history = client.get(f"/api/v1/villages/{v.id}/roles", headers=h).json["items"]
    reps = [x for x in history if x["person_id"] == pid]
    assert [x["current"] for x in reps] == [True, False]
    current = client.get(f"/api/v1/villages/{v.id}/roles?current=true", headers=h).json["items"]
    assert all(x["current"] for x in current)


def test_role_refusals(client, make, lj):
    h = make.headers(lj["sec"])
    v = lj["v"]
    pid = lj["plain"].person_id
    cases = [
        ({"person_id": pid, "role": "secretary"}, 403, "role.township_only"),
        ({"person_id": pid, "role": "member"}, 422, "validation.failed"),  # derived, not assignable
        ({"person_id": pid, "role": "king"}, 422, "validation.failed"),
        ({"person_id": pid, "role": "township_staff"}, 422, "role.scope"),
        ({"person_id": 999999, "role": "committee"}, 422, "person.not_found"),
        ({"person_id": lj["staff"].id, "role": "committee"}, 422, "role.not_on_roster"),
    ]
    for body, status, code in cases:
        r = client.post(f"/api/v1/villages/{v.id}/roles", json=body, headers=h)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
    # a plain member may not grant anything
    r = client.post(f"/api/v1/villages/{v.id}/roles", json={"person_id": pid, "role": "committee"},
                    headers=make.headers(lj["plain"]))
    assert r.status_code == 403
    assert db.session.execute(select(func.count(RoleAssignment.id))).scalar_one() == 3


def test_township_staff_appoint_a_secretary_and_see_only_their_villages(client, make, lj):
    h = make.headers(lj["staff"])
    v = lj["v"]
    r = client.post(f"/api/v1/villages/{v.id}/roles", json={"person_id": lj["plain"].person_id,
                                                            "role": "secretary"}, headers=h)
    assert r.status_code == 201
    villages = client.get("/api/v1/villages", headers=h).json
    assert [x["code"] for x in villages] == ["LJ01"]
    other_t = make.township("BS", "白石镇")
    bs01 = make.village("BS01", "白石村", township=other_t)
    db.session.commit()
    assert client.get(f"/api/v1/villages/{bs01.id}/members", headers=h).status_code == 404
    assert client.get(f"/api/v1/townships/{other_t.id}/villages", headers=h).status_code == 404
    assert client.get(f"/api/v1/townships/{lj['qs'].id}/villages", headers=h).status_code == 200


def test_audit_log_is_readable_by_the_secretary_only(client, make, lj):
    v = lj["v"]
    client.post(f"/api/v1/villages/{v.id}/households", json={"number": "LJ-011"}, headers=make.headers(lj["sec"]))
    r = client.get(f"/api/v1/villages/{v.id}/audit", headers=make.headers(lj["sec"]))
    assert r.status_code == 200
    top = r.json["items"][0]
    assert top["action"] == "household.create"
    assert top["actor_roles"] == "member,secretary,villager"
    assert top["actor_person_id"] == lj["sec"].person_id and top["at"].endswith("+08:00")
    assert client.get(f"/api/v1/villages/{v.id}/audit", headers=make.headers(lj["plain"])).status_code == 403
