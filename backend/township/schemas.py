"""Shapes of the township console's endpoints (the progress table's own stay in routes.py)."""

from __future__ import annotations

from marshmallow import fields

from backend.core.schemas import BaseSchema, IsoDateTime, one_of, range_


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
    type = fields.String(metadata={"description": "disclosure | question | decision | vote | village | distribution | "
                                                  "job_posting | membership_meeting | asset | fund | contract | "
                                                  "land_contract | project | voucher"})
    id = fields.Integer()
    village_id = fields.Integer()
    period = fields.String(metadata={"description": "voucher 链接：凭证所在月份 YYYY-MM"})


class WarningSchema(BaseSchema):
    id = fields.String(metadata={"example": "decision_stuck:12", "description": "种类:对象（同一对象再次出现时不变）"})
    warning_id = fields.Integer(metadata={"description": "这一次预警的编号（消除后再出现是新的一条）"})
    village = fields.Nested(PlaceRefSchema)
    kind = fields.String(metadata={"description": "cash_over_limit | receivable_overdue | contract_expiring | "
                                                  "contract_no_decision | expense_no_decision | asset_idle | "
                                                  "project_behind_plan | disclosure_overdue | question_overdue | "
                                                  "objection_overdue | decision_stuck | vote_low_turnout"})
    label = fields.String(metadata={"example": "事项停滞"})
    message = fields.String()
    since = fields.String(metadata={"description": "从何时起：ISO 日期（YYYY-MM-DD）或时间（+08:00）"})
    state = fields.String(metadata={"description": "open（未消除） | closed（已消除）"})
    opened_at = fields.String(metadata={"description": "预警开启时间"})
    last_seen_at = fields.String(metadata={"description": "最近一次检查仍存在的时间"})
    closed_at = fields.String(allow_none=True, metadata={"description": "消除时间（原因不再存在）；未消除为 null"})
    link = fields.Nested(WarningLinkSchema)


class WarningArgs(BaseSchema):
    state = fields.String(load_default="open", validate=one_of(("open", "closed", "all")),
                          metadata={"description": "open：未消除（默认，全部）；closed：已消除；all：全部历史"})
    village_id = fields.Integer(metadata={"description": "只看这个村"})
    kind = fields.String(metadata={"description": "只看这一种"})
    page = fields.Integer(load_default=1, validate=range_(min=1, max=100_000))
    page_size = fields.Integer(load_default=50, validate=range_(min=1, max=100),
                               metadata={"description": "历史（closed/all）每页条数；未消除的全部返回"})
