"""Voting: frozen electorate, one secret ballot per elector, server-time window, hidden results, receipts, seal."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, inspect, select

from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.seal import verify_chain
from backend.decisions import service as decisions
from backend.decisions import votes
from backend.decisions.vote_models import Ballot, VoteElector, VoteParticipation


@pytest.fixture
def w(make):
    v = make.village()
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(9)]
    plain = make.member(v, "张大山")
    secretary = make.member(v, "王建国", roles=("secretary",))
    decision = decisions.record_resolved(v.id, "村道修缮", "project", None, date(2026, 1, 2))
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
    from backend.registry import service as registry
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


def _parallel(app, calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        with app.app_context():
            c = app.test_client()
            barrier.wait()
            try:
                results[i] = fn(c)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_64_parallel_ballots_from_one_voter_count_once(app, client, make, w, postgres_only):
    vote = _open(w, make, client)
    token = make.token(w["reps"][0])
    results = _parallel(
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
    results = _parallel(app, calls)
    assert sorted(r.status_code for r in results).count(201) == 9
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Ballot)).scalar_one() == 9
    assert db.session.execute(select(func.count()).select_from(VoteParticipation)).scalar_one() == 9
