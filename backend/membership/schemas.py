"""Request and response shapes of the membership confirmation endpoints (docs/village-work.md, "Membership
confirmation")."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from backend.core.objections import MyObjectionSchema, ObjectionCountsSchema, PublicObjectionSchema
from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, Text, length, range_
from backend.membership.models import GROUND_LABELS, STATUS_LABELS
from backend.membership.service import REVIEW_LABELS

BODY_LABELS = {"members_assembly": "成员大会", "members_rep_assembly": "成员代表大会"}


class Choice(Text):
    """One of ``labels``' keys, or its Chinese label (婚入 for marriage): the message lists the Chinese words."""

    def __init__(self, labels: dict[str, str], **kwargs: Any) -> None:
        self.labels = labels
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        s = super()._deserialize(value, attr, data, **kwargs)
        if s in self.labels:
            return s
        for key, label in self.labels.items():
            if s == label:
                return key
        raise ValidationError("应为以下之一：" + "、".join(self.labels.values()))


class References(fields.List):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(Text(validate=length(1, 200)), validate=length(max=20), load_default=list, **kwargs)


# ---------------------------------------------------------------- applications


class MembershipApplicationInSchema(BaseSchema):
    person_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "代为申请时填写（花名册上的人）；本人申请不填"})
    grounds = Choice(GROUND_LABELS, required=True,
                     metadata={"label": "申请依据",
                               "description": "申请依据：residence 户籍在本村、birth 出生、marriage 婚入、"
                                              "adoption 收养、other 其他（也可直接写中文）"})
    note = Text(load_default=None, allow_none=True, validate=length(max=500))
    attachments = References(metadata={"description": "附件（材料名称或编号，如 户口簿复印件）", "label": "附件"})
    submitted_on = fields.Date(load_default=None, metadata={
        "label": "申请日期", "description": "补录纸质申请时填写申请书上的日期（工作人员代为登记时）；默认今天"})


class MembershipReviewInSchema(BaseSchema):
    decision = Choice(REVIEW_LABELS, required=True,
                      metadata={"label": "审查结果",
                                "description": "refer 提交成员大会，refuse 不予通过（也可直接写中文）"})
    reason = Text(load_default=None, allow_none=True, validate=length(max=1000),
                  metadata={"description": "不予通过的原因（必填，申请人能看到）；提交成员大会时可写审查意见"})
    reviewed_on = fields.Date(load_default=None, metadata={
        "label": "审查日期", "description": "两委审查的日期（补录时填写），默认今天"})


class MembershipApplicationListArgs(PageArgs):
    status = Choice(STATUS_LABELS, load_default=None, metadata={"label": "状态"})


class MembershipMeetingBriefSchema(BaseSchema):
    id = fields.Integer()
    held_on = fields.String()
    body_label = fields.String()
    status = fields.String()
    status_label = fields.String()
    publicity_from = fields.String(allow_none=True)
    publicity_until = fields.String(allow_none=True)


class MembershipTimelineStepSchema(BaseSchema):
    on = fields.String(allow_none=True)
    step = fields.String()
    detail = fields.String()


