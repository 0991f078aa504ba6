"""Schemas of the dividend endpoints (docs/api.md ``GET /me/dividends``)."""

from __future__ import annotations

from marshmallow import fields, validates_schema
from marshmallow.exceptions import ValidationError

from backend.core.objections import MyObjectionSchema, ObjectionCountsSchema, PublicObjectionSchema
from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, Text, Yuan, length, one_of, range_
from backend.dividends.models import BUCKET_KINDS, COMPONENT_KINDS
from backend.dividends.plans import COMPONENT_LABELS
from backend.dividends.shares.schemas import TypeSharesSchema

BUCKET_LABELS = {"retain": "留存（公积公益金等）", "dividend": "成员分红"}
METHOD_LABELS = {"bank": "银行代发", "cash": "现金发放"}


# ---------------------------------------------------------------- plans


class BucketInSchema(BaseSchema):
    name = Text(required=True, validate=length(1, 30))
    kind = Text(required=True, validate=one_of(BUCKET_KINDS, BUCKET_LABELS))
    percent = fields.Decimal(required=True, as_string=True, places=2, validate=range_(0, 100),
                             metadata={"description": "占可分配收益的百分比，如 30 或 12.5"})
    purpose = Text(load_default=None, allow_none=True, validate=length(max=100))
    account_code = Text(load_default=None, allow_none=True, validate=length(1, 20),
                        metadata={"description": "留存项记入的科目，如 311 公积公益金"})

    @validates_schema
    def _two_places(self, data: dict, **kwargs: object) -> None:
        pct = data.get("percent")
        if pct is not None and (pct * 100) != int(pct * 100):
            raise ValidationError("比例最多保留两位小数", "percent")


class BucketSchema(BaseSchema):
    name = fields.String()
    kind = fields.String()
    percent = fields.String()
    percent_bp = fields.Integer()
    purpose = fields.String(allow_none=True)
    account_code = fields.String(allow_none=True)
    amount = fields.String(allow_none=True)


class TemplateInSchema(BaseSchema):
    buckets = fields.List(fields.Nested(BucketInSchema), required=True, validate=length(1, 12))


class TemplateSchema(BaseSchema):
    buckets = fields.List(fields.Nested(BucketSchema))
    min_retain_percent = fields.Integer()


class ComponentInSchema(BaseSchema):
    kind = Text(required=True, validate=one_of(COMPONENT_KINDS, COMPONENT_LABELS))
    label = Text(load_default=None, allow_none=True, validate=length(max=30))
    share_type_id = fields.Integer(load_default=None, allow_none=True)
    per_unit = Yuan(load_default=None, allow_none=True, metadata={"description": "固定分红：每股（每人）金额"})


class DistributionInSchema(BaseSchema):
    year = fields.Integer(required=True, validate=range_(2000, 2200), metadata={"description": "分配哪一年度的收益"})
    title = Text(required=True, validate=length(1, 120))
    components = fields.List(fields.Nested(ComponentInSchema), required=True, validate=length(1, 10))
    buckets = fields.List(fields.Nested(BucketInSchema), load_default=None, allow_none=True,
                          validate=length(1, 12), metadata={"description": "不填则用本村的分配比例设置"})
    excluded = Yuan(load_default=0, metadata={"description": "从可分配收益中扣除（如征地补偿费）"})
    dividend_total = Yuan(load_default=None, allow_none=True,
                          metadata={"description": "成员（代表）大会决定的分红总额；不填则分红项全部用于分红"})
    excluded_note = Text(load_default=None, allow_none=True, validate=length(max=200))
    record_date = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "股权登记日（可在试算时再填）"})
    decision_id = fields.Integer(load_default=None, allow_none=True,
                                 metadata={"description": "通过本方案的成员（代表）大会决议（可在公布时再选）"})


class ComputeInSchema(BaseSchema):
    record_date = fields.Date(load_default=None, allow_none=True,
                              metadata={"description": "股权登记日；不填用方案中写明的"})


class PublishInSchema(BaseSchema):
    decision_id = fields.Integer(load_default=None, allow_none=True,
                                 metadata={"description": "通过分配方案的成员（代表）大会决议；不填用方案中写明的"})


