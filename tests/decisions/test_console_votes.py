"""What the console's 四议两公开 screens rest on: one vote at a time on a stage (refused by the API and by the
database), closing a vote early with its result in words, turnout that never shows how anyone voted, the meeting
preview's figures at the quorum's edge, attendees picked from the body's roster, and the Chinese words the API
accepts for a choice and a result."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.decisions.pipeline.models import Decision, DecisionStage
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote
from tests.factories import parallel, resolved_decision

API = "/api/v1"
BUSY = "该阶段已有一场表决正在进行"


def ids(members) -> list[int]:
    return [m.person_id for m in members]


def create(client, make, w) -> int:
    body = {"title": "村道硬化工程", "category": "project", "origin": "村干部提议", "amount": "120000.00"}
    r = client.post(f"{API}/villages/{w['v'].id}/decisions", json=body, headers=make.headers(w["sec"]))
    assert r.status_code == 201, r.json
    return r.json["id"]


def meeting(client, make, w, did, stage, attendees, outcome="passed", **extra):
    body = {"stage": stage, "held_on": today().isoformat(), "outcome": outcome, "attendee_ids": ids(attendees),
            "meeting_form": "会议", **extra}
    return client.post(f"{API}/decisions/{did}/meetings", json=body, headers=make.headers(w["sec"]))


def at_resolution(client, make, w) -> int:
    did = create(client, make, w)
    two = [w["sec"], *w["committee"]]
    assert meeting(client, make, w, did, "提议", two).status_code == 201
    assert meeting(client, make, w, did, "商议", two, votes={"agree": 3, "oppose": 0}).status_code == 201
    r = meeting(client, make, w, did, "审议", w["party"][:6], votes={"agree": 5, "oppose": 1})
    assert r.status_code == 201, r.json
    return did


def open_vote(client, make, w, did, stage="决议", body="representatives_meeting", days=7, who=None):
    now = utcnow()
    return client.post(f"{API}/decisions/{did}/votes", headers=make.headers(who or w["sec"]), json={
        "stage": stage, "body": body, "title": "村道硬化工程表决", "opens_at": now.isoformat(),
        "closes_at": (now + timedelta(days=days)).isoformat()})


def cast(client, make, who, vid, choice):
    return client.post(f"{API}/votes/{vid}/ballots", json={"choice": choice}, headers=make.headers(who))


def vote_count(did: int) -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(Vote).where(Vote.decision_id == did)).scalar_one()


# ------------------------------------------------------------------ one vote at a time on a stage


def test_a_second_vote_on_a_stage_is_refused_while_the_first_runs(client, make, w):
    did = at_resolution(client, make, w)
    first = open_vote(client, make, w, did)
    assert first.status_code == 201, first.json
    second = open_vote(client, make, w, did)
    assert second.status_code == 409
    assert second.json["error"]["code"] == "vote.stage_busy"
    assert second.json["error"]["message"].startswith(BUSY) and "村道硬化工程表决" in second.json["error"]["message"]
    assert second.json["error"]["details"]["vote_id"] == first.json["id"]
    assert vote_count(did) == 1


def test_the_database_refuses_a_second_untallied_vote_on_a_stage(client, make, w, monkeypatch):
    did = at_resolution(client, make, w)
    d = db.session.get(Decision, did)
    now = utcnow()
    votes.open_vote(d, stage="决议", body="representatives_meeting", title="一", opens_at=now,
                    closes_at=now + timedelta(days=1), actor=None)
    db.session.commit()
    monkeypatch.setattr(votes, "open_vote_on", lambda *_: None)  # as if the check had raced: the index answers
    with pytest.raises(AppError) as exc:
        votes.open_vote(d, stage="决议", body="representatives_meeting", title="二", opens_at=now,
                        closes_at=now + timedelta(days=1), actor=None)
    assert exc.value.code == "vote.stage_busy" and exc.value.status == 409
    db.session.rollback()
    assert vote_count(did) == 1
    # another stage of the same decision is free
    votes.open_vote(d, stage="审议", body="party_meeting", title="三", opens_at=now,
                    closes_at=now + timedelta(days=1), actor=None)
    db.session.commit()
    assert vote_count(did) == 2


def test_a_decision_resolved_outside_the_app_records_no_stage_and_is_not_held(client, make, w):
    """A vote on a decision without stages (paper records) records nothing on it: it is not one of a stage's votes."""
    d = resolved_decision(w["v"].id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    assert open_vote(client, make, w, d.id).status_code == 201
    assert open_vote(client, make, w, d.id).status_code == 201
    db.session.rollback()
    assert [v.on_stage for v in votes.votes_of(d.id)] == [False, False]


def test_only_the_current_meeting_stage_is_put_to_a_vote(client, make, w):
    did = create(client, make, w)
    r = open_vote(client, make, w, did)  # the decision is at 提议
    assert r.status_code == 409 and r.json["error"]["message"] == "请先完成“提议”环节，各环节须按顺序进行"
    r = open_vote(client, make, w, did, stage="决议公开")
    assert r.status_code == 409
    assert open_vote(client, make, w, did, stage="提议", body="两委会议").status_code == 201
    assert vote_count(did) == 1


def test_a_closed_vote_is_tallied_before_the_next_is_considered(client, make, w, now):
    did = at_resolution(client, make, w)
    assert open_vote(client, make, w, did, days=1).status_code == 201
    now[0] = utcnow() + timedelta(days=2)  # it closed with no ballots: opening the next tallies it first
    r = open_vote(client, make, w, did, days=3)
    assert r.status_code == 409 and r.json["error"]["code"] == "decision.ended"
    assert r.json["error"]["message"].startswith("该事项已终止：“决议”表决未通过")
    db.session.rollback()
    assert [v.result is not None for v in votes.votes_of(did)] == [True]


def test_two_votes_opened_at_once_on_one_stage_give_one(app, client, make, w, postgres_only):
    did = at_resolution(client, make, w)
    headers = make.headers(w["sec"])
    now = utcnow()
    body = {"stage": "决议", "body": "representatives_meeting", "title": "同时发起", "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=3)).isoformat()}
    results = parallel(app, [lambda c: c.post(f"{API}/decisions/{did}/votes", json=body, headers=headers)] * 4)
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409], [r.json for r in results]
    assert all(r.json["error"]["code"] == "vote.stage_busy" for r in results if r.status_code == 409)
    assert vote_count(did) == 1


# ------------------------------------------------------------------ closing early, the result in words


def test_closing_a_vote_early_tallies_it_and_resolves_the_decision(client, make, w):
    did = at_resolution(client, make, w)
    vid = open_vote(client, make, w, did).json["id"]
    for rep, choice in zip(w["reps"], ("agree", "同意", "agree", "oppose", "弃权"), strict=True):
        assert cast(client, make, rep, vid, choice).status_code == 201
    r = client.post(f"{API}/votes/{vid}/close", json={"reason": "代表已全部到齐"}, headers=make.headers(w["sec"]))
    assert r.status_code == 200, r.json
    v = r.json
    assert v["state"] == "closed" and v["result"]["cast"] == 5 and v["result"]["agree"] == 3
    assert v["result_words"] == ("应到 7 人，实到 5 人，达到法定人数（应到 7 人的三分之二以上（至少 5 人））；"
                                 "同意 3 票、反对 1 票、弃权 1 票，达到到会人员过半数（至少 3 票），通过")
    assert v["assisted"] == []
    d = client.get(f"{API}/decisions/{did}", headers=make.headers(w["sec"])).json
    assert d["status"] == "resolved" and d["stage"] == "决议公开"
    resolve = next(s for s in d["stages"] if s["stage"] == "决议")
    assert resolve["status"] == "passed" and resolve["result"]["vote_id"] == vid
    assert d["votes"][0]["result_words"] == v["result_words"]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "vote.close")).scalar_one()
    assert entry.object_id == vid and entry.actor_person_id == w["sec"].person_id
    again = client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["sec"]))
    assert again.status_code == 409 and again.json["error"]["message"] == "表决已经结束"


