from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from backend.core.schemas import BaseSchema, IsoDateTime, Text, length
from backend.decisions.rules import BODIES
from backend.decisions.votes.models import CHOICES

CHOICE_LABELS = {"agree": "同意", "oppose": "反对", "abstain": "弃权"}
STAGES = ("提议", "商议", "审议", "决议", "决议公开", "实施结果公开")


class Coded(Text):
    """A code the API stores (``agree``, ``passed``, ``representatives_meeting`` …) given either as the code or as
    its Chinese word (同意, 通过, 村民代表会议 …); loads the code. A wrong word is refused with every accepted word
    listed, Chinese first: 应为以下之一：同意、反对、弃权（也可写 agree、oppose、abstain）."""

    def __init__(self, labels: dict[str, str], **kwargs: Any) -> None:
        self.labels = dict(labels)
        self.by_word = {**{v: k for k, v in self.labels.items()}, **{k: k for k in self.labels}}
        words, codes = "、".join(self.labels.values()), "、".join(self.labels)
        plain = all(k == v for k, v in self.labels.items())
        self.message = f"应为以下之一：{words}" + ("" if plain else f"（也可写 {codes}）")
        meta = dict(kwargs.pop("metadata", None) or {})
        meta.setdefault("enum", [*self.labels, *self.labels.values()])
        meta.setdefault("description", self.message)
        super().__init__(metadata=meta, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        word = super()._deserialize(value, attr, data, **kwargs)
        code = self.by_word.get(word)
        if code is None:
            raise ValidationError(self.message)
        return code


class BallotInSchema(BaseSchema):
    choice = Coded({c: CHOICE_LABELS[c] for c in CHOICES}, required=True)
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
    stage = Coded({s: s for s in STAGES}, load_default="决议")
    body = Coded({k: r.label for k, r in BODIES.items()}, required=True)
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
    by_household = fields.Boolean(metadata={"description": "按户表决，一户一票"})
    body_label = fields.String(metadata={"description": "表决机构的中文名称"})
    result_words = fields.String(allow_none=True, metadata={
        "description": "结果的文字说明：应到、实到、是否达到法定人数、同意票与所需票数、是否通过；结束前为空"})
    assisted = fields.List(fields.Dict(), metadata={
        "description": "村委会为没有手机的成员代办的票数（按录入人、会签人），不含任何人的选择"})


class CloseInSchema(BaseSchema):
    reason = Text(load_default=None, allow_none=True, validate=length(max=500),
                  metadata={"description": "提前结束的原因（记入日志）"})


class WaitingPersonSchema(BaseSchema):
    unit = fields.Integer(metadata={"description": "人员编号（按户表决时为户编号）"})
    name = fields.String(metadata={"description": "姓名（按户表决时为户主姓名）"})
    household_id = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True, metadata={"description": "户号"})


class TurnoutPersonSchema(WaitingPersonSchema):
    channel = fields.String(metadata={"description": "app 手机, proxy 委托, paper 纸质票, assisted 代办"})
    channel_label = fields.String()
    cast_at = IsoDateTime()
    assisted_by = fields.Dict(allow_none=True, metadata={
        "description": "代办的票：录入人和会签人的姓名 {entered_by, cosigned_by}；不是代办的为空"})


class TurnoutSchema(BaseSchema):
    vote_id = fields.Integer()
    state = fields.String()
    by_household = fields.Boolean()
    unit = fields.String(metadata={"description": "人 或 户"})
    eligible = fields.Integer(metadata={"description": "应到（有表决权的人数或户数）"})
    cast = fields.Integer(metadata={"description": "已投票"})
    voted = fields.List(fields.Nested(TurnoutPersonSchema), metadata={"description": "已投票的人：从不显示怎么投的"})
    not_voted = fields.List(fields.Nested(WaitingPersonSchema),
                            metadata={"description": "尚未投票的人"})
