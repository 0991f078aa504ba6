"""The 四议两公开 pipeline: stage templates as data, recording meetings, 公示 periods with objections, the
implementation result, and ending a decision (DOMAIN.md §1, §2.1–2.2, §2.5).

A decision copies its stage list from a template when it is created; later template or setting changes do
not alter it. Stages are completed strictly in order; a failed stage ends the decision (status ``failed``,
with the reason) and it stays visible. The decision is ``resolved`` when its 决议 stage passes (the ledger
accepts a large expense from then on) and ``done`` when its last stage completes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from backend.core import audit
from backend.core.clock import SHANGHAI, to_iso, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, forbidden, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.seal import seal
from backend.decisions import rules
from backend.decisions.pipeline.models import ORIGINS, Decision, DecisionObjection, DecisionStage, DecisionVoucher
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote
from backend.registry import service as registry
from backend.registry import settings

# ------------------------------------------------------------------ templates (data)

RESOLUTION_STAGE = "决议"


@dataclass(frozen=True)
class StageTemplate:
    """One stage of a template. ``body`` None on a 决议 stage means: the body chosen when the decision is
    created. ``votes_required``: a pass needs agree/oppose/abstain counts (or a vote)."""

    stage: str
    kind: str  # meeting | publicity | result
    body: str | None = None
    permission: str = "decisions.manage"
    votes_required: bool = False
    note: str = ""


_PROPOSAL = StageTemplate("提议", "meeting", "two_committees",
                          note="村党组织（支部委员会）提议；应到按两委成员计（本系统没有单独的支委名单）")
_CONSULT = StageTemplate("商议", "meeting", "two_committees", note="村“两委”联席会议商议")
_MERGED = StageTemplate("提议商议", "meeting", "two_committees",
                        note="书记、主任“一肩挑”：提议与商议合并，由两委联席会议进行")
_REVIEW = StageTemplate("审议", "meeting", "party_meeting", votes_required=True, note="党员大会审议")
_RESOLVE = StageTemplate(RESOLUTION_STAGE, "meeting", None, votes_required=True,
                         note="村民会议、村民代表会议或成员大会决议")
_PUBLISH = StageTemplate("决议公开", "publicity", note="在村务公开栏等渠道公示决议")
_RESULT = StageTemplate("实施结果公开", "result", note="公开实施结果：资金使用、进度、验收")
_EVALUATE = StageTemplate("评议", "meeting", "representatives_meeting", votes_required=True,
                          note="五议两公开：村民代表会议对实施情况进行民主评议")

TEMPLATES: dict[str, tuple[StageTemplate, ...]] = {
    "四议两公开": (_PROPOSAL, _CONSULT, _REVIEW, _RESOLVE, _PUBLISH, _RESULT),
    "四议两公开·提议商议合并": (_MERGED, _REVIEW, _RESOLVE, _PUBLISH, _RESULT),
    "五议两公开": (_PROPOSAL, _CONSULT, _REVIEW, _RESOLVE, _PUBLISH, _RESULT, _EVALUATE),
    "五议两公开·提议商议合并": (_MERGED, _REVIEW, _RESOLVE, _PUBLISH, _RESULT, _EVALUATE),
}
VARIANTS = ("四议两公开", "五议两公开")  # the setting decisions.variant indexes this tuple
PUBLICITY_STAGES = ("决议公开", "实施结果公开")

VARIANT = settings.declare("decisions.variant", "决策程序：0 四议两公开，1 五议两公开（增加评议环节）", 0, 0, 1)
MERGE = settings.declare("decisions.merge_proposal", "书记主任一肩挑时合并提议与商议环节（0 否，1 是）", 0, 0, 1)
PUBLICITY_DAYS = {
    name: settings.declare(f"decisions.publicity_days.{name}", f"“{name}”公示天数", 5, 1, 60, "天")
    for name in PUBLICITY_STAGES
}

# Decision categories (事项类别) → the special matter (rules.MATTERS) that applies, and the default 决议 body.
CATEGORIES: dict[str, str] = {
    "land_contract": "土地承包、租赁、流转",
    "asset_disposal": "集体资产购置、处置",
    "project": "集体经济项目、公益事业建设",
    "spending": "大额资金使用",
    "dibao": "低保等对象评定",
    "other": "其他",
}
CATEGORY_MATTER: dict[str, str | None] = {"land_contract": "land_contract_plan"}
DEFAULT_BODY: dict[str, str] = {"land_contract": "members_assembly", "asset_disposal": "members_assembly"}
RESOLUTION_BODIES = ("representatives_meeting", "villagers_meeting", "members_assembly")


def template_for(village_id: int) -> str:
    """The template name in force for the village: decisions.variant, with decisions.merge_proposal."""
    village = registry.get_village(village_id)
    name = VARIANTS[settings.get(village, VARIANT.key)]
    if settings.get(village, MERGE.key):
        name += "·提议商议合并"
    return name


def _template_of(stage: DecisionStage, decision: Decision) -> StageTemplate | None:
    for t in TEMPLATES.get(decision.variant or "", ()):
        if t.stage == stage.stage:
            return t
    return None


# ------------------------------------------------------------------ helpers


def _stages(decision: Decision) -> list[DecisionStage]:
    return list(db.session.execute(
        select(DecisionStage).where(DecisionStage.decision_id == decision.id).order_by(DecisionStage.seq)
    ).scalars())


def _current(decision: Decision) -> DecisionStage | None:
    return next((s for s in _stages(decision) if s.status in ("pending", "open")), None)


def _touch(decision: Decision) -> None:
    decision.updated_at = utcnow()


def _lock(decision: Decision) -> Decision:
    """Re-read the decision FOR UPDATE: two staff recording at once complete a stage once."""
    return db.session.execute(
        select(Decision).where(Decision.id == decision.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def _check_open(decision: Decision) -> None:
    if decision.status == "failed":
        raise conflict("decision.ended", f"该事项已终止：{decision.failure_reason}")
    if decision.status == "done":
        raise conflict("decision.done", "该事项的程序已全部完成")
    if not decision.variant:
        raise conflict("decision.no_pipeline", "该事项是在系统外作出的决议，没有可登记的环节")


def _expect(decision: Decision, stage_name: str, kinds: tuple[str, ...], actor: Principal | None) -> DecisionStage:
    """The decision's current stage, which must be ``stage_name`` and of one of ``kinds``."""
    _check_open(decision)
    names = [s.stage for s in _stages(decision)]
    if stage_name not in names:
        raise unprocessable("decision.stage_unknown", f"该事项没有“{stage_name}”环节（环节：{'、'.join(names)}）")
    cur = _current(decision)
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