class MembershipApplicationSchema(BaseSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    household_number = fields.String(allow_none=True)
    grounds = fields.String()
    grounds_label = fields.String()
    note = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    status = fields.String()
    status_label = fields.String()
    entered_by = fields.String(allow_none=True, metadata={"description": "代为登记的工作人员；本人申请为空"})
    submitted_on = fields.String(metadata={"description": "申请日期"})
    submitted_at = fields.String(metadata={"description": "录入系统的时间"})
    reviewed_on = fields.String(allow_none=True)
    reviewed_at = fields.String(allow_none=True)
    review_note = fields.String(allow_none=True)
    reason = fields.String(allow_none=True, metadata={"description": "不予通过或未通过的原因"})
    agree = fields.Integer(allow_none=True)
    oppose = fields.Integer(allow_none=True)
    abstain = fields.Integer(allow_none=True)
    registered_at = fields.String(allow_none=True)
    meeting = fields.Nested(MembershipMeetingBriefSchema, allow_none=True)
    timeline = fields.List(fields.Nested(MembershipTimelineStepSchema))


class MembershipMyApplicationSchema(BaseSchema):
    application = fields.Nested(MembershipApplicationSchema, allow_none=True)
    is_member = fields.Boolean()
    grounds = fields.Dict(metadata={"description": "可选的申请依据及其中文"})


# ---------------------------------------------------------------- the body's electorate


class MembershipElectorateArgs(BaseSchema):
    body = Choice(BODY_LABELS, load_default="members_assembly", metadata={"label": "会议"})
    on = fields.Date(load_default=None, metadata={"label": "会议日期"})


class MembershipElectorSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    household_number = fields.String(allow_none=True)


class MembershipElectorateSchema(BaseSchema):
    body = fields.String()
    body_label = fields.String()
    on = fields.String()
    eligible = fields.Integer(metadata={"description": "应到人数"})
    people = fields.List(fields.Nested(MembershipElectorSchema))


# ---------------------------------------------------------------- meetings


class MembershipVoteCountsInSchema(BaseSchema):
    application_id = fields.Integer(required=True)
    agree = fields.Integer(required=True, validate=range_(0, 100000))
    oppose = fields.Integer(load_default=0, validate=range_(0, 100000))
    abstain = fields.Integer(load_default=0, validate=range_(0, 100000))


class MembershipMeetingInSchema(BaseSchema):
    body = Choice(BODY_LABELS, load_default="members_assembly", metadata={"label": "会议"})
    held_on = fields.Date(required=True)
    attendees = fields.List(fields.Integer(), required=True, validate=length(max=100000),
                            metadata={"description": "实到人员（从应到名单中按姓名选择）", "label": "实到人员"})
    applications = fields.List(fields.Nested(MembershipVoteCountsInSchema), load_default=list,
                               metadata={"description": "每份申请的同意、反对、弃权票数", "label": "表决的申请"})
    place = Text(load_default=None, allow_none=True, validate=length(max=120))
    minutes = Text(load_default=None, allow_none=True, validate=length(max=20000))
    attachments = References(metadata={"description": "会议记录、签到表等附件（名称或编号）", "label": "附件"})


class MembershipResultSchema(BaseSchema):
    application_id = fields.Integer()
    name = fields.String()
    passed = fields.Boolean()
    sentence = fields.String()


class MembershipPreviewSchema(BaseSchema):
    body = fields.String()
    eligible = fields.Integer(metadata={"description": "应到（按名册计算）"})
    present = fields.Integer(metadata={"description": "实到"})
    quorum_met = fields.Boolean()
    quorum_needed = fields.Integer(metadata={"description": "出席有效至少需要的人数"})
    agree_needed = fields.Integer(metadata={"description": "确认一人至少需要的同意票"})
    sentence = fields.String(metadata={"description": "应到、实到、是否出席有效、需要多少同意票，一句话"})
    results = fields.List(fields.Nested(MembershipResultSchema))


class MembershipPublicityInSchema(BaseSchema):
    starts_on = fields.Date(load_default=None,
                            metadata={"description": "公示开始日期，默认今天", "label": "公示开始日期"})


class MembershipAttendeeSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()


class MembershipMeetingItemSchema(BaseSchema):
    id = fields.Integer()
    body = fields.String()
    body_label = fields.String()
    held_on = fields.String()
    place = fields.String(allow_none=True)
    eligible = fields.Integer()
    present = fields.Integer()
    attendance = fields.String()
    status = fields.String()
    status_label = fields.String()
    publicity_from = fields.String(allow_none=True)
    publicity_until = fields.String(allow_none=True)
    in_publicity = fields.Boolean()
    registered_at = fields.String(allow_none=True)


class MembershipMeetingSchema(MembershipMeetingItemSchema):
    attendees = fields.List(fields.Nested(MembershipAttendeeSchema))
    minutes = fields.String(allow_none=True)
    attachments = fields.List(fields.String())
    recorded_by = fields.String(allow_none=True)
    applications = fields.List(fields.Dict())
    objections = fields.List(fields.Nested(PublicObjectionSchema), metadata={
        "description": "管理人员看到全部异议（含姓名）；村民只看到自己提出的"})
    objection_counts = fields.Nested(ObjectionCountsSchema, metadata={
        "description": "异议条数、已答复、逾期未答复（公开）"})
    my_objections = fields.List(fields.Nested(MyObjectionSchema), metadata={"description": "我自己提出的异议"})
    objections_waiting = fields.Integer()
    can_register = fields.Boolean()