class CancelInSchema(BaseSchema):
    reason = Text(required=True, validate=length(1, 200))


class ComponentSchema(BaseSchema):
    kind = fields.String()
    label = fields.String()
    share_type_id = fields.Integer(allow_none=True)
    per_unit = fields.String(allow_none=True)
    units = fields.Integer(allow_none=True)
    amount = fields.String(allow_none=True)
    per_share = fields.String(allow_none=True)


class DistributionItemSchema(BaseSchema):
    id = fields.Integer()
    year = fields.Integer()
    title = fields.String()
    status = fields.String()
    status_label = fields.String()
    total = fields.String(allow_none=True)
    per_share = fields.String(allow_none=True)
    published_at = fields.String(allow_none=True)
    seal = fields.String(allow_none=True)


class DividendPlanSchema(DistributionItemSchema):
    village_id = fields.Integer()
    decision_id = fields.Integer(allow_none=True)
    decision_title = fields.String(allow_none=True)
    decision_resolved_on = fields.Date(allow_none=True)
    record_date = fields.Date(allow_none=True)
    register_hash = fields.String(allow_none=True)
    distributable = fields.String(allow_none=True)
    excluded = fields.String()
    excluded_note = fields.String(allow_none=True)
    dividend_total = fields.String(allow_none=True)
    pool = fields.String(allow_none=True)
    carried_forward = fields.String(allow_none=True, metadata={"description": "结转未分配收益"})
    total_shares = fields.Integer(allow_none=True)
    households = fields.Integer(allow_none=True)
    buckets = fields.List(fields.Nested(BucketSchema))
    components = fields.List(fields.Nested(ComponentSchema))
    publicity_until = fields.Date(allow_none=True)
    prev_seal = fields.String(allow_none=True)
    paid_at = fields.String(allow_none=True)
    objections = fields.List(fields.Nested(PublicObjectionSchema), metadata={
        "description": "管理人员看到全部异议（含姓名）；村民只看到自己提出的"})
    objection_counts = fields.Nested(ObjectionCountsSchema, metadata={
        "description": "异议条数、已答复、逾期未答复（公开）"})
    my_objections = fields.List(fields.Nested(MyObjectionSchema), metadata={"description": "我自己提出的异议"})
    # staff only
    paid_households = fields.Integer()
    paid_total = fields.String()
    unpaid_total = fields.String()
    accrual_voucher_id = fields.Integer(allow_none=True)
    cancelled_reason = fields.String(allow_none=True)


class DistributionListArgs(PageArgs):
    pass


LINE_SORTS = ("household_number", "-household_number", "head_name", "-head_name", "shares", "-shares", "amount",
              "-amount")


class LinesArgs(PageArgs):
    sort = Text(load_default="household_number", validate=one_of(LINE_SORTS),
                metadata={"description": "排序：户号、户主、股数、金额；前加 - 为从大到小"})
    masked = fields.Boolean(load_default=False, metadata={"description": "true：按公示的样子（姓名、身份证号脱敏）"})


class PreviewArgs(BaseSchema):
    year = fields.Integer(required=True, validate=range_(2000, 2200))
    excluded = Yuan(load_default=0)


class PreviewSchema(BaseSchema):
    year = fields.Integer()
    available = fields.String(metadata={"description": "该年度可分配收益（扣除其他方案已用的）"})
    excluded = fields.String()
    distributable = fields.String(metadata={"description": "本方案可分配的金额"})
    can_distribute = fields.Boolean()
    buckets = fields.List(fields.Nested(BucketSchema))
    dividend_pool = fields.String(metadata={"description": "按比例可用于分红的金额"})
    min_retain_percent = fields.Integer()


class ApprovingDecisionSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    resolved_on = fields.Date()
    body = fields.String()
    body_label = fields.String()
    amount = fields.String(allow_none=True)


class ApprovingDecisionListSchema(BaseSchema):
    items = fields.List(fields.Nested(ApprovingDecisionSchema))


class VoucherRefSchema(BaseSchema):
    id = fields.Integer()
    number = fields.Integer(allow_none=True)
    period = fields.String()
    voucher_date = fields.Date()
    summary = fields.String()
    total = fields.String()
    status = fields.String()