def _previous_date(decision: Decision, stage: DecisionStage) -> date | None:
    dates = [s.held_on or s.end_on for s in _stages(decision) if s.seq < stage.seq]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def _advance(decision: Decision, stage: DecisionStage, on: date) -> None:
    """``stage`` passed: move to the next one, resolve at 决议, finish after the last."""
    stage.status = "passed"
    if stage.stage == RESOLUTION_STAGE:
        decision.status, decision.resolved_on = "resolved", on
    nxt = next((s for s in _stages(decision) if s.seq > stage.seq), None)
    if nxt is None:
        decision.status = "done"
        decision.resolved_on = decision.resolved_on or on
        decision.ended_on = on
    else:
        decision.current_stage = nxt.stage
    _touch(decision)


def _fail(decision: Decision, reason: str, on: date) -> None:
    decision.status, decision.resolved_on = "failed", None
    decision.failure_reason, decision.ended_on = reason, on
    _touch(decision)


def _day_end(d: date) -> datetime:
    """The last moment of a business day, in UTC (roles held at any time that day count)."""
    return datetime.combine(d, time(23, 59, 59), SHANGHAI).astimezone(UTC)


def resolution_rule(decision: Decision, body: str) -> rules.BodyRule:
    return votes.rule_in_force(decision.village_id, body, decision.special_matter)


