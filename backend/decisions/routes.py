"""Voting endpoints (contract: shared/API.md "Decisions under 四议两公开, and voting")."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from backend.core.db import db
from backend.core.errors import not_found
from backend.core.permissions import require_login, requires

from . import votes
from .models import Decision
from .schemas import BallotInSchema, MyVoteSchema, ReceiptSchema, VoteInSchema, VoteSchema
from .vote_models import Vote

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
@blp.doc(security=SECURITY)
def cast(args: dict[str, Any], vote_id: int) -> dict[str, str]:
    """投票：同意、反对或弃权，每人（或每户）一票，返回回执。"""
    receipt = votes.cast_ballot(votes.get_vote(vote_id), args["choice"], actor=require_login())
    db.session.commit()
    return {"receipt": receipt}


@blp.route("/votes/<int:vote_id>", methods=["GET"])
@requires("village.view", obj=(Vote, "vote_id"))
@blp.response(200, VoteSchema)
@blp.doc(security=SECURITY)
def get_vote(vote_id: int) -> dict[str, Any]:
    """一次表决；结束后才显示结果和全部回执。"""
    v = votes.get_vote(vote_id)
    if votes.tally_if_due(v):
        db.session.commit()
    return votes.vote_view(v, require_login())


@blp.route("/decisions/<int:decision_id>/votes", methods=["POST"])
@requires("decisions.manage", obj=(Decision, "decision_id"))
@blp.arguments(VoteInSchema)
@blp.response(201, VoteSchema)
@blp.doc(security=SECURITY)
def open_vote(args: dict[str, Any], decision_id: int) -> dict[str, Any]:
    """发起表决：在开始时确定有表决权的名单（记录日），此后名册变动不影响本次表决。"""
    decision = db.session.get(Decision, decision_id)
    if decision is None:
        raise not_found()
    p = require_login()
    v = votes.open_vote(decision, actor=p, **args)
    db.session.commit()
    return votes.vote_view(v, p)
