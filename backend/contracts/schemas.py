"""Schemas of the contracts register's endpoints."""

from __future__ import annotations

from marshmallow import fields

from backend.contracts.models import DIRECTION_LABELS, DIRECTIONS, KIND_LABELS, KINDS, STATUS_LABELS, STATUSES
from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, ContactPhone, Text, Yuan, length, one_of

SOURCE_LABELS = {"land": "土地合同", "collective": "其他集体合同"}
METHOD_LABELS = {"bank": "银行", "cash": "现金"}


class ContractRegisterArgs(PageArgs):
    source = Text(load_default=None, validate=one_of(tuple(SOURCE_LABELS), SOURCE_LABELS),
                  metadata={"label": "来源"})
    kind = Text(load_default=None, validate=length(max=20), metadata={"label": "类别"})
    status = Text(load_default=None, validate=one_of(STATUSES, STATUS_LABELS), metadata={"label": "状态"})
    expiring = fields.Boolean(load_default=False, metadata={"label": "即将到期"})
    q = Text(load_default=None, validate=length(max=60), metadata={"label": "关键词"})


class ContractDecisionSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    resolved = fields.Boolean()


class ContractDepositSchema(BaseSchema):
    amount = fields.String()
    received_on = fields.Date(allow_none=True)
    returned_on = fields.Date(allow_none=True)


class ContractRegisterRowSchema(BaseSchema):
    key = fields.String()
    source = fields.String()
    id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    direction = fields.String()
    direction_label = fields.String()
    counterparty = fields.String()
    counterparty_phone = fields.String(allow_none=True)
    counterparty_code = fields.String(allow_none=True)
    title = fields.String()
    amount = fields.String()
    signed_on = fields.Date()
    start_date = fields.Date()
    end_date = fields.Date()
    days_left = fields.Integer(allow_none=True)
    decision = fields.Nested(ContractDecisionSchema, allow_none=True)
    deposit = fields.Nested(ContractDepositSchema, allow_none=True)
    overdue_amount = fields.String(allow_none=True)
    status = fields.String()
    status_label = fields.String()


class ContractInstallmentInSchema(BaseSchema):
    due_date = fields.Date(required=True, metadata={"label": "应付日期"})
    amount = Yuan(required=True)
    note = Text(load_default=None, allow_none=True, validate=length(max=60))


class CollectiveContractInSchema(BaseSchema):
    number = Text(required=True, validate=length(1, 40), metadata={"label": "合同编号"})
    kind = Text(required=True, validate=one_of(KINDS, KIND_LABELS), metadata={"label": "合同类别"})
    direction = Text(required=True, validate=one_of(DIRECTIONS, DIRECTION_LABELS), metadata={"label": "收支方向"})
    counterparty_name = Text(required=True, validate=length(1, 80), metadata={"label": "合同对方"})
    counterparty_code = Text(load_default=None, allow_none=True, validate=length(max=18),
                             metadata={"label": "统一社会信用代码"})
    counterparty_phone = ContactPhone(load_default=None, allow_none=True, metadata={"label": "联系电话"})
    title = Text(required=True, validate=length(1, 120), metadata={"label": "合同名称"})
    asset_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": "标的资产"})
    total = Yuan(required=True, metadata={"label": "合同金额"})
    signed_on = fields.Date(required=True, metadata={"label": "签订日期"})
    start_date = fields.Date(required=True, metadata={"label": "开始日期"})
    end_date = fields.Date(required=True, metadata={"label": "到期日期"})
    deposit = Yuan(load_default=0, metadata={"label": "保证金"})
    decision_id = fields.Integer(load_default=None, allow_none=True, metadata={"label": "依据的决议"})
    note = Text(load_default=None, allow_none=True, validate=length(max=500))
    installments = fields.List(fields.Nested(ContractInstallmentInSchema), required=True, validate=length(1, 120),
                               metadata={"label": "收付款计划"})


