"""公示: opening a publicity stage (决议公开, 实施结果公开) for the number of days the village's setting gives, the
objections villagers raise while it runs and their answers, and closing it once the period has ended (server date,
Asia/Shanghai) and every objection has been answered.

An objection is recorded by staff (:func:`record_objection`, with the name of whoever raised it) or raised by a
villager of the village from the phone (:func:`raise_objection`), only while the stage is posted: from its
``start_on`` to its ``end_on``, both included. Its answer is due ``objections.answer_days`` days after the day it
was raised; the answer is pushed to the villager who raised it (``answer_decision``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import select

from backend import notices, registry
from backend.core import audit
from backend.core import objections as shared
from backend.core.clock import today, utcnow
from backend.core.db import db, in_ids
from backend.core.errors import conflict, forbidden, unprocessable
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.decisions.pipeline import stages
from backend.decisions.pipeline.models import Decision, DecisionObjection, DecisionStage
from backend.decisions.pipeline.templates import publicity_days_key

settings = registry.settings  # declared at import, read per village (or township)
ANSWER_DAYS = settings.declare(*shared.ANSWER_DAYS)
ANSWER_PUSH = "answer_decision"  # an objection was answered (object: the objection)


def objections(stage: DecisionStage) -> list[DecisionObjection]:
    return objections_of([stage.id]).get(stage.id, [])


@dataclass(frozen=True)
class SeenObjection:
    """An objection as a decision's page shows it (core.objections reads these attributes): the same for every
    reader, who then sees all of them (staff) or only their own."""

    id: int
    stage_id: int
    raised_by: str
    raised_by_person_id: int | None
    raised_on: date
    due_on: date
    text: str
    answer: str | None
    answered_at: datetime | None
    created_at: datetime


_SEEN = [getattr(DecisionObjection, f.name) for f in fields(SeenObjection)]


@shared_read
def objections_seen(stage_ids: tuple[int, ...]) -> Mapping[int, tuple[SeenObjection, ...]]:
    """stage id → its objections in the order raised, for several 公示 stages in one statement (none while the data
    is unchanged: the same for every reader)."""
    out: dict[int, list[SeenObjection]] = {}
    if stage_ids:
        for row in db.session.execute(_objections_stmt(stage_ids, *_SEEN)):
            o = SeenObjection(*row)
            out.setdefault(o.stage_id, []).append(o)
    return MappingProxyType({k: tuple(v) for k, v in out.items()})


def _objections_stmt(stage_ids: Sequence[int], *what: Any) -> Any:
    """The objections of these stages, in the order raised: the records, or the columns ``what``."""
    return (select(*what) if what else select(DecisionObjection)).where(
        in_ids(DecisionObjection.stage_id, stage_ids)).order_by(DecisionObjection.id)


def objections_of(stage_ids: list[int]) -> dict[int, list[DecisionObjection]]:
    """stage id → its objections in the order raised, for several 公示 stages in one statement."""
    out: dict[int, list[DecisionObjection]] = {}
    if stage_ids:
        for o in db.session.execute(_objections_stmt(stage_ids)).scalars():
            out.setdefault(o.stage_id, []).append(o)
    return out


def open_publicity(decision: Decision, stage_name: str, *, start_on: date | None, summary: str | None,
                   channel: str | None, actor: Principal | None) -> DecisionStage:
    decision = stages.lock(decision)
    stage = stages.expect(decision, stage_name, ("publicity", "result"), actor)
    if stage.status == "open":
        raise conflict("decision.publicity_open", f"“{stage.stage}”已在公示中")
    if stage.kind == "result" and stage.spent_fen is None:
        raise conflict("decision.result_missing", "请先登记实施结果（资金使用、验收情况），再进行公示")
    start = start_on or today()
    if start > today():
        raise unprocessable("decision.start_on", "公示开始日期不能晚于今天")
    prev = stages.previous_date(decision, stage)
    if prev is not None and start < prev:
        raise unprocessable("decision.start_on", f"公示开始日期不能早于上一环节（{prev.isoformat()}）")
    days = settings.get(registry.get_village(decision.village_id), publicity_days_key(stage.stage))
    stage.start_on, stage.end_on = start, start + timedelta(days=days)
    stage.summary, stage.channel, stage.status = summary, channel, "open"
    stage.recorded_by_id, stage.recorded_at = (actor.person_id if actor else None), utcnow()
    stages.touch(decision)
    db.session.flush()
    audit.record("decision.publicity_open", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "start_on": stage.start_on, "end_on": stage.end_on, "days": days})
    return stage


def _open_stage(decision: Decision) -> DecisionStage:
    stages.check_open(decision)
    stage = stages.current(decision)
    if stage is None or stage.status != "open":
        raise conflict("decision.publicity_not_open", "该事项当前没有正在公示的环节")
    return stage


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
    days = settings.get(registry.get_village(decision.village_id), ANSWER_DAYS.key)
    o = DecisionObjection(village_id=decision.village_id, decision_id=decision.id, stage_id=stage.id,
                          raised_by=raised_by, raised_by_person_id=raised_by_person_id, raised_on=on, text=text,
                          due_on=shared.due_on(on, days), recorded_by_id=actor.person_id if actor else None)
    db.session.add(o)
    stages.touch(decision)
    db.session.flush()
    audit.record("decision.objection", "decision_objection", o.id, actor=actor, village_id=decision.village_id,
                 after={"decision_id": decision.id, "stage": stage.stage, "raised_on": on})
    return o


def raise_objection(decision: Decision, text: str, *, actor: Principal) -> DecisionObjection:
    """A villager of the decision's village objects from the phone, today, while its current stage is posted
    (公示 from ``start_on`` to ``end_on``, both days included); refused outside that window, naming it."""
    if actor.person_id is None or actor.village_id != decision.village_id:
        raise forbidden("decision.objector_village", "只有本村村民可以对本村的事项提出异议")
    stages.check_open(decision)
    stage = stages.current(decision)
    if stage is None or stage.kind not in ("publicity", "result") or stage.status != "open":
        raise conflict("decision.publicity_not_open", "该事项现在不在公示期，不能提出异议")
    assert stage.start_on is not None and stage.end_on is not None
    on = today()
    if not stage.start_on <= on <= stage.end_on:
        raise conflict("decision.objection_out_of_period",
                       f"“{stage.stage}”的公示期是 {stage.start_on.isoformat()} 至 {stage.end_on.isoformat()}，"
                       f"只能在公示期内提出异议")
    text = shared.text_of(text)
    return record_objection(decision, raised_by=actor.name, text=text, raised_on=on,
                            raised_by_person_id=actor.person_id, actor=actor)


def overdue_objections(village_ids: list[int]) -> list[dict[str, Any]]:
    """Unanswered objections past their due date in these villages, for the township's 待办/预警 (not those of a
    decision that has ended as failed: they can no longer be answered, see :func:`answer_objection`)."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(DecisionObjection, Decision.title).join(Decision, Decision.id == DecisionObjection.decision_id)
        .where(DecisionObjection.village_id.in_(list(village_ids)), DecisionObjection.answered_at.is_(None),
               Decision.status != "failed",
               DecisionObjection.due_on < today()).order_by(DecisionObjection.id)).all()
    return [{"id": o.id, "village_id": o.village_id, "record_id": o.decision_id, "title": title,
             "due_on": o.due_on} for o, title in rows]


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
    stages.touch(decision)
    db.session.flush()
    audit.record("decision.objection_answer", "decision_objection", o.id, actor=actor, village_id=o.village_id,
                 after={"decision_id": o.decision_id})
    if o.raised_by_person_id is not None:
        notices.queue_push(ANSWER_PUSH, o.id, [o.raised_by_person_id], template=notices.template_for("answer"),
                           data={"thing1": notices.thing(f"对{decision.title}的异议"), "thing2": notices.thing(answer),
                                 "time3": notices.time_text(o.answered_at)},
                           page=f"pages/decision/decision?id={decision.id}")
    return o


def close_publicity(decision: Decision, stage_name: str, *, supervisor_opinion: str | None,
                    actor: Principal | None) -> DecisionStage:
    """Complete a 公示 stage: only once its period has ended (server date, Asia/Shanghai) and every objection
    raised in it has been answered."""
    decision = stages.lock(decision)
    stage = stages.expect(decision, stage_name, ("publicity", "result"), actor)
    if stage.status != "open":
        raise conflict("decision.publicity_not_open", f"“{stage.stage}”尚未开始公示")
    assert stage.end_on is not None
    if today() < stage.end_on:
        raise conflict("decision.publicity_running", f"公示期到 {stage.end_on.isoformat()} 才结束，届时才能完成该环节",
                       end_on=stage.end_on.isoformat())
    open_count = len([o for o in objections(stage) if o.answer is None])
    if open_count:
        raise conflict("decision.objections_unanswered", f"还有 {open_count} 条异议未答复，答复后才能完成该环节",
                       unanswered=open_count)
    stage.supervisor_opinion = supervisor_opinion
    stages.advance(decision, stage, today())
    db.session.flush()
    audit.record("decision.publicity_close", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 after={"stage": stage.stage, "status": decision.status})
    return stage