def test_closing_early_below_the_quorum_fails_the_stage_in_words(client, make, w):
    did = at_resolution(client, make, w)
    vid = open_vote(client, make, w, did).json["id"]
    for rep in w["reps"][:4]:  # 4 of 7: one short of 2/3
        assert cast(client, make, rep, vid, "agree").status_code == 201
    v = client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["sec"])).json
    assert v["result_words"] == ("应到 7 人，实到 4 人，未达到法定人数（须应到 7 人的三分之二以上（至少 5 人）），"
                                 "表决无效，未通过")
    d = client.get(f"{API}/decisions/{did}", headers=make.headers(w["sec"])).json
    assert d["status"] == "failed"


def test_only_staff_of_the_village_close_a_vote(client, make, w):
    did = at_resolution(client, make, w)
    vid = open_vote(client, make, w, did).json["id"]
    assert client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["reps"][0])).status_code == 403
    assert client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["stranger"])).status_code == 404
    db.session.rollback()
    assert db.session.get(Vote, vid).result is None


def test_a_scheduled_vote_cannot_be_closed(client, make, w):
    d = resolved_decision(w["v"].id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    now = utcnow()
    r = client.post(f"{API}/decisions/{d.id}/votes", headers=make.headers(w["sec"]), json={
        "body": "村民代表会议", "title": "明天开始", "opens_at": (now + timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=2)).isoformat()})
    assert r.status_code == 201 and r.json["body"] == "representatives_meeting"
    c = client.post(f"{API}/votes/{r.json['id']}/close", json={}, headers=make.headers(w["sec"]))
    assert c.status_code == 409 and c.json["error"]["message"] == "表决尚未开始，不能提前结束"


