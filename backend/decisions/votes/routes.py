"""Voting endpoints (contract: docs/api.md "Decisions under 四议两公开, and voting"): my open votes, casting a
ballot (one's own or by written proxy), proxies and the paper tally of an in-person meeting.

The blueprint ``decisions`` also carries the two vote endpoints that concern a decision — opening a vote on its
stage and reading a vote, which settles it on its decision — defined in :mod:`backend.decisions.pipeline.routes`,
since this package never imports the pipeline.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.core.db import db
from backend.core.idempotency import OPENAPI_PARAMETER, key_from_request
from backend.core.permissions import require_login, requires
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
)

blp = Blueprint("decisions", __name__, description="四议两公开：表决与投票")
SECURITY = [{"bearer": []}]


@blp.route("/me/votes", methods=["GET"])
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
    p, key = require_login(), key_from_request()
    if args.get("on_behalf_of") is not None:
        result = votes.cast_by_proxy(vote, args["on_behalf_of"], args["choice"], actor=p, idempotency_key=key)
    else:
        result = votes.cast_ballot(vote, args["choice"], actor=p, idempotency_key=key)
    db.session.commit()
    body = {"receipt": result.receipt}
    return (body, 200) if result.replayed else body


@blp.route("/votes/<int:vote_id>/proxies", methods=["POST"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@blp.arguments(ProxyInSchema)
@blp.response(201, ProxySchema)
@blp.doc(security=SECURITY)
def record_proxy(args: dict[str, Any], vote: Vote) -> Any:
    """登记书面委托（成员大会，同户成员之间，每人只能代投一票）。"""
    proxy = votes.record_proxy(
        vote,
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
    proxy = votes.revoke_proxy(proxy, actor=require_login())
    db.session.commit()
    return proxy


@blp.route("/votes/<int:vote_id>/paper-tally", methods=["POST"])
@requires("decisions.manage", obj=(Vote, "vote_id"))
@blp.arguments(PaperTallyInSchema)
@blp.response(201, PaperTallySchema)
@blp.doc(security=SECURITY)
def paper_tally(args: dict[str, Any], vote: Vote) -> Any:
    """录入现场会议纸质票的签字计票结果及投票人名单（每人只能以一种方式投票）。"""
    tally = votes.enter_paper_tally(
        vote,
        args["voters"],
        args["agree"],
        args["oppose"],
        args["abstain"],
        args["signed_by"],
        actor=require_login(),
    )
    db.session.commit()
    return tally
