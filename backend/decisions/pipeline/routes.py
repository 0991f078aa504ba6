"""四议两公开 endpoints (contract: docs/api.md): the list and the decision, the staff's recording of stages, 公示 and
objections, the implementation result, and ending a decision.

Two vote endpoints are defined here, on the votes blueprint (``decisions``), because they concern a decision:
opening a vote on a decision's stage, and reading a vote — which settles it (tallies it once closed and records
the result on its decision, :func:`~backend.decisions.pipeline.settling.settle_vote`).

Every write runs in one transaction (the service flushes, the route commits) and leaves an audit entry.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from backend import registry
from backend.core import objections as shared
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.idempotency import idempotent
from backend.core.pagination import page_schema, paginate
from backend.core.permissions import current_principal, require_login, requires
from backend.core.shared_pages import shared_page
from backend.decisions.pipeline import meetings, publicity, result, service, settling, stages
from backend.decisions.pipeline.models import Decision, DecisionObjection
from backend.decisions.pipeline.schemas import (
    AnswerInSchema,
    DecisionInSchema,
    DecisionItemSchema,
    DecisionListArgs,
    DecisionObjectionInSchema,
    DecisionObjectionSchema,
    DecisionSchema,
    EndInSchema,
    MeetingInSchema,
    MeetingPreviewInSchema,
    MeetingPreviewSchema,
    MyDecisionObjectionInSchema,
    PublicityCloseInSchema,
    PublicityInSchema,
    ResultInSchema,
    RosterArgs,
    RosterSchema,
    StageSchema,
)
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote
from backend.decisions.votes.routes import blp as votes_blp
from backend.decisions.votes.schemas import CloseInSchema, TurnoutSchema, VoteInSchema, VoteSchema

blp = Blueprint("decision_pipeline", __name__, description="四议两公开：事项、环节、公示与异议")
SECURITY = [{"bearer": []}]


def _detail(d: Decision, decision_votes: list[Vote] | None = None) -> dict[str, Any]:
    return service.detail_view(d, current_principal(), decision_votes)


def _stage(d: Decision, name: str) -> dict[str, Any]:
    return service.stage_view(d, name, current_principal())


@blp.route("/villages/<int:village_id>/decisions", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(DecisionListArgs, location="query")
@blp.response(200, page_schema(DecisionItemSchema))
@blp.doc(security=SECURITY)
def list_decisions(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """本村的四议两公开事项，最新的在前：当前环节和状态。"""
    page = paginate(db.session, service.list_stmt(village_id, args.get("status")), args["page"], args["page_size"],
                    scalars=False)
    return page.envelope([service.summary_view(d) for d in page.items])


@blp.route("/villages/<int:village_id>/decisions", methods=["POST"])
@requires("decisions.manage", village="village_id")
@blp.arguments(DecisionInSchema)
@blp.response(201, DecisionSchema)
@blp.doc(security=SECURITY)
def create_decision(args: dict[str, Any], village_id: int) -> dict[str, Any]:
    """新建事项：按本村（镇）设置的程序复制环节（四议两公开、五议两公开，可合并提议与商议）。"""
    registry.get_village(village_id)
    data = service.DecisionInput(title=args["title"], category=args["category"], origin=args["origin"],
                                 amount_fen=args["amount"], description=args["description"],
                                 decision_body=args["decision_body"], special_matter=args["special_matter"])
    d = service.create_decision(village_id, data, actor=require_login())
    db.session.commit()
    return _detail(d)


@blp.route("/decisions/<int:decision_id>", methods=["GET"])
@requires("village.view", obj=(Decision, "decision_id"))
@blp.response(200, DecisionSchema)
@blp.doc(security=SECURITY)
def get_decision(decision: Decision) -> dict[str, Any]:
    """一个事项：各环节（按顺序）的日期、到会、结果，公示与异议答复，以及表决（结束前不显示结果）。"""
    decision_votes = votes.votes_of(decision.id)  # read once: settled, then shown
    if settling.sync_votes(decision, decision_votes):
        db.session.commit()
    return _detail(decision, decision_votes)


@blp.route("/decisions/<int:decision_id>/meetings", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(MeetingInSchema)
@blp.response(201, StageSchema)
@blp.doc(security=SECURITY)
def record_meeting(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """登记会议环节（提议、商议、审议、决议）：应到按名册计算，实到须在应到名单内，到会人数不足不能登记为通过。"""
    counts = args["votes"] or {}
    data = meetings.MeetingInput(
        stage=args["stage"], held_on=args["held_on"], outcome=args["outcome"], meeting_form=args["meeting_form"],
        attendees=_attendees(args), eligible=args["eligible"], present=args["present"],
        agree=counts.get("agree"), oppose=counts.get("oppose"), abstain=counts.get("abstain"),
        summary=args["summary"], minutes=args["minutes"], reason=args["reason"],
        township_officials=args["township_officials"], attachments=args["attachments"])
    stage = meetings.record_meeting(decision, data, actor=require_login())
    db.session.commit()
    return _stage(decision, stage.stage)


def _attendees(args: dict[str, Any]) -> list[int] | None:
    if args["attendee_ids"] is not None and args["attendees"] is not None \
            and sorted(set(args["attendee_ids"])) != sorted(set(args["attendees"])):
        raise unprocessable("decision.attendance", "实到人员请只填一处（attendee_ids）")
    return args["attendee_ids"] if args["attendee_ids"] is not None else args["attendees"]


@blp.route("/decisions/<int:decision_id>/meetings/preview", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(MeetingPreviewInSchema)
@blp.response(200, MeetingPreviewSchema)
@blp.doc(security=SECURITY)
def preview_meeting(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """登记会议前的核算（不保存）：应到（按会议当天的名单）、实到、是否达到法定人数、通过所需同意票数，及其文字说明。"""
    counts = args["votes"] or {}
    data = meetings.MeetingInput(
        stage=args["stage"], held_on=args["held_on"] or today(), outcome="passed", attendees=_attendees(args),
        eligible=args["eligible"], present=args["present"], agree=counts.get("agree"), oppose=counts.get("oppose"),
        abstain=counts.get("abstain"))
    return meetings.preview_meeting(decision, data, actor=require_login())


@blp.route("/villages/<int:village_id>/bodies/<body>/roster", methods=["GET"])
@requires("decisions.manage", village="village_id")
@blp.arguments(RosterArgs, location="query")
@blp.response(200, RosterSchema)
@blp.doc(security=SECURITY)
def body_roster(args: dict[str, Any], village_id: int, body: str) -> dict[str, Any]:
    """一个会议机构在某日的应到名单（姓名、户号），用于按姓名勾选实到人员；无法按名单核对的机构返回空名单。"""
    registry.get_village(village_id)
    return meetings.body_roster(village_id, body, args["on"] or today())


@blp.route("/decisions/<int:decision_id>/publicity", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(PublicityInSchema)
@blp.response(201, StageSchema)
@blp.doc(security=SECURITY)
def open_publicity(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """开始公示（决议公开、实施结果公开）：公示期天数按设置。"""
    stage = publicity.open_publicity(decision, args["stage"], start_on=args["start_on"], summary=args["summary"],
                                     channel=args["channel"], actor=require_login())
    db.session.commit()
    return _stage(decision, stage.stage)


@blp.route("/decisions/<int:decision_id>/publicity/close", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(PublicityCloseInSchema)
@blp.response(200, StageSchema)
@blp.doc(security=SECURITY)
def close_publicity(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """完成公示环节：公示期满且异议都已答复后才能完成。"""
    stage = publicity.close_publicity(decision, args["stage"], supervisor_opinion=args["supervisor_opinion"],
                                      actor=require_login())
    db.session.commit()
    return _stage(decision, stage.stage)


@blp.route("/decisions/<int:decision_id>/objections", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(DecisionObjectionInSchema)
@blp.response(201, DecisionObjectionSchema)
@blp.doc(security=SECURITY)
def record_objection(args: dict[str, Any], decision: Decision) -> DecisionObjection:
    """登记公示期内村民提出的异议。"""
    o = publicity.record_objection(decision, raised_by=args["raised_by"], text=args["text"],
                                   raised_on=args["raised_on"], raised_by_person_id=args["raised_by_person_id"],
                                   actor=require_login())
    db.session.commit()
    return o


@blp.route("/decisions/<int:decision_id>/my-objections", methods=["POST"])
@requires("village.view", obj=(Decision, "decision_id"))
@idempotent
@blp.arguments(MyDecisionObjectionInSchema)
@blp.response(201, shared.MyObjectionSchema)
@blp.doc(security=SECURITY)
def raise_my_objection(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """本村村民在公示期内对事项提出异议（答复期限见 due_on）；别人只能看到异议的条数。"""
    me = require_login()
    o = publicity.raise_objection(decision, args["text"], actor=me)
    db.session.commit()
    return shared.mine([o], me.person_id)[0]


@blp.route("/decision-objections/<int:objection_id>/answer", methods=["POST"])
@requires("decisions.manage", obj=(DecisionObjection, "objection_id"))
@blp.arguments(AnswerInSchema)
@blp.response(200, DecisionObjectionSchema)
@blp.doc(security=SECURITY)
def answer_objection(args: dict[str, Any], objection: DecisionObjection) -> DecisionObjection:
    """答复异议（每条异议答复一次）。"""
    o = publicity.answer_objection(objection, args["answer"], actor=require_login())
    db.session.commit()
    return o


@blp.route("/decisions/<int:decision_id>/result", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(ResultInSchema)
@blp.response(200, StageSchema)
@blp.doc(security=SECURITY)
def record_result(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """登记实施结果：实际使用资金、验收情况、支付该事项的本村已记账凭证（公示前可修改）。"""
    acc = args["acceptance"] or {}
    data = result.ResultInput(spent_fen=args["spent"], accepted_on=acc.get("accepted_on"),
                              accepted_by=acc.get("accepted_by"), acceptance_opinion=acc.get("opinion"),
                              voucher_ids=args["voucher_ids"], summary=args["summary"])
    stage = result.record_result(decision, data, actor=require_login(),
                                 vouchers=current_app.extensions[result.VOUCHER_LOOKUP])
    db.session.commit()
    return _stage(decision, stage.stage)


@blp.route("/decisions/<int:decision_id>/end", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(EndInSchema)
@blp.response(200, DecisionSchema)
@blp.doc(security=SECURITY)
def end_decision(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """终止事项并注明原因；事项和已完成的环节仍然公开可查。"""
    d = service.end_decision(decision, args["reason"], actor=require_login())
    db.session.commit()
    return _detail(d)


# ------------------------------------------------------------------ votes on a decision (the votes blueprint)


@votes_blp.route("/votes/<int:vote_id>", methods=["GET"])
@requires("village.view", obj=(Vote, "vote_id"))
@votes_blp.response(200, VoteSchema)
@votes_blp.doc(security=SECURITY)
def get_vote(vote: Vote) -> dict[str, Any]:
    """一次表决；结束后才显示结果和全部回执。"""
    if settling.settle_vote(vote):
        db.session.commit()
    return votes.vote_view(vote, require_login())


@votes_blp.route("/decisions/<int:decision_id>/votes", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@votes_blp.arguments(VoteInSchema)
@votes_blp.response(201, VoteSchema)
@votes_blp.doc(security=SECURITY)
def open_vote(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """发起表决：在开始时确定有表决权的名单（记录日），此后名册变动不影响本次表决。"""
    p = require_login()
    if settling.sync_votes(decision):  # a vote on this stage that has closed is tallied first
        db.session.commit()
    if args["closes_at"] <= utcnow():
        # a vote nobody could cast a ballot in (the service itself may record past votes, e.g. the demo's)
        raise unprocessable("vote.window", "截止时间已经过了，请选择以后的时间")
    if decision.variant:  # a decision with stages: only its current meeting stage can be put to a vote
        stages.expect(decision, args["stage"], ("meeting",), p)
    v = votes.open_vote(decision, actor=p, **args)
    db.session.commit()
    return votes.vote_view(v, p)


@votes_blp.route("/votes/<int:vote_id>/close", methods=["POST"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@votes_blp.arguments(CloseInSchema)
@votes_blp.response(200, VoteSchema)
@votes_blp.doc(security=SECURITY)
def close_vote(args: dict[str, Any], vote: Vote) -> dict[str, Any]:
    """提前结束表决：立即计票，结果记入事项（未达到法定人数或同意票不足的，该环节未通过）。"""
    p = require_login()
    vote = votes.close_early(vote, actor=p, reason=args["reason"])
    settling.settle_vote(vote)
    db.session.commit()
    return votes.vote_view(vote, p)


@votes_blp.route("/votes/<int:vote_id>/turnout", methods=["GET"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@votes_blp.response(200, TurnoutSchema)
@votes_blp.doc(security=SECURITY)
def vote_turnout(vote: Vote) -> dict[str, Any]:
    """投票进度：应到、已投，谁已投票（姓名、户号、方式、时间）、谁还没投——从不显示任何人怎么投的。"""
    if settling.settle_vote(vote):
        db.session.commit()
    return votes.turnout(vote)