def _rule(decision: Decision, stage: DecisionStage) -> rules.BodyRule:
    assert stage.body is not None
    if stage.stage == RESOLUTION_STAGE:
        return resolution_rule(decision, stage.body)
    return votes.rule_in_force(decision.village_id, stage.body)


# ------------------------------------------------------------------ create


@dataclass
class DecisionInput:
    title: str
    category: str
    origin: str
    amount_fen: int | None = None
    description: str | None = None
    decision_body: str | None = None
    special_matter: str | None = None


def create_decision(village_id: int, data: DecisionInput, *, actor: Principal | None) -> Decision:
    if data.category not in CATEGORIES:
        raise unprocessable("decision.category", f"事项类别应为以下之一：{'、'.join(CATEGORIES.values())}")
    if data.origin not in ORIGINS:
        raise unprocessable("decision.origin", f"动议事由应为以下之一：{'、'.join(ORIGINS)}")
    matter = data.special_matter or CATEGORY_MATTER.get(data.category)
    body = data.decision_body or DEFAULT_BODY.get(data.category, "representatives_meeting")
    if body not in RESOLUTION_BODIES:
        labels = "、".join(rules.BODIES[b].label for b in RESOLUTION_BODIES)
        raise unprocessable("decision.body", f"决议机构应为以下之一：{labels}")
    if matter is not None:
        if matter not in rules.MATTERS:
            raise unprocessable("decision.matter", f"不认识的特别事项：{matter}")
        m = rules.MATTERS[matter]
        if body not in m.bodies:
            allowed = "、".join(rules.BODIES[b].label for b in m.bodies if b in RESOLUTION_BODIES)
            raise unprocessable("decision.body", f"“{m.label}”须由{allowed}决议")
    variant = template_for(village_id)
    d = Decision(village_id=village_id, title=data.title, category=data.category, amount_fen=data.amount_fen,
                 origin=data.origin, description=data.description, special_matter=matter, decision_body=body,
                 variant=variant, status="in_progress", created_by_id=actor.person_id if actor else None,
                 updated_at=utcnow())
    db.session.add(d)
    db.session.flush()
    for seq, t in enumerate(TEMPLATES[variant], start=1):
        db.session.add(DecisionStage(village_id=village_id, decision_id=d.id, seq=seq, stage=t.stage, kind=t.kind,
                                     body=t.body or (body if t.kind == "meeting" else None),
                                     permission=t.permission, note=t.note or None, status="pending"))
    d.current_stage = TEMPLATES[variant][0].stage
    db.session.flush()
    audit.record("decision.create", "decision", d.id, actor=actor, village_id=village_id,
                 after={"title": d.title, "category": d.category, "origin": d.origin, "amount_fen": d.amount_fen,
                        "variant": variant, "decision_body": body, "special_matter": matter})
    return d


# ------------------------------------------------------------------ meetings


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
    attachments: list[str] | None = None


def _enumerable(body: str) -> bool:
    return body in votes.BODY_ROLES or body in votes.ROSTER_BODIES


def attendance_tally(decision: Decision, stage: DecisionStage, data: MeetingInput) -> rules.Tally:
    """应到 from the body's electorate on the meeting day (``votes.electorate``); 实到 ⊆ 应到."""
    assert stage.body is not None
    counts = dict(agree=data.agree or 0, oppose=data.oppose or 0, abstain=data.abstain or 0)
    if _enumerable(stage.body):
        if data.eligible is not None or data.present is not None:
            raise unprocessable("decision.attendance", "应到人数由系统按名册计算，请填写实到人员名单")
        electors = votes.electorate(decision.village_id, stage.body, _day_end(data.held_on), False)
        by_person = {e.unit: e.household_id for e in electors}
        attendees = list(dict.fromkeys(data.attendees or []))
        outside = [pid for pid in attendees if pid not in by_person]
        if outside:
            raise unprocessable("decision.attendee_not_eligible",
                                f"实到人员中有 {len(outside)} 人不在{rules.BODIES[stage.body].label}应到名单中",
                                person_ids=outside)
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


