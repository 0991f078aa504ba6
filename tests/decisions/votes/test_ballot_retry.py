"""Ballot retries that keep the ballot secret: with an ``Idempotency-Key`` the receipt is derived from the key (an
HMAC under the server key), so that a villager whose phone lost the answer and sends the same request again gets
the same receipt (200) instead of 409 — and neither the key nor any link between voter and ballot is stored."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Ballot, VoteParticipation
from tests.factories import parallel, resolved_decision

HEX12 = re.compile(r"^[0-9a-f]{12}$")
KEY = "mp-18c2f3a9b10-4f2a9c1d7e6b5a30"


@pytest.fixture
def w(make):
    v = make.village()
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(5)]
    secretary = make.member(v, "王建国", roles=("secretary",))
    decision = resolved_decision(v.id, "村道修缮", "project", None, date(2026, 1, 2))
    db.session.commit()
    return {"v": v, "reps": reps, "secretary": secretary, "decision": decision}


def _open(client, make, w, body: str = "representatives_meeting", days: int = 7) -> dict:
    now = utcnow()
    r = client.post(f"/api/v1/decisions/{w['decision'].id}/votes", headers=make.headers(w["secretary"]),
                    json={"body": body, "title": "村道修缮方案表决", "opens_at": now.isoformat(),
                          "closes_at": (now + timedelta(days=days)).isoformat()})
    assert r.status_code == 201, r.json
    return r.json


def _cast(client, make, who, vote_id: int, choice: str = "agree", key: str | None = None, **body):
    headers = make.headers(who)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"/api/v1/votes/{vote_id}/ballots", json={"choice": choice, **body}, headers=headers)


def _rows() -> tuple[list[tuple], list[tuple]]:
    """Every ballot and every participation, as plain tuples (a refusal must leave them as they were)."""
    db.session.rollback()
    ballots = [tuple(r) for r in db.session.execute(
        select(Ballot.vote_id, Ballot.receipt, Ballot.choice).order_by(Ballot.receipt))]
    parts = [tuple(r) for r in db.session.execute(
        select(VoteParticipation.vote_id, VoteParticipation.unit, VoteParticipation.channel)
        .order_by(VoteParticipation.id))]
    return ballots, parts


def _count(model) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


# ---------------------------------------------------------------- the rule


def test_a_retry_with_the_same_key_and_choice_gets_the_same_receipt(client, make, w):
    vote = _open(client, make, w)
    rep = w["reps"][0]
    first = _cast(client, make, rep, vote["id"], key=KEY)
    assert first.status_code == 201, first.json
    receipt = first.json["receipt"]
    assert HEX12.match(receipt) and receipt == votes.derived_receipt(vote["id"], KEY)
    again = _cast(client, make, rep, vote["id"], key=KEY)
    assert again.status_code == 200 and again.json == {"receipt": receipt}
    third = _cast(client, make, rep, vote["id"], key=f"  {KEY} ")  # the header is trimmed, as for payments
    assert third.status_code == 200 and third.json == {"receipt": receipt}
    assert _count(Ballot) == 1 and _count(VoteParticipation) == 1
    mine = client.get("/api/v1/me/votes", headers=make.headers(rep)).json
    assert [(m["id"], m["has_voted"]) for m in mine] == [(vote["id"], True)]


def test_the_same_key_with_another_choice_is_a_second_vote(client, make, w):
    vote = _open(client, make, w)
    rep = w["reps"][0]
    assert _cast(client, make, rep, vote["id"], "agree", key=KEY).status_code == 201
    before = _rows()
    r = _cast(client, make, rep, vote["id"], "oppose", key=KEY)
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.already_cast"
    assert "receipt" not in r.json["error"]["details"]
    assert _rows() == before and [b[2] for b in before[0]] == ["agree"]


def test_another_key_or_no_key_after_a_cast_is_refused(client, make, w):
    vote = _open(client, make, w)
    rep = w["reps"][0]
    assert _cast(client, make, rep, vote["id"], key=KEY).status_code == 201
    before = _rows()
    other = _cast(client, make, rep, vote["id"], key="mp-another-key")
    assert other.status_code == 409 and other.json["error"]["code"] == "vote.already_cast"
    plain = _cast(client, make, rep, vote["id"])
    assert plain.status_code == 409 and plain.json["error"]["code"] == "vote.already_cast"
    assert _rows() == before


def test_without_a_key_nothing_changes(client, make, w):
    vote = _open(client, make, w)
    rep = w["reps"][0]
    first = _cast(client, make, rep, vote["id"])
    assert first.status_code == 201 and HEX12.match(first.json["receipt"])
    again = _cast(client, make, rep, vote["id"])
    assert again.status_code == 409 and again.json["error"]["code"] == "vote.already_cast"
    # a key on the retry of a cast without one cannot find it either
    keyed = _cast(client, make, rep, vote["id"], key=KEY)
    assert keyed.status_code == 409 and keyed.json["error"]["code"] == "vote.already_cast"
    # two unkeyed ballots of two voters get different, random receipts
    second = _cast(client, make, w["reps"][1], vote["id"])
    assert second.status_code == 201 and second.json["receipt"] != first.json["receipt"]
    assert _count(Ballot) == 2


def test_the_receipt_is_in_the_published_list_and_a_retry_after_the_close_still_finds_it(client, make, w, now):
    vote = _open(client, make, w, days=1)
    receipts = {}
    for i, (rep, choice) in enumerate(zip(w["reps"][:4], ["agree", "agree", "oppose", "abstain"], strict=True)):
        r = _cast(client, make, rep, vote["id"], choice, key=f"mp-key-{i}" if i % 2 == 0 else None)
        assert r.status_code == 201, r.json
        receipts[r.json["receipt"]] = choice
    assert all(HEX12.match(x) for x in receipts) and len(receipts) == 4
    now[0] += timedelta(days=1, seconds=1)
    after = client.get(f"/api/v1/votes/{vote['id']}", headers=make.headers(w["reps"][4])).json
    assert after["state"] == "closed"
    assert {x["receipt"]: x["choice"] for x in after["receipts"]} == receipts
    late = _cast(client, make, w["reps"][0], vote["id"], "agree", key="mp-key-0")
    assert late.status_code == 200 and receipts[late.json["receipt"]] == "agree"
    # a new ballot after the close is still refused
    r = _cast(client, make, w["reps"][4], vote["id"], key="mp-key-9")
    assert r.status_code == 409 and r.json["error"]["code"] == "vote.closed"


def test_one_key_gives_different_receipts_in_different_votes(client, make, w):
    a, b = _open(client, make, w), _open(client, make, w)
    ra = _cast(client, make, w["reps"][0], a["id"], key=KEY).json["receipt"]
    rb = _cast(client, make, w["reps"][0], b["id"], key=KEY).json["receipt"]
    assert ra != rb and ra == votes.derived_receipt(a["id"], KEY) and rb == votes.derived_receipt(b["id"], KEY)


def test_a_key_another_voter_already_used_is_refused_and_a_fresh_key_works(client, make, w):
    """A client that reuses keys must not hand one voter another's receipt (or keep them from voting)."""
    vote = _open(client, make, w)
    assert _cast(client, make, w["reps"][0], vote["id"], "agree", key=KEY).status_code == 201
    before = _rows()
    for choice in ("agree", "oppose"):
        r = _cast(client, make, w["reps"][1], vote["id"], choice, key=KEY)
        assert r.status_code == 409 and r.json["error"]["code"] == "idempotency.mismatch"
        assert "receipt" not in r.json["error"]["details"]
    assert _rows() == before
    fresh = _cast(client, make, w["reps"][1], vote["id"], "agree", key="mp-fresh")
    assert fresh.status_code == 201 and fresh.json["receipt"] != votes.derived_receipt(vote["id"], KEY)


