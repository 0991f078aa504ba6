"""Schemas of the 四议两公开 pipeline endpoints (contract: docs/api.md "Decisions under 四议两公开")."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate

from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_
from backend.decisions.pipeline.models import ORIGINS
from backend.decisions.pipeline.templates import CATEGORIES, RESOLUTION_BODIES
from backend.decisions.rules import BODIES, MATTERS
from backend.decisions.votes.schemas import Coded

OUTCOMES = {"passed": "通过", "failed": "未通过"}


class DecisionInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 120))
    category = Text(required=True, validate=one_of(list(CATEGORIES), CATEGORIES))
    origin = Text(required=True, validate=one_of(ORIGINS), metadata={"description": "动议事由，各环节保持一致"})
    amount = Yuan(load_default=None, allow_none=True, validate=validate.Range(min=0, error="不能为负数"),
                  metadata={"label": "涉及金额", "description": "涉及金额（元）"})
    description = Text(load_default=None, allow_none=True, validate=length(max=4000))
    decision_body = Coded({k: BODIES[k].label for k in RESOLUTION_BODIES}, load_default=None, allow_none=True,
                          metadata={"description": "决议机构（代码或中文名称）；不填则按事项类别默认"})
    special_matter = Text(load_default=None, allow_none=True,
                          validate=one_of(list(MATTERS), {k: m.label for k, m in MATTERS.items()}))


class OfficialSchema(BaseSchema):
    name = Text(required=True, validate=length(1, 40))
    post = Text(load_default="", validate=length(max=60))


class CountsSchema(BaseSchema):
    agree = fields.Integer(required=True, validate=range_(min=0))
    oppose = fields.Integer(required=True, validate=range_(min=0))
    abstain = fields.Integer(load_default=0, validate=range_(min=0))


class Attachment(fields.Field):
    """An attachment of a meeting's record: its title, or {"title", "ref"} (a file number or a photo's reference)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, str | None]:
        if isinstance(value, str):
            value = {"title": value}
        if not isinstance(value, dict) or set(value) - {"title", "ref"}:
            raise ValidationError('附件应写成 {"title": 名称, "ref": 编号或存放位置}')
        title = Text(validate=length(1, 100)).deserialize(value.get("title"))
        ref = value.get("ref")
        ref = None if ref in (None, "") else Text(validate=length(max=300)).deserialize(ref)
        return {"title": title, "ref": ref or None}


class AttendeeMixin(BaseSchema):
    attendee_ids = fields.List(fields.Integer(), load_default=None, allow_none=True, validate=length(max=5000),
                               metadata={"description": "实到人员（人员编号，从机构名单 roster 中选择）"})
    attendees = fields.List(fields.Integer(), load_default=None, allow_none=True, validate=length(max=5000),
                            metadata={"description": "同 attendee_ids（旧名）"})
    eligible = fields.Integer(load_default=None, allow_none=True, validate=range_(min=0),
                              metadata={"description": "应到人数：仅用于无法按名册核对的会议"})
    present = fields.Integer(load_default=None, allow_none=True, validate=range_(min=0),
                             metadata={"description": "实到人数：仅用于无法按名册核对的会议"})
    votes = fields.Nested(CountsSchema, load_default=None, allow_none=True,
                          metadata={"description": "举手表决结果"})


class MeetingPreviewInSchema(AttendeeMixin):
    stage = Text(required=True, validate=length(1, 20), metadata={"description": "环节名称，如 提议、审议、决议"})
    held_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "会议日期，默认今天"})


class MeetingPreviewSchema(BaseSchema):
    stage = fields.String()
    body = fields.String()
    body_label = fields.String()
    enumerable = fields.Boolean(metadata={"description": "能否按名单勾选实到人员"})
    eligible = fields.Integer(metadata={"description": "应到"})
    present = fields.Integer(metadata={"description": "实到"})
    households_eligible = fields.Integer(allow_none=True)
    households_present = fields.Integer(allow_none=True)
    present_needed = fields.Integer(allow_none=True, metadata={"description": "达到法定人数至少要到的人数"})
    quorum_met = fields.Boolean()
    quorum_needed = fields.String()
    agree_needed = fields.Integer(metadata={"description": "通过至少需要的同意票数"})
    votes_required = fields.Boolean(metadata={"description": "该环节须填写同意、反对、弃权票数"})
    passed = fields.Boolean(allow_none=True, metadata={"description": "按所填票数是否通过；未填票数为空"})
    rule = fields.String()
    words = fields.String(metadata={"description": "以上结果的文字说明"})


class MeetingInSchema(AttendeeMixin):
    stage = Text(required=True, validate=length(1, 20), metadata={"description": "环节名称，如 提议、审议、决议"})
    held_on = fields.Date(required=True)
    outcome = Coded(OUTCOMES, required=True, metadata={"description": "通过 或 未通过（也可写 passed、failed）"})
    meeting_form = Text(load_default=None, allow_none=True, validate=length(max=40),
                        metadata={"description": "会议形式"})
    summary = Text(load_default=None, allow_none=True, validate=length(max=2000), metadata={"description": "内容"})
    minutes = Text(load_default=None, allow_none=True, validate=length(max=20000))
    reason = Text(load_default=None, allow_none=True, validate=length(max=2000),
                  metadata={"description": "未通过的原因"})
    township_officials = fields.List(fields.Nested(OfficialSchema), load_default=None, allow_none=True,
                                     metadata={"description": "乡镇参会人员（含职务）"})
    attachments = fields.List(Attachment(), load_default=None, allow_none=True, validate=length(max=50),
                              metadata={"description": "附件清单：名称，或 {title 名称, ref 编号或存放位置}"})


