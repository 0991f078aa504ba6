"""Schemas of the project library's endpoints."""

from __future__ import annotations

from marshmallow import fields

from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, Text, Yuan, length, one_of, range_
from backend.projects.models import CATEGORIES, FUND_SOURCES


class ProjectInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 120), metadata={"label": "项目名称"})
    category = Text(required=True, validate=one_of(CATEGORIES), metadata={"label": "项目类别"})
    description = Text(load_default=None, allow_none=True, validate=length(max=2000), metadata={"label": "项目简介"})
    planned_investment = Yuan(load_default=0, metadata={"label": "计划总投资（元）"})
    income_account_id = fields.Integer(load_default=None, allow_none=True,
                                       metadata={"label": "收入科目", "description": "项目收入记入的收入科目"})


class ProjectUpdateSchema(BaseSchema):
    title = Text(validate=length(1, 120), metadata={"label": "项目名称"})
    category = Text(validate=one_of(CATEGORIES), metadata={"label": "项目类别"})
    description = Text(allow_none=True, validate=length(max=2000), metadata={"label": "项目简介"})
    planned_investment = Yuan(metadata={"label": "计划总投资（元）"})
    income_account_id = fields.Integer(allow_none=True, metadata={"label": "收入科目"})


class FundInSchema(BaseSchema):
    source = Text(required=True, validate=one_of(FUND_SOURCES), metadata={"label": "资金来源"})
    amount = Yuan(required=True, metadata={"label": "金额（元）"})
    received_on = fields.Date(required=True, metadata={"label": "日期"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200), metadata={"label": "说明"})


class StepInSchema(BaseSchema):
    step = fields.Integer(required=True, validate=range_(1, 7), metadata={"label": "环节"})
    done_on = fields.Date(required=True, metadata={"label": "办理日期"})
    documents = fields.List(Text(validate=length(1, 200)), load_default=list, validate=length(max=20, unit="份"),
                            metadata={"label": "附件（文件名称或编号）"})
    decision_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": "依据的决议"})
    note = Text(load_default=None, allow_none=True, validate=length(max=500), metadata={"label": "说明"})
    funds = fields.List(fields.Nested(FundInSchema), load_default=list, validate=length(max=10, unit="笔"),
                        metadata={"label": "申请的扶持资金", "description": "申报时写明申请的扶持资金"})


class PlanInSchema(BaseSchema):
    year = fields.Integer(required=True, validate=range_(2000, 2100), metadata={"label": "年份"})
    months = fields.List(Yuan(), required=True, validate=length(12, 12, unit="个月"),
                         metadata={"label": "每月计划收入（元）", "description": "1月到12月，共12个"})


class TerminateInSchema(BaseSchema):
    terminated_on = fields.Date(required=True, metadata={"label": "终止日期"})
    reason = Text(required=True, validate=length(1, 200), metadata={"label": "终止原因"})


class ProjectItemSchema(BaseSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    village_name = fields.String(dump_default=None, allow_none=True)
    title = fields.String()
    category = fields.String()
    step = fields.Integer(metadata={"description": "已完成的环节数（0–7）"})
    step_name = fields.String(metadata={"description": "最近完成的环节：储备、论证、筛选、申报、审批、立项、实施"})
    stage = fields.String(metadata={"description": "当前环节（文字），如“已申报，待镇项目评审委员会审批”"})
    status = fields.String()
    status_name = fields.String()
    next_step = fields.Integer(allow_none=True)
    support_funds = fields.String(metadata={"description": "扶持资金（各级财政和乡镇），元"})
    funds_total = fields.String()
    income_to_date = fields.String(metadata={"description": "累计收入（账上），元"})
    plan_to_date = fields.String(metadata={"description": "截至本月的累计计划收入，元"})
    behind_plan = fields.Boolean()
    awaiting_approval = fields.Boolean()


class StepViewSchema(BaseSchema):
    step = fields.Integer()
    name = fields.String()
    done = fields.Boolean()
    done_on = fields.String(allow_none=True)
    done_by = fields.String(allow_none=True)
    documents = fields.List(fields.String())
    decision = fields.Dict(allow_none=True)
    note = fields.String(allow_none=True)


class FundViewSchema(BaseSchema):
    id = fields.Integer()
    source = fields.String()
    amount = fields.String()
    received_on = fields.String()
    note = fields.String(allow_none=True)


class SourceSumSchema(BaseSchema):
    source = fields.String()
    amount = fields.String()


class MonthViewSchema(BaseSchema):
    month = fields.String()
    planned = fields.String(allow_none=True)
    actual = fields.String(allow_none=True)
    cum_planned = fields.String(allow_none=True)
    cum_actual = fields.String(allow_none=True)


class ProjectSchema(ProjectItemSchema):
    description = fields.String(allow_none=True)
    planned_investment = fields.String()
    income_account = fields.Dict(allow_none=True)
    terminated_on = fields.String(allow_none=True)
    terminate_reason = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(StepViewSchema))
    funds = fields.List(fields.Nested(FundViewSchema))
    funds_by_source = fields.List(fields.Nested(SourceSumSchema))
    months = fields.List(fields.Nested(MonthViewSchema))
    checked_month = fields.String(allow_none=True)
    cum_planned = fields.String()
    cum_actual = fields.String()
    behind_since = fields.String(allow_none=True)
    behind_plan_pct = fields.Integer()
    can_manage = fields.Boolean()
    can_approve = fields.Boolean()


class ChoiceSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    resolved_on = fields.String(allow_none=True)


class AccountChoiceSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()


class ChoicesSchema(BaseSchema):
    decisions = fields.List(fields.Nested(ChoiceSchema), metadata={"description": "本村已通过的决议"})
    accounts = fields.List(fields.Nested(AccountChoiceSchema), metadata={"description": "本村的收入科目"})


class TownshipProjectArgs(PageArgs):
    page_size = fields.Integer(load_default=100, validate=range_(min=1, max=100))
    awaiting = fields.Boolean(load_default=False, metadata={"description": "只看待审批的"})
