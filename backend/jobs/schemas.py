"""Request and response shapes of the public-benefit job endpoints (docs/api.md "Public-benefit jobs")."""

from __future__ import annotations

from marshmallow import fields, validate

from backend.core.objections import MyObjectionSchema, ObjectionCountsSchema, PublicObjectionSchema
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_
from backend.jobs.models import CATEGORIES

# a month as YYYY-MM: said as a format, not as a length ("应为7位" would not tell a secretary what to type)
# (7 characters here; the service checks the rest: ``job.month_invalid``)
MONTH = validate.Regexp(r"^.{7}$", error="格式应为 YYYY-MM，例如 2026-03")


class JobPostingInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 60))
    category = Text(required=True, validate=one_of(CATEGORIES))
    positions = fields.Integer(required=True, validate=range_(1, 500))
    monthly_wage = Yuan(required=True)
    apply_from = IsoDateTime(required=True)
    apply_until = IsoDateTime(required=True)
    term_months = fields.Integer(load_default=None, allow_none=True, validate=range_(1, 36))
    duties = Text(load_default=None, allow_none=True, validate=length(max=2000))
    place = Text(load_default=None, allow_none=True, validate=length(max=120))
    funding = Text(load_default=None, allow_none=True, validate=length(max=60),
                   metadata={"description": "资金来源：衔接资金、光伏收益、集体收入等"})
    min_age = fields.Integer(load_default=None, allow_none=True, validate=range_(16, 80))
    max_age = fields.Integer(load_default=None, allow_none=True, validate=range_(16, 80))
    priority_tuopin = fields.Boolean(load_default=True)
    priority_jiance = fields.Boolean(load_default=True)
    priority_only = fields.Boolean(load_default=False, metadata={"description": "只面向优先群体（如光伏收益岗位）"})
    one_per_household = fields.Boolean(load_default=None, allow_none=True)
    exclude_cadre_families = fields.Boolean(load_default=None, allow_none=True)


class JobPostingItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    category = fields.String()
    positions = fields.Integer()
    monthly_wage = fields.String()
    apply_from = fields.String()
    apply_until = fields.String()
    status = fields.String()
    status_label = fields.String()


class JobApplicantSchema(BaseSchema):
    receipt = fields.String()
    name = fields.String()
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    status = fields.String()
    rank = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    assisted = fields.Boolean()


class JobDrawSchema(BaseSchema):
    list_hash = fields.String()
    sealed_at = fields.String()
    seed = fields.String(allow_none=True)
    seed_source = fields.String(allow_none=True)
    seed_at = fields.String(allow_none=True)
    order = fields.List(fields.String(), metadata={"description": "抽签结果（报名回执号顺序）"})
    algorithm = fields.String()


class JobPostingSchema(JobPostingItemSchema):
    term_months = fields.Integer()
    duties = fields.String(allow_none=True)
    place = fields.String(allow_none=True)
    funding = fields.String(allow_none=True)
    min_age = fields.Integer()
    max_age = fields.Integer()
    priority_groups = fields.List(fields.String())
    priority_only = fields.Boolean()
    one_per_household = fields.Boolean()
    exclude_cadre_families = fields.Boolean()
    applications = fields.Integer()
    applicants = fields.List(fields.Nested(JobApplicantSchema))
    draw = fields.Nested(JobDrawSchema, allow_none=True)
    publicity_until = fields.Date(allow_none=True)
    in_publicity = fields.Boolean(metadata={"description": "拟聘名单正在公示：本村村民可以提出异议"})
    objections = fields.List(fields.Nested(PublicObjectionSchema), metadata={
        "description": "管理人员看到全部异议（含姓名）；村民只看到自己提出的"})
    objection_counts = fields.Nested(ObjectionCountsSchema, metadata={
        "description": "异议条数、已答复、逾期未答复（公开）"})
    my_objections = fields.List(fields.Nested(MyObjectionSchema), metadata={"description": "我自己提出的异议"})
    eligibility = fields.Dict(allow_none=True, metadata={"description": "当前用户能否报名及原因"})


class JobApplyInSchema(BaseSchema):
    note = Text(load_default=None, allow_none=True, validate=length(max=500))
    person_id = fields.Integer(load_default=None, allow_none=True,
                               metadata={"description": "工作人员代没有手机的村民报名时填写"})


class JobApplicationSchema(BaseSchema):
    id = fields.Integer()
    posting_id = fields.Integer()
    receipt = fields.String()
    status = fields.String()
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    assisted = fields.Boolean()


class JobSeedInSchema(BaseSchema):
    seed = Text(required=True, validate=length(1, 200), metadata={"description": "公开产生的种子，如现场摇号结果"})
    source = Text(load_default=None, allow_none=True, validate=length(max=200))


class JobConfirmInSchema(BaseSchema):
    start_on = fields.Date(required=True)


class JobHireSchema(BaseSchema):
    id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    start_on = fields.Date()
    end_on = fields.Date()
    monthly_wage = fields.String()
    agreement_no = fields.String(allow_none=True)
    ended_on = fields.Date(allow_none=True)
    end_reason = fields.String(allow_none=True)


