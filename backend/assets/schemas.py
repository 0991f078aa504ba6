"""Schemas of the 三资 register's endpoints: money as yuan strings, areas as mu text with up to 4 decimals."""

from __future__ import annotations

import unicodedata

from marshmallow import ValidationError, fields

from backend.assets.models import ACQUIRED, ACQUIRED_LABELS, KIND_LABELS, KINDS, LINE_LABELS, LINE_RESULTS
from backend.assets.service import HIDEABLE, mu_text
from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of, range_

STATUS_FILTER = ("in_use", "leased", "idle", "disposed")
STATUS_FILTER_LABELS = {"in_use": "在用", "leased": "出租", "idle": "闲置", "disposed": "已处置"}
EDIT_STATUSES = ("in_use", "idle")
EDIT_STATUS_LABELS = {"in_use": "在用", "idle": "闲置"}
DISPOSAL_KINDS = ("sale", "write_off", "transfer")
DISPOSAL_KIND_LABELS = {"sale": "出售", "write_off": "报废/核销", "transfer": "无偿调出"}


class Mu(fields.String):
    """An area in mu as text ("12.5") ↔ integer mu × 10,000."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(value, str):
            raise ValidationError('面积应写成文字形式，例如 "12.5"')
        s = unicodedata.normalize("NFKC", value).strip()
        whole, _, frac = s.partition(".")
        if not (whole.isascii() and whole.isdigit()) or (frac and not (frac.isascii() and frac.isdigit())) \
                or len(frac) > 4 or len(whole) > 7:
            raise ValidationError("面积应为以亩计的数字，最多4位小数，如 12.5")
        mu4 = int(whole) * 10_000 + int((frac or "0").ljust(4, "0"))
        if mu4 <= 0:
            raise ValidationError("面积应大于零")
        return mu4

    def _serialize(self, value, attr, obj, **kwargs):  # type: ignore[no-untyped-def]
        return None if value is None else mu_text(int(value))


class AssetListArgs(PageArgs):
    kind = Text(load_default=None, validate=one_of(KINDS, KIND_LABELS))
    status = Text(load_default=None, validate=one_of(STATUS_FILTER, STATUS_FILTER_LABELS))
    category = Text(load_default=None, validate=length(max=20))
    q = Text(load_default=None, validate=length(max=40), metadata={"description": "名称或编号中的文字"})


class _Fields(BaseSchema):
    name = Text(validate=length(1, 80))
    category = Text(validate=length(1, 20))
    location = Text(allow_none=True, validate=length(max=120))
    quantity = fields.Integer(allow_none=True, validate=range_(min=1, max=100_000_000))
    unit = Text(allow_none=True, validate=length(max=10))
    area = Mu(allow_none=True, metadata={"description": "面积（亩，最多4位小数）"})
    original_value = Yuan(allow_none=True, metadata={"description": "原值（元）"})
    book_value = Yuan(allow_none=True, metadata={"description": "账面价值（元）；资金的余额取自账簿，不填"})
    acquired_how = Text(allow_none=True, validate=one_of(ACQUIRED, ACQUIRED_LABELS))
    acquired_on = fields.Date(allow_none=True)
    status = Text(validate=one_of(EDIT_STATUSES, EDIT_STATUS_LABELS))
    status_since = fields.Date(allow_none=True)
    parcel_id = fields.Integer(allow_none=True, metadata={"description": "关联的地块（本村集体土地或资产）"})
    bank_name = Text(allow_none=True, validate=length(max=40))
    account_last4 = Text(allow_none=True, validate=length(4, 4))
    ledger_code = Text(allow_none=True, validate=length(3, 12))
    photos = fields.List(Text(validate=length(1, 200)), validate=length(max=20))
    hidden_fields = fields.List(Text(validate=one_of(HIDEABLE)), metadata={"description": "不向村民公开的字段"})
    note = Text(allow_none=True, validate=length(max=200))
    vouchers = fields.List(Text(validate=length(1, 20)), validate=length(max=50),
                           metadata={"description": "凭证号，如 2026-03-007（本村已记账的凭证）"})


class AssetInSchema(_Fields):
    kind = Text(required=True, validate=one_of(KINDS, KIND_LABELS))
    code = Text(required=True, validate=length(1, 40))
    name = Text(required=True, validate=length(1, 80))
    category = Text(required=True, validate=length(1, 20))


class AssetUpdateSchema(_Fields):
    pass


class AssetDisposeInSchema(BaseSchema):
    kind = Text(required=True, validate=one_of(DISPOSAL_KINDS, DISPOSAL_KIND_LABELS))
    on = fields.Date(required=True, metadata={"description": "处置日期"})
    decision_id = fields.Integer(load_default=None, allow_none=True,
                                 metadata={"description": "依据的决议（本村已通过的）"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200))


class AssetItemSchema(BaseSchema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    kind_name = fields.String()
    code = fields.String()
    name = fields.String(required=True)
    category = fields.String(required=True)
    book_value = fields.String(allow_none=True, required=True)
    status = fields.String(required=True)
    status_name = fields.String()
    status_since = fields.Date()
    location = fields.String(allow_none=True)
    quantity = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)
    area_mu = fields.String(allow_none=True)
    lessee = fields.String(allow_none=True)
    lease_until = fields.Date(allow_none=True)
    original_value = fields.String(allow_none=True)
    ledger_code = fields.String(allow_none=True)
    bank_name = fields.String(allow_none=True)
    account_last4 = fields.String(allow_none=True)


class _AssetBriefSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    resolved_on = fields.Date(allow_none=True)


class _AssetLeaseSchema(BaseSchema):
    contract_id = fields.Integer(metadata={"description": "合同 id（land：土地合同；collective：集体合同）"})
    source = fields.String(metadata={"description": "land（土地租赁合同）或 collective（集体合同登记中的资产出租）"})
    number = fields.String()
    title = fields.String()
    party = fields.String()
    start_date = fields.Date()
    end_date = fields.Date()


class _AssetVoucherSchema(BaseSchema):
    id = fields.Integer()
    number = fields.String()
    period = fields.String()
    date = fields.Date()
    summary = fields.String()
    amount = fields.String()


class _AssetEventSchema(BaseSchema):
    id = fields.Integer()
    action = fields.String()
    action_name = fields.String()
    at = IsoDateTime()
    actor = fields.String(allow_none=True)
    before = fields.Dict()
    after = fields.Dict()
    decision = fields.Nested(_AssetBriefSchema, allow_none=True)
    note = fields.String(allow_none=True)


class AssetSchema(AssetItemSchema):
    acquired_how = fields.String(allow_none=True)
    acquired_name = fields.String(allow_none=True)
    acquired_on = fields.Date(allow_none=True)
    photos = fields.List(fields.String())
    disposal_kind = fields.String(allow_none=True)
    disposal_name = fields.String(allow_none=True)
    disposed_on = fields.Date(allow_none=True)
    read_only = fields.Boolean()
    lease = fields.Nested(_AssetLeaseSchema, allow_none=True)
    hidden_fields = fields.List(fields.String())
    note = fields.String(allow_none=True)
    parcel_id = fields.Integer(allow_none=True)
    parcel_name = fields.String(allow_none=True)
    disposal_decision = fields.Nested(_AssetBriefSchema, allow_none=True)
    vouchers = fields.List(fields.Nested(_AssetVoucherSchema))
    events = fields.List(fields.Nested(_AssetEventSchema))


class _AssetKindTotalSchema(BaseSchema):
    kind = fields.String()
    name = fields.String()
    count = fields.Integer()
    book_value = fields.String()
    area_mu = fields.String(allow_none=True)


class AssetSummarySchema(BaseSchema):
    asset = fields.Nested(_AssetKindTotalSchema)
    resource = fields.Nested(_AssetKindTotalSchema)
    fund = fields.Nested(_AssetKindTotalSchema)
    disposed_count = fields.Integer()


class _AssetFundSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    category = fields.String()
    bank_name = fields.String(allow_none=True)
    account_last4 = fields.String(allow_none=True)
    ledger_code = fields.String()
    balance = fields.String()
    status = fields.String()


class AssetFundsSchema(BaseSchema):
    funds = fields.List(fields.Nested(_AssetFundSchema))
    cash_balance = fields.String(metadata={"description": "库存现金（101）账面余额"})
    bank_balance = fields.String(metadata={"description": "银行存款（102）账面余额"})
    cash_limit = fields.String(metadata={"description": "库存现金限额（设置 assets.cash_limit_fen）"})
    over_limit = fields.Boolean()
    over_by = fields.String()
    over_since = fields.Date(allow_none=True)
    on = fields.Date()


class AssetInventoryInSchema(BaseSchema):
    title = Text(required=True, validate=length(1, 80))
    base_date = fields.Date(required=True, metadata={"description": "基准日"})
    note = Text(load_default=None, allow_none=True, validate=length(max=200))


class AssetInventoryLineInSchema(BaseSchema):
    result = Text(required=True, validate=one_of(LINE_RESULTS, LINE_LABELS))
    asset_id = fields.Integer(load_default=None, allow_none=True)
    quantity = fields.Integer(load_default=None, allow_none=True, validate=range_(min=1, max=100_000_000))
    book_value = Yuan(load_default=None, allow_none=True)
    status = Text(load_default=None, allow_none=True, validate=one_of(EDIT_STATUSES, EDIT_STATUS_LABELS))
    found_kind = Text(load_default=None, allow_none=True, validate=one_of(("asset",), {"asset": "资产"}))
    found_code = Text(load_default=None, allow_none=True, validate=length(1, 40))
    found_name = Text(load_default=None, allow_none=True, validate=length(1, 80))
    found_category = Text(load_default=None, allow_none=True, validate=length(1, 20))
    note = Text(load_default=None, allow_none=True, validate=length(max=200))


class _AssetCountsSchema(BaseSchema):
    confirmed = fields.Integer()
    corrected = fields.Integer()
    missing = fields.Integer()
    found = fields.Integer()


class AssetInventoryItemSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    base_date = fields.Date()
    status = fields.String()
    status_name = fields.String()
    note = fields.String(allow_none=True)
    seal_hash = fields.String(allow_none=True)
    sealed_at = IsoDateTime(allow_none=True)
    sealed_by = fields.String(allow_none=True)
    created_by = fields.String(allow_none=True)
    counts = fields.Nested(_AssetCountsSchema)


class _AssetLineSchema(BaseSchema):
    id = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    result = fields.String()
    result_name = fields.String()
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    quantity = fields.Integer(allow_none=True)
    book_value = fields.String(allow_none=True)
    status = fields.String(allow_none=True)
    status_name = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class _AssetUncheckedSchema(BaseSchema):
    id = fields.Integer()
    area_mu = fields.String(allow_none=True)
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    category = fields.String()
    quantity = fields.Integer(allow_none=True)
    unit = fields.String(allow_none=True)
    book_value = fields.String(allow_none=True)
    status = fields.String()
    status_name = fields.String()


class AssetInventorySchema(AssetInventoryItemSchema):
    lines = fields.List(fields.Nested(_AssetLineSchema))
    unchecked = fields.List(fields.Nested(_AssetUncheckedSchema))


class AssetImportReportSchema(BaseSchema):
    rows = fields.Integer()
    created = fields.Integer()
    assets = fields.Integer()
    resources = fields.Integer()
    book_value = fields.String()
    dry_run = fields.Boolean()
    message = fields.String()