def _open_vote_on(stage: DecisionStage) -> Vote | None:
    return db.session.execute(
        select(Vote).where(Vote.decision_id == stage.decision_id, Vote.stage == stage.stage).order_by(Vote.id.desc())
    ).scalars().first()


def record_meeting(decision: Decision, data: MeetingInput, *, actor: Principal | None) -> DecisionStage:
    """Record a meeting stage. Refused as passed below the body's quorum or majority (422, with the rule's
    Chinese reason); a failed stage ends the decision."""
    decision = _lock(decision)
    stage = _expect(decision, data.stage, ("meeting",), actor)
    if data.outcome not in ("passed", "failed"):
        raise unprocessable("decision.outcome", "会议结果应为通过或未通过")
    if data.held_on > today():
        raise unprocessable("decision.held_on", "会议日期不能晚于今天")
    prev = _previous_date(decision, stage)
    if prev is not None and data.held_on < prev:
        raise unprocessable("decision.held_on", f"会议日期不能早于上一环节（{prev.isoformat()}）")
    if _open_vote_on(stage) is not None:
        raise conflict("decision.vote_pending", f"“{stage.stage}”环节已发起表决，结果以表决为准")
    tmpl = _template_of(stage, decision)
    has_votes = data.agree is not None or data.oppose is not None or data.abstain is not None
    tally = attendance_tally(decision, stage, data)
    outcome = rules.evaluate(_rule(decision, stage), tally)
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
        _advance(decision, stage, data.held_on)
        if stage.stage == RESOLUTION_STAGE:
            _seal_resolution(decision, stage)
    else:
        stage.status, stage.reason = "failed", reason
        _fail(decision, f"“{stage.stage}”环节未通过：{reason}", data.held_on)
    db.session.flush()
    audit.record("decision.stage", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "outcome": data.outcome, "held_on": data.held_on, "eligible":
                        tally.eligible, "present": tally.present, "agree": stage.agree, "status": decision.status})
    return stage


def _seal_resolution(decision: Decision, stage: DecisionStage) -> None:
    seal(decision.village_id, "decision_resolution", decision.id, {
        "decision_id": decision.id, "title": decision.title, "category": decision.category,
        "amount_fen": decision.amount_fen, "origin": decision.origin, "body": stage.body,
        "held_on": stage.held_on.isoformat() if stage.held_on else None, "eligible": stage.eligible,
        "present": stage.present, "agree": stage.agree, "oppose": stage.oppose, "abstain": stage.abstain,
        "vote_id": stage.vote_id, "reason": stage.reason,
    })


