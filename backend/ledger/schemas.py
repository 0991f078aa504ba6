"""Shapes of the books endpoints: accounts, vouchers and their lines (money as yuan strings), months; input checked
with Chinese messages."""

from __future__ import annotations

import json
import re
from typing import Any

from marshmallow import ValidationError, fields, validates

from backend.core.pagination import PageArgs
from backend.core.schemas import BaseSchema, IsoDateTime, Text, Yuan, length, one_of

PERIOD_RE = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])\Z")  # \Z: "$" would let "2026-01\n" through


class AccountSchema(BaseSchema):
    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    parent_code = fields.Function(lambda a: a.parent.code if a.parent else None)
    klass = fields.String(metadata={"description": "asset/liability/equity/cost/income/expense"})
    debit_normal = fields.Boolean()
    category = fields.String(allow_none=True)
    active = fields.Boolean()


class SubAccountInSchema(BaseSchema):
    parent_code = Text(required=True, validate=length(3, 9))
    code = Text(required=True, validate=length(6, 12))
    name = Text(required=True, validate=length(1, 40))
    category = Text(validate=length(1, 20), allow_none=True, load_default=None)


class LineInSchema(BaseSchema):
    account_code = Text(required=True, validate=length(3, 12))
    debit = Yuan(load_default=0)
    credit = Yuan(load_default=0)
    summary = Text(validate=length(max=200), allow_none=True, load_default=None)


class VoucherInSchema(BaseSchema):
    voucher_date = fields.Date(required=True)
    summary = Text(required=True, validate=length(1, 200))
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=length(2, 200))
    decision_ref = Text(
        validate=length(1, 40),
        allow_none=True,
        load_default=None,
        metadata={"description": "依据的四议两公开决议编号（大额支出必填）"},
    )
    attachments = fields.List(
        Text(validate=length(1, 300)),
        load_default=list,
        validate=length(max=20),
        metadata={"description": "原始凭证（如收据照片）的引用"},
    )


class LineSchema(BaseSchema):
    line_no = fields.Integer()
    account_code = fields.String(attribute="account.code")
    account_name = fields.String(attribute="account.name")
    summary = fields.String(allow_none=True)
    debit = Yuan(attribute="debit_fen")
    credit = Yuan(attribute="credit_fen")


class VoucherSchema(BaseSchema):
    id = fields.Integer()
    village_id = fields.Integer()
    period = fields.String()
    number = fields.Integer(allow_none=True)
    voucher_date = fields.Date()
    summary = fields.String()
    status = fields.String()
    total = Yuan(attribute="total_fen")
    decision_ref = fields.String(allow_none=True)
    reverses_id = fields.Integer(allow_none=True)
    reversed_by_id = fields.Function(
        lambda v: getattr(v, "reversed_by_id", None), metadata={"description": "冲销它的凭证（未冲销则为空）"}
    )
    attachments = fields.Function(lambda v: json.loads(v.attachments))
    source = fields.String()
    posted_at = IsoDateTime(allow_none=True)
    lines = fields.List(fields.Nested(LineSchema))


class VoucherListArgs(PageArgs):
    period = Text(validate=length(7, 7))
    status = Text(validate=one_of(["draft", "posted"], {"draft": "草稿", "posted": "已记账"}))

    @validates("period")
    def _period(self, value: str, **kwargs: Any) -> None:
        if not PERIOD_RE.match(value):
            raise ValidationError("月份格式应为 YYYY-MM")


class ReverseSchema(BaseSchema):
    date = fields.Date(required=True)
    reason = Text(required=True, validate=length(1, 100))


class PeriodSchema(BaseSchema):
    period = fields.String()
    closed = fields.Boolean()


class BooksMonthSchema(BaseSchema):
    period = fields.String(metadata={"description": "YYYY-MM"})
    closed = fields.Boolean()
    closed_at = IsoDateTime(allow_none=True)
    closed_by = fields.String(allow_none=True)
    posted = fields.Integer(metadata={"description": "已记账凭证张数"})
    drafts = fields.Integer(metadata={"description": "未记账的草稿张数（结账前须记账或删除）"})
    is_open_month = fields.Boolean(metadata={"description": "是否为下一个应结账的月份"})


class DecisionBudgetSchema(BaseSchema):
    id = fields.Integer()
    title = fields.String()
    category = fields.String(allow_none=True)
    resolved_on = fields.Date(allow_none=True)
    amount = Yuan(attribute="amount_fen", allow_none=True, metadata={"description": "决议批准的金额；无金额则为空"})
    spent = Yuan(attribute="spent_fen", metadata={"description": "已记账凭证据此支出的合计（已冲销的不计）"})
    remaining = Yuan(attribute="remaining_fen", allow_none=True, metadata={"description": "尚可支出；无金额则为空"})
