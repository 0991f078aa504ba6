"""Recording a meeting stage (提议, 商议, 审议, 决议, 评议) by hand: 应到 from the body's electorate on the day, 实到
within it, show-of-hands counts, and the body's quorum and majority checked before it may be recorded as passed.

A stage put to a vote is recorded from the vote instead (:mod:`backend.decisions.pipeline.settling`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from backend import registry
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.permissions import Principal
from backend.decisions import rules
from backend.decisions.pipeline import stages
from backend.decisions.pipeline.models import Decision, DecisionStage
from backend.decisions.pipeline.templates import RESOLUTION_STAGE, template_of
from backend.decisions.votes import service as votes


@dataclass
class MeetingInput:
    stage: str
    held_on: date
    outcome: str  # passed | failed
    meeting_form: str | None = None
    attendees: list[int] | None = None  # person ids (实到), for bodies the system can enumerate
    eligible: int | None = None  # 应到 / 实到 as counts, only for bodies it cannot enumerate
    present: int | None = None
    agree: int | None = None
    oppose: int | None = None
    abstain: int | None = None
    summary: str | None = None
    minutes: str | None = None
    reason: str | None = None  # why it failed
    township_officials: list[dict[str, str]] | None = None
    attachments: list[dict[str, str | None]] | None = None  # {"title", "ref"}: 会议记录照片、签到表 …


def _enumerable(body: str) -> bool:
    return body in votes.BODY_ROLES or body in votes.ROSTER_BODIES


def body_roster(village_id: int, body: str, on: date) -> dict[str, Any]:
    """Who ought to attend a meeting of ``body`` on ``on`` (its electorate that day), with names and households,
    for picking 实到 by name. A body the system cannot enumerate answers with no people (enter counts instead)."""
    if body not in rules.BODIES:
        raise unprocessable("decision.body_unknown",
                            f"不认识的会议机构：{body}（可选：{'、'.join(r.label for r in rules.BODIES.values())}）")
    rule = rules.BODIES[body]
    out: dict[str, Any] = {"body": body, "label": rule.label, "on": on, "rule": rule.describe(),
                           "enumerable": _enumerable(body), "people": []}
    if not out["enumerable"]:
        out["note"] = f"系统中没有{rule.label}的名单，登记会议时请填写应到、实到人数"
        return out
    electors = votes.electorate(village_id, body, stages.day_end(on), False)
    names = registry.person_names([e.unit for e in electors])
    households = registry.households_brief(village_id, {e.household_id for e in electors if e.household_id})
    people = []
    for e in electors:
        h = households.get(e.household_id) if e.household_id is not None else None
        people.append({"person_id": e.unit, "name": names.get(e.unit, ""), "household_id": e.household_id,
                       "household_number": h.number if h else None})
    out["people"] = sorted(people, key=lambda x: (x["household_number"] or "", x["name"]))
    return out


def attendance_tally(decision: Decision, stage: DecisionStage, data: MeetingInput) -> rules.Tally:
    """应到 from the body's electorate on the meeting day (``votes.electorate``); 实到 ⊆ 应到."""
    assert stage.body is not None
    counts = dict(agree=data.agree or 0, oppose=data.oppose or 0, abstain=data.abstain or 0)
    if _enumerable(stage.body):
        if data.eligible is not None or data.present is not None:
            raise unprocessable("decision.attendance", "应到人数由系统按名册计算，请填写实到人员名单")
        electors = votes.electorate(decision.village_id, stage.body, stages.day_end(data.held_on), False)
        by_person = {e.unit: e.household_id for e in electors}
        attendees = list(dict.fromkeys(data.attendees or []))
        outside = [pid for pid in attendees if pid not in by_person]
        if outside:
            names = registry.person_names(outside)
            who = "、".join(names.get(pid, f"编号 {pid}") for pid in outside[:10])
            raise unprocessable("decision.attendee_not_eligible",
                                f"实到人员中有 {len(outside)} 人不在{rules.BODIES[stage.body].label}应到名单中"
                                f"（{who}），请从名单中选择", person_ids=outside)
        households = {h for h in by_person.values() if h is not None}
        households_present = {by_person[p] for p in attendees if by_person[p] is not None}
        tally_args = dict(eligible=len(electors), present=len(attendees))
        if stage.body == "villagers_meeting":
            tally_args |= dict(households_eligible=len(households), households_present=len(households_present))
    else:
        if data.attendees:
            raise unprocessable("decision.attendance", "该会议无法按名册核对，请填写应到、实到人数")
        if data.eligible is None or data.present is None:
            raise unprocessable("decision.attendance", "请填写应到、实到人数")
        tally_args = dict(eligible=data.eligible, present=data.present)
    try:
        return rules.Tally(**tally_args, **counts)
    except ValueError:
        raise unprocessable("decision.counts",
                            "人数不一致：实到不能多于应到，同意、反对、弃权合计不能多于实到") from None