def apply_vote_result(vote: Vote) -> None:
    """Hook for ``votes.tally_if_due``: once a vote on a decision's stage is tallied, record that stage from the
    vote's stored result (passed → next stage, and ``resolved`` at 决议; failed → the decision fails).

    Idempotent and quiet: does nothing if the vote is not tallied, its decision has no pipeline, is no longer
    in progress, or the vote's stage is not the current one. A special-matter rule of the decision (e.g.
    土地承包方案: 2/3 of all) is applied on top of the body's rule the vote used. Flushes; the caller commits.
    """
    if vote.result is None:
        return
    decision = db.session.get(Decision, vote.decision_id)
    if decision is None or decision.status != "in_progress" or not decision.variant:
        return
    decision = _lock(decision)
    stage = _current(decision)
    if stage is None or stage.stage != vote.stage or stage.kind != "meeting" or stage.vote_id is not None:
        return
    stage.body = vote.body  # the body that actually voted
    result = json.loads(vote.result)
    on = vote.closes_at.astimezone(SHANGHAI).date()
    tally = rules.Tally(eligible=result["eligible"], present=result["cast"], agree=result["agree"],
                        oppose=result["oppose"], abstain=result["abstain"])
    outcome = rules.evaluate(_rule(decision, stage), tally)
    passed = bool(result["passed"]) and outcome.passed
    stage.held_on, stage.meeting_form, stage.vote_id = on, "投票表决", vote.id
    stage.eligible, stage.present = tally.eligible, tally.present
    stage.agree, stage.oppose, stage.abstain = tally.agree, tally.oppose, tally.abstain
    stage.reason = outcome.reason
    stage.recorded_at = utcnow()
    if passed:
        _advance(decision, stage, on)
        if stage.stage == RESOLUTION_STAGE:
            _seal_resolution(decision, stage)
    else:
        stage.status = "failed"
        _fail(decision, f"“{stage.stage}”表决未通过：{stage.reason}", on)
    db.session.flush()
    audit.record("decision.stage", "decision", decision.id, actor=None, village_id=decision.village_id,
                 after={"stage": stage.stage, "vote_id": vote.id, "passed": passed, "status": decision.status})


def sync_votes(decision: Decision) -> bool:
    """Tally the decision's closed votes and apply them (what a read of the decision does). True if changed."""
    changed = False
    for v in db.session.execute(select(Vote).where(Vote.decision_id == decision.id).order_by(Vote.id)).scalars():
        if votes.tally_if_due(v):
            changed = True
        if v.result is not None:
            before = decision.updated_at
            apply_vote_result(v)
            changed = changed or decision.updated_at != before
    return changed


# ------------------------------------------------------------------ publicity and objections


def open_publicity(decision: Decision, stage_name: str, *, start_on: date | None, summary: str | None,
                   channel: str | None, actor: Principal | None) -> DecisionStage:
    decision = _lock(decision)
    stage = _expect(decision, stage_name, ("publicity", "result"), actor)
    if stage.status == "open":
        raise conflict("decision.publicity_open", f"“{stage.stage}”已在公示中")
    if stage.kind == "result" and stage.spent_fen is None:
        raise conflict("decision.result_missing", "请先登记实施结果（资金使用、验收情况），再进行公示")
    start = start_on or today()
    if start > today():
        raise unprocessable("decision.start_on", "公示开始日期不能晚于今天")
    prev = _previous_date(decision, stage)
    if prev is not None and start < prev:
        raise unprocessable("decision.start_on", f"公示开始日期不能早于上一环节（{prev.isoformat()}）")
    days = settings.get(registry.get_village(decision.village_id), _days_key(stage.stage))
    stage.start_on, stage.end_on = start, start + timedelta(days=days)
    stage.summary, stage.channel, stage.status = summary, channel, "open"
    stage.recorded_by_id, stage.recorded_at = (actor.person_id if actor else None), utcnow()
    _touch(decision)
    db.session.flush()
    audit.record("decision.publicity_open", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "start_on": stage.start_on, "end_on": stage.end_on, "days": days})
    return stage


def _days_key(stage_name: str) -> str:
    spec = PUBLICITY_DAYS.get(stage_name) or PUBLICITY_DAYS["决议公开"]
    return spec.key


def _open_stage(decision: Decision) -> DecisionStage:
    _check_open(decision)
    stage = _current(decision)
    if stage is None or stage.status != "open":
        raise conflict("decision.publicity_not_open", "该事项当前没有正在公示的环节")
    return stage


def _unanswered(stage: DecisionStage) -> int:
    return len([o for o in _objections(stage) if o.answer is None])


def _objections(stage: DecisionStage) -> list[DecisionObjection]:
    return list(db.session.execute(
        select(DecisionObjection).where(DecisionObjection.stage_id == stage.id).order_by(DecisionObjection.id)
    ).scalars())


