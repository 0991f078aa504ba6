"""Publishing a dividend list: the decision it rests on, the register it was computed from, the seal, what the
public list shows, the 公示 and its objections, and cancelling."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import func, select, update

from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.identity import mask_name
from backend.core.seal import Seal, canonical_json, compute_hash, seal, verify_chain, verify_seal
from backend.decisions.pipeline.models import Decision
from backend.dividends import publishing
from backend.dividends.models import Distribution, DividendLine, DividendObjection, ShareChange, ShareEvent
from backend.registry import settings
from tests.dividends.conftest import approving_decision
from tests.factories import parallel


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _plan(client, h, books, year=None, **over) -> int:
    body = {"year": year or books.year, "title": f"{year or books.year}年度收益分配方案",
            "components": [{"kind": "equity"}]}
    body.update(over)
    r = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=h)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _computed(client, make, books, **over) -> int:
    sec = make.headers(books.secretary)
    did = _plan(client, sec, books, **over)
    r = client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
    assert r.status_code == 200, r.json
    return did


def _published(client, make, books, **over) -> int:
    did = _computed(client, make, books, **over)
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id},
                    headers=make.headers(books.secretary))
    assert r.status_code == 200, r.json
    return did


def _state(did: int) -> tuple:
    db.session.expire_all()
    d = db.session.get(Distribution, did)
    return (d.status, d.decision_id, d.seal_id, d.published_at, d.publicity_until, d.cancelled_reason,
            _count(Seal), _count(AuditEntry), _count(DividendObjection))


# ---------------------------------------------------------------- the decision it rests on


def test_publish_needs_a_resolved_decision_of_the_members_assembly_or_its_representatives(client, make, books):
    did = _computed(client, make, books)
    sec = make.headers(books.secretary)
    other = make.village("XZ02", "新竹村")
    foreign = approving_decision(other)
    pending = approving_decision(books.village)
    d = db.session.get(Decision, pending)
    d.status, d.resolved_on = "in_progress", None
    failed = approving_decision(books.village)
    d = db.session.get(Decision, failed)
    d.status, d.resolved_on = "failed", None
    reps_meeting = approving_decision(books.village, body="representatives_meeting")
    party = approving_decision(books.village, body="party_meeting")
    no_body = approving_decision(books.village)
    db.session.get(Decision, no_body).decision_body = None
    tomorrow = approving_decision(books.village, resolved_on=today() + timedelta(days=1))
    db.session.commit()
    before = _state(did)
    cases = [
        ({}, 422, "dividend.decision_required"),  # none given, and the plan names none
        ({"decision_id": None}, 422, "dividend.decision_required"),
        ({"decision_id": "x"}, 422, "validation.failed"),
        ({"decision_id": 999_999}, 422, "dividend.decision_unknown"),
        ({"decision_id": foreign}, 422, "dividend.decision_unknown"),
        ({"decision_id": pending}, 409, "dividend.decision_not_resolved"),
        ({"decision_id": failed}, 409, "dividend.decision_not_resolved"),
        ({"decision_id": tomorrow}, 409, "dividend.decision_not_resolved"),
        ({"decision_id": reps_meeting}, 409, "dividend.decision_body"),
        ({"decision_id": party}, 409, "dividend.decision_body"),
        ({"decision_id": no_body}, 409, "dividend.decision_body"),
    ]
    for body, status, code in cases:
        r = client.post(f"/api/v1/distributions/{did}/publish", json=body, headers=sec)
        assert (r.status_code, r.json["error"]["code"]) == (status, code), (body, r.json)
        assert _state(did) == before
    assert before[0] == "computed" and before[2] is None

    rep_assembly = approving_decision(books.village, body="members_rep_assembly")
    db.session.commit()
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": rep_assembly}, headers=sec)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "published" and r.json["decision_id"] == rep_assembly


def test_a_members_assembly_decision_publishes_and_a_list_is_published_once(client, make, books):
    did = _computed(client, make, books)
    sec = make.headers(books.secretary)
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200 and r.json["decision_id"] == books.decision_id
    before = _state(did)
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_computed"
    assert _state(did) == before and _count(Seal) == 1


def test_a_list_published_by_several_requests_at_once_is_sealed_once(app, client, make, books, postgres_only):
    did = _computed(client, make, books)
    sec = make.headers(books.secretary)
    url = f"/api/v1/distributions/{did}/publish"
    results = parallel(app, [(lambda c: c.post(url, json={"decision_id": books.decision_id}, headers=sec))
                             for _ in range(8)])
    assert sorted(r.status_code for r in results) == [200] + [409] * 7, [r.json for r in results]
    assert all(r.json["error"]["code"] == "dividend.not_computed" for r in results if r.status_code == 409)
    check = verify_chain(books.village.id)
    assert check.ok and check.count == 1 == _count(Seal)
    assert db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "dividend.publish")).scalar_one() == 1


def test_a_draft_cannot_be_published(client, make, books):
    sec = make.headers(books.secretary)
    did = _plan(client, sec, books)
    before = _state(did)
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_computed"
    assert _state(did) == before and before[0] == "draft"


# ---------------------------------------------------------------- the register it was computed from


def test_a_register_changed_behind_the_computation_refuses_publication(client, make, books):
    did = _computed(client, make, books)
    sec = make.headers(books.secretary)
    # a change slipped in past the service (and its freeze), dated before the record date
    ev = ShareEvent(village_id=books.village.id, kind="adjust", effective_on=books.register_on)
    db.session.add(ev)
    db.session.flush()
    rogue = ShareChange(event_id=ev.id, village_id=books.village.id, effective_on=books.register_on,
                        household_id=books.households[2].id, member_id=books.members[2][0].id,
                        share_type_id=books.member_type.id, delta=1)
    db.session.add(rogue)
    db.session.commit()
    before = _state(did)
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.register_changed"
    assert _state(did) == before and before[0] == "computed"

    # a change dated after the record date is not part of the list: once the rogue row is gone it publishes
    db.session.delete(db.session.get(ShareChange, rogue.id))
    db.session.add(ShareChange(event_id=ev.id, village_id=books.village.id, effective_on=today() + timedelta(days=1),
                               household_id=books.households[2].id, member_id=books.members[2][0].id,
                               share_type_id=books.member_type.id, delta=1))
    db.session.commit()
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200, r.json


# ---------------------------------------------------------------- the seal


def test_publish_seals_the_masked_list_into_the_village_chain(client, make, books):
    earlier = seal(books.village.id, "disclosure", None, {"period": "earlier"})
    db.session.commit()
    did = _published(client, make, books)
    d = db.session.get(Distribution, did)
    s = db.session.get(Seal, d.seal_id)
    assert (s.kind, s.object_id, s.seq, s.prev_hash) == ("dividend_list", did, 2, earlier.hash)
    check = verify_chain(books.village.id)
    assert check.ok and check.count == 2

    payload = publishing.public_payload(d)
    assert s.canonical == canonical_json(payload)
    assert compute_hash(earlier.hash, canonical_json(payload)) == s.hash
    assert verify_seal(s, payload)
    sealed = json.loads(s.canonical)
    assert sealed["decision_id"] == books.decision_id and sealed["register_hash"] == d.register_hash
    assert sealed["total"] == "63000.00" and len(sealed["lines"]) == 4
    assert all("by_member" not in ln and "household_id" not in ln for ln in sealed["lines"])
    assert sealed["lines"][0]["head_name"] == "张*0"

    view = client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.villager)).json
    assert (view["seal"], view["prev_seal"]) == (s.hash, earlier.hash)

    # someone edits an amount in the database: the published record no longer matches its seal
    first = db.session.execute(publishing.lines_stmt(d)).scalars().first()
    db.session.execute(update(DividendLine).where(DividendLine.id == first.id)
                       .values(amount_fen=DividendLine.amount_fen + 100))
    db.session.commit()
    db.session.expire_all()
    assert not verify_seal(s, publishing.public_payload(d))
    # … and rewriting the seal's text to match breaks the chain
    db.session.execute(update(Seal).where(Seal.id == s.id)
                       .values(canonical=canonical_json(publishing.public_payload(d))))
    db.session.commit()
    check = verify_chain(books.village.id)
    assert not check.ok and check.broken_seq == 2


# ---------------------------------------------------------------- what the public list shows


def test_the_public_list_is_masked_staff_see_it_whole_a_household_sees_its_own_line(client, make, books):
    did = _published(client, make, books)
    villager = make.headers(books.villager)
    r = client.get(f"/api/v1/distributions/{did}/lines", headers=villager)
    assert r.status_code == 200 and r.json["total"] == 4
    heads = {h.id: ms[0] for h, ms in zip(books.households, books.members, strict=True)}
    by_number = {h.number: heads[h.id] for h in books.households}
    for item in r.json["items"]:
        head = by_number[item["household_number"]]
        assert item["head_name"] == mask_name(head.person.name) != head.person.name
        assert not {"household_id", "head_id", "by_member", "fixed", "equity", "paid_on"} & set(item)
    # no ID number, not even its last four: searched in everything but the amounts (whose digits may happen to hold
    # a random ID's last four, as "28636.36" holds "8636")
    text = json.dumps([{k: v for k, v in item.items() if k != "amount"} for item in r.json["items"]],
                      ensure_ascii=False)
    for ms in books.members:
        for m in ms:
            assert m.person.id_last4 not in text
    for ms in books.members:
        for m in ms:
            assert m.person.name not in text

    staff = client.get(f"/api/v1/distributions/{did}/lines", headers=make.headers(books.supervisor)).json["items"]
    first = staff[0]
    assert first["household_id"] == books.households[0].id and first["head_name"] == "张10"
    assert [m["name"] for m in first["by_member"]] == ["张10", "张11", "张12"]
    assert first["equity"] == first["amount"] == "28636.36"

    mine = client.get(f"/api/v1/me/dividends/{did}", headers=villager)
    assert mine.status_code == 200
    assert mine.json["household"] == {"id": books.households[0].id, "number": "LJ-101", "head_name": "张10"}
    assert [m["name"] for m in mine.json["members"]] == ["张10", "张11", "张12"]


# ---------------------------------------------------------------- the 公示 and objections


def test_publicity_lasts_the_villages_setting_counting_the_day_of_publication(client, make, books):
    settings.put("dividends.publicity_days", 3, actor=None, village=books.village)
    db.session.commit()
    did = _published(client, make, books)
    d = db.session.get(Distribution, did)
    assert d.publicity_until == today() + timedelta(days=2)
    assert client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.villager)).json[
        "publicity_until"] == (today() + timedelta(days=2)).isoformat()


def test_publicity_defaults_to_seven_days(client, make, books):
    did = _published(client, make, books)
    assert db.session.get(Distribution, did).publicity_until == today() + timedelta(days=6)


def test_objections_only_while_the_list_is_posted(client, make, books, now):
    did = _computed(client, make, books)
    villager, sec = make.headers(books.villager), make.headers(books.secretary)
    url = f"/api/v1/distributions/{did}/objections"
    before = _state(did)
    r = client.post(url, json={"text": "还没公布"}, headers=villager)
    assert r.status_code == 404  # the preview does not exist for a villager
    r = client.post(url, json={"text": "还没公布"}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_in_publicity"
    assert _state(did) == before

    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    until = date.fromisoformat(r.json["publicity_until"])
    now[0] = now[0] + timedelta(days=(until - today()).days)  # the last day of the 公示
    assert today() == until
    villager = make.headers(books.villager)
    r = client.post(url, json={"text": "最后一天提出"}, headers=villager)
    assert r.status_code == 201, r.json
    now[0] = now[0] + timedelta(days=1)
    villager = make.headers(books.villager)
    before = _state(did)
    r = client.post(url, json={"text": "公示期已过"}, headers=villager)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_in_publicity"
    assert _state(did) == before and before[-1] == 1


def test_a_member_of_the_village_objects_a_member_of_another_village_cannot(client, make, books):
    did = _published(client, make, books)
    url = f"/api/v1/distributions/{did}/objections"
    stranger = make.member(make.village("XZ02", "新竹村"), "吴强")
    db.session.commit()
    before = _state(did)
    r = client.post(url, json={"text": "我也要分红"}, headers=make.headers(stranger))
    assert r.status_code == 404
    assert _state(did) == before
    r = client.post(url, json={"text": "   "}, headers=make.headers(books.villager))
    assert r.status_code == 422 and _state(did) == before

    r = client.post(url, json={"text": "我家劳龄股少算了一股"}, headers=make.headers(books.members[1][1]))
    assert r.status_code == 201, r.json
    o = db.session.get(DividendObjection, r.json["id"])
    assert (o.household_id, o.raised_by_name, o.village_id) == (books.households[1].id, "张21", books.village.id)


def test_an_objection_is_answered_once_villagers_see_its_count_and_only_their_own(client, make, books):
    did = _published(client, make, books)
    asker = books.members[1][1]
    oid = client.post(f"/api/v1/distributions/{did}/objections", json={"text": "劳龄股算少了"},
                      headers=make.headers(asker)).json["id"]
    sec = make.headers(books.secretary)
    r = client.post(f"/api/v1/dividend-objections/{oid}/answer", json={"answer": "已核对，无误"}, headers=sec)
    assert r.status_code == 200 and r.json["answer"] == "已核对，无误" and r.json["answered_at"].endswith("+08:00")
    before = _state(did)
    r = client.post(f"/api/v1/dividend-objections/{oid}/answer", json={"answer": "再答一次"},
                    headers=make.headers(books.accountant))
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.objection_answered"
    assert _state(did) == before
    assert db.session.get(DividendObjection, oid).answer == "已核对，无误"

    # issue 20: public in count, private in author — another villager sees the count, not the text nor the name
    other = client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.villager)).json
    assert other["objections"] == [] and other["my_objections"] == []
    assert other["objection_counts"] == {"count": 1, "answered": 1, "overdue": 0}
    own = client.get(f"/api/v1/distributions/{did}", headers=make.headers(asker)).json
    assert [(o["text"], o["answer"]) for o in own["my_objections"]] == [("劳龄股算少了", "已核对，无误")]
    staff = client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.supervisor)).json["objections"]
    assert [o["raised_by"] for o in staff] == ["张21"]


# ---------------------------------------------------------------- cancelling


def test_a_published_list_can_be_cancelled_with_a_reason_and_its_seal_stays(client, make, books):
    did = _published(client, make, books)
    sec = make.headers(books.secretary)
    seal_id = db.session.get(Distribution, did).seal_id
    before = _state(did)
    for body in ({}, {"reason": ""}, {"reason": "  "}):
        r = client.post(f"/api/v1/distributions/{did}/cancel", json=body, headers=sec)
        assert r.status_code == 422, r.json
        assert _state(did) == before
    r = client.post(f"/api/v1/distributions/{did}/cancel", json={"reason": "成员大会决定重新核定分配比例"},
                    headers=sec)
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled" and r.json["cancelled_reason"] == "成员大会决定重新核定分配比例"
    assert db.session.get(Seal, seal_id) is not None
    assert verify_chain(books.village.id).ok and _count(Seal) == 1
    assert client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.villager)).status_code == 404
    before = _state(did)
    r = client.post(f"/api/v1/distributions/{did}/cancel", json={"reason": "再作废"}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.cancelled"
    assert _state(did) == before

    # a new plan for the same year, published again: the chain now holds both lists
    again = _plan(client, sec, books, dividend_total="60000.00")
    r = client.post(f"/api/v1/distributions/{again}/compute", json={"record_date": today().isoformat()}, headers=sec)
    assert r.status_code == 200 and r.json["total"] == "60000.00"
    r = client.post(f"/api/v1/distributions/{again}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200
    check = verify_chain(books.village.id)
    assert check.ok and check.count == 2
    assert r.json["prev_seal"] == db.session.get(Seal, seal_id).hash


def test_a_plan_cannot_be_cancelled_once_payout_has_started(client, make, books, now):
    did = _published(client, make, books)
    now[0] = now[0] + timedelta(days=8)
    sec = make.headers(books.secretary)
    assert client.post(f"/api/v1/distributions/{did}/payout", headers=sec).status_code == 200
    before = _state(did)
    r = client.post(f"/api/v1/distributions/{did}/cancel", json={"reason": "不想发了"}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.cannot_cancel"
    assert _state(did) == before and before[0] == "paying"
    r = client.post(f"/api/v1/villages/{books.village.id}/distributions",
                    json={"year": books.year, "title": "重做", "components": [{"kind": "equity"}]}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.year_taken"
