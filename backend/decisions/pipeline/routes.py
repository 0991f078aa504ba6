"""四议两公开 endpoints: the list and the decision (contract: shared/API.md), and the staff's recording of
stages, 公示 and objections, the implementation result, and ending a decision.

Every write runs in one transaction (the service flushes, the route commits) and leaves an audit entry.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.core.db import db
from backend.core.pagination import page_schema, paginate
from backend.core.permissions import current_principal, require_login, requires
from backend.decisions.pipeline import service as pipeline
from backend.decisions.pipeline.models import Decision, DecisionObjection
from backend.decisions.pipeline.schemas import (
    AnswerInSchema,
    DecisionInSchema,
    DecisionItemSchema,
    DecisionListArgs,
    DecisionSchema,
    EndInSchema,
    MeetingInSchema,
    ObjectionInSchema,
    ObjectionSchema,
    PublicityCloseInSchema,
    PublicityInSchema,
    ResultInSchema,
    StageSchema,
)
from backend.registry import service as registry

blp = Blueprint("decision_pipeline", __name__, description="四议两公开：事项、环节、公示与异议")
SECURITY = [{"bearer": []}]


def _decision(decision_id: int) -> Decision:
    return pipeline.get_decision(decision_id)


def _detail(d: Decision) -> dict[str, Any]:
    return pipeline.detail_view(d, current_principal())


@blp.route("/villages/<int:village_id>/decisions", methods=["GET"])
@requires("village.view", village="village_id")
@blp.arguments(DecisionListArgs, location="query")
@blp.response(200, page_schema(DecisionItemSchema))
@blp.doc(security=SECURITY)
def list_decisions(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的四议两公开事项，最新的在前：当前环节和状态。"""
    page = paginate(db.session, pipeline.list_stmt(village_id, args.get("status")), args["page"], args["page_size"])
    return page.envelope([pipeline.summary_view(d) for d in page.items])


