"""四议两公开 pipeline: stages as data, quorum at the edge, order, failure, 公示 timing and objections, the result
stage's vouchers, the merged variant, the contract's fields, permissions, and the ledger's large-expense rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from backend.core.audit import AuditEntry
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.decisions.pipeline import settling
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.ledger import service as ledger
from backend.registry import settings

API = "/api/v1"


def ids(members) -> list[int]:
    return [m.person_id for m in members]


def create(client, make, w, **extra):
    body = {"title": "村道硬化工程", "category": "project", "origin": "村干部提议", "amount": "120000.00", **extra}
    r = client.post(f"{API}/villages/{w['v'].id}/decisions", json=body, headers=make.headers(w["sec"]))
    assert r.status_code == 201, r.json
    return r.json


def meeting(client, make, w, did, stage, attendees, outcome="passed", who=None, **extra):
    body = {"stage": stage, "held_on": today().isoformat(), "outcome": outcome, "attendees": ids(attendees),
            "meeting_form": "会议", **extra}
    return client.post(f"{API}/decisions/{did}/meetings", json=body, headers=make.headers(who or w["sec"]))


def two_committees(w):
    return [w["sec"], *w["committee"]]


def through_consultation(client, make, w, did, first="提议"):
    assert meeting(client, make, w, did, first, two_committees(w)).status_code == 201
    if first == "提议":
        r = meeting(client, make, w, did, "商议", two_committees(w), votes={"agree": 3, "oppose": 0})
        assert r.status_code == 201, r.json


def through_resolution(client, make, w, did):
    through_consultation(client, make, w, did)
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 5, "oppose": 1})
    assert r.status_code == 201, r.json
    r = meeting(client, make, w, did, "决议", [*w["committee"], *w["reps"][:3]], votes={"agree": 3, "oppose": 2},
                township_officials=[{"name": "郑雯", "post": "镇包村干部"}])
    assert r.status_code == 201, r.json


def noon(d: date) -> datetime:
    return datetime.combine(d, time(12), SHANGHAI).astimezone(UTC)


def detail(client, make, who, did):
    r = client.get(f"{API}/decisions/{did}", headers=make.headers(who))
    assert r.status_code == 200, r.json
    return r.json


def posted_voucher(village, fen: int, decision_ref: str | None = None):
    ledger.ensure_chart(village)
    v = ledger.create_voucher(village, ledger.VoucherInput(today(), "支付工程款", [
        ledger.LineInput("513", debit_fen=fen), ledger.LineInput("102", credit_fen=fen)], decision_ref), actor=None)
    ledger.post_voucher(v, actor=None)
    db.session.commit()
    return v


def test_the_full_six_stage_path(client, make, w, now):
    d = create(client, make, w)
    did = d["id"]
    sec = make.headers(w["sec"])
    assert [s["stage"] for s in d["stages"]] == ["提议", "商议", "审议", "决议", "决议公开", "实施结果公开"]
    assert d["stage"] == "提议" and d["status"] == "in_progress" and d["amount"] == "120000.00"
    assert d["decision_body"] == "representatives_meeting" and d["origin"] == "村干部提议"
    through_resolution(client, make, w, did)
    d = detail(client, make, w["plain"], did)
    assert d["status"] == "resolved" and d["resolved_on"] == today().isoformat() and d["stage"] == "决议公开"
    resolve = d["stages"][3]
    assert resolve["attendance"]["eligible"] == 7 and resolve["attendance"]["present"] == 5
    assert resolve["attendance"]["ratio"] == "71.43" and resolve["attendance"]["quorum_met"] is True
    assert resolve["result"]["outcome"] == "passed" and resolve["result"]["agree"] == 3
    review = d["stages"][2]
    assert (review["attendance"]["eligible"], review["attendance"]["present"]) == (9, 6)

    # 决议公开: 5 days by default; an objection is recorded and must be answered before completing
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开", "channel": "村务公开栏"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 201, r.json
    pub = r.json["result"]["publicity"]
    assert pub["start_on"] == today().isoformat()
    assert pub["end_on"] == (today() + timedelta(days=5)).isoformat()
    r = client.post(f"{API}/decisions/{did}/objections", json={"raised_by": "张大山", "text": "路线经过我家承包地"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 201
    objection_id = r.json["id"]
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "决议公开"}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.publicity_running"
    now[0] += timedelta(days=5)
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "决议公开"}, headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.objections_unanswered"
    r = client.post(f"{API}/decision-objections/{objection_id}/answer", json={"answer": "已调整线路，另行补偿"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 200 and r.json["answer"]
    r = client.post(f"{API}/decision-objections/{objection_id}/answer", json={"answer": "again"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.objection_answered"
    r = client.post(f"{API}/decisions/{did}/publicity/close",
                    json={"stage": "决议公开", "supervisor_opinion": "程序合规"}, headers=make.headers(w["sec"]))
    assert r.status_code == 200 and r.json["status"] == "passed"

    # 实施结果公开: the result first (money, acceptance, vouchers), then its 公示, then done
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "实施结果公开"}, headers=make.headers(w["sec"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.result_missing"
    voucher = posted_voucher(w["v"], 118_000_00, str(did))
    r = client.post(f"{API}/decisions/{did}/result", headers=make.headers(w["sec"]), json={
        "spent": "118000.00", "voucher_ids": [voucher.id],
        "acceptance": {"accepted_on": today().isoformat(), "accepted_by": "镇建设办", "opinion": "合格"}})
    assert r.status_code == 200, r.json
    assert r.json["result"]["spent"] == "118000.00" and r.json["result"]["voucher_ids"] == [voucher.id]
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "实施结果公开"}, headers=make.headers(w["sec"]))
    assert r.status_code == 201
    now[0] += timedelta(days=5)
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "实施结果公开"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 200
    d = detail(client, make, w["plain"], did)
    assert d["status"] == "done" and [s["status"] for s in d["stages"]] == ["passed"] * 6
    # issue 20: public in count, private in author — a villager sees how many, not who or what (this one was
    # recorded by staff without naming a person of the roster, so it is nobody's own)
    seen = d["stages"][4]["result"]["publicity"]
    assert seen["objections"] == [] and seen["objection_counts"] == {"count": 1, "answered": 1, "overdue": 0}
    staff_view = detail(client, make, w["sec"], did)
    assert staff_view["stages"][4]["result"]["publicity"]["objections"][0]["raised_by"] == "张大山"
    actions = db.session.execute(select(AuditEntry.action).where(AuditEntry.village_id == w["v"].id)).scalars().all()
    assert {"decision.create", "decision.stage", "decision.publicity_open", "decision.objection",
            "decision.objection_answer", "decision.publicity_close", "decision.result"} <= set(actions)


def test_party_meeting_of_nine_five_present_cannot_pass_six_can(client, make, w):
    did = create(client, make, w)["id"]
    through_consultation(client, make, w, did)
    r = meeting(client, make, w, did, "审议", w["party"][:5], votes={"agree": 5, "oppose": 0})
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.quorum_not_met"
    assert "应到 9 人" in r.json["error"]["message"] and "至少 6 人" in r.json["error"]["message"]
    # 6 present but only 4 agree: more than half of ALL 9 party members (5) is needed
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 4, "oppose": 2})
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.majority_not_met"
    r = meeting(client, make, w, did, "审议", w["party"][:6])  # 审议 needs the counts
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.votes_required"
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 5, "oppose": 1})
    assert r.status_code == 201 and r.json["status"] == "passed"
    assert r.json["attendance"] == {"eligible": 9, "present": 6, "ratio": "66.67", "quorum_met": True,
                                    "attendee_ids": sorted(ids(w["party"][:6]))}


def test_attendees_must_be_among_those_who_ought_to_attend(client, make, w):
    did = create(client, make, w)["id"]
    r = meeting(client, make, w, did, "提议", [*two_committees(w), w["plain"]])
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.attendee_not_eligible"
    assert r.json["error"]["details"]["person_ids"] == [w["plain"].person_id]
    r = client.post(f"{API}/decisions/{did}/meetings", headers=make.headers(w["sec"]), json={
        "stage": "提议", "held_on": today().isoformat(), "outcome": "passed", "eligible": 3, "present": 3})
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.attendance"


def test_stages_are_recorded_in_order(client, make, w):
    did = create(client, make, w)["id"]
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 6, "oppose": 0})
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.stage_order"
    assert "提议" in r.json["error"]["message"]
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=make.headers(w["sec"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.stage_order"
    assert meeting(client, make, w, did, "提议", two_committees(w)).status_code == 201
    r = meeting(client, make, w, did, "提议", two_committees(w))
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.stage_done"
    r = meeting(client, make, w, did, "评议", two_committees(w))
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.stage_unknown"
    r = meeting(client, make, w, did, "商议", two_committees(w), held_on=(today() + timedelta(days=1)).isoformat())
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.held_on"


def test_a_failed_stage_ends_the_decision_and_it_stays_visible(client, make, w):
    did = create(client, make, w)["id"]
    through_consultation(client, make, w, did)
    r = meeting(client, make, w, did, "审议", w["party"][:7], outcome="failed")
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.reason_required"
    r = meeting(client, make, w, did, "审议", w["party"][:7], outcome="failed", votes={"agree": 2, "oppose": 5},
                reason="多数党员认为造价过高")
    assert r.status_code == 201 and r.json["status"] == "failed"
    d = detail(client, make, w["plain"], did)
    assert d["status"] == "failed" and "造价过高" in d["failure_reason"] and d["stage"] == "审议"
    assert [s["status"] for s in d["stages"]] == ["passed", "passed", "failed", "pending", "pending", "pending"]
    listed = client.get(f"{API}/villages/{w['v'].id}/decisions", headers=make.headers(w["plain"])).json
    assert [(i["id"], i["status"]) for i in listed["items"]] == [(did, "failed")]
    r = meeting(client, make, w, did, "决议", [*w["committee"], *w["reps"]], votes={"agree": 7, "oppose": 0})
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.ended"


def test_ending_a_decision_with_a_reason(client, make, w):
    did = create(client, make, w)["id"]
    r = client.post(f"{API}/decisions/{did}/end", json={"reason": "上级政策调整，项目取消"},
                    headers=make.headers(w["sec"]))
    assert r.status_code == 200 and r.json["status"] == "failed"
    assert r.json["failure_reason"] == "上级政策调整，项目取消"
    r = client.post(f"{API}/decisions/{did}/end", json={"reason": "x"}, headers=make.headers(w["sec"]))
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.ended"
    r = client.post(f"{API}/decisions/{did}/end", json={}, headers=make.headers(w["sec"]))
    assert r.status_code == 422


def test_publicity_period_timing_and_objections(client, make, w, now):
    did = create(client, make, w)["id"]
    settings.put("decisions.publicity_days.决议公开", 3, actor=None, village=w["v"])
    db.session.commit()
    through_resolution(client, make, w, did)
    h = make.headers(w["sec"])
    r = client.post(f"{API}/decisions/{did}/objections", json={"raised_by": "张大山", "text": "x"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.publicity_not_open"
    start = today()
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=h)
    assert r.json["result"]["publicity"]["end_on"] == (start + timedelta(days=3)).isoformat()
    r = client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.publicity_open"
    now[0] = noon(start + timedelta(days=2))  # the last day before the end
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "决议公开"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.publicity_running"
    r = client.post(f"{API}/decisions/{did}/objections",
                    json={"raised_by": "李四", "text": "不同意", "raised_on": (start - timedelta(days=1)).isoformat()},
                    headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.objection_out_of_period"
    now[0] = noon(start + timedelta(days=4))  # past the end
    r = client.post(f"{API}/decisions/{did}/objections", json={"raised_by": "李四", "text": "不同意"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.objection_out_of_period"
    r = client.post(f"{API}/decisions/{did}/objections", headers=h, json={
        "raised_by": "李四", "text": "期内提出、补登", "raised_on": (start + timedelta(days=1)).isoformat()})
    assert r.status_code == 201
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "决议公开"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["details"]["unanswered"] == 1


def test_result_stage_links_only_posted_vouchers_of_the_same_village(client, make, w, now):
    did = create(client, make, w)["id"]
    through_resolution(client, make, w, did)
    h = make.headers(w["sec"])
    client.post(f"{API}/decisions/{did}/publicity", json={"stage": "决议公开"}, headers=h)
    r = client.post(f"{API}/decisions/{did}/result", json={"spent": "1.00"}, headers=h)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.stage_order"
    now[0] += timedelta(days=5)
    r = client.post(f"{API}/decisions/{did}/publicity/close", json={"stage": "决议公开"}, headers=h)
    assert r.status_code == 200
    theirs = posted_voucher(w["other"], 500_00)
    r = client.post(f"{API}/decisions/{did}/result", json={"spent": "500.00", "voucher_ids": [theirs.id]}, headers=h)
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.voucher_unknown"
    ledger.ensure_chart(w["v"])
    draft = ledger.create_voucher(w["v"], ledger.VoucherInput(today(), "草稿", [
        ledger.LineInput("513", debit_fen=100), ledger.LineInput("102", credit_fen=100)]), actor=None)
    db.session.commit()
    r = client.post(f"{API}/decisions/{did}/result", json={"spent": "1.00", "voucher_ids": [draft.id]}, headers=h)
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.voucher_not_posted"
    r = client.post(f"{API}/decisions/{did}/result", json={"spent": "1.00", "voucher_ids": [999_999]}, headers=h)
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.voucher_unknown"
    ours = posted_voucher(w["v"], 500_00)
    r = client.post(f"{API}/decisions/{did}/result", json={"spent": "500.00", "voucher_ids": [ours.id]}, headers=h)
    assert r.status_code == 200 and r.json["result"]["voucher_ids"] == [ours.id]


def test_the_merged_variant_has_five_stages_and_existing_decisions_keep_theirs(client, make, w):
    before = create(client, make, w)
    settings.put("decisions.merge_proposal", 1, actor=None, township=w["v"].township)
    db.session.commit()
    d = create(client, make, w, title="村委办公楼维修")
    assert [s["stage"] for s in d["stages"]] == ["提议商议", "审议", "决议", "决议公开", "实施结果公开"]
    assert d["stage"] == "提议商议" and d["variant"] == "四议两公开·提议商议合并"
    through_consultation(client, make, w, d["id"], first="提议商议")
    assert detail(client, make, w["sec"], d["id"])["stage"] == "审议"
    assert len(detail(client, make, w["sec"], before["id"])["stages"]) == 6
    settings.put("decisions.variant", 1, actor=None, village=w["v"])
    db.session.commit()
    five = create(client, make, w, title="五议")
    assert [s["stage"] for s in five["stages"]][-2:] == ["实施结果公开", "评议"]


def test_land_contract_defaults_to_the_members_assembly_with_two_thirds_of_all(client, make, w):
    d = create(client, make, w, category="land_contract", title="二轮延包方案")
    assert d["decision_body"] == "members_assembly" and d["special_matter"] == "land_contract_plan"
    r = client.post(f"{API}/villages/{w['v'].id}/decisions", headers=make.headers(w["sec"]), json={
        "title": "x", "category": "land_contract", "origin": "村干部提议", "decision_body": "representatives_meeting"})
    assert r.status_code == 201  # the land rule allows the representatives of all villagers too
    r = client.post(f"{API}/villages/{w['v'].id}/decisions", headers=make.headers(w["sec"]), json={
        "title": "x", "category": "project", "origin": "随便"})
    assert r.status_code == 422


def test_the_resolution_decided_by_a_vote(client, make, w, now):
    did = create(client, make, w)["id"]
    through_consultation(client, make, w, did)
    assert meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 6, "oppose": 0}).status_code == 201
    d = db.session.get(Decision, did)
    vote = votes.open_vote(d, stage="决议", body="representatives_meeting", title="村道硬化工程表决",
                           opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1), actor=None)
    db.session.commit()
    r = meeting(client, make, w, did, "决议", [*w["committee"], *w["reps"]], votes={"agree": 7, "oppose": 0})
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.vote_pending"
    for m, choice in zip([*w["committee"], *w["reps"][:3]], ["agree", "agree", "agree", "oppose", "abstain"],
                         strict=True):
        votes.cast_ballot(vote, choice, actor=make.principal(m))
    db.session.commit()
    open_view = detail(client, make, w["plain"], did)
    assert open_view["votes"][0]["state"] == "open" and open_view["votes"][0]["result"] is None
    assert open_view["status"] == "in_progress"
    now[0] += timedelta(days=1, seconds=1)
    d = detail(client, make, w["plain"], did)
    assert d["status"] == "resolved" and d["stage"] == "决议公开"
    resolve = d["stages"][3]
    assert resolve["result"]["vote_id"] == vote.id and resolve["result"]["agree"] == 3
    assert resolve["attendance"]["present"] == 5 and resolve["attendance"]["eligible"] == 7
    assert d["votes"][0]["result"]["passed"] is True
    assert settling.apply_vote_result(vote) is False  # idempotent
    assert db.session.get(Decision, did).status == "resolved"


def test_contract_fields_and_permissions(client, make, w):
    did = create(client, make, w)["id"]
    villager = make.headers(w["plain"])
    listed = client.get(f"{API}/villages/{w['v'].id}/decisions", headers=villager)
    assert listed.status_code == 200
    assert {"items", "total", "page", "page_size"} <= set(listed.json) and listed.json["total"] == 1
    item = listed.json["items"][0]
    assert {"id", "title", "stage", "status", "updated_at"} <= set(item) and item["updated_at"].endswith("+08:00")
    d = detail(client, make, w["plain"], did)
    assert {"stages", "votes"} <= set(d)
    for s in d["stages"]:
        assert {"stage", "status", "held_on", "summary", "attendance", "result"} <= set(s)
    r = meeting(client, make, w, did, "提议", two_committees(w), who=w["plain"])
    assert r.status_code == 403
    r = client.post(f"{API}/villages/{w['v'].id}/decisions", json={}, headers=villager)
    assert r.status_code == 403
    stranger = make.headers(w["stranger"])
    assert client.get(f"{API}/decisions/{did}", headers=stranger).status_code == 404
    assert client.get(f"{API}/villages/{w['v'].id}/decisions", headers=stranger).status_code == 404
    assert client.get(f"{API}/decisions/{did}").status_code == 401


def test_the_ledger_accepts_a_large_expense_only_once_the_resolution_passed(client, make, w):
    did = create(client, make, w)["id"]
    big = 60_000_00  # above the default 50 000 元 threshold
    with pytest.raises(AppError) as refused:
        ledger.check_large_expense(w["v"], big, str(did))
    assert refused.value.code == "ledger.decision_not_resolved"
    through_consultation(client, make, w, did)
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 5, "oppose": 1})
    assert r.status_code == 201
    with pytest.raises(AppError):
        ledger.check_large_expense(w["v"], big, str(did))
    r = meeting(client, make, w, did, "决议", [*w["committee"], *w["reps"][:3]], votes={"agree": 3, "oppose": 2})
    assert r.status_code == 201
    assert posted_voucher(w["v"], big, str(did)).status == "posted"