# ------------------------------------------------------------------ turnout: who, never how


def test_turnout_shows_who_voted_and_never_how(client, make, w):
    did = at_resolution(client, make, w)
    vid = open_vote(client, make, w, did).json["id"]
    assert cast(client, make, w["reps"][0], vid, "agree").status_code == 201
    assert cast(client, make, w["reps"][1], vid, "oppose").status_code == 201
    r = client.get(f"{API}/votes/{vid}/turnout", headers=make.headers(w["sec"]))
    assert r.status_code == 200, r.json
    t = r.json
    assert (t["eligible"], t["cast"], t["unit"]) == (7, 2, "人")
    assert sorted(p["name"] for p in t["voted"]) == ["代表0", "代表1"]
    assert all(p["channel"] == "app" and p["channel_label"] == "手机投票" and p["cast_at"] for p in t["voted"])
    assert all(p["household_number"] for p in t["voted"])
    assert sorted(p["name"] for p in t["not_voted"]) == ["代表2", "代表3", "代表4", "委员0", "委员1"]
    text = json.dumps(t, ensure_ascii=False)
    for word in ("agree", "oppose", "abstain", "同意", "反对", "弃权", "choice", "receipt"):
        assert word not in text
    # after the close the turnout still shows no choice
    client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["sec"]))
    text = client.get(f"{API}/votes/{vid}/turnout", headers=make.headers(w["sec"])).get_data(as_text=True)
    assert "agree" not in text and "oppose" not in text and "choice" not in text


def test_turnout_is_for_the_village_staff_only(client, make, w):
    did = at_resolution(client, make, w)
    vid = open_vote(client, make, w, did).json["id"]
    assert client.get(f"{API}/votes/{vid}/turnout", headers=make.headers(w["reps"][0])).status_code == 403
    assert client.get(f"{API}/votes/{vid}/turnout", headers=make.headers(w["stranger"])).status_code == 404


# ------------------------------------------------------------------ the meeting preview and the roster


def preview(client, make, w, did, stage, attendees, **extra):
    return client.post(f"{API}/decisions/{did}/meetings/preview", headers=make.headers(w["sec"]),
                       json={"stage": stage, "attendee_ids": ids(attendees), **extra})


