"""Settling a vote: a vote past its closing time is tallied once and its decision's stage recorded once, whichever
reads it first — the vote (``GET /votes/{id}``), its decision (``GET /decisions/{id}``) or the CLI
(``votes tally-due``) — and reading it again by any of them changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backend import decisions
from backend.core.audit import AuditEntry
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.decisions.pipeline import result
from backend.decisions.pipeline.models import Decision, DecisionStage
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote

API = "/api/v1"


@pytest.fixture
def w(make):
    v = make.village()
    secretary = make.member(v, "王建国", roles=("secretary", "party_member"))
    committee = [make.member(v, f"委员{i}", roles=("committee",)) for i in range(2)]
    party = [make.member(v, f"党员{i}", roles=("party_member",)) for i in range(5)]
    reps = [make.member(v, f"代表{i}", roles=("representative",)) for i in range(5)]
    plain = make.member(v, "张大山")
    db.session.commit()
    return {"v": v, "sec": secretary, "committee": committee, "party": [secretary, *party], "reps": reps,
            "plain": plain}


def _to_the_resolution(w) -> Decision:
    d = decisions.create_decision(w["v"].id, decisions.DecisionInput("村道硬化工程", "project", "村干部提议"),
                                  actor=None)
    two_committees = [m.person_id for m in (w["sec"], *w["committee"])]
    for stage, attendees in (("提议", two_committees), ("商议", two_committees),
                             ("审议", [m.person_id for m in w["party"]])):
        decisions.record_meeting(d, decisions.MeetingInput(stage, today(), "passed", attendees=attendees,
                                                           agree=len(attendees), oppose=0), actor=None)
    return d


def _counts(d: Decision, vote: Vote) -> tuple[int, int]:
    """(tallies of the vote, stage entries of the decision) in the audit log."""
    db.session.expire_all()

    def n(action: str, object_id: int) -> int:
        return db.session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.object_id == object_id)).scalar_one()

    return n("vote.tally", vote.id), n("decision.stage", d.id)


def _read(how: str, app, client, make, w, d: Decision, vote: Vote) -> None:
    if how == "vote":
        assert client.get(f"{API}/votes/{vote.id}", headers=make.headers(w["plain"])).status_code == 200
    elif how == "decision":
        assert client.get(f"{API}/decisions/{d.id}", headers=make.headers(w["plain"])).status_code == 200
    else:
        assert app.test_cli_runner().invoke(args=["votes", "tally-due"]).exit_code == 0


@pytest.mark.parametrize("first", ["vote", "decision", "cli"])
def test_a_closed_vote_settles_once_whoever_reads_it_first(app, client, make, w, now, first):
    d = _to_the_resolution(w)
    vote = votes.open_vote(d, stage="决议", body="representatives_meeting", title="村道硬化工程表决",
                           opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1), actor=None)
    for m, choice in zip([*w["committee"], *w["reps"][:3]], ["agree", "agree", "agree", "oppose", "abstain"],
                         strict=True):
        votes.cast_ballot(vote, choice, actor=make.principal(m))
    db.session.commit()
    did, vid = d.id, vote.id
    _read(first, app, client, make, w, d, vote)
    assert _counts(d, vote) == (0, 3)  # still open: nothing to settle
    now[0] += timedelta(days=1, seconds=1)

    _read(first, app, client, make, w, d, vote)
    assert _counts(d, vote) == (1, 4)
    decision = db.session.get(Decision, did)
    assert decision.status == "resolved" and decision.current_stage == "决议公开"
    stage = db.session.execute(select(DecisionStage).where(DecisionStage.decision_id == did,
                                                           DecisionStage.stage == "决议")).scalar_one()
    assert stage.vote_id == vid and stage.agree == 3 and stage.present == 5

    for how in ("vote", "decision", "cli", first):
        _read(how, app, client, make, w, d, vote)
    assert _counts(d, vote) == (1, 4)
    assert db.session.get(Decision, did).status == "resolved"


def test_a_tallied_vote_not_yet_recorded_is_recorded_by_the_next_read(client, make, w, now):
    d = _to_the_resolution(w)
    vote = votes.open_vote(d, stage="决议", body="representatives_meeting", title="村道硬化工程表决",
                           opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1), actor=None)
    for m in [*w["committee"], *w["reps"][:3]]:
        votes.cast_ballot(vote, "agree", actor=make.principal(m))
    db.session.commit()
    now[0] += timedelta(days=1, seconds=1)
    assert votes.tally_if_due(vote) is True  # the votes package tallies; it knows nothing of the decision
    db.session.commit()
    assert db.session.get(Decision, d.id).status == "in_progress"
    assert client.get(f"{API}/votes/{vote.id}", headers=make.headers(w["plain"])).status_code == 200
    assert _counts(d, vote) == (1, 4)
    assert db.session.get(Decision, d.id).status == "resolved"


def test_the_result_stage_checks_its_vouchers_through_the_lookup_it_is_given(make, w):
    """The pipeline reads no books: a voucher is what the lookup says (None or an error: unknown)."""
    from backend.core.errors import AppError, not_found

    d = decisions.create_decision(w["v"].id, decisions.DecisionInput("村道硬化工程", "project", "村干部提议"),
                                  actor=None)
    data = result.ResultInput(spent_fen=100, voucher_ids=[7])
    with pytest.raises(ValueError):
        result._check_vouchers(d, [7], None)

    class Facts:
        def __init__(self, village_id: int, status: str) -> None:
            self.village_id, self.status = village_id, status

    def missing(_vid: int) -> None:
        raise not_found()

    for lookup, code in ((lambda _vid: None, "decision.voucher_unknown"),
                         (missing, "decision.voucher_unknown"),
                         (lambda _vid: Facts(w["v"].id + 1000, "posted"), "decision.voucher_unknown"),
                         (lambda _vid: Facts(w["v"].id, "draft"), "decision.voucher_not_posted")):
        with pytest.raises(AppError) as refused:
            result._check_vouchers(d, data.voucher_ids or [], lookup)
        assert refused.value.code == code
    result._check_vouchers(d, [7], lambda _vid: Facts(w["v"].id, "posted"))