class JobHireListSchema(BaseSchema):
    items = fields.List(fields.Nested(JobHireSchema))


class JobEndInSchema(BaseSchema):
    on = fields.Date(required=True)
    reason = Text(required=True, validate=length(1, 200))


class JobPayInSchema(BaseSchema):
    month = Text(required=True, validate=MONTH, metadata={"description": "YYYY-MM"})
    days_worked = fields.Integer(required=True, validate=range_(0, 31))
    score = fields.Integer(load_default=None, allow_none=True, validate=range_(0, 100))
    amount = Yuan(load_default=None, allow_none=True, metadata={"description": "不填按月工资全额"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200))


class JobPaySchema(BaseSchema):
    id = fields.Integer()
    month = fields.String()
    days_worked = fields.Integer()
    score = fields.Integer(allow_none=True)
    amount = fields.String()
    paid_on = fields.Date(allow_none=True)


class JobPayMonthInSchema(BaseSchema):
    month = Text(required=True, validate=MONTH)
    paid_on = fields.Date(required=True)
    method = Text(load_default="bank", validate=one_of(("bank", "cash"), {"bank": "银行", "cash": "现金"}))


class JobPayMonthSchema(BaseSchema):
    month = fields.String()
    records = fields.Integer()
    total = fields.String()


class JobMonthArgs(BaseSchema):
    month = Text(load_default=None, validate=MONTH, metadata={"description": "YYYY-MM，默认本月"})


class MyJobApplicationSchema(BaseSchema):
    id = fields.Integer()
    posting = fields.Dict(metadata={"description": '{"id", "title"}'})
    receipt = fields.String(metadata={"description": "报名回执号（抽签用，公开）：答复丢失后重新打开也能看到"})
    status = fields.String()
    status_label = fields.String()
    updated_at = fields.String()


class MyJobPaySchema(BaseSchema):
    posting = fields.Dict()
    month = fields.String()
    days_worked = fields.Integer()
    amount = fields.String()
    paid_on = fields.Date(allow_none=True)




# ---------------------------------------------------------------- the staff's console


class JobCloseInSchema(BaseSchema):
    reason = Text(required=True, validate=length(2, 200),
                  metadata={"description": "提前截止报名的原因（记入审计日志）"})


class JobApplicantCheckSchema(BaseSchema):
    id = fields.Integer()
    receipt = fields.String()
    name = fields.String()
    id_last4 = fields.String(allow_none=True, metadata={"description": "身份证号只显示后4位：****1234"})
    household_number = fields.String(allow_none=True)
    age = fields.Integer(allow_none=True)
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()
    rank = fields.Integer(allow_none=True)
    eligible = fields.Boolean()
    why = fields.String(metadata={"description": "报名时符合的条件，逐条写明"})
    now = fields.Dict(allow_none=True, metadata={"description": "封存前按今天重新核对：{ok, reason}"})
    assisted = fields.Boolean()
    note = fields.String(allow_none=True)
    applied_at = fields.String()


class JobApplicantListSchema(BaseSchema):
    items = fields.List(fields.Nested(JobApplicantCheckSchema))


class JobPersonArgs(BaseSchema):
    person_id = fields.Integer(required=True, metadata={"description": "要核对的村民"})


class JobPersonCheckSchema(BaseSchema):
    person_id = fields.Integer()
    name = fields.String()
    ok = fields.Boolean()
    reason = fields.String(allow_none=True)
    priority = fields.Boolean()
    priority_reason = fields.String(allow_none=True)


class JobDrawStepSchema(BaseSchema):
    place = fields.Integer()
    receipt = fields.String()
    name = fields.String(metadata={"description": "封存名单上的姓名（脱敏）"})
    priority = fields.Boolean()
    hash = fields.String(metadata={"description": "sha256(种子 + \":\" + 回执号)"})
    selected = fields.Boolean()


class JobDrawCheckSchema(BaseSchema):
    list_hash = fields.String()
    list_hash_ok = fields.Boolean()
    seed = fields.String()
    seed_source = fields.String(allow_none=True)
    sealed_at = fields.String()
    seed_at = fields.String()
    positions = fields.Integer()
    recorded = fields.List(fields.String())
    recomputed = fields.List(fields.String())
    steps = fields.List(fields.Nested(JobDrawStepSchema))
    matches = fields.Boolean()
    problems = fields.List(fields.String())
    algorithm = fields.String()
    verdict = fields.String(metadata={"description": "一致 / 不一致及原因"})


class JobPayRowSchema(BaseSchema):
    hire_id = fields.Integer()
    name = fields.String()
    posting_id = fields.Integer()
    posting = fields.String()
    monthly_wage = fields.String()
    days_in_term = fields.Integer(metadata={"description": "该月在聘期内的天数（出勤天数的上限）"})
    recorded = fields.Boolean()
    days_worked = fields.Integer(allow_none=True)
    score = fields.Integer(allow_none=True)
    amount = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    method = fields.String(allow_none=True)


class JobMonthPaySchema(BaseSchema):
    month = fields.String()
    items = fields.List(fields.Nested(JobPayRowSchema))
    total = fields.String()
    unpaid = fields.String()
    unrecorded = fields.Integer()