def test_preview_at_the_quorum_edge_writes_nothing(client, make, w):
    did = create(client, make, w)
    two = [w["sec"], *w["committee"]]
    assert meeting(client, make, w, did, "提议", two).status_code == 201
    assert meeting(client, make, w, did, "商议", two, votes={"agree": 3, "oppose": 0}).status_code == 201
    # 党员大会: 9 party members, 2/3 is exactly 6
    edge = preview(client, make, w, did, "审议", w["party"][:6])
    assert edge.status_code == 200, edge.json
    p = edge.json
    assert (p["eligible"], p["present"], p["present_needed"], p["quorum_met"]) == (9, 6, 6, True)
    assert p["agree_needed"] == 5 and p["votes_required"] is True and p["passed"] is None
    assert p["body_label"] == "党员大会" and p["enumerable"] is True
    assert p["words"] == ("应到 9 人，实到 6 人，达到法定人数（应到 9 人的三分之二以上（至少 6 人））；"
                          "须应到人数过半数同意，即至少 5 票")
    short = preview(client, make, w, did, "审议", w["party"][:5]).json
    assert (short["present"], short["quorum_met"]) == (5, False)
    assert short["words"] == ("应到 9 人，实到 5 人，未达到法定人数（须应到 9 人的三分之二以上（至少 6 人）），"
                              "会议不能登记为通过")
    voted = preview(client, make, w, did, "审议", w["party"][:6], votes={"agree": 4, "oppose": 2}).json
    assert voted["passed"] is False and voted["words"].endswith("未达到应到人数过半数（至少 5 票），未通过")
    db.session.rollback()
    stage = db.session.execute(select(DecisionStage).where(DecisionStage.decision_id == did,
                                                           DecisionStage.stage == "审议")).scalar_one()
    assert stage.status == "pending" and stage.held_on is None and stage.present is None
    # and the one fewer is refused when saving, with the same figures
    r = meeting(client, make, w, did, "审议", w["party"][:5], votes={"agree": 5, "oppose": 0})
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.quorum_not_met"


def test_preview_of_the_resolution_at_the_edge(client, make, w):
    did = at_resolution(client, make, w)
    seven = [*w["committee"], *w["reps"]]
    ok = preview(client, make, w, did, "决议", seven[:5]).json  # 2/3 of 7 → 5
    assert (ok["eligible"], ok["present"], ok["quorum_met"], ok["agree_needed"]) == (7, 5, True, 3)
    assert preview(client, make, w, did, "决议", seven[:4]).json["quorum_met"] is False
    wrong = preview(client, make, w, did, "决议公开", seven[:5])
    assert wrong.status_code == 409 or wrong.status_code == 422


def test_attendees_outside_the_roster_are_refused_by_name(client, make, w):
    did = create(client, make, w)
    r = meeting(client, make, w, did, "提议", [w["sec"], w["committee"][0], w["plain"]])
    assert r.status_code == 422 and r.json["error"]["code"] == "decision.attendee_not_eligible"
    assert "张大山" in r.json["error"]["message"] and "两委会议" in r.json["error"]["message"]
    p = preview(client, make, w, did, "提议", [w["stranger"]])
    assert p.status_code == 422 and "周海" in p.json["error"]["message"]
    db.session.rollback()
    assert db.session.get(Decision, did).current_stage == "提议"


