"""Shapes of the township console's endpoints (the progress table's own stay in routes.py)."""

from __future__ import annotations

from marshmallow import fields

from backend.core.schemas import BaseSchema, IsoDateTime, range_


class StaffSchema(BaseSchema):
    assignment_id = fields.Integer()
    role = fields.String()
    role_label = fields.String()
    person_id = fields.Integer()
    name = fields.String()
    since = IsoDateTime()


class VillageOverviewSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    roster_size = fields.Integer(metadata={"description": "在册人数"})
    members = fields.Integer(metadata={"description": "其中集体经济组织成员"})
    bound = fields.Integer(metadata={"description": "已绑定微信的在册人数"})
    staff = fields.List(fields.Nested(StaffSchema), metadata={"description": "现任村干部、会计、监督委员、代理会计"})


class OverviewSchema(BaseSchema):
    items = fields.List(fields.Nested(VillageOverviewSchema))


class RoleBriefSchema(BaseSchema):
    role = fields.String()
    role_label = fields.String()


class TownshipPersonSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()
    roles = fields.List(fields.Nested(RoleBriefSchema))


class TownshipPeopleSchema(BaseSchema):
    items = fields.List(fields.Nested(TownshipPersonSchema))


class MonthsArgs(BaseSchema):
    year = fields.Integer(validate=range_(min=1900, max=2999), metadata={"description": "年份，缺省为今年"})


class PlaceRefSchema(BaseSchema):
    id = fields.Integer()
    name = fields.String()


class MonthSchema(BaseSchema):
    month = fields.Integer()
    total_income = fields.String(allow_none=True, metadata={"description": "当月总收入（元）；今年还没到的月份为 null"})
    operating_income = fields.String(allow_none=True, metadata={"description": "当月经营性收入（元）"})
    cumulative_total = fields.String(allow_none=True, metadata={"description": "1 月至当月累计总收入（元）"})
    cumulative_operating = fields.String(allow_none=True, metadata={"description": "1 月至当月累计经营性收入（元）"})


class MonthsSchema(BaseSchema):
    village = fields.Nested(PlaceRefSchema)
    year = fields.Integer()
    months = fields.List(fields.Nested(MonthSchema))
    target_total = fields.String()
    target_operating = fields.String()


class WarningLinkSchema(BaseSchema):
    type = fields.String(metadata={"description": "disclosure | question | decision | vote | village | "
                                                  "distribution | job_posting | membership_meeting"})
    id = fields.Integer()
    village_id = fields.Integer()


class WarningSchema(BaseSchema):
    id = fields.String(metadata={"example": "decision_stuck:12"})
    village = fields.Nested(PlaceRefSchema)
    kind = fields.String(metadata={"description": "disclosure_overdue | question_overdue | objection_overdue | "
                                                  "decision_stuck | vote_low_turnout"})
    message = fields.String()
    since = fields.String(metadata={"description": "从何时起：ISO 日期（YYYY-MM-DD）或时间（+08:00）"})
    link = fields.Nested(WarningLinkSchema)
