"""The roster as the console keeps it: masked lists, moving a member between households, ending a membership, each
entry's history, role kinds (成员代表, 村民小组长) with start and end dates, the import's dry run, all-or-nothing
import, export and template — each rule, its edge and its refusal."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend import registry
from backend.core.audit import AuditEntry
from backend.core.clock import SHANGHAI, today
from backend.core.db import db
from backend.demo.registry import roster_plan
from backend.registry import roster
from backend.registry.models import Household, Member, MemberEvent, Person, RoleAssignment
from tests.factories import Factory, id_card
from tests.xlsx_files import xlsx

API = "/api/v1"
HEADERS = list(roster.HEADERS)


@pytest.fixture
def lj(make: Factory) -> dict[str, Any]:
    qs = make.township()
    v = make.village(township=qs)
    sec = make.member(v, "王建国", household=make.household(v, "LJ-001"), roles=("secretary",), phone="13811112222")
    acc = make.member(v, "李秀英", household=make.household(v, "LJ-002"), roles=("accountant",),
                      phone="13833334444", id_no=id_card(female=True))
    h5 = make.household(v, "LJ-005")
    head = make.member(v, "张大山", household=h5, phone="13855556666", id_no=id_card(date(1972, 4, 15)))
    kid = make.member(v, "张小燕", household=h5, head=False, id_no=id_card(date(1999, 1, 1), female=True))
    empty = make.household(v, "LJ-009")
    xz = make.village("XZ02", "新竹村", township=qs)
    zhou = make.member(xz, "周海", household=make.household(xz, "XZ-001"), roles=("secretary",))
    db.session.commit()
    return {"v": v, "sec": sec, "acc": acc, "head": head, "kid": kid, "h5": h5, "empty": empty, "xz": xz,
            "zhou": zhou}


def post(client: FlaskClient, make: Factory, who: Member, path: str, body: dict[str, Any]) -> Any:
    return client.post(API + path, json=body, headers=make.headers(who))


def events(member_id: int) -> list[MemberEvent]:
    db.session.expire_all()
    return list(db.session.execute(
        select(MemberEvent).where(MemberEvent.member_id == member_id).order_by(MemberEvent.id)).scalars())


def count(model: Any) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- lists: masked


def test_lists_show_only_the_last_four_of_an_id_and_a_masked_phone(client, make, lj) -> None:
    r = client.get(f"{API}/villages/{lj['v'].id}/members", query_string={"q": "张"}, headers=make.headers(lj["sec"]))
    assert r.status_code == 200
    by_name = {m["name"]: m for m in r.json["items"]}
    assert set(by_name) == {"张大山", "张小燕"}
    assert by_name["张大山"]["phone"] == "138****6666" and len(by_name["张大山"]["id_last4"]) == 4
    assert all("id_card" not in m and "id_hash" not in m for m in r.json["items"])
    # search by household number finds the household's people
    r = client.get(f"{API}/villages/{lj['v'].id}/members", query_string={"q": "LJ-005"},
                   headers=make.headers(lj["sec"]))
    assert {m["name"] for m in r.json["items"]} == {"张大山", "张小燕"}


def test_another_villages_secretary_sees_nothing(client, make, lj) -> None:
    h = make.headers(lj["zhou"])
    v, head = lj["v"], lj["head"]
    for path in (f"/villages/{v.id}/members", f"/villages/{v.id}/households", f"/villages/{v.id}/roster.xlsx",
                 f"/villages/{v.id}/roster/template.xlsx", f"/members/{head.id}/history", f"/villages/{v.id}/roles"):
        assert client.get(API + path, headers=h).status_code == 404, path
    for path, body in ((f"/members/{head.id}/move", {"household_number": "LJ-009", "relation": "户主"}),
                       (f"/members/{head.id}/end", {"reason": "deceased", "on": today().isoformat()})):
        r = client.post(API + path, json=body, headers=h)
        assert r.status_code == 404, path
    assert lj["head"].status == "active" and not events(head.id)[1:]


# ---------------------------------------------------------------- moving between households


def test_move_to_another_household_in_one_step_with_history(client, make, lj) -> None:
    kid, sec = lj["kid"], lj["sec"]
    day = today() - timedelta(days=3)
    r = post(client, make, sec, f"/members/{kid.id}/move",
             {"household_number": "LJ-009", "relation": "户主", "on": day.isoformat(), "note": "分户"})
    assert r.status_code == 200, r.json
    assert r.json["household_number"] == "LJ-009" and r.json["is_head"] is True and r.json["relation"] == "户主"
    ev = events(kid.id)
    assert [e.kind for e in ev] == ["joined", "moved"]
    assert ev[1].on_date == day and ev[1].note == "分户" and ev[1].actor_person_id == sec.person_id
    h = client.get(f"{API}/members/{kid.id}/history", headers=make.headers(lj["acc"]))  # staff who read the roster
    assert h.status_code == 200
    moved = h.json[-1]
    assert moved["kind_label"] == "迁户" and moved["actor_name"] == "王建国" and moved["on"] == day.isoformat()
    assert moved["before"]["household_number"] == "LJ-005" and moved["after"]["household_number"] == "LJ-009"
    assert db.session.execute(select(AuditEntry).where(AuditEntry.action == "member.move")).scalar_one()


def test_a_head_who_leaves_people_behind_names_the_new_head(client, make, lj) -> None:
    head, kid, sec = lj["head"], lj["kid"], lj["sec"]
    body = {"household_number": "LJ-009", "relation": "户主"}
    r = post(client, make, sec, f"/members/{head.id}/move", body)
    assert r.status_code == 409 and r.json["error"]["code"] == "member.head_leaving"
    assert "张大山 是 LJ-005 的户主" in r.json["error"]["message"] and "新户主" in r.json["error"]["message"]
    assert [e.kind for e in events(head.id)] == ["joined"]

    r = post(client, make, sec, f"/members/{head.id}/move", {**body, "new_head_id": lj["acc"].id})
    assert r.status_code == 422 and r.json["error"]["code"] == "member.new_head_invalid"

    r = post(client, make, sec, f"/members/{head.id}/move", {**body, "new_head_id": kid.id})
    assert r.status_code == 200, r.json
    db.session.expire_all()
    assert (kid.is_head, kid.relation) == (True, "户主")
    heads = db.session.execute(select(Member.household_id, func.count()).where(Member.is_head.is_(True))
                               .group_by(Member.household_id)).all()
    assert all(n == 1 for _, n in heads)
    assert [e.kind for e in events(kid.id)] == ["joined", "edited"]


def test_move_refusals_change_nothing(client, make, lj) -> None:
    kid, sec, head = lj["kid"], lj["sec"], lj["head"]
    other = make.household(lj["xz"], "XZ-007")
    db.session.commit()
    cases = [
        ({"household_id": other.id, "relation": "子女"}, 422, "household.not_found", "只能迁到本村的户"),
        ({"household_number": "XZ-007", "relation": "子女"}, 422, "household.not_found", "本村没有户号 XZ-007"),
        ({"household_number": "LJ-001", "relation": "户主"}, 409, "household.head_exists", "LJ-001 已有户主 王建国"),
        ({"household_number": "LJ-005", "relation": "子女"}, 422, "member.same_household", "不用迁户"),
        ({"household_number": "LJ-001", "relation": "子女", "on": (today() + timedelta(days=1)).isoformat()}, 422,
         "member.date_future", "不能晚于今天"),
        ({"household_number": "LJ-001", "relation": "子女", "on": "1990-01-01"}, 422, "member.date_before_birth",
         "出生日期"),
        ({"household_number": "LJ-001", "relation": "邻居"}, 422, "validation.failed", "与户主关系"),
        ({"relation": "子女"}, 422, "validation.failed", "请选择要迁入的户"),
        ({"household_number": "LJ-001", "relation": "子女", "new_head_id": head.id}, 422, "member.new_head_invalid",
         "不是户主"),
    ]
    for body, status, code, words in cases:
        r = post(client, make, sec, f"/members/{kid.id}/move", body)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
        assert words in r.json["error"]["message"] + str(r.json["error"].get("details")), (body, r.json)
    db.session.expire_all()
    assert (kid.household_id, kid.is_head) == (lj["h5"].id, False)
    assert [e.kind for e in events(kid.id)] == ["joined"]
    # the accountant reads the roster but does not keep it
    r = post(client, make, lj["acc"], f"/members/{kid.id}/move", {"household_number": "LJ-009", "relation": "户主"})
    assert r.status_code == 403


def test_the_database_keeps_one_head_per_household(lj) -> None:
    kid, head = lj["kid"], lj["head"]
    kid.is_head = True
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert head.is_head


# ---------------------------------------------------------------- ending a membership


def test_end_a_membership_with_reason_and_date(client, make, lj) -> None:
    kid, sec = lj["kid"], lj["sec"]
    registry.grant_role(kid.person, "member_representative", village=lj["v"], actor=None,
                        start_on=today() - timedelta(days=100))
    late = registry.grant_role(kid.person, "group_leader", village=lj["v"], actor=None)  # recorded after the day
    db.session.commit()
    day = today() - timedelta(days=10)
    r = post(client, make, sec, f"/members/{kid.id}/end", {"reason": "moved_out", "on": day.isoformat(),
                                                             "note": "迁往县城"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "moved_out" and r.json["is_collective_member"] is False
    ev = events(kid.id)[-1]
    assert (ev.kind, ev.reason, ev.on_date, ev.note) == ("ended", "moved_out", day, "迁往县城")
    ra = db.session.execute(select(RoleAssignment).where(RoleAssignment.person_id == kid.person_id,
                                                         RoleAssignment.role == "member_representative")).scalar_one()
    assert ra.valid_to is not None and ra.valid_to.astimezone(SHANGHAI).date() == day
    assert late.valid_to is not None and late.valid_to >= late.valid_from  # recorded after the day: ends the day
    assert late.valid_to.astimezone(SHANGHAI).date() == late.valid_from.astimezone(SHANGHAI).date()  # it began
    history = client.get(f"{API}/members/{kid.id}/history", headers=make.headers(sec)).json
    assert history[-1]["kind_label"] == "注销成员" and history[-1]["reason_label"] == "迁出"

    again = post(client, make, sec, f"/members/{kid.id}/end", {"reason": "deceased", "on": today().isoformat()})
    assert again.status_code == 409 and again.json["error"]["code"] == "member.already_ended"
    assert f"已于 {day.isoformat()} 注销（迁出）" in again.json["error"]["message"]
    moved = post(client, make, sec, f"/members/{kid.id}/move", {"household_number": "LJ-009", "relation": "户主"})
    assert moved.status_code == 409 and moved.json["error"]["code"] == "member.not_active"
    assert len(events(kid.id)) == 2


def test_a_head_who_dies_leaves_the_household_without_a_head(client, make, lj) -> None:
    head = lj["head"]
    r = post(client, make, lj["sec"], f"/members/{head.id}/end", {"reason": "deceased", "on": today().isoformat()})
    assert r.status_code == 200 and r.json["status"] == "deceased" and r.json["is_head"] is False
    # the household can take a new head now
    r = client.patch(f"{API}/members/{lj['kid'].id}", json={"is_head": True}, headers=make.headers(lj["sec"]))
    assert r.status_code == 200 and r.json["is_head"] is True


def test_end_refusals_change_nothing(client, make, lj) -> None:
    head, sec = lj["head"], lj["sec"]
    cases = [
        ({"reason": "gone", "on": today().isoformat()}, 422, "validation.failed"),
        ({"reason": "deceased"}, 422, "validation.failed"),
        ({"reason": "deceased", "on": (today() + timedelta(days=1)).isoformat()}, 422, "member.date_future"),
        ({"reason": "deceased", "on": "1960-01-01"}, 422, "member.date_before_birth"),
    ]
    for body, status, code in cases:
        r = post(client, make, sec, f"/members/{head.id}/end", body)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
    r = post(client, make, sec, f"/members/{head.id}/end", {"reason": "gone", "on": today().isoformat()})
    assert "迁出、死亡、其他原因" in str(r.json["error"])
    # the secretary is appointed by the township: not ended by the village
    r = post(client, make, sec, f"/members/{sec.id}/end", {"reason": "other", "on": today().isoformat()})
    assert r.status_code == 409 and r.json["error"]["code"] == "member.holds_office"
    assert "村党组织书记" in r.json["error"]["message"]
    db.session.expire_all()
    assert head.status == "active" and sec.status == "active"
    assert [e.kind for e in events(head.id)] == ["joined"]


def test_other_reason_takes_status_ended(client, make, lj) -> None:
    r = post(client, make, lj["sec"], f"/members/{lj['kid'].id}/end", {"reason": "other", "on": today().isoformat()})
    assert r.status_code == 200 and r.json["status"] == "ended"


# ---------------------------------------------------------------- history of edits


def test_edits_and_imports_write_history(client, make, lj) -> None:
    kid, sec = lj["kid"], lj["sec"]
    r = client.patch(f"{API}/members/{kid.id}", json={"name": "张晓燕", "phone": "13900001111"},
                     headers=make.headers(sec))
    assert r.status_code == 200
    ev = events(kid.id)[-1]
    assert ev.kind == "edited"
    h = client.get(f"{API}/members/{kid.id}/history", headers=make.headers(sec)).json[-1]
    assert h["before"]["name"] == "张小燕" and h["after"]["name"] == "张晓燕" and h["after"]["phone_set"] is True
    assert "13900001111" not in str(h)  # the history keeps whether a phone is set, never the number
    # a PATCH that changes nothing writes no history
    client.patch(f"{API}/members/{kid.id}", json={"name": "张晓燕"}, headers=make.headers(sec))
    assert len(events(kid.id)) == 2
    # the person themself may not read the history (staff only)
    r = client.get(f"{API}/members/{kid.id}/history", headers=make.headers(kid))
    assert r.status_code == 403


# ---------------------------------------------------------------- roles: kinds and dates


def test_member_representatives_and_group_leaders_with_dates(client, make, lj) -> None:
    v, sec, head = lj["v"], lj["sec"], lj["head"]
    start = today() - timedelta(days=400)
    r = post(client, make, sec, f"/villages/{v.id}/roles",
             {"person_id": head.person_id, "role": "member_representative", "start_on": start.isoformat()})
    assert r.status_code == 201, r.json
    assert (r.json["role_label"], r.json["start_on"], r.json["end_on"], r.json["current"]) == (
        "成员代表", start.isoformat(), None, True)
    rep_id = r.json["id"]
    r = post(client, make, sec, f"/villages/{v.id}/roles", {"person_id": head.person_id, "role": "group_leader"})
    assert r.status_code == 201 and r.json["role_label"] == "村民小组长" and r.json["start_on"] == today().isoformat()

    # the 成员代表大会's electorate
    now = datetime.now(SHANGHAI)
    assert [pid for pid, _ in registry.people_with_roles(v.id, ("member_representative",), now)] == [head.person_id]
    before_start = datetime.combine(start - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI)
    assert registry.people_with_roles(v.id, ("member_representative",), before_start) == []

    # a past term entered as history: ended, not current, and the same person may hold it again now
    r = post(client, make, sec, f"/villages/{v.id}/roles",
             {"person_id": head.person_id, "role": "member_representative", "start_on": "2016-01-01",
              "end_on": "2020-12-31"})
    assert r.status_code == 201 and r.json["current"] is False and r.json["end_on"] == "2020-12-31"

    listing = client.get(f"{API}/villages/{v.id}/roles", query_string={"role": "member_representative"},
                         headers=make.headers(lj["acc"])).json
    assert {(i["start_on"], i["end_on"]) for i in listing["items"]} == {(start.isoformat(), None),
                                                                         ("2016-01-01", "2020-12-31")}
    current = client.get(f"{API}/villages/{v.id}/roles", query_string={"current": "true",
                                                                       "role": "member_representative"},
                         headers=make.headers(sec)).json
    assert [i["id"] for i in current["items"]] == [rep_id]

    # end it on a day: not before it began, not after today; once only
    too_early = (start - timedelta(days=1)).isoformat()
    r = post(client, make, sec, f"/role-assignments/{rep_id}/end", {"end_on": too_early})
    assert r.status_code == 422 and r.json["error"]["code"] == "role.end_before_start"
    later = (today() + timedelta(days=2)).isoformat()
    r = post(client, make, sec, f"/role-assignments/{rep_id}/end", {"end_on": later})
    assert r.status_code == 422 and r.json["error"]["code"] == "role.end_future"
    end = today() - timedelta(days=5)
    r = post(client, make, sec, f"/role-assignments/{rep_id}/end", {"end_on": end.isoformat()})
    assert r.status_code == 200 and r.json["end_on"] == end.isoformat() and r.json["current"] is False
    r = post(client, make, sec, f"/role-assignments/{rep_id}/end", {})
    assert r.status_code == 409 and r.json["error"]["code"] == "role.already_ended"
    end_audit = db.session.execute(select(AuditEntry).where(AuditEntry.action == "role.end")).scalar_one()
    assert end_audit.after_data() == {"end_on": end.isoformat()}


def test_role_refusals(client, make, lj) -> None:
    v, sec = lj["v"], lj["sec"]
    outsider = make.member(v, "刘新", household=make.household(v, "LJ-020"), collective=False)
    db.session.commit()
    cases = [
        ({"person_id": outsider.person_id, "role": "member_representative"}, 422, "role.not_member",
         "集体经济组织成员"),
        ({"person_id": lj["head"].person_id, "role": "group_leader",
          "start_on": (today() + timedelta(days=1)).isoformat()}, 422, "role.start_future", "不能晚于今天"),
        ({"person_id": lj["head"].person_id, "role": "group_leader", "start_on": "2020-01-01",
          "end_on": "2019-01-01"}, 422, "role.end_before_start", "不能早于开始日期"),
        ({"person_id": lj["head"].person_id, "role": "group_leader", "end_on": (today() + timedelta(days=30))
          .isoformat()}, 422, "role.end_future", "到期时再点"),
        ({"person_id": lj["zhou"].person_id, "role": "member_representative"}, 422, "role.not_on_roster", "本村在册"),
        ({"person_id": lj["head"].person_id, "role": "secretary"}, 403, "role.township_only", "乡镇"),
        ({"person_id": lj["head"].person_id, "role": "chief"}, 422, "validation.failed", "角色"),
    ]
    before = count(RoleAssignment)
    for body, status, code, words in cases:
        r = post(client, make, sec, f"/villages/{v.id}/roles", body)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
        assert words in str(r.json["error"]), (body, r.json)
    # one current appointment per person and role
    assert post(client, make, sec, f"/villages/{v.id}/roles",
                {"person_id": lj["head"].person_id, "role": "party_member"}).status_code == 201
    r = post(client, make, sec, f"/villages/{v.id}/roles", {"person_id": lj["head"].person_id, "role": "party_member"})
    assert r.status_code == 409 and r.json["error"]["code"] == "role.exists"
    assert count(RoleAssignment) == before + 1
    # the accountant may not appoint
    r = post(client, make, lj["acc"], f"/villages/{v.id}/roles", {"person_id": lj["head"].person_id,
                                                                   "role": "group_leader"})
    assert r.status_code == 403


def test_the_database_knows_the_role_kinds(lj) -> None:
    db.session.add(RoleAssignment(person_id=lj["head"].person_id, role="member_representative",
                                  village_id=lj["v"].id))
    db.session.flush()
    db.session.add(RoleAssignment(person_id=lj["head"].person_id, role="chief", village_id=lj["v"].id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_demo_has_21_member_representatives_some_women_and_two_group_leaders() -> None:
    lj = [m for h in roster_plan() if h.village == "LJ01" for m in h.members]
    reps = [m for m in lj if "member_representative" in m.roles]
    assert len(reps) >= 21 and sum(m.gender == "F" for m in reps) >= 7
    assert all(m.collective and m.status == "active" and m.key is None for m in reps)
    assert len([m for m in lj if "group_leader" in m.roles]) == 2


# ---------------------------------------------------------------- import: dry run, all or nothing, round trip


def _upload(client: FlaskClient, make: Factory, who: Member, village_id: int, data: BytesIO,
            dry_run: bool = False) -> Any:
    form = {"file": (data, "roster.xlsx")}
    if dry_run:
        form["dry_run"] = "true"
    return client.post(f"{API}/villages/{village_id}/roster/import", data=form, headers=make.headers(who),
                       content_type="multipart/form-data")


def test_dry_run_lists_every_bad_row_and_writes_nothing(client, make, lj) -> None:
    rows = [
        {"户号": "LJ-030", "姓名": "孙红", "身份证号": id_card(female=True), "与户主关系": "户主"},
        {"户号": "LJ-030", "姓名": "", "身份证号": id_card(), "与户主关系": "子女"},
        {"户号": "LJ-030", "姓名": "孙强", "身份证号": "123", "与户主关系": "子女"},
        {"户号": "LJ-030", "姓名": "孙明", "身份证号": id_card(), "与户主关系": "表亲"},
    ]
    before = {m.__name__: count(m) for m in (Person, Member, Household, MemberEvent, AuditEntry)}
    r = _upload(client, make, lj["sec"], lj["v"].id, xlsx(rows, HEADERS), dry_run=True)
    assert r.status_code == 422 and r.json["error"]["code"] == "roster.invalid"
    bad = r.json["error"]["details"]["rows"]
    assert [(b["row"], b["field"]) for b in bad] == [(3, "姓名"), (4, "身份证号"), (5, "与户主关系")]
    assert bad[0]["message"] == "请填写姓名" and "与户主关系应为" in bad[2]["message"]
    assert "3 行有误" in r.json["error"]["message"]
    assert {m.__name__: count(m) for m in (Person, Member, Household, MemberEvent, AuditEntry)} == before

    # the real import of the same file: refused whole
    r = _upload(client, make, lj["sec"], lj["v"].id, xlsx(rows, HEADERS))
    assert r.status_code == 422
    assert {m.__name__: count(m) for m in (Person, Member, Household, MemberEvent, AuditEntry)} == before

    # fixed: the dry run passes and still writes nothing; the import writes every row with its history
    rows[1]["姓名"], rows[2]["身份证号"], rows[3]["与户主关系"] = "孙丽", id_card(), "子女"
    r = _upload(client, make, lj["sec"], lj["v"].id, xlsx(rows, HEADERS), dry_run=True)
    assert r.status_code == 200 and r.json["dry_run"] is True and r.json["created"] == 4
    assert count(Person) == before["Person"]
    r = _upload(client, make, lj["sec"], lj["v"].id, xlsx(rows, HEADERS))
    assert r.status_code == 200 and r.json["created"] == 4 and r.json["households_created"] == 1
    assert count(Member) == before["Member"] + 4 and count(MemberEvent) == before["MemberEvent"] + 4


def test_export_imports_back_unchanged_and_an_edit_in_it_is_history(client, make, lj) -> None:
    sec, v = lj["sec"], lj["v"]
    exported = client.get(f"{API}/villages/{v.id}/roster.xlsx", headers=make.headers(sec))
    assert exported.status_code == 200
    total = count(Member) - 1  # 周海 is in 新竹村
    r = _upload(client, make, sec, v.id, BytesIO(exported.data))
    assert r.status_code == 200 and (r.json["rows"], r.json["unchanged"], r.json["created"]) == (total, total, 0)

    wb = load_workbook(BytesIO(exported.data))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    for row in ws.iter_rows(min_row=2):
        assert str(row[3].value).startswith("*" * 14)  # ID numbers: only their last 4
        if row[2].value == "张小燕":
            row[2].value = "张晓燕"
    out = BytesIO()
    wb.save(out)
    out.seek(0)
    r = _upload(client, make, sec, v.id, out)
    assert r.status_code == 200 and r.json["updated"] == 1
    assert events(lj["kid"].id)[-1].kind == "edited"


def test_the_template_has_the_export_columns_and_its_notes(client, make, lj) -> None:
    r = client.get(f"{API}/villages/{lj['v'].id}/roster/template.xlsx", headers=make.headers(lj["acc"]))
    assert r.status_code == 200
    wb = load_workbook(BytesIO(r.data))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS
    assert all(c.value is None for row in wb.worksheets[0].iter_rows(min_row=2) for c in row)
    assert wb.worksheets[1].title == "填写说明" and wb.worksheets[1]["A2"].value == "成员编号"
    # an empty template is refused in words, not imported
    r = _upload(client, make, lj["sec"], lj["v"].id, BytesIO(r.data))
    assert r.status_code == 422 and "没有人员数据" in r.json["error"]["message"]


def test_registering_a_confirmed_member_is_in_their_history(lj) -> None:
    entry = registry.MemberInput(name="刘新", id_card=id_card(), household_number=lj["empty"].number, relation="户主",
                                 is_head=True, is_collective_member=False)
    m = registry.add_member(lj["v"], entry, actor=None)
    day = today() - timedelta(days=1)
    registry.register_member(m.person_id, lj["v"].id, actor=None, on=day, meeting_id=None)
    ev = events(m.id)
    assert [e.kind for e in ev] == ["joined", "edited"] and ev[1].on_date == day
    assert "成员大会" in (ev[1].note or "")
    registry.register_member(m.person_id, lj["v"].id, actor=None, on=day)  # already a member: no new step
    assert len(events(m.id)) == 2


def test_membership_is_not_a_flag_the_secretary_flips(client: FlaskClient, make: Factory, lj: dict[str, Any]) -> None:
    """成员资格 comes through 成员确认 (the 成员大会, 公示, registration) and goes through 注销: PATCH refuses to change
    it either way, with the field's Chinese reason, and writes nothing; the same value, or other fields, still save."""
    kid = lj["kid"]
    before = (count(MemberEvent), count(AuditEntry))
    r = client.patch(f"{API}/members/{kid.id}", json={"is_collective_member": False}, headers=make.headers(lj["sec"]))
    assert r.status_code == 422, r.json
    err = r.json["error"]
    assert err["code"] == "member.membership_by_confirmation" and "成员确认" in err["message"], err
    assert err["details"]["fields"]["is_collective_member"], err
    outsider = make.member(lj["v"], "林小燕", household=lj["empty"], collective=False)
    db.session.commit()
    r = client.patch(f"{API}/members/{outsider.id}", json={"is_collective_member": True},
                     headers=make.headers(lj["sec"]))
    assert r.status_code == 422 and r.json["error"]["code"] == "member.membership_by_confirmation"
    db.session.expire_all()
    assert db.session.get(Member, outsider.id).is_collective_member is False
    assert db.session.get(Member, kid.id).is_collective_member is True
    assert (count(MemberEvent), count(AuditEntry)) == (before[0] + 1, before[1] + 1)  # only 林小燕's own entry
    # the unchanged value and other fields still save
    r = client.patch(f"{API}/members/{kid.id}", json={"is_collective_member": True, "relation": "子女"},
                     headers=make.headers(lj["sec"]))
    assert r.status_code == 200, r.json