def test_the_body_roster_lists_names_and_households(client, make, w):
    h = make.headers(w["sec"])
    r = client.get(f"{API}/villages/{w['v'].id}/bodies/party_meeting/roster", headers=h)
    assert r.status_code == 200, r.json
    assert r.json["label"] == "党员大会" and r.json["enumerable"] is True
    assert sorted(p["name"] for p in r.json["people"]) == sorted(["王建国", *[f"党员{i}" for i in range(8)]])
    assert all(p["household_number"] for p in r.json["people"])
    reps = client.get(f"{API}/villages/{w['v'].id}/bodies/representatives_meeting/roster", headers=h).json
    assert len(reps["people"]) == 7
    board = client.get(f"{API}/villages/{w['v'].id}/bodies/board/roster", headers=h).json
    assert board["enumerable"] is False and board["people"] == [] and "人数" in board["note"]
    unknown = client.get(f"{API}/villages/{w['v'].id}/bodies/nobody/roster", headers=h)
    assert unknown.status_code == 422 and "党员大会" in unknown.json["error"]["message"]
    other = client.get(f"{API}/villages/{w['v'].id}/bodies/party_meeting/roster", headers=make.headers(w["stranger"]))
    assert other.status_code == 404


def test_the_stage_shows_who_recorded_it_its_attendees_and_attachments(client, make, w):
    did = create(client, make, w)
    two = [w["sec"], *w["committee"]]
    r = meeting(client, make, w, did, "提议", two, minutes="会议记录全文",
                attachments=["签到表", {"title": "会议照片", "ref": "档案柜 A-3"}])
    assert r.status_code == 201, r.json
    s = r.json
    assert s["recorded_by"] == "王建国" and s["recorded_at"]
    assert sorted(a["name"] for a in s["attendees"]) == ["委员0", "委员1", "王建国"]
    assert s["attachments"] == [{"title": "签到表", "ref": None}, {"title": "会议照片", "ref": "档案柜 A-3"}]
    assert s["minutes"] == "会议记录全文"


# ------------------------------------------------------------------ the Chinese words the API accepts


def test_chinese_words_for_a_choice_and_a_result_are_accepted(client, make, w):
    did = create(client, make, w)
    two = [w["sec"], *w["committee"]]
    r = meeting(client, make, w, did, "提议", two, outcome="通过")
    assert r.status_code == 201 and r.json["status"] == "passed"
    bad = meeting(client, make, w, did, "商议", two, outcome="过了")
    assert bad.status_code == 422
    assert bad.json["error"]["details"]["fields"]["outcome"] == ["应为以下之一：通过、未通过（也可写 passed、failed）"]
    r = meeting(client, make, w, did, "商议", two, outcome="未通过", reason="意见分歧较大")
    assert r.status_code == 201 and r.json["status"] == "failed"


def test_a_ballot_in_chinese_counts_and_a_wrong_word_is_refused_with_what_is_accepted(client, make, w):
    d = resolved_decision(w["v"].id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    vid = open_vote(client, make, w, d.id).json["id"]
    wrong = cast(client, make, w["reps"][0], vid, "赞成")
    assert wrong.status_code == 422
    accepted = "应为以下之一：同意、反对、弃权（也可写 agree、oppose、abstain）"
    assert wrong.json["error"]["details"]["fields"]["choice"] == [accepted]
    assert client.get(f"{API}/votes/{vid}/turnout", headers=make.headers(w["sec"])).json["cast"] == 0
    for rep, word in zip(w["reps"], ("同意", "反对", "弃权", "agree", "同意"), strict=True):
        assert cast(client, make, rep, vid, word).status_code == 201
    v = client.post(f"{API}/votes/{vid}/close", json={}, headers=make.headers(w["sec"])).json
    assert (v["result"]["agree"], v["result"]["oppose"], v["result"]["abstain"]) == (3, 1, 1)
    assert sorted(x["choice"] for x in v["receipts"]) == ["abstain", "agree", "agree", "agree", "oppose"]


def test_a_vote_body_given_in_chinese_and_a_wrong_one(client, make, w):
    d = resolved_decision(w["v"].id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    ok = open_vote(client, make, w, d.id, body="村民代表会议")
    assert ok.status_code == 201 and ok.json["body"] == "representatives_meeting"
    assert ok.json["body_label"] == "村民代表会议"
    bad = open_vote(client, make, w, d.id, stage="审议", body="代表大会")
    assert bad.status_code == 422 and "村民代表会议" in bad.json["error"]["details"]["fields"]["body"][0]