def test_a_proxy_holder_retrying_gets_the_same_receipt(client, make, w):
    v = w["v"]
    h = make.household(v, "LJ-901")
    head = make.member(v, "户主甲", household=h)
    spouse = make.member(v, "配偶乙", household=h, head=False)
    db.session.commit()
    vote = _open(client, make, w, body="members_assembly")
    r = client.post(f"/api/v1/votes/{vote['id']}/proxies", headers=make.headers(w["secretary"]),
                    json={"grantor_person_id": spouse.person_id, "proxy_person_id": head.person_id,
                          "document_ref": "委托书照片-2026-001"})
    assert r.status_code == 201, r.json
    first = _cast(client, make, head, vote["id"], "oppose", key=KEY, on_behalf_of=spouse.person_id)
    assert first.status_code == 201
    again = _cast(client, make, head, vote["id"], "oppose", key=KEY, on_behalf_of=spouse.person_id)
    assert again.status_code == 200 and again.json == first.json
    other = _cast(client, make, head, vote["id"], "agree", key=KEY, on_behalf_of=spouse.person_id)
    assert other.status_code == 409 and other.json["error"]["code"] == "vote.already_cast"
    # the holder's own ballot is separate: their own key, their own receipt
    own = _cast(client, make, head, vote["id"], "agree", key="mp-own")
    assert own.status_code == 201 and own.json["receipt"] != first.json["receipt"]
    assert _count(Ballot) == 2 and _count(VoteParticipation) == 2


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize("key", ["k" * 81, "   ", ""])
def test_a_key_too_long_or_empty_is_refused(client, make, w, key):
    vote = _open(client, make, w)
    r = _cast(client, make, w["reps"][0], vote["id"], key=key)
    assert r.status_code == 400 and r.json["error"]["code"] == "idempotency.key_invalid"
    assert _rows() == ([], [])
    assert _cast(client, make, w["reps"][0], vote["id"], key="k" * 80).status_code == 201