def record_objection(decision: Decision, *, raised_by: str, text: str, raised_on: date | None,
                     raised_by_person_id: int | None, actor: Principal | None) -> DecisionObjection:
    """An objection raised during the 公示 period (start_on … end_on), recorded by staff."""
    stage = _open_stage(decision)
    on = raised_on or today()
    assert stage.start_on is not None and stage.end_on is not None
    if on > today():
        raise unprocessable("decision.raised_on", "提出日期不能晚于今天")
    if not stage.start_on <= on <= stage.end_on:
        raise conflict("decision.objection_out_of_period",
                       f"异议须在公示期内提出（{stage.start_on.isoformat()} 至 {stage.end_on.isoformat()}）")
    if raised_by_person_id is not None:
        members = {pid for pid, _ in registry.roster_people(decision.village_id, collective_only=False,
                                                             adult_on=date(9999, 1, 1))}
        if raised_by_person_id not in members:
            raise unprocessable("decision.objector", "提出人不在本村名册中")
    o = DecisionObjection(village_id=decision.village_id, decision_id=decision.id, stage_id=stage.id,
                          raised_by=raised_by, raised_by_person_id=raised_by_person_id, raised_on=on, text=text,
                          recorded_by_id=actor.person_id if actor else None)
    db.session.add(o)
    _touch(decision)
    db.session.flush()
    audit.record("decision.objection", "decision_objection", o.id, actor=actor, village_id=decision.village_id,
                 after={"decision_id": decision.id, "stage": stage.stage, "raised_on": on})
    return o


def answer_objection(o: DecisionObjection, answer: str, *, actor: Principal | None) -> DecisionObjection:
    o = db.session.execute(select(DecisionObjection).where(DecisionObjection.id == o.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
    if o.answer is not None:
        raise conflict("decision.objection_answered", "该异议已经答复")
    stage = db.session.get(DecisionStage, o.stage_id)
    decision = db.session.get(Decision, o.decision_id)
    assert stage is not None and decision is not None
    if decision.status == "failed":
        raise conflict("decision.ended", f"该事项已终止：{decision.failure_reason}")
    if actor is not None and not actor.can(stage.permission, village_id=o.village_id):
        raise forbidden("decision.stage_forbidden", f"您不能答复“{stage.stage}”环节的异议")
    o.answer, o.answered_at, o.answered_by_id = answer, utcnow(), actor.person_id if actor else None
    _touch(decision)
    db.session.flush()
    audit.record("decision.objection_answer", "decision_objection", o.id, actor=actor, village_id=o.village_id,
                 after={"decision_id": o.decision_id})
    return o


def close_publicity(decision: Decision, stage_name: str, *, supervisor_opinion: str | None,
                    actor: Principal | None) -> DecisionStage:
    """Complete a 公示 stage: only once its period has ended (server date, Asia/Shanghai) and every objection
    raised in it has been answered."""
    decision = _lock(decision)
    stage = _expect(decision, stage_name, ("publicity", "result"), actor)
    if stage.status != "open":
        raise conflict("decision.publicity_not_open", f"“{stage.stage}”尚未开始公示")
    assert stage.end_on is not None
    if today() < stage.end_on:
        raise conflict("decision.publicity_running", f"公示期到 {stage.end_on.isoformat()} 才结束，届时才能完成该环节",
                       end_on=stage.end_on.isoformat())
    open_count = _unanswered(stage)
    if open_count:
        raise conflict("decision.objections_unanswered", f"还有 {open_count} 条异议未答复，答复后才能完成该环节",
                       unanswered=open_count)
    stage.supervisor_opinion = supervisor_opinion
    _advance(decision, stage, today())
    db.session.flush()
    audit.record("decision.publicity_close", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "status": decision.status})
    return stage


# ------------------------------------------------------------------ result


@dataclass
class ResultInput:
    spent_fen: int
    accepted_on: date | None = None
    accepted_by: str | None = None
    acceptance_opinion: str | None = None
    voucher_ids: list[int] | None = None
    summary: str | None = None


def record_result(decision: Decision, data: ResultInput, *, actor: Principal | None) -> DecisionStage:
    """实施结果: money spent, acceptance (验收), and the posted vouchers of the village that paid for it."""
    from backend.ledger import service as ledger

    decision = _lock(decision)
    _check_open(decision)
    result_stage = next((s for s in _stages(decision) if s.kind == "result"), None)
    if result_stage is None:
        raise unprocessable("decision.stage_unknown", "该事项没有实施结果公开环节")
    stage = _expect(decision, result_stage.stage, ("result",), actor)
    if stage.status == "open":
        raise conflict("decision.publicity_open", "实施结果已在公示中，不能再修改")
    if data.accepted_on is not None and data.accepted_on > today():
        raise unprocessable("decision.accepted_on", "验收日期不能晚于今天")
    ids = list(dict.fromkeys(data.voucher_ids or []))
    for vid in ids:
        try:
            v = ledger.get_voucher(vid)
        except AppError:
            v = None
        if v is None or v.village_id != decision.village_id:
            raise unprocessable("decision.voucher_unknown", f"找不到凭证 {vid}（须是本村的凭证）", voucher_id=vid)
        if v.status != "posted":
            raise unprocessable("decision.voucher_not_posted", f"凭证 {vid} 尚未记账，不能作为支付依据",
                                voucher_id=vid)
    stage.spent_fen, stage.accepted_on = data.spent_fen, data.accepted_on
    stage.accepted_by, stage.acceptance_opinion = data.accepted_by, data.acceptance_opinion
    stage.summary = data.summary
    db.session.execute(DecisionVoucher.__table__.delete().where(DecisionVoucher.stage_id == stage.id))
    db.session.add_all([DecisionVoucher(stage_id=stage.id, voucher_id=vid) for vid in ids])
    stage.recorded_by_id, stage.recorded_at = (actor.person_id if actor else None), utcnow()
    _touch(decision)
    db.session.flush()
    audit.record("decision.result", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"spent_fen": data.spent_fen, "vouchers": ids, "accepted_on": data.accepted_on})
    return stage