@blp.route("/villages/<int:village_id>/decisions", methods=["POST"])
@requires("decisions.manage", village="village_id")
@blp.arguments(DecisionInSchema)
@blp.response(201, DecisionSchema)
@blp.doc(security=SECURITY)
def create_decision(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """新建事项：按本村（镇）设置的程序复制环节（四议两公开、五议两公开，可合并提议与商议）。"""
    registry.get_village(village_id)
    data = pipeline.DecisionInput(title=args["title"], category=args["category"], origin=args["origin"],
                                  amount_fen=args["amount"], description=args["description"],
                                  decision_body=args["decision_body"], special_matter=args["special_matter"])
    d = pipeline.create_decision(village_id, data, actor=require_login())
    db.session.commit()
    return _detail(d)


@blp.route("/decisions/<int:decision_id>", methods=["GET"])
@requires("village.view", obj=(Decision, "decision_id"))
@blp.response(200, DecisionSchema)
@blp.doc(security=SECURITY)
def get_decision(decision: Decision) -> dict[str, Any]:
    """一个事项：各环节（按顺序）的日期、到会、结果，公示与异议答复，以及表决（结束前不显示结果）。"""
    decision_id = decision.id
    d = _decision(decision_id)
    if pipeline.sync_votes(d):
        db.session.commit()
    return _detail(d)


@blp.route("/decisions/<int:decision_id>/meetings", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(MeetingInSchema)
@blp.response(201, StageSchema)
@blp.doc(security=SECURITY)
def record_meeting(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """登记会议环节（提议、商议、审议、决议）：应到按名册计算，实到须在应到名单内，到会人数不足不能登记为通过。"""
    decision_id = decision.id
    d = _decision(decision_id)
    counts = args["votes"] or {}
    data = pipeline.MeetingInput(
        stage=args["stage"], held_on=args["held_on"], outcome=args["outcome"], meeting_form=args["meeting_form"],
        attendees=args["attendees"], eligible=args["eligible"], present=args["present"],
        agree=counts.get("agree"), oppose=counts.get("oppose"), abstain=counts.get("abstain"),
        summary=args["summary"], minutes=args["minutes"], reason=args["reason"],
        township_officials=args["township_officials"], attachments=args["attachments"])
    stage = pipeline.record_meeting(d, data, actor=require_login())
    db.session.commit()
    return _stage(d, stage.stage)


def _stage(d: Decision, name: str) -> dict[str, Any]:
    return next(s for s in _detail(d)["stages"] if s["stage"] == name)


@blp.route("/decisions/<int:decision_id>/publicity", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(PublicityInSchema)
@blp.response(201, StageSchema)
@blp.doc(security=SECURITY)
def open_publicity(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """开始公示（决议公开、实施结果公开）：公示期天数按设置。"""
    decision_id = decision.id
    d = _decision(decision_id)
    stage = pipeline.open_publicity(d, args["stage"], start_on=args["start_on"], summary=args["summary"],
                                    channel=args["channel"], actor=require_login())
    db.session.commit()
    return _stage(d, stage.stage)


@blp.route("/decisions/<int:decision_id>/publicity/close", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(PublicityCloseInSchema)
@blp.response(200, StageSchema)
@blp.doc(security=SECURITY)
def close_publicity(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """完成公示环节：公示期满且异议都已答复后才能完成。"""
    decision_id = decision.id
    d = _decision(decision_id)
    stage = pipeline.close_publicity(d, args["stage"], supervisor_opinion=args["supervisor_opinion"],
                                     actor=require_login())
    db.session.commit()
    return _stage(d, stage.stage)


@blp.route("/decisions/<int:decision_id>/objections", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(ObjectionInSchema)
@blp.response(201, ObjectionSchema)
@blp.doc(security=SECURITY)
def record_objection(args: dict[str, Any], decision: Decision) -> DecisionObjection:
    """登记公示期内村民提出的异议。"""
    decision_id = decision.id
    d = _decision(decision_id)
    o = pipeline.record_objection(d, raised_by=args["raised_by"], text=args["text"], raised_on=args["raised_on"],
                                  raised_by_person_id=args["raised_by_person_id"], actor=require_login())
    db.session.commit()
    return o


@blp.route("/decision-objections/<int:objection_id>/answer", methods=["POST"])
@requires("decisions.manage", obj=(DecisionObjection, "objection_id"))
@blp.arguments(AnswerInSchema)
@blp.response(200, ObjectionSchema)
@blp.doc(security=SECURITY)
def answer_objection(args: dict[str, Any], objection: DecisionObjection) -> DecisionObjection:
    """答复异议（每条异议答复一次）。"""
    objection_id = objection.id
    o = pipeline.answer_objection(pipeline.get_objection(objection_id), args["answer"], actor=require_login())
    db.session.commit()
    return o


@blp.route("/decisions/<int:decision_id>/result", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(ResultInSchema)
@blp.response(200, StageSchema)
@blp.doc(security=SECURITY)
def record_result(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """登记实施结果：实际使用资金、验收情况、支付该事项的本村已记账凭证（公示前可修改）。"""
    decision_id = decision.id
    d = _decision(decision_id)
    acc = args["acceptance"] or {}
    data = pipeline.ResultInput(spent_fen=args["spent"], accepted_on=acc.get("accepted_on"),
                                accepted_by=acc.get("accepted_by"), acceptance_opinion=acc.get("opinion"),
                                voucher_ids=args["voucher_ids"], summary=args["summary"])
    stage = pipeline.record_result(d, data, actor=require_login())
    db.session.commit()
    return _stage(d, stage.stage)


@blp.route("/decisions/<int:decision_id>/end", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(EndInSchema)
@blp.response(200, DecisionSchema)
@blp.doc(security=SECURITY)
def end_decision(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """终止事项并注明原因；事项和已完成的环节仍然公开可查。"""
    decision_id = decision.id
    d = pipeline.end_decision(_decision(decision_id), args["reason"], actor=require_login())
    db.session.commit()
    return _detail(d)
