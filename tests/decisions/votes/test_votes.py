"""Voting: frozen electorate, one secret ballot per elector, server-time window, hidden results, receipts, seal."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from backend.core.audit import AuditEntry
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.seal import verify_chain
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Ballot, VoteElector, VoteParticipation
from tests.factories import parallel, resolved_decision


@pytest.fixture
def w(make):
    v = make.village()
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(9)]
    plain = make.member(v, "张大山")
    secretary = make.member(v, "王建国", roles=("secretary",))
    decision = resolved_decision(v.id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    return {"v": v, "reps": reps, "plain": plain, "secretary": secretary, "decision": decision}


def _open(w, make, client, days: int = 7, body: str = "representatives_meeting", **extra):
    now = utcnow()
    r = client.post(
        f"/api/v1/decisions/{w['decision'].id}/votes",
        headers=make.headers(w["secretary"]),
        json={
            "body": body,
            "title": "村道修缮方案表决",
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=days)).isoformat(),
            **extra,
        },
    )
    assert r.status_code == 201, r.json
    return r.json


def _cast(client, make, who, vote_id, choice="agree"):
    return client.post(f"/api/v1/votes/{vote_id}/ballots", json={"choice": choice}, headers=make.headers(who))


def test_a_representative_votes_once_and_gets_a_receipt(client, make, w):
    vote = _open(w, make, client)
    assert vote["electorate_size"] == 9 and len(vote["electorate_hash"]) == 64 and vote["state"] == "open"
    rep = w["reps"][0]
    r = _cast(client, make, rep, vote["id"])
    assert r.status_code == 201 and len(r.json["receipt"]) == 12
    again = _cast(client, make, rep, vote["id"], "oppose")
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_cast"
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 1
    mine = client.get("/api/v1/me/votes", headers=make.headers(rep)).json
    assert [(m["id"], m["has_voted"]) for m in mine] == [(vote["id"], True)]


def test_someone_outside_the_body_is_not_eligible(client, make, w):
    vote = _open(w, make, client)
    r = _cast(client, make, w["plain"], vote["id"])
    assert r.status_code == 403 and r.json["error"]["code"] == "vote.not_eligible"
    assert client.get("/api/v1/me/votes", headers=make.headers(w["plain"])).json == []


def test_the_electorate_is_frozen_when_the_vote_opens(client, make, w):
    vote = _open(w, make, client)
    late = make.member(w["v"], "新代表", roles=("representative",))
    db.session.commit()
    assert _cast(client, make, late, vote["id"]).status_code == 403
    # a representative whose role ends after the opening still votes in this vote
    from backend import registry
    from backend.registry.models import RoleAssignment

    ra = db.session.execute(
        select(RoleAssignment).where(RoleAssignment.person_id == w["reps"][1].person_id)
    ).scalar_one()
    registry.end_role(ra, actor=None)
    db.session.commit()
    assert _cast(client, make, w["reps"][1], vote["id"]).status_code == 201
    electors = db.session.execute(select(VoteElector.unit).where(VoteElector.vote_id == vote["id"])).scalars().all()
    assert (
        votes.electorate_hash(f"vote:{vote['id']}", [votes.Elector(u, None) for u in electors])
        == vote["electorate_hash"]
    )


def test_window_is_decided_by_server_time(client, make, w, now):
    vote = _open(w, make, client, days=1)
    now[0] += timedelta(days=1, seconds=1)
    r = _cast(client, make, w["reps"][0], vote["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.closed"
    now[0] -= timedelta(days=3)
    r = _cast(client, make, w["reps"][0], vote["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.not_open"


def test_results_are_hidden_until_close_then_published_with_receipts_and_sealed(client, make, w, now):
    vote = _open(w, make, client, days=1)
    receipts = {}
    for i, choice in enumerate(["agree", "agree", "agree", "agree", "oppose", "abstain"]):
        receipts[i] = _cast(client, make, w["reps"][i], vote["id"], choice).json["receipt"]
    h = make.headers(w["plain"])  # any villager of the village can follow it
    before = client.get(f"/api/v1/votes/{vote['id']}", headers=h).json
    assert before["result"] is None and before["receipts"] is None and before["state"] == "open"
    now[0] += timedelta(days=1, seconds=1)
    after = client.get(f"/api/v1/votes/{vote['id']}", headers=h).json
    assert after["state"] == "closed"
    res = after["result"]
    # 村民代表会议: 6 of 9 present meets the quorum (≥ 2/3), 4 agree of 6 present is more than half
    assert (res["eligible"], res["cast"], res["agree"], res["oppose"], res["abstain"]) == (9, 6, 4, 1, 1)
    assert res["quorum_met"] is True and res["passed"] is True
    assert {x["receipt"] for x in after["receipts"]} == set(receipts.values())
    assert [x["choice"] for x in after["receipts"] if x["receipt"] == receipts[4]] == ["oppose"]
    assert after["seal"] and verify_chain(w["v"].id).ok
    # the tally is stored once: reading again changes nothing
    again = client.get(f"/api/v1/votes/{vote['id']}", headers=h).json
    assert again["result"] == res and again["seal"] == after["seal"]


def test_five_of_nine_is_no_quorum(client, make, w, now):
    vote = _open(w, make, client, days=1)
    for i in range(5):
        _cast(client, make, w["reps"][i], vote["id"])
    now[0] += timedelta(days=2)
    res = client.get(f"/api/v1/votes/{vote['id']}", headers=make.headers(w["reps"][0])).json["result"]
    assert res["quorum_met"] is False and res["passed"] is False and res["agree"] == 5


def test_who_voted_is_kept_apart_from_what_they_chose(app):
    ballot_cols = {c.key for c in inspect(Ballot).columns}
    participation_cols = {c.key for c in inspect(VoteParticipation).columns}
    assert ballot_cols == {"vote_id", "receipt", "choice"}
    assert "choice" not in participation_cols and "receipt" not in participation_cols


def test_strangers_and_bad_input(client, make, w):
    vote = _open(w, make, client)
    other = make.village("XZ02", "新竹村")
    outsider = make.member(other, "周海", roles=("representative",))
    db.session.commit()
    assert _cast(client, make, outsider, vote["id"]).status_code == 404
    assert client.post(f"/api/v1/votes/{vote['id']}/ballots", json={"choice": "agree"}).status_code == 401
    r = _cast(client, make, w["reps"][0], vote["id"], "maybe")
    assert r.status_code == 422 and r.json["error"]["code"] == "validation.failed"
    r = client.post(
        f"/api/v1/decisions/{w['decision'].id}/votes",
        headers=make.headers(w["reps"][0]),
        json={
            "body": "representatives_meeting",
            "title": "x",
            "opens_at": utcnow().isoformat(),
            "closes_at": (utcnow() + timedelta(days=1)).isoformat(),
        },
    )
    assert r.status_code == 403


def test_a_vote_by_household_counts_each_household_once(client, make, w):
    v = w["v"]
    h = make.household(v, "LJ-900")
    head = make.member(v, "户主甲", household=h)
    spouse = make.member(v, "配偶乙", household=h, head=False)
    db.session.commit()
    vote = _open(w, make, client, body="villagers_meeting", by_household=True)
    assert _cast(client, make, head, vote["id"]).status_code == 201
    r = _cast(client, make, spouse, vote["id"])
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.already_cast"


def test_64_parallel_ballots_from_one_voter_count_once(app, client, make, w, postgres_only):
    vote = _open(w, make, client)
    token = make.token(w["reps"][0])
    results = parallel(
        app,
        [
            (
                lambda c: c.post(
                    f"/api/v1/votes/{vote['id']}/ballots",
                    json={"choice": "agree"},
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            for _ in range(64)
        ],
    )
    assert sorted(r.status_code for r in results) == [201] + [409] * 63
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 1


def test_parallel_ballots_from_many_voters_each_count_once(app, client, make, w, postgres_only):
    vote = _open(w, make, client)
    tokens = [make.token(r) for r in w["reps"]]
    calls = [
        (
            lambda c, t=t: c.post(
                f"/api/v1/votes/{vote['id']}/ballots",
                json={"choice": "agree"},
                headers={"Authorization": f"Bearer {t}"},
            )
        )
        for t in tokens
        for _ in range(7)
    ]
    results = parallel(app, calls)
    assert sorted(r.status_code for r in results).count(201) == 9
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 9
    assert db.session.execute(select(func.count()).select_from(VoteParticipation)).scalar_one() == 9


@pytest.fixture
def assembly(client, make, w):
    """A 成员大会 vote in which 户主甲 may vote for 配偶乙 of the same household."""
    v = w["v"]
    h = make.household(v, "LJ-901")
    head = make.member(v, "户主甲", household=h)
    spouse = make.member(v, "配偶乙", household=h, head=False)
    stranger = make.member(v, "邻居丙")
    db.session.commit()
    vote = _open(w, make, client, body="members_assembly")
    return {"vote": vote, "head": head, "spouse": spouse, "stranger": stranger}


def _proxy(client, make, w, vote_id, grantor, holder):
    return client.post(
        f"/api/v1/votes/{vote_id}/proxies",
        headers=make.headers(w["secretary"]),
        json={
            "grantor_person_id": grantor.person_id,
            "proxy_person_id": holder.person_id,
            "document_ref": "委托书照片-2026-001",
        },
    )


def test_a_same_household_proxy_votes_once_for_the_grantor(client, make, w, assembly):
    vid = assembly["vote"]["id"]
    r = _proxy(client, make, w, vid, assembly["spouse"], assembly["head"])
    assert r.status_code == 201, r.json
    cast = client.post(
        f"/api/v1/votes/{vid}/ballots",
        headers=make.headers(assembly["head"]),
        json={"choice": "agree", "on_behalf_of": assembly["spouse"].person_id},
    )
    assert cast.status_code == 201
    # the holder still has their own vote, the grantor no longer has one
    assert _cast(client, make, assembly["head"], vid).status_code == 201
    again = _cast(client, make, assembly["spouse"], vid)
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_cast"
    # the grantor is told it was used
    seen = client.get(f"/api/v1/votes/{vid}", headers=make.headers(assembly["spouse"])).json
    assert seen["has_voted"] is True and seen["my_proxy_used_at"]
    # a used proxy cannot be revoked or used twice
    assert (
        client.delete(f"/api/v1/vote-proxies/{r.json['id']}", headers=make.headers(assembly["spouse"])).status_code
        == 409
    )
    twice = client.post(
        f"/api/v1/votes/{vid}/ballots",
        headers=make.headers(assembly["head"]),
        json={"choice": "oppose", "on_behalf_of": assembly["spouse"].person_id},
    )
    assert twice.status_code == 409
    channels = db.session.execute(select(VoteParticipation.channel).where(VoteParticipation.vote_id == vid)).scalars()
    assert sorted(channels) == ["app", "proxy"]


def test_proxy_refusals(client, make, w, assembly):
    vid = assembly["vote"]["id"]
    r = _proxy(client, make, w, vid, assembly["spouse"], assembly["stranger"])
    assert r.status_code == 422 and r.json["error"]["code"] == "vote.proxy_household"
    assert _proxy(client, make, w, vid, assembly["spouse"], assembly["head"]).status_code == 201
    dup = _proxy(client, make, w, vid, assembly["spouse"], assembly["head"])
    assert dup.status_code == 409 and dup.json["error"]["code"] == "vote.proxy_exists"
    no = client.post(
        f"/api/v1/votes/{vid}/ballots",
        headers=make.headers(assembly["stranger"]),
        json={"choice": "agree", "on_behalf_of": assembly["spouse"].person_id},
    )
    assert no.status_code == 403 and no.json["error"]["code"] == "vote.no_proxy"
    reps = _open(w, make, client)  # only the 成员大会 takes proxies
    r = _proxy(client, make, w, reps["id"], w["reps"][1], w["reps"][0])
    assert r.status_code == 422 and r.json["error"]["code"] == "vote.proxy_not_allowed"


def test_the_grantor_may_revoke_an_unused_proxy_and_vote_themselves(client, make, w, assembly):
    vid = assembly["vote"]["id"]
    pid = _proxy(client, make, w, vid, assembly["spouse"], assembly["head"]).json["id"]
    r = client.delete(f"/api/v1/vote-proxies/{pid}", headers=make.headers(assembly["spouse"]))
    assert r.status_code == 200 and r.json["revoked_at"]
    assert _cast(client, make, assembly["spouse"], vid).status_code == 201
    used = client.post(
        f"/api/v1/votes/{vid}/ballots",
        headers=make.headers(assembly["head"]),
        json={"choice": "agree", "on_behalf_of": assembly["spouse"].person_id},
    )
    assert used.status_code == 403


def test_paper_ballots_merge_with_app_ballots_one_channel_per_person(client, make, w, now):
    vote = _open(w, make, client, days=1)
    vid = vote["id"]
    assert _cast(client, make, w["reps"][0], vid, "oppose").status_code == 201
    sec = make.headers(w["secretary"])
    paper = [r.person_id for r in w["reps"][1:6]]
    body = {"voters": paper, "agree": 4, "oppose": 0, "abstain": 1, "signed_by": ["计票人：李秀英", "监票人：赵德明"]}
    clash = client.post(
        f"/api/v1/votes/{vid}/paper-tally", headers=sec, json=dict(body, voters=[w["reps"][0].person_id, *paper[1:]])
    )
    assert clash.status_code == 409 and clash.json["error"]["code"] == "vote.paper_double"
    wrong = client.post(f"/api/v1/votes/{vid}/paper-tally", headers=sec, json=dict(body, agree=5))
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "vote.paper_mismatch"
    ok = client.post(f"/api/v1/votes/{vid}/paper-tally", headers=sec, json=body)
    assert ok.status_code == 201, ok.json
    assert client.post(f"/api/v1/votes/{vid}/paper-tally", headers=sec, json=body).status_code in (409, 422)
    late = _cast(client, make, w["reps"][1], vid)  # voted on paper already
    assert late.status_code == 409
    now[0] += timedelta(days=2)
    res = client.get(f"/api/v1/votes/{vid}", headers=sec).json["result"]
    assert (res["cast"], res["agree"], res["oppose"], res["abstain"]) == (6, 4, 1, 1)
    assert res["quorum_met"] is True and res["passed"] is True


def test_the_cli_tallies_votes_past_their_closing_time(app, client, make, w, now):
    vote = _open(w, make, client, days=1)
    for i in range(6):
        _cast(client, make, w["reps"][i], vote["id"])
    runner = app.test_cli_runner()
    assert "已统计 0 个" in runner.invoke(args=["votes", "tally-due"]).output
    now[0] += timedelta(days=1, seconds=1)
    assert "已统计 1 个" in runner.invoke(args=["votes", "tally-due"]).output
    assert "已统计 0 个" in runner.invoke(args=["votes", "tally-due"]).output
    from backend.decisions.votes.models import Vote

    stored = db.session.get(Vote, vote["id"])
    db.session.refresh(stored)
    assert stored.result and stored.seal_id


def test_a_village_may_count_the_majority_against_all_representatives(client, make, w, now):
    from backend.registry import settings

    settings.put("decisions.majority_of_all.representatives_meeting", 1, actor=None, village=w["v"])
    db.session.commit()
    vote = _open(w, make, client, days=1)
    for i, choice in enumerate(["agree"] * 4 + ["oppose", "oppose"]):
        _cast(client, make, w["reps"][i], vote["id"], choice)
    now[0] += timedelta(days=2)
    res = client.get(f"/api/v1/votes/{vote['id']}", headers=make.headers(w["reps"][0])).json["result"]
    # 4 of 6 present would pass by the statute; counted against all 9 representatives it needs 5
    assert res["quorum_met"] is True and res["passed"] is False and res["agree_needed"] == 5


def test_a_vote_that_has_already_closed_is_refused_and_nothing_is_opened(client, make, w):
    before = client.get(f"/api/v1/decisions/{w['decision'].id}", headers=make.headers(w["secretary"])).json
    now = utcnow()
    for closes in (now - timedelta(days=1), now):
        r = client.post(
            f"/api/v1/decisions/{w['decision'].id}/votes",
            headers=make.headers(w["secretary"]),
            json={"body": "representatives_meeting", "title": "过期的表决",
                  "opens_at": (now - timedelta(days=400)).isoformat(), "closes_at": closes.isoformat()},
        )
        assert r.status_code == 422 and r.json["error"]["code"] == "vote.window", r.json
        assert "截止时间" in r.json["error"]["message"]
    after = client.get(f"/api/v1/decisions/{w['decision'].id}", headers=make.headers(w["secretary"])).json
    assert after["votes"] == before["votes"]
    # one second in the future is a vote people can still cast in
    assert _open(w, make, client, days=1)["state"] in ("open", "scheduled")


def test_revoking_a_proxy_is_in_the_villages_audit_log(client, make, w, assembly):
    vid = assembly["vote"]["id"]
    pid = _proxy(client, make, w, vid, assembly["spouse"], assembly["head"]).json["id"]
    assert client.delete(f"/api/v1/vote-proxies/{pid}", headers=make.headers(w["secretary"])).status_code == 200
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "vote.proxy_revoke")).scalar_one()
    assert entry.village_id == w["v"].id and entry.object_id == vid
    assert "secretary" in entry.actor_roles.split(",")  # the roles held in that village
    listed = client.get(f"/api/v1/villages/{w['v'].id}/audit", headers=make.headers(w["secretary"]),
                        query_string={"page_size": 100})
    assert listed.status_code == 200
    assert [e for e in listed.json["items"] if e["action"] == "vote.proxy_revoke"]