def preview_meeting(decision: Decision, data: MeetingInput, *, actor: Principal | None) -> dict[str, Any]:
    """What recording ``data`` would give, before anything is saved: 应到 from the body's electorate on the day,
    实到 from the attendees, whether the quorum is met, the agree votes needed, and all of it in words. Writes
    nothing."""
    stage = stages.expect(decision, data.stage, ("meeting",), actor)
    assert stage.body is not None
    if data.held_on > today():
        raise unprocessable("decision.held_on", "会议日期不能晚于今天")
    tally = attendance_tally(decision, stage, data)
    rule = stages.stage_rule(decision, stage)
    outcome = rules.evaluate(rule, tally)
    has_votes = data.agree is not None or data.oppose is not None or data.abstain is not None
    unit = "户" if rule.by_household else "人"
    mins = [max(1, q.minimum(tally.eligible)) for q in rule.quorum if q.base is rules.Base.ALL_ELIGIBLE]
    head = f"应到 {tally.eligible} {unit}，实到 {tally.present} {unit}"
    assert outcome.deciding_rule is not None
    majority = outcome.deciding_rule.describe(household=rule.by_household)
    if not outcome.quorum_met:
        words = f"{head}，未达到法定人数（须{outcome.quorum_needed}），会议不能登记为通过"
    elif not has_votes:
        words = f"{head}，达到法定人数（{outcome.quorum_needed}）；须{majority}同意，即至少 {outcome.agree_needed} 票"
    else:
        words = (f"{head}，达到法定人数（{outcome.quorum_needed}）；同意 {tally.agree} 票、反对 {tally.oppose} 票、"
                 f"弃权 {tally.abstain} 票，{'达到' if outcome.passed else '未达到'}{majority}"
                 f"（至少 {outcome.agree_needed} 票），{'通过' if outcome.passed else '未通过'}")
    tmpl = template_of(stage.stage, decision.variant)
    return {"stage": stage.stage, "body": stage.body, "body_label": rules.BODIES[stage.body].label,
            "enumerable": _enumerable(stage.body), "eligible": tally.eligible, "present": tally.present,
            "households_eligible": tally.households_eligible or None,
            "households_present": tally.households_present if tally.households_eligible else None,
            "present_needed": min(mins) if mins else None, "quorum_met": outcome.quorum_met,
            "quorum_needed": outcome.quorum_needed, "agree_needed": outcome.agree_needed,
            "votes_required": bool(tmpl and tmpl.votes_required),
            "passed": outcome.passed if has_votes else None, "rule": rule.describe(), "words": words}


def record_meeting(decision: Decision, data: MeetingInput, *, actor: Principal | None) -> DecisionStage:
    """Record a meeting stage. Refused as passed below the body's quorum or majority (422, with the rule's
    Chinese reason); a failed stage ends the decision."""
    decision = stages.lock(decision)
    stage = stages.expect(decision, data.stage, ("meeting",), actor)
    if data.outcome not in ("passed", "failed"):
        raise unprocessable("decision.outcome", "会议结果应为通过或未通过")
    if data.held_on > today():
        raise unprocessable("decision.held_on", "会议日期不能晚于今天")
    prev = stages.previous_date(decision, stage)
    if prev is not None and data.held_on < prev:
        raise unprocessable("decision.held_on", f"会议日期不能早于上一环节（{prev.isoformat()}）")
    if votes.latest_vote_on(decision.id, stage.stage) is not None:
        raise conflict("decision.vote_pending", f"“{stage.stage}”环节已发起表决，结果以表决为准")
    tmpl = template_of(stage.stage, decision.variant)
    has_votes = data.agree is not None or data.oppose is not None or data.abstain is not None
    tally = attendance_tally(decision, stage, data)
    outcome = rules.evaluate(stages.stage_rule(decision, stage), tally)
    reason = (data.reason or "").strip() or None
    if data.outcome == "passed":
        if not outcome.quorum_met:
            raise unprocessable("decision.quorum_not_met", f"到会人数不足，不能登记为通过：{outcome.reason}",
                                eligible=tally.eligible, present=tally.present, quorum=outcome.quorum_needed)
        if has_votes and not outcome.passed:
            raise unprocessable("decision.majority_not_met", f"同意票数不足，不能登记为通过：{outcome.reason}",
                                agree_needed=outcome.agree_needed)
        if tmpl is not None and tmpl.votes_required and not has_votes:
            raise unprocessable("decision.votes_required", f"“{stage.stage}”须填写同意、反对、弃权票数")
    elif not reason:
        raise unprocessable("decision.reason_required", "请填写未通过的原因")
    stage.held_on, stage.meeting_form = data.held_on, data.meeting_form
    stage.eligible, stage.present = tally.eligible, tally.present
    if tally.households_eligible:
        stage.households_eligible, stage.households_present = tally.households_eligible, tally.households_present
    stage.attendees = json.dumps(sorted(set(data.attendees))) if data.attendees else None
    if has_votes:
        stage.agree, stage.oppose, stage.abstain = tally.agree, tally.oppose, tally.abstain
    stage.summary, stage.minutes = data.summary, data.minutes
    stage.township_officials = json.dumps(data.township_officials or [], ensure_ascii=False)
    stage.attachments = json.dumps(data.attachments or [], ensure_ascii=False)
    stage.recorded_by_id, stage.recorded_at = (actor.person_id if actor else None), utcnow()
    if data.outcome == "passed":
        stage.reason = outcome.reason if has_votes or outcome.quorum_met else None
        if not has_votes:
            stage.reason = f"到会 {tally.present} 人，应到 {tally.eligible} 人，达到{outcome.quorum_needed}；会议通过"
        stages.advance(decision, stage, data.held_on)
        if stage.stage == RESOLUTION_STAGE:
            stages.seal_resolution(decision, stage)
    else:
        stage.status, stage.reason = "failed", reason
        stages.fail(decision, f"“{stage.stage}”环节未通过：{reason}", data.held_on)
    db.session.flush()
    audit.record("decision.stage", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "outcome": data.outcome, "held_on": data.held_on, "eligible":
                        tally.eligible, "present": tally.present, "agree": stage.agree, "status": decision.status})
    return stage
