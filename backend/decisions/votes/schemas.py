from __future__ import annotations

from marshmallow import fields

from backend.core.schemas import BaseSchema, IsoDateTime, Text, length, one_of
from backend.decisions.rules import BODIES
from backend.decisions.votes.models import CHOICES

CHOICE_LABELS = {"agree": "同意", "oppose": "反对", "abstain": "弃权"}
STAGES = ("提议", "商议", "审议", "决议", "决议公开", "实施结果公开")


class BallotInSchema(BaseSchema):
    choice = Text(required=True, validate=one_of(CHOICES, CHOICE_LABELS))
    on_behalf_of = fields.Integer(
        load_default=None,
        allow_none=True,
        metadata={"description": "代同户成员投票时填委托人的人员编号（须有书面委托）"},
    )


class ProxyInSchema(BaseSchema):
    grantor_person_id = fields.Integer(required=True)
    proxy_person_id = fields.Integer(required=True)
    document_ref = Text(required=True, validate=length(1, 200), metadata={"description": "书面委托书的编号或照片引用"})


class ProxySchema(BaseSchema):
    id = fields.Integer()
    vote_id = fields.Integer()
    grantor_id = fields.Integer()
    proxy_id = fields.Integer()
    document_ref = fields.String()
    recorded_at = IsoDateTime()
    revoked_at = IsoDateTime(allow_none=True)
    used_at = IsoDateTime(allow_none=True)


class PaperTallyInSchema(BaseSchema):
    voters = fields.List(
        fields.Integer(),
        required=True,
        validate=length(1, 5000),
        metadata={"description": "现场投纸质票的人员编号（按户表决时为户编号）"},
    )
    agree = fields.Integer(required=True, strict=True)
    oppose = fields.Integer(required=True, strict=True)
    abstain = fields.Integer(required=True, strict=True)
    signed_by = fields.List(
        Text(validate=length(1, 40)),
        required=True,
        validate=length(1, 10),
        metadata={"description": "计票人、监票人签名"},
    )


class PaperTallySchema(BaseSchema):
    vote_id = fields.Integer()
    agree = fields.Integer()
    oppose = fields.Integer()
    abstain = fields.Integer()
    entered_at = IsoDateTime()


class ReceiptSchema(BaseSchema):
    receipt = fields.String(required=True, metadata={"description": "投票回执：表决结束后可在公布的回执列表中找到"})


class VoteInSchema(BaseSchema):
    stage = Text(load_default="决议", validate=one_of(STAGES))
    body = Text(required=True, validate=one_of(list(BODIES), {k: r.label for k, r in BODIES.items()}))
    title = Text(required=True, validate=length(1, 120))
    opens_at = IsoDateTime(required=True)
    closes_at = IsoDateTime(required=True)
    by_household = fields.Boolean(load_default=False)


class MyVoteSchema(BaseSchema):
    id = fields.Integer()
    decision_id = fields.Integer()
    title = fields.String()
    closes_at = IsoDateTime()
    has_voted = fields.Boolean()


class ResultSchema(BaseSchema):
    eligible = fields.Integer()
    cast = fields.Integer()
    agree = fields.Integer()
    oppose = fields.Integer()
    abstain = fields.Integer()
    quorum_met = fields.Boolean()
    passed = fields.Boolean()
    agree_needed = fields.Integer()
    reason = fields.String()


class ReceiptLineSchema(BaseSchema):
    receipt = fields.String()
    choice = fields.String()


class VoteSchema(BaseSchema):
    id = fields.Integer()
    decision_id = fields.Integer()
    title = fields.String()
    stage = fields.String()
    body = fields.String()
    rule = fields.Dict()
    opens_at = IsoDateTime()
    closes_at = IsoDateTime()
    state = fields.String(metadata={"description": "scheduled/open/closed，按服务器时间"})
    record_date = fields.Date()
    electorate_size = fields.Integer()
    electorate_hash = fields.String()
    eligible = fields.Boolean()
    has_voted = fields.Boolean()
    result = fields.Nested(ResultSchema, allow_none=True, metadata={"description": "表决结束前为空"})
    receipts = fields.List(fields.Nested(ReceiptLineSchema), allow_none=True)
    seal = fields.String(allow_none=True)
    my_proxy_used_at = IsoDateTime(allow_none=True, metadata={"description": "我委托的同户成员代我投票的时间"})