def test_a_stranger_with_a_key_is_still_not_eligible(client, make, w):
    vote = _open(client, make, w)
    plain = make.member(w["v"], "张大山")
    db.session.commit()
    r = _cast(client, make, plain, vote["id"], key=KEY)
    assert r.status_code == 403 and r.json["error"]["code"] == "vote.not_eligible"
    assert _rows() == ([], [])


# ---------------------------------------------------------------- the key is never kept


def test_the_key_is_stored_nowhere_and_logged_nowhere(client, make, w, caplog):
    caplog.set_level(logging.DEBUG)
    vote = _open(client, make, w)
    key = "mp-secret-7f3c9a1e52b8d604"
    assert _cast(client, make, w["reps"][0], vote["id"], key=key).status_code == 201
    assert _cast(client, make, w["reps"][0], vote["id"], key=key).status_code == 200
    assert _cast(client, make, w["reps"][0], vote["id"], "oppose", key=key).status_code == 409
    db.session.rollback()
    # every row of every table (ballots, participations, audit entries, seals …)
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            if any(key in str(value) for value in row):
                found.append(table.name)
    assert found == []
    ballots, parts = _rows()
    assert len(ballots) == 1 and len(parts) == 1
    assert set(ballots[0]) == {vote["id"], votes.derived_receipt(vote["id"], key), "agree"}
    assert key not in caplog.text


def test_the_header_is_in_the_openapi_spec(client):
    spec = client.get("/api/v1/openapi.json").json
    op = spec["paths"]["/api/v1/votes/{vote_id}/ballots"]["post"]
    assert any(p.get("name") == "Idempotency-Key" and p["in"] == "header" for p in op["parameters"])
    assert {"200", "201"} <= set(op["responses"])


# ---------------------------------------------------------------- the same request at the same moment


def test_one_request_retried_many_times_at_once_makes_one_ballot(app, client, make, w, postgres_only):
    vote = _open(client, make, w)
    token = make.token(w["reps"][0])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}
    url = f"/api/v1/votes/{vote['id']}/ballots"
    results = parallel(app, [lambda c: c.post(url, json={"choice": "agree"}, headers=headers) for _ in range(16)])
    assert sorted(r.status_code for r in results) == [200] * 15 + [201], [r.json for r in results]
    assert {r.json["receipt"] for r in results} == {votes.derived_receipt(vote["id"], KEY)}
    assert _count(Ballot) == 1 and _count(VoteParticipation) == 1


def test_one_key_with_two_choices_at_once_records_one_of_them(app, client, make, w, postgres_only):
    vote = _open(client, make, w)
    token = make.token(w["reps"][0])
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": KEY}
    url = f"/api/v1/votes/{vote['id']}/ballots"
    choices = ["agree", "oppose"] * 8
    results = parallel(app, [lambda c, ch=ch: c.post(url, json={"choice": ch}, headers=headers) for ch in choices])
    codes = [r.status_code for r in results]
    assert codes.count(201) == 1 and set(codes) <= {200, 201, 409}
    won = choices[codes.index(201)]
    for ch, r in zip(choices, results, strict=True):
        if r.status_code == 409:
            assert ch != won and r.json["error"]["code"] == "vote.already_cast"
        else:
            assert ch == won and r.json["receipt"] == votes.derived_receipt(vote["id"], KEY)
    ballots, parts = _rows()
    assert [b[2] for b in ballots] == [won] and len(parts) == 1