class ContractInstallmentSchema(BaseSchema):
    id = fields.Integer()
    seq = fields.Integer()
    due_date = fields.Date()
    amount = fields.String()
    settled = fields.String()
    outstanding = fields.String()
    overdue = fields.Boolean()
    note = fields.String(allow_none=True)


class ContractSettlementSchema(BaseSchema):
    id = fields.Integer()
    seq = fields.Integer(allow_none=True)
    amount = fields.String()
    paid_on = fields.Date()
    method = fields.String()
    reference = fields.String(allow_none=True)
    account_code = fields.String()
    voucher_id = fields.Integer(allow_none=True)


class ContractAssetSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String(allow_none=True)
    name = fields.String()
    category = fields.String(allow_none=True)


class ContractAccountSchema(BaseSchema):
    code = fields.String()
    name = fields.String()


class CollectiveContractSchema(BaseSchema):
    id = fields.Integer()
    key = fields.String()
    village_id = fields.Integer()
    number = fields.String()
    kind = fields.String()
    kind_label = fields.String()
    direction = fields.String()
    direction_label = fields.String()
    counterparty_name = fields.String()
    counterparty_code = fields.String(allow_none=True)
    counterparty_phone = fields.String(allow_none=True)
    title = fields.String()
    asset_id = fields.Integer(allow_none=True)
    asset = fields.Nested(ContractAssetSchema, allow_none=True)
    total = fields.String()
    settled = fields.String()
    signed_on = fields.Date()
    start_date = fields.Date()
    end_date = fields.Date()
    days_left = fields.Integer(allow_none=True)
    deposit = fields.Nested(ContractDepositSchema)
    decision = fields.Nested(ContractDecisionSchema, allow_none=True)
    needs_decision = fields.Boolean()
    status = fields.String()
    status_label = fields.String()
    terminated_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    overdue_amount = fields.String()
    default_account = fields.String()
    accounts = fields.List(fields.Nested(ContractAccountSchema))
    installments = fields.List(fields.Nested(ContractInstallmentSchema))
    settlements = fields.List(fields.Nested(ContractSettlementSchema))


class ContractSettleInSchema(BaseSchema):
    installment_id = fields.Integer(required=True, metadata={"label": "哪一期"})
    amount = Yuan(required=True)
    paid_on = fields.Date(required=True, metadata={"label": "收付款日期"})
    method = Text(load_default="bank", validate=one_of(("bank", "cash"), METHOD_LABELS), metadata={"label": "方式"})
    reference = Text(load_default=None, allow_none=True, validate=length(max=60), metadata={"label": "凭据号"})
    account_code = Text(load_default=None, allow_none=True, validate=length(max=20), metadata={"label": "科目"})


class ContractTerminateInSchema(BaseSchema):
    on = fields.Date(required=True, metadata={"label": "终止日期"})
    reason = Text(required=True, validate=length(1, 200), metadata={"label": "终止原因"})


class ContractDepositInSchema(BaseSchema):
    action = Text(required=True, validate=one_of(("received", "returned"), {"received": "收取", "returned": "退还"}),
                  metadata={"label": "操作"})
    on = fields.Date(required=True, metadata={"label": "日期"})
    method = Text(load_default="bank", validate=one_of(("bank", "cash"), METHOD_LABELS), metadata={"label": "方式"})


class ContractDecisionChoiceSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    resolved_on = fields.Date(allow_none=True)
    amount = fields.String(allow_none=True)


class ContractDecisionChoicesSchema(BaseSchema):
    items = fields.List(fields.Nested(ContractDecisionChoiceSchema))


class ContractImportItemSchema(BaseSchema):
    number = fields.String()
    contract_id = fields.Integer(allow_none=True, metadata={"description": "登记的合同（试导入为空）"})
    title = fields.String()
    counterparty = fields.String()
    total = fields.String()
    installments = fields.Integer()


class ContractImportReportSchema(BaseSchema):
    rows = fields.Integer(metadata={"description": "文件中的行数（每行一期款项）"})
    contracts = fields.Integer()
    dry_run = fields.Boolean()
    items = fields.List(fields.Nested(ContractImportItemSchema))
    message = fields.String()
