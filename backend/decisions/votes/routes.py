"""Voting endpoints (contract: shared/API.md "Decisions under 四议两公开, and voting")."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import not_found, unprocessable
from backend.core.idempotency import OPENAPI_PARAMETER, key_from_request
from backend.core.permissions import require_login, requires
from backend.core.response_cache import cached_read
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote, VoteProxy
from backend.decisions.votes.schemas import (
    BallotInSchema,
    MyVoteSchema,
    PaperTallyInSchema,
    PaperTallySchema,
    ProxyInSchema,
    ProxySchema,
    ReceiptSchema,
    VoteInSchema,
    VoteSchema,
)

blp = Blueprint("decisions", __name__, description="四议两公开：表决与投票")
SECURITY = [{"bearer": []}]


@blp.route("/me/votes", methods=["GET"])
@cached_read
@requires(None)
@blp.response(200, MyVoteSchema(many=True))
@blp.doc(security=SECURITY)
def my_votes() -> list[dict[str, Any]]:
    """我现在可以参加的表决。"""
    return votes.my_open_votes(require_login())


@blp.route("/votes/<int:vote_id>/ballots", methods=["POST"])
@requires("village.view", obj=(Vote, "vote_id"))
@blp.arguments(BallotInSchema)
@blp.response(201, ReceiptSchema)
@blp.alt_response(200, schema=ReceiptSchema, description="同一 Idempotency-Key、同一选择的重试：返回第一次的回执")
@blp.doc(security=SECURITY, parameters=[OPENAPI_PARAMETER])
def cast(args: dict[str, Any], vote: Vote) -> Any:
    """投票：同意、反对或弃权，每人（或每户）一票，返回回执；成员大会可凭书面委托代同户成员投一票。
    带 Idempotency-Key 时，网络中断后用同一个键、同一选择重试会再次得到同一张回执（200），而不是“已经投过票了”。"""
    vote_id = vote.id
    v, p, key = votes.get_vote(vote_id), require_login(), key_from_request()
    if args.get("on_behalf_of") is not None:
        result = votes.cast_by_proxy(v, args["on_behalf_of"], args["choice"], actor=p, idempotency_key=key)
    else:
        result = votes.cast_ballot(v, args["choice"], actor=p, idempotency_key=key)
    db.session.commit()
    body = {"receipt": result.receipt}
    return (body, 200) if result.replayed else body


@blp.route("/votes/<int:vote_id>", methods=["GET"])
@requires("village.view", obj=(Vote, "vote_id"))
@blp.response(200, VoteSchema)
@blp.doc(security=SECURITY)
def get_vote(vote: Vote) -> dict[str, Any]:
    """一次表决；结束后才显示结果和全部回执。"""
    vote_id = vote.id
    v = votes.get_vote(vote_id)
    if votes.tally_if_due(v):
        db.session.commit()
    return votes.vote_view(v, require_login())


@blp.route("/decisions/<int:decision_id>/votes", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(VoteInSchema)
@blp.response(201, VoteSchema)
@blp.doc(security=SECURITY)
def open_vote(args: dict[str, Any], decision: Decision) -> dict[str, Any]:
    """发起表决：在开始时确定有表决权的名单（记录日），此后名册变动不影响本次表决。"""
    decision_id = decision.id
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        raise not_found()
    p = require_login()
    if args["closes_at"] <= utcnow():
        # a vote nobody could cast a ballot in (the service itself may record past votes, e.g. the demo's)
        raise unprocessable("vote.window", "截止时间已经过了，请选择以后的时间")
    v = votes.open_vote(decision, actor=p, **args)
    db.session.commit()
    return votes.vote_view(v, p)


@blp.route("/votes/<int:vote_id>/proxies", methods=["POST"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@blp.arguments(ProxyInSchema)
@blp.response(201, ProxySchema)
@blp.doc(security=SECURITY)
def record_proxy(args: dict[str, Any], vote: Vote) -> Any:
    """登记书面委托（成员大会，同户成员之间，每人只能代投一票）。"""
    vote_id = vote.id
    proxy = votes.record_proxy(
        votes.get_vote(vote_id),
        args["grantor_person_id"],
        args["proxy_person_id"],
        args["document_ref"],
        actor=require_login(),
    )
    db.session.commit()
    return proxy


@blp.route("/vote-proxies/<int:proxy_id>", methods=["DELETE"])
@requires("decisions.manage", obj=(VoteProxy, "proxy_id"), allow=lambda p, x: p.person_id == x.grantor_id)
@blp.response(200, ProxySchema)
@blp.doc(security=SECURITY)
def revoke_proxy(proxy: VoteProxy) -> Any:
    """撤销委托（委托人本人或村干部；已代投的不能撤销）。"""
    proxy_id = proxy.id
    proxy = votes.revoke_proxy(db.session.get(VoteProxy, proxy_id), actor=require_login())
    db.session.commit()
    return proxy


@blp.route("/votes/<int:vote_id>/paper-tally", methods=["POST"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@blp.arguments(PaperTallyInSchema)
@blp.response(201, PaperTallySchema)
@blp.doc(security=SECURITY)
def paper_tally(args: dict[str, Any], vote: Vote) -> Any:
    """录入现场会议纸质票的签字计票结果及投票人名单（每人只能以一种方式投票）。"""
    vote_id = vote.id
    tally = votes.enter_paper_tally(
        votes.get_vote(vote_id),
        args["voters"],
        args["agree"],
        args["oppose"],
        args["abstain"],
        args["signed_by"],
        actor=require_login(),
    )
    db.session.commit()
    return tally