# ------------------------------------------------------------------ end


def end_decision(decision: Decision, reason: str, *, actor: Principal | None) -> Decision:
    """End (fail) a decision with a reason: it stays visible with its stages as they were."""
    decision = _lock(decision)
    _check_open(decision)
    before = {"status": decision.status, "stage": decision.current_stage}
    stage = _current(decision)
    if stage is not None and stage.status == "open":
        stage.status = "failed"
        stage.reason = reason
    _fail(decision, reason, today())
    db.session.flush()
    audit.record("decision.end", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 before=before, after={"status": "failed", "reason": reason})
    return decision


# ------------------------------------------------------------------ views


def get_decision(decision_id: int) -> Decision:
    d = db.session.get(Decision, decision_id)
    if d is None:
        raise not_found("decision.not_found", "找不到该事项")
    return d


def get_objection(objection_id: int) -> DecisionObjection:
    o = db.session.get(DecisionObjection, objection_id)
    if o is None:
        raise not_found("decision.objection_not_found", "找不到该异议")
    return o


def list_stmt(village_id: int, status: str | None = None) -> Any:
    stmt = select(Decision).where(Decision.village_id == village_id)
    if status:
        stmt = stmt.where(Decision.status == status)
    return stmt.order_by(Decision.id.desc())


def summary_view(d: Decision) -> dict[str, Any]:
    return {"id": d.id, "title": d.title, "stage": d.current_stage, "status": d.status,
            "updated_at": d.updated_at or d.created_at, "category": d.category, "origin": d.origin,
            "amount": fen_to_yuan(d.amount_fen) if d.amount_fen is not None else None, "resolved_on": d.resolved_on}


