"""The order of a decision's stages, shared by every way of recording one.

Stages are completed strictly in order; the current stage is the first one still pending or open. A passed stage
moves the decision on: it is ``resolved`` when its 决议 stage passes (the ledger accepts a large expense from then
on) and ``done`` when its last stage completes. A failed stage ends the decision (status ``failed``, with the
reason), and it stays visible. Writers take the decision's row lock first (:func:`lock`), so two staff recording
at once complete a stage once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import select

from backend.core.clock import SHANGHAI, utcnow
from backend.core.db import db
from backend.core.errors import conflict, forbidden, unprocessable
from backend.core.permissions import Principal
from backend.core.seal import seal
from backend.decisions import rules
from backend.decisions.pipeline.models import Decision, DecisionStage
from backend.decisions.pipeline.templates import RESOLUTION_STAGE
from backend.decisions.votes.service import rule_in_force


def stages(decision: Decision) -> list[DecisionStage]:
    return list(db.session.execute(
        select(DecisionStage).where(DecisionStage.decision_id == decision.id).order_by(DecisionStage.seq)
    ).scalars())


def current(decision: Decision) -> DecisionStage | None:
    return current_of(stages(decision))


def current_of(all_stages: list[DecisionStage]) -> DecisionStage | None:
    """The current stage among a decision's stages (in order): the first one still pending or open."""
    return next((s for s in all_stages if s.status in ("pending", "open")), None)


def touch(decision: Decision) -> None:
    decision.updated_at = utcnow()


def lock(decision: Decision) -> Decision:
    """Re-read the decision FOR UPDATE: two staff recording at once complete a stage once."""
    return db.session.execute(
        select(Decision).where(Decision.id == decision.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def check_open(decision: Decision) -> None:
    if decision.status == "failed":
        raise conflict("decision.ended", f"该事项已终止：{decision.failure_reason}")
    if decision.status == "done":
        raise conflict("decision.done", "该事项的程序已全部完成")
    if not decision.variant:
        raise conflict("decision.no_pipeline", "该事项是在系统外作出的决议，没有可登记的环节")


def expect(decision: Decision, stage_name: str, kinds: tuple[str, ...], actor: Principal | None) -> DecisionStage:
    """The decision's current stage, which must be ``stage_name`` and of one of ``kinds``."""
    check_open(decision)
    names = [s.stage for s in stages(decision)]
    if stage_name not in names:
        raise unprocessable("decision.stage_unknown", f"该事项没有“{stage_name}”环节（环节：{'、'.join(names)}）")
    cur = current(decision)
    assert cur is not None
    if cur.stage != stage_name:
        if names.index(stage_name) < names.index(cur.stage):
            raise conflict("decision.stage_done", f"“{stage_name}”环节已经完成")
        raise conflict("decision.stage_order", f"请先完成“{cur.stage}”环节，各环节须按顺序进行",
                       current=cur.stage)
    if cur.kind not in kinds:
        raise unprocessable("decision.stage_kind", f"“{cur.stage}”环节不能这样登记")
    if actor is not None and not actor.can(cur.permission, village_id=decision.village_id):
        raise forbidden("decision.stage_forbidden", f"您不能登记“{cur.stage}”环节")
    return cur


def previous_date(decision: Decision, stage: DecisionStage) -> date | None:
    dates = [s.held_on or s.end_on for s in stages(decision) if s.seq < stage.seq]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def advance(decision: Decision, stage: DecisionStage, on: date) -> None:
    """``stage`` passed: move to the next one, resolve at 决议, finish after the last."""
    stage.status = "passed"
    if stage.stage == RESOLUTION_STAGE:
        decision.status, decision.resolved_on = "resolved", on
    nxt = next((s for s in stages(decision) if s.seq > stage.seq), None)
    if nxt is None:
        decision.status = "done"
        decision.resolved_on = decision.resolved_on or on
        decision.ended_on = on
    else:
        decision.current_stage = nxt.stage
    touch(decision)


def fail(decision: Decision, reason: str, on: date) -> None:
    decision.status, decision.resolved_on = "failed", None
    decision.failure_reason, decision.ended_on = reason, on
    touch(decision)


def day_end(d: date) -> datetime:
    """The last moment of a business day, in UTC (roles held at any time that day count)."""
    return datetime.combine(d, time(23, 59, 59), SHANGHAI).astimezone(UTC)


def resolution_rule(decision: Decision, body: str) -> rules.BodyRule:
    """The rule a 决议 by ``body`` meets: the body's, tightened by the decision's special matter."""
    return rule_in_force(decision.village_id, body, decision.special_matter)


def stage_rule(decision: Decision, stage: DecisionStage) -> rules.BodyRule:
    assert stage.body is not None
    if stage.stage == RESOLUTION_STAGE:
        return resolution_rule(decision, stage.body)
    return rule_in_force(decision.village_id, stage.body)


def seal_resolution(decision: Decision, stage: DecisionStage) -> None:
    """Seal what the 决议 stage recorded, so the resolution a large expense rests on cannot change unseen."""
    seal(decision.village_id, "decision_resolution", decision.id, {
        "decision_id": decision.id, "title": decision.title, "category": decision.category,
        "amount_fen": decision.amount_fen, "origin": decision.origin, "body": stage.body,
        "held_on": stage.held_on.isoformat() if stage.held_on else None, "eligible": stage.eligible,
        "present": stage.present, "agree": stage.agree, "oppose": stage.oppose, "abstain": stage.abstain,
        "vote_id": stage.vote_id, "reason": stage.reason,
    })
