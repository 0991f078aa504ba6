"""Schemas of the land endpoints (docs/api.md ``GET /me/land``)."""

from __future__ import annotations

import unicodedata

from marshmallow import ValidationError, fields

from backend.core.errors import AppError
from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, ContactPhone, Text, Yuan, length, one_of, range_
from backend.land.contracts import AGRICULTURAL_USES, GRAINS
from backend.land.models import CONTRACT_KINDS, LAND_TYPES, PARCEL_KINDS, PARTY_KINDS
from backend.land.parcels import PARTY_LABELS, mu_text, parse_mu

PARCEL_LABELS = {"contracted": "农户承包地", "collective_land": "集体自有土地",
                 "collective_asset": "集体资产（鱼塘、门面等）"}
BASIS_LABELS = {"market": "市场价", "minimum": "国家最低收购价"}
CONTRACT_LABELS = {"transfer": "土地经营权流转（农户承包地）", "lease": "集体土地、资产出租"}


class Mu(fields.String):
    """An area in mu as text with up to 4 decimals ("1.2") ↔ integer mu × 10,000. Full-width digits and point
    ("１．２") are folded as in every number field of the API (core/schemas.py)."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, str):
            raise ValidationError('面积应写成文字形式，例如 "1.2"')
        try:
            return parse_mu(unicodedata.normalize("NFKC", value))
        except AppError as exc:
            raise ValidationError(exc.message) from exc

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return None if value is None else mu_text(int(value))


class PartyInSchema(BaseSchema):
    kind = Text(required=True, validate=one_of(PARTY_KINDS, PARTY_LABELS))
    name = Text(required=True, validate=length(1, 80))
    credit_code = Text(load_default=None, allow_none=True, validate=length(18, 18),
                       metadata={"description": "统一社会信用代码（单位）"})
    id_card = Text(load_default=None, allow_none=True, validate=length(15, 18),
                   metadata={"description": "身份证号（个人；只保存其哈希和后4位）"})
    representative = Text(load_default=None, allow_none=True, validate=length(max=40))
    phone = ContactPhone(load_default=None, allow_none=True,
                         metadata={"label": "联系电话", "description": "手机号，或带区号的固定电话"})
    address = Text(load_default=None, allow_none=True, validate=length(max=120))


class PartySchema(BaseSchema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    id_last4 = fields.String(allow_none=True)
    representative = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)


class ParcelInSchema(BaseSchema):
    code = Text(required=True, validate=length(1, 40), metadata={"description": "地块代码"})
    name = Text(required=True, validate=length(1, 60))
    kind = Text(load_default="contracted", validate=one_of(PARCEL_KINDS, PARCEL_LABELS))
    household_id = fields.Integer(load_default=None, allow_none=True, metadata={"description": "承包户"})
    area_mu = Mu(required=True, metadata={"description": "登记面积（亩，最多4位小数）"})
    measured_mu = Mu(load_default=None, allow_none=True, metadata={"description": "实测面积（亩）"})
    location = Text(load_default=None, allow_none=True, validate=length(max=120),
                    metadata={"description": "坐落、四至"})
    land_type = Text(load_default="耕地", validate=one_of(LAND_TYPES))
    grade = Text(load_default=None, allow_none=True, validate=length(max=20))
    basic_farmland = fields.Boolean(load_default=False, metadata={"description": "永久基本农田"})
    certificate_no = Text(load_default=None, allow_none=True, validate=length(max=40),
                          metadata={"description": "承包经营权证号"})
    contract_until = fields.Date(load_default=None, allow_none=True, metadata={"description": "承包期限至"})


class ParcelUpdateSchema(BaseSchema):
    name = Text(validate=length(1, 60))
    household_id = fields.Integer(allow_none=True, metadata={"description": "承包户"})
    area_mu = Mu(metadata={"description": "登记面积（亩）"})
    measured_mu = Mu(allow_none=True)
    location = Text(allow_none=True, validate=length(max=120))
    land_type = Text(validate=one_of(LAND_TYPES))
    grade = Text(allow_none=True, validate=length(max=20))
    basic_farmland = fields.Boolean()
    certificate_no = Text(allow_none=True, validate=length(max=40))
    contract_until = fields.Date(allow_none=True)
    active = fields.Boolean(metadata={"description": "停用的地块不能再签合同"})


class ParcelSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    household_id = fields.Integer(allow_none=True)
    household_number = fields.String(allow_none=True, dump_default=None)
    head_name = fields.String(allow_none=True, dump_default=None, metadata={"description": "承包户户主"})
    area_mu = Mu(attribute="area_mu4")
    measured_mu = Mu(attribute="measured_mu4", allow_none=True)
    location = fields.String(allow_none=True)
    land_type = fields.String()
    grade = fields.String(allow_none=True)
    basic_farmland = fields.Boolean()
    certificate_no = fields.String(allow_none=True)
    contract_until = fields.Date(allow_none=True)
    active = fields.Boolean()


class ParcelListArgs(PageArgs):
    q = Text(load_default=None, validate=length(max=40), metadata={"description": "按代码、名称、坐落查找"})
    household_id = fields.Integer(load_default=None)
    kind = Text(load_default=None, validate=one_of(PARCEL_KINDS, PARCEL_LABELS))


class ContractLineInSchema(BaseSchema):
    parcel_id = fields.Integer(required=True)
    area_mu = Mu(load_default=None, allow_none=True, metadata={"description": "计租面积（默认按合同约定的面积口径）"})
    entrustment_no = Text(load_default=None, allow_none=True, validate=length(1, 40),
                          metadata={"description": "流转委托书编号（集体受托流转时必填）"})
    entrustment_on = fields.Date(load_default=None, allow_none=True)
    entrustment_scope = Text(load_default=None, allow_none=True, validate=length(max=200),
                             metadata={"description": "委托事项、权限和期限"})


class RentPeriodInSchema(BaseSchema):
    from_year = fields.Integer(required=True, validate=range_(1, 100), metadata={"description": "自合同第几年"})
    to_year = fields.Integer(required=True, validate=range_(1, 100))
    per_mu = fields.Integer(load_default=None, allow_none=True, validate=range_(0, 100_000),
                            metadata={"description": "实物计租：每亩每年多少斤"})
    per_mu_yuan = Yuan(load_default=None, allow_none=True, metadata={"description": "现金计租：每亩每年多少元"})
    collective_per_mu = Yuan(load_default=0, metadata={"description": "另付集体：每亩每年多少元"})
    fee_per_mu = Yuan(load_default=0, metadata={"description": "集体服务费：从农户租金中每亩每年扣多少元"})
    flat = Yuan(load_default=0, metadata={"description": "集体资产出租：每年固定租金"})
    agreed_on = fields.Date(load_default=None, allow_none=True)


class ContractInSchema(BaseSchema):
    number = Text(required=True, validate=length(1, 40))
    kind = Text(required=True, validate=one_of(CONTRACT_KINDS, CONTRACT_LABELS))
    party_id = fields.Integer(required=True)
    title = Text(required=True, validate=length(1, 120))
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True, metadata={"description": "到期日（不含）"})
    use = Text(required=True, validate=length(1, 20), metadata={"description": "用途：" + "、".join(AGRICULTURAL_USES)})
    signed_on = fields.Date(required=True)
    parcels = fields.List(fields.Nested(ContractLineInSchema), required=True, validate=length(1, 2000))
    periods = fields.List(fields.Nested(RentPeriodInSchema), required=True, validate=length(1, 50))
    rent_kind = Text(load_default="cash", validate=one_of(("cash", "in_kind"), {"cash": "现金", "in_kind": "实物折款"}))
    grain = Text(load_default=None, allow_none=True, validate=one_of(GRAINS))
    price_basis = Text(load_default=None, allow_none=True,
                       validate=one_of(("market", "minimum"), BASIS_LABELS))
    increase_percent = fields.Decimal(load_default=0, as_string=True, places=2, validate=range_(0, 50),
                                      metadata={"description": "每 N 年递增百分比"})
    increase_every = fields.Integer(load_default=1, validate=range_(1, 30))
    due_month = fields.Integer(load_default=3, validate=range_(1, 12), metadata={"description": "每年几月"})
    due_day = fields.Integer(load_default=1, validate=range_(1, 28), metadata={"description": "几日前付当年租金"})
    area_basis = Text(load_default="registered",
                      validate=one_of(("registered", "measured"), {"registered": "登记面积", "measured": "实测面积"}))
    entrusted = fields.Boolean(load_default=False, metadata={"description": "农户书面委托村集体流转"})
    fee_note = Text(load_default=None, allow_none=True, validate=length(max=200),
                    metadata={"description": "集体收取服务费或分成的合同依据"})
    late_fee_per_10k = fields.Integer(load_default=0, validate=range_(0, 100),
                                      metadata={"description": "逾期违约金：每日按年租金的万分之几"})
    deposit = Yuan(load_default=0, metadata={"description": "风险保障金"})
    deposit_received_on = fields.Date(load_default=None, allow_none=True)
    deposit_held_by = Text(load_default=None, allow_none=True, validate=length(max=60))
    subsidy_to = Text(load_default=None, allow_none=True, validate=length(max=40),
                      metadata={"description": "耕地地力保护补贴归谁"})
    filed_on = fields.Date(load_default=None, allow_none=True, metadata={"description": "向发包方备案日期"})
    decision_id = fields.Integer(load_default=None, allow_none=True)
    note = Text(load_default=None, allow_none=True, validate=length(max=4000))


class ContractLineSchema(BaseSchema):
    parcel_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    household_id = fields.Integer(allow_none=True)
    area_mu = fields.String()
    entrustment_no = fields.String(allow_none=True)
    entrustment_on = fields.Date(allow_none=True)


class RentPeriodSchema(BaseSchema):
    from_year = fields.Integer()
    to_year = fields.Integer()
    per_mu = fields.String(metadata={"description": "现金：元/亩/年；实物：斤/亩/年"})
    collective_per_mu = fields.String()
    fee_per_mu = fields.String()
    flat = fields.String()
    agreed_on = fields.Date()


class DueSchema(BaseSchema):
    id = fields.Integer()
    year_no = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    due_date = fields.Date()
    households = fields.String(allow_none=True, metadata={"description": "农户所得（已扣服务费）"})
    fee = fields.String(allow_none=True)
    collective = fields.String(allow_none=True)
    total = fields.String(allow_none=True)
    paid = fields.String()
    outstanding = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class LandContractSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    party = fields.Nested(PartySchema)
    start_date = fields.Date()
    end_date = fields.Date()
    use = fields.String()
    signed_on = fields.Date()
    status = fields.String()
    entrusted = fields.Boolean()
    rent = fields.String()
    rent_kind = fields.String()
    grain = fields.String(allow_none=True)
    price_basis = fields.String(allow_none=True)
    increase_percent = fields.String()
    increase_every = fields.Integer()
    due_month = fields.Integer()
    due_day = fields.Integer()
    area_basis = fields.String()
    area_mu = fields.String()
    fee_note = fields.String(allow_none=True)
    late_fee_per_10k = fields.Integer()
    deposit = fields.String()
    deposit_received_on = fields.Date(allow_none=True)
    deposit_held_by = fields.String(allow_none=True)
    subsidy_to = fields.String(allow_none=True)
    filed_on = fields.Date(allow_none=True)
    decision_id = fields.Integer(allow_none=True)
    parcels = fields.List(fields.Nested(ContractLineSchema))
    periods = fields.List(fields.Nested(RentPeriodSchema))
    dues = fields.List(fields.Nested(DueSchema))


class ContractListArgs(PageArgs):
    kind = Text(load_default=None, validate=one_of(CONTRACT_KINDS, CONTRACT_LABELS))


class ContractItemSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    title = fields.String()
    party = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    status = fields.String()
    area_mu = fields.String()
    rent = fields.String()


class RentPaymentInSchema(BaseSchema):
    due_id = fields.Integer(required=True, metadata={"description": "哪一年的租金"})
    amount = Yuan(required=True)
    paid_on = fields.Date(required=True)
    method = Text(load_default="bank", validate=one_of(("bank", "cash"), {"bank": "银行", "cash": "现金"}))
    reference = Text(load_default=None, allow_none=True, validate=length(max=60))


class AllocationSchema(BaseSchema):
    household_id = fields.Integer()
    household_number = fields.String()
    area_mu = fields.String()
    amount = fields.String()


class RentPaymentSchema(BaseSchema):
    id = fields.Integer()
    due_id = fields.Integer()
    year_no = fields.Integer()
    amount = fields.String()
    households = fields.String()
    collective = fields.String()
    fee = fields.String()
    paid_on = fields.Date()
    method = fields.String()
    reference = fields.String(allow_none=True)
    receipt_voucher_id = fields.Integer(allow_none=True)
    payout_voucher_id = fields.Integer(allow_none=True)
    allocations = fields.List(fields.Nested(AllocationSchema))
    replayed = fields.Boolean()


class ArrearsArgs(PageArgs):
    on = fields.Date(load_default=None)


class ArrearSchema(BaseSchema):
    contract_id = fields.Integer()
    contract_number = fields.String()
    party = fields.String()
    year_no = fields.Integer()
    due_date = fields.Date()
    total = fields.String()
    outstanding = fields.String()
    days_overdue = fields.Integer()
    late_fee = fields.String()


class ArrearsPartySchema(BaseSchema):
    party = fields.String()
    outstanding = fields.String()
    contracts = fields.Integer()


class ArrearsSchema(BaseSchema):
    on = fields.Date()
    total_outstanding = fields.String()
    awaiting_payout = fields.String(metadata={"description": "已收到、尚未转付到户的农户租金合计（应付款）"})
    by_party = fields.List(fields.Nested(ArrearsPartySchema))
    items = fields.List(fields.Nested(ArrearSchema))
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()


class GrainPriceInSchema(BaseSchema):
    year = fields.Integer(required=True, validate=range_(2000, 2200))
    grain = Text(required=True, validate=one_of(GRAINS))
    basis = Text(required=True, validate=one_of(("market", "minimum"), BASIS_LABELS))
    price = Yuan(required=True, metadata={"description": "元/斤"})
    source = Text(load_default=None, allow_none=True, validate=length(max=120))


class GrainPriceSchema(BaseSchema):
    id = fields.Integer()
    year = fields.Integer()
    grain = fields.String()
    basis = fields.String()
    price = Yuan(attribute="fen_per_jin")
    source = fields.String(allow_none=True)


class GrainPriceListSchema(BaseSchema):
    items = fields.List(fields.Nested(GrainPriceSchema))


# ---------------------------------------------------------------- the villager's own


class MyParcelSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    area_mu = fields.String()
    land_type = fields.String()
    location = fields.String(allow_none=True)


class MyContractParcelSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    area_mu = fields.String(metadata={"description": "计租面积（亩）"})


class ThisYearSchema(BaseSchema):
    due = fields.String(allow_none=True, metadata={"description": "我家今年应得租金（元）"})
    paid = fields.String(metadata={"description": "已到户（元）"})
    due_date = fields.Date()
    paid_on = fields.Date(allow_none=True)
    awaiting = fields.String(metadata={"description": "村已收到、尚未转付到户（元）"})
    status = fields.String(metadata={"description": "due | partly_paid | paid | overdue | unpriced（到户才算付）"})
    note = fields.String(allow_none=True, metadata={
        "description": "我家这笔钱是怎么算的：我家在本合同中的面积 × 每亩价（扣服务费、不足一年按天数、分摊尾差），"
                       "算式的结果就是 due"})
    note_kind = fields.String(metadata={
        "description": "area_price 按我家面积 × 每亩价算 | shared 全合同租金按面积分配（只用文字说明）"
                       "| unpriced 租金未定"})
    contract_note = fields.String(allow_none=True, metadata={"description": "全合同的算法（按全合同面积）"})
    my_area_mu = fields.String(metadata={"description": "我家在本合同中的计租面积（亩）"})
    contract_area_mu = fields.String(metadata={"description": "本合同的计租总面积（亩）"})
    price_per_mu = fields.String(allow_none=True, metadata={
        "description": "今年每亩每年租金（元，含递增；实物计租为折款），note 的算式用的就是它"})
    grain_price = fields.String(allow_none=True, metadata={"description": "实物计租：当年每斤粮价（元）"})
    year_fraction = fields.String(allow_none=True, metadata={
        "description": "合同年不足一年时按天数计的份数，如 184/365；整年为空"})
    gross = fields.String(allow_none=True, metadata={"description": "我家面积 × 每亩价（× 份数）（元）"})
    fee_per_mu = fields.String(allow_none=True, metadata={"description": "村集体每亩服务费（元），不扣则为空"})
    fee = fields.String(allow_none=True, metadata={"description": "从我家租金中扣的服务费（元），不扣则为空"})
    rounding = fields.String(allow_none=True, metadata={
        "description": "全合同租金按面积分到各户时的凑整（元，可为负）：gross − fee + rounding = due"})


class MyContractSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    operator = fields.String(metadata={"description": "流入方"})
    operator_kind = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()
    use = fields.String()
    status = fields.String()
    rent = fields.String()
    parcels = fields.List(fields.Nested(MyContractParcelSchema))
    this_year = fields.Nested(ThisYearSchema, allow_none=True)


class MyLandSchema(BaseSchema):
    parcels = fields.List(fields.Nested(MyParcelSchema))
    contracts = fields.List(fields.Nested(MyContractSchema))


class RentHistoryItemSchema(BaseSchema):
    contract_id = fields.Integer()
    contract_number = fields.String()
    operator = fields.String()
    year_no = fields.Integer()
    period_start = fields.Date()
    period_end = fields.Date()
    due_date = fields.Date()
    due = fields.String(allow_none=True)
    paid = fields.String()
    paid_on = fields.Date(allow_none=True)
    awaiting = fields.String(metadata={"description": "村已收到、尚未转付到户（元）"})
    status = fields.String()


# ---------------------------------------------------------------- payouts to households


class HouseholdPayoutSchema(BaseSchema):
    allocation_id = fields.Integer()
    household_id = fields.Integer()
    household_number = fields.String()
    head_name = fields.String(allow_none=True)
    amount = fields.String()
    status = fields.String(metadata={"description": "pending 待转付 | in_batch 已列入代发 | passed_on 已转付"})
    status_text = fields.String()
    method = fields.String(allow_none=True)
    receiver_name = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    batch_id = fields.Integer(allow_none=True)
    has_account = fields.Boolean(metadata={"description": "是否登记了银行账户（代发须有）"})


class PaymentPayoutsSchema(BaseSchema):
    payment = fields.Nested(RentPaymentSchema)
    contract_number = fields.String()
    party = fields.String()
    items = fields.List(fields.Nested(HouseholdPayoutSchema))


class CashPayoutInSchema(BaseSchema):
    allocation_id = fields.Integer(required=True, metadata={"description": "哪一户的这笔租金"})
    receiver_name = Text(required=True, validate=length(1, 40), metadata={"description": "领款人姓名"})
    paid_on = fields.Date(required=True)


class BatchInSchema(BaseSchema):
    allocation_ids = fields.List(fields.Integer(), required=True, metadata={"description": "代发哪些农户的租金"})


class BatchPaidInSchema(BaseSchema):
    bank_reference = Text(required=True, validate=length(1, 60), metadata={"description": "银行回单号"})
    paid_on = fields.Date(required=True)


class PayoutBatchSchema(BaseSchema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "pending 待银行回单 | paid 银行已代发"})
    total = fields.String()
    households = fields.Integer()
    bank_reference = fields.String(allow_none=True)
    paid_on = fields.Date(allow_none=True)
    voucher_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    missing_accounts = fields.List(fields.String(), metadata={"description": "缺少银行账户的户号"})
    replayed = fields.Boolean()


class AwaitingItemSchema(BaseSchema):
    household_id = fields.Integer()
    household_number = fields.String()
    head_name = fields.String(allow_none=True)
    amount = fields.String()
    parts = fields.Integer()
    received_since = fields.Date()


class AwaitingSchema(BaseSchema):
    total = fields.String()
    items = fields.List(fields.Nested(AwaitingItemSchema))


class YearArgs(BaseSchema):
    year = fields.Integer(load_default=None, validate=range_(2000, 2100))


class YearPaymentSchema(BaseSchema):
    id = fields.Integer()
    contract_id = fields.Integer()
    contract_number = fields.String()
    contract_title = fields.String()
    party = fields.String()
    year_no = fields.Integer()
    paid_on = fields.Date()
    method = fields.String()
    amount = fields.String()
    households = fields.String()
    passed_on = fields.String()
    awaiting = fields.String()


class YearPaymentListSchema(BaseSchema):
    year = fields.Integer()
    items = fields.List(fields.Nested(YearPaymentSchema))


class YearDueSchema(BaseSchema):
    due_id = fields.Integer()
    contract_id = fields.Integer()
    contract_number = fields.String()
    contract_title = fields.String()
    kind = fields.String()
    party = fields.String()
    year_no = fields.Integer()
    due_date = fields.Date()
    total = fields.String(allow_none=True)
    paid = fields.String()
    outstanding = fields.String(allow_none=True)
    status = fields.String(metadata={"description": "due | partly_paid | paid | overdue | unpriced"})
    note = fields.String(allow_none=True)


class YearDueListSchema(BaseSchema):
    year = fields.Integer()
    items = fields.List(fields.Nested(YearDueSchema))