def _ratio(present: int | None, eligible: int | None) -> str | None:
    if present is None or not eligible:
        return None
    return str((Decimal(present) * 100 / Decimal(eligible)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _stage_view(d: Decision, s: DecisionStage, staff: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"stage": s.stage, "status": s.status, "kind": s.kind, "body": s.body,
                           "body_label": rules.BODIES[s.body].label if s.body in rules.BODIES else None,
                           "note": s.note, "held_on": s.held_on, "summary": s.summary, "attendance": None,
                           "result": None}
    if s.kind == "meeting":
        if s.eligible is not None:
            quorum = None
            if s.body in rules.BODIES:
                quorum = rules.evaluate(_rule(d, s), rules.Tally(
                    eligible=s.eligible, present=s.present or 0, households_eligible=s.households_eligible or 0,
                    households_present=s.households_present or 0)).quorum_met
            out["attendance"] = {"eligible": s.eligible, "present": s.present, "ratio": _ratio(s.present, s.eligible),
                                 "quorum_met": quorum, "attendee_ids": json.loads(s.attendees) if s.attendees else None}
        if s.status in ("passed", "failed"):
            out["result"] = {"outcome": s.status, "agree": s.agree, "oppose": s.oppose, "abstain": s.abstain,
                             "reason": s.reason, "vote_id": s.vote_id}
        out["meeting_form"] = s.meeting_form
        out["minutes"] = s.minutes
        out["township_officials"] = json.loads(s.township_officials) if s.township_officials else []
        out["attachments"] = json.loads(s.attachments) if s.attachments else []
    else:
        objections = _objections(s)
        out["held_on"] = s.start_on
        publicity = None
        if s.start_on is not None:
            publicity = {"start_on": s.start_on, "end_on": s.end_on, "channel": s.channel,
                         "supervisor_opinion": s.supervisor_opinion, "objections": [
                             {"id": o.id, "raised_on": o.raised_on, "text": o.text, "answer": o.answer,
                              "raised_by": o.raised_by if staff else None, "answered_at": o.answered_at}
                             for o in objections]}
        out["result"] = {"outcome": s.status if s.status in ("passed", "failed") else None, "publicity": publicity,
                         "reason": s.reason}
        if s.kind == "result":
            vouchers = list(db.session.execute(select(DecisionVoucher.voucher_id)
                                               .where(DecisionVoucher.stage_id == s.id)
                                               .order_by(DecisionVoucher.voucher_id)).scalars())
            out["result"] |= {"spent": fen_to_yuan(s.spent_fen) if s.spent_fen is not None else None,
                              "accepted_on": s.accepted_on, "accepted_by": s.accepted_by,
                              "acceptance_opinion": s.acceptance_opinion, "voucher_ids": vouchers}
    out["result"], out["attendance"] = _jsonable(out["result"]), _jsonable(out["attendance"])
    return out


def _jsonable(value: Any) -> Any:
    """Free-form parts of a view (dumped as plain dicts): dates as YYYY-MM-DD, times as ISO 8601 +08:00."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def detail_view(d: Decision, p: Principal | None) -> dict[str, Any]:
    staff = p is not None and p.can("decisions.manage", village_id=d.village_id)
    vs = []
    for v in db.session.execute(select(Vote).where(Vote.decision_id == d.id).order_by(Vote.id)).scalars():
        st = votes.state(v)
        vs.append({"id": v.id, "title": v.title, "stage": v.stage, "body": v.body, "state": st,
                   "opens_at": v.opens_at, "closes_at": v.closes_at,
                   "result": json.loads(v.result) if st == "closed" and v.result is not None else None})
    return summary_view(d) | {
        "village_id": d.village_id, "description": d.description, "special_matter": d.special_matter,
        "decision_body": d.decision_body, "variant": d.variant, "failure_reason": d.failure_reason,
        "ended_on": d.ended_on, "created_at": d.created_at,
        "stages": [_stage_view(d, s, staff) for s in _stages(d)], "votes": vs,
    }
