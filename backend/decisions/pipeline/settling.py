"""Settling a vote: the one place a vote past its closing time is tallied and its result recorded on the
decision's stage (passed → next stage, and ``resolved`` at 决议; failed → the decision fails).

Reading a vote (``GET /votes/{id}``), reading its decision (``GET /decisions/{id}``) and the CLI
(``votes tally-due``) all settle through :func:`settle_vote`, so a vote is tallied once and its decision advances
once, whichever comes first. The votes package counts ballots and knows nothing of decisions; the pipeline applies.
"""

from __future__ import annotations

import json

from backend.core import audit
from backend.core.clock import SHANGHAI, utcnow
from backend.core.db import db
from backend.decisions import rules
from backend.decisions.pipeline import stages
from backend.decisions.pipeline.models import Decision
from backend.decisions.pipeline.templates import RESOLUTION_STAGE
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote


def apply_vote_result(vote: Vote) -> bool:
    """Record the decision's stage from the vote's stored result; True if the decision changed.

    Idempotent and quiet: does nothing if the vote is not tallied, its decision has no pipeline, is no longer
    in progress, or the vote's stage is not the current one (or was already recorded from this vote). A
    special-matter rule of the decision (e.g. 土地承包方案: 2/3 of all) is applied on top of the body's rule the
    vote used. Flushes; the caller commits.
    """
    if vote.result is None:
        return False
    decision = db.session.get(Decision, vote.decision_id)
    if (decision is None or decision.status != "in_progress" or not decision.variant
            or decision.current_stage != vote.stage):
        return False
    decision = stages.lock(decision)
    stage = stages.current(decision)
    if stage is None or stage.stage != vote.stage or stage.kind != "meeting" or stage.vote_id is not None:
        return False
    stage.body = vote.body  # the body that actually voted
    result = json.loads(vote.result)
    on = vote.closes_at.astimezone(SHANGHAI).date()
    tally = rules.Tally(eligible=result["eligible"], present=result["cast"], agree=result["agree"],
                        oppose=result["oppose"], abstain=result["abstain"])
    outcome = rules.evaluate(stages.stage_rule(decision, stage), tally)
    passed = bool(result["passed"]) and outcome.passed
    stage.held_on, stage.meeting_form, stage.vote_id = on, "投票表决", vote.id
    stage.eligible, stage.present = tally.eligible, tally.present
    stage.agree, stage.oppose, stage.abstain = tally.agree, tally.oppose, tally.abstain
    stage.reason = outcome.reason
    stage.recorded_at = utcnow()
    if passed:
        stages.advance(decision, stage, on)
        if stage.stage == RESOLUTION_STAGE:
            stages.seal_resolution(decision, stage)
    else:
        stage.status = "failed"
        stages.fail(decision, f"“{stage.stage}”表决未通过：{stage.reason}", on)
    db.session.flush()
    audit.record("decision.stage", "decision", decision.id, actor=None, village_id=decision.village_id,
                 after={"stage": stage.stage, "vote_id": vote.id, "passed": passed, "status": decision.status})
    return True


def settle_vote(vote: Vote) -> bool:
    """Tally the vote if it is due, then record its result on the decision. True if anything changed (the caller
    commits)."""
    tallied = votes.tally_if_due(vote)
    if vote.result is None:
        return tallied
    applied = apply_vote_result(vote)
    return tallied or applied


def sync_votes(decision: Decision, decision_votes: list[Vote] | None = None) -> bool:
    """Settle every vote of the decision (what a read of the decision does; ``decision_votes``: its votes, if the
    caller has read them already). True if anything changed."""
    changed = False
    for v in votes.votes_of(decision.id) if decision_votes is None else decision_votes:
        changed = settle_vote(v) or changed
    return changed