class BatchItemSchema(BaseSchema):
    id = fields.Integer()
    method = fields.String()
    method_label = fields.String()
    paid_on = fields.Date()
    reference = fields.String(allow_none=True)
    count = fields.Integer()
    total = fields.String()
    voucher = fields.Nested(VoucherRefSchema, allow_none=True)


class BatchListSchema(BaseSchema):
    accrual_voucher = fields.Nested(VoucherRefSchema, allow_none=True)
    items = fields.List(fields.Nested(BatchItemSchema))


class DividendLineSchema(BaseSchema):
    """Staff see every field; everyone else sees the published list with names and IDs masked."""

    household_id = fields.Integer(allow_none=True)
    household_number = fields.String()
    head_name = fields.String()
    members = fields.Integer()
    shares = fields.Integer()
    shares_by_type = fields.Raw()
    by_member = fields.List(fields.Dict())
    fixed = fields.List(fields.String())
    equity = fields.String()
    amount = fields.String()
    paid_on = fields.Date(allow_none=True)


class PaymentInSchema(BaseSchema):
    household_ids = fields.List(fields.Integer(), required=True, validate=length(1, 20000))
    method = Text(required=True, validate=one_of(("bank", "cash"), METHOD_LABELS))
    paid_on = fields.Date(required=True)
    reference = Text(load_default=None, allow_none=True, validate=length(max=60),
                     metadata={"description": "银行回单号、发放大会编号等"})


class PaymentBatchSchema(BaseSchema):
    id = fields.Integer()
    method = fields.String()
    paid_on = fields.Date()
    reference = fields.String(allow_none=True)
    count = fields.Integer()
    total = fields.String()
    voucher_id = fields.Integer(allow_none=True)
    replayed = fields.Boolean(metadata={"description": "true：同一幂等键的重复请求，返回第一次的结果"})


# ---------------------------------------------------------------- a villager's own


class DeclarationSchema(BaseSchema):
    id = fields.Integer()
    year = fields.Integer()
    title = fields.String()
    per_share = fields.String(allow_none=True, metadata={"description": "每股分红（元）"})


class MyDividendSchema(BaseSchema):
    declaration = fields.Nested(DeclarationSchema)
    household_shares = fields.Integer()
    amount = fields.String()
    status = fields.String(metadata={"description": "announced（已公布）| paid（已发放）"})
    paid_at = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)


class StatementDeclarationSchema(DeclarationSchema):
    record_date = fields.Date(allow_none=True)
    decision_id = fields.Integer(allow_none=True)
    seal = fields.String(allow_none=True)


class StatementPartSchema(BaseSchema):
    kind = fields.String()
    label = fields.String()
    per_share = fields.String(allow_none=True)
    per_share_exact = fields.Boolean(metadata={"description": "false：每股金额为四舍五入后的近似值"})
    units = fields.Integer()
    amount = fields.String()


class StatementMemberSchema(BaseSchema):
    name = fields.String()
    shares_by_type = fields.List(fields.Nested(TypeSharesSchema))


class StatementHouseholdSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    head_name = fields.String()


class StatementSchema(BaseSchema):
    declaration = fields.Nested(StatementDeclarationSchema)
    household = fields.Nested(StatementHouseholdSchema)
    household_shares = fields.Integer()
    shares_by_type = fields.List(fields.Nested(TypeSharesSchema))
    members = fields.List(fields.Nested(StatementMemberSchema))
    components = fields.List(fields.Nested(StatementPartSchema))
    amount = fields.String()
    status = fields.String()
    paid_on = fields.Date(allow_none=True)
    paid_at = fields.String(allow_none=True)
    publicity_until = fields.Date(allow_none=True, metadata={"description": "公示到哪天（含当天）"})
    in_publicity = fields.Boolean(metadata={"description": "正在公示：本村村民可以提出异议"})
    objection_counts = fields.Nested(ObjectionCountsSchema, metadata={
        "description": "异议条数、已答复、逾期未答复（公开）"})
    my_objections = fields.List(fields.Nested(MyObjectionSchema), metadata={"description": "我自己提出的异议"})