class RosterArgs(BaseSchema):
    on = fields.Date(load_default=None, allow_none=True, metadata={"description": "会议日期，默认今天"})


class RosterPersonSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    household_id = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True, metadata={"description": "户号"})


class RosterSchema(BaseSchema):
    body = fields.String()
    label = fields.String()
    on = fields.Date()
    rule = fields.String(metadata={"description": "到会与表决规则（法律依据）"})
    enumerable = fields.Boolean(metadata={"description": "false：系统中没有该机构的名单，登记时填写人数"})
    note = fields.String()
    people = fields.List(fields.Nested(RosterPersonSchema))


class PublicityInSchema(BaseSchema):
    stage = Text(required=True, validate=length(1, 20))
    start_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "公示开始日期，默认今天"})
    summary = Text(load_default=None, allow_none=True, validate=length(max=2000),
                   metadata={"description": "公开情况"})
    channel = Text(load_default=None, allow_none=True, validate=length(max=60), metadata={"description": "公开渠道"})


class PublicityCloseInSchema(BaseSchema):
    stage = Text(required=True, validate=length(1, 20))
    supervisor_opinion = Text(load_default=None, allow_none=True, validate=length(max=2000),
                              metadata={"description": "村务监督委员会意见"})


class DecisionObjectionInSchema(BaseSchema):
    raised_by = Text(required=True, validate=length(1, 60), metadata={"description": "提出人"})
    raised_by_person_id = fields.Integer(load_default=None, allow_none=True)
    text = Text(required=True, validate=length(1, 2000))
    raised_on = fields.Date(load_default=None, allow_none=True)


class AnswerInSchema(BaseSchema):
    answer = Text(required=True, validate=length(1, 2000))


class AcceptanceSchema(BaseSchema):
    accepted_on = fields.Date(required=True)
    accepted_by = Text(required=True, validate=length(1, 60))
    opinion = Text(load_default=None, allow_none=True, validate=length(max=2000))


class ResultInSchema(BaseSchema):
    spent = Yuan(required=True, metadata={"description": "实际使用资金（元）"})
    acceptance = fields.Nested(AcceptanceSchema, load_default=None, allow_none=True, metadata={"description": "验收"})
    voucher_ids = fields.List(fields.Integer(), load_default=list, metadata={"description": "支付该事项的已记账凭证"})
    summary = Text(load_default=None, allow_none=True, validate=length(max=2000))


class EndInSchema(BaseSchema):
    reason = Text(required=True, validate=length(1, 500))


class DecisionListArgs(PageArgs):
    status = Text(load_default=None, validate=one_of(("in_progress", "resolved", "failed", "done")))


class DecisionItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    stage = fields.String(allow_none=True, metadata={"description": "当前环节"})
    status = fields.String(metadata={"description": "in_progress/resolved/failed/done"})
    updated_at = IsoDateTime()
    category = fields.String()
    origin = fields.String(allow_none=True)
    amount = fields.String(allow_none=True)
    resolved_on = fields.Date(allow_none=True)


class StageSchema(BaseSchema):
    stage = fields.String()
    status = fields.String(metadata={"description": "pending/open/passed/failed"})
    kind = fields.String(metadata={"description": "meeting/publicity/result"})
    body = fields.String(allow_none=True)
    body_label = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    held_on = fields.Date(allow_none=True, metadata={"description": "会议日期；公示环节为公示开始日期"})
    summary = fields.String(allow_none=True)
    attendance = fields.Dict(allow_none=True, metadata={"description": "eligible 应到, present 实到, ratio 比例(%)"})
    result = fields.Dict(allow_none=True)
    meeting_form = fields.String(allow_none=True)
    minutes = fields.String(allow_none=True)
    township_officials = fields.List(fields.Dict())
    attachments = fields.List(fields.Dict(), metadata={"description": "附件清单 [{title, ref}]"})
    attendees = fields.List(fields.Dict(), metadata={"description": "实到人员 [{person_id, name}]"})
    recorded_by = fields.String(allow_none=True, metadata={"description": "登记人"})
    recorded_at = IsoDateTime(allow_none=True, metadata={"description": "登记时间"})


class DecisionVoteSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    stage = fields.String()
    body = fields.String()
    state = fields.String()
    opens_at = IsoDateTime()
    closes_at = IsoDateTime()
    result = fields.Dict(allow_none=True, metadata={"description": "表决结束前为空"})
    body_label = fields.String()
    by_household = fields.Boolean()
    electorate_size = fields.Integer()
    result_words = fields.String(allow_none=True, metadata={"description": "结果的文字说明；结束前为空"})


class DecisionSchema(DecisionItemSchema):
    village_id = fields.Integer()
    description = fields.String(allow_none=True)
    special_matter = fields.String(allow_none=True)
    decision_body = fields.String(allow_none=True)
    variant = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    created_at = IsoDateTime()
    stages = fields.List(fields.Nested(StageSchema))
    votes = fields.List(fields.Nested(DecisionVoteSchema))
    objection_window = fields.Dict(allow_none=True, metadata={
        "description": "正在公示的环节 {stage, start_on, end_on, open}：open 为真时本村村民可以提出异议"})


class MyDecisionObjectionInSchema(BaseSchema):
    text = Text(required=True, validate=length(1, 500), metadata={"description": "异议内容（1–500字）"})


class DecisionObjectionSchema(BaseSchema):
    id = fields.Integer()
    decision_id = fields.Integer()
    raised_by = fields.String()
    raised_on = fields.Date()
    due_on = fields.Date(metadata={"description": "答复期限（含当天）"})
    text = fields.String()
    answer = fields.String(allow_none=True)
    answered_at = IsoDateTime(allow_none=True)
