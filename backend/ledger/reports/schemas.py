"""Shapes of the report endpoints: query arguments with Chinese messages, money as yuan strings."""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields

from backend.core.errors import AppError
from backend.core.schemas import BaseSchema, Yuan, range_
from backend.ledger.reports.service import SPAN_HELP, Span, parse_span


class SpanField(fields.String):
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` → :class:`~backend.ledger.reports.service.Span`."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Span:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return parse_span(text)
        except AppError as exc:
            raise ValidationError(exc.message) from exc


class ReportArgs(BaseSchema):
    period = SpanField(
        metadata={"description": SPAN_HELP + "；缺省为今年", "example": "2026-Q1"},
    )


class SummaryArgs(BaseSchema):
    year = fields.Integer(
        validate=range_(min=1900, max=2999),
        metadata={"description": "年份，缺省为今年（北京时间）", "example": 2026},
    )


class _SpanOut(BaseSchema):
    period = fields.String(attribute="span.text", metadata={"description": "期间：2026-03、2026-Q1 或 2026"})
    label = fields.String(attribute="span.label", metadata={"description": "如 2026年第1季度"})
    start = fields.String(attribute="span.start", metadata={"description": "起始月份 YYYY-MM"})
    end = fields.String(attribute="span.end", metadata={"description": "结束月份 YYYY-MM"})


# ---------------------------------------------------------------- 科目余额表


class TrialBalanceRowSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    level = fields.Integer(metadata={"description": "1 为一级科目，2 及以上为明细科目（已汇总到上级）"})
    parent_code = fields.String(allow_none=True)
    klass = fields.String(metadata={"description": "asset/liability/equity/cost/income/expense"})
    leaf = fields.Boolean(metadata={"description": "没有下级科目（记账科目）"})
    direction = fields.String(metadata={"description": "余额方向：借 或 贷"})
    opening = Yuan(metadata={"description": "期初余额（按余额方向）"})
    debit = Yuan(metadata={"description": "本期借方发生额"})
    credit = Yuan(metadata={"description": "本期贷方发生额"})
    closing = Yuan(metadata={"description": "期末余额（按余额方向）"})


class TrialBalanceTotalsSchema(BaseSchema):
    opening_debit = Yuan()
    opening_credit = Yuan()
    debit = Yuan()
    credit = Yuan()
    closing_debit = Yuan()
    closing_credit = Yuan()


class TrialBalanceSchema(_SpanOut):
    rows = fields.List(fields.Nested(TrialBalanceRowSchema))
    totals = fields.Nested(TrialBalanceTotalsSchema, metadata={"description": "合计：借方与贷方两两相等"})


# ---------------------------------------------------------------- 资产负债表


class PairSchema(BaseSchema):
    year_start = Yuan(metadata={"description": "年初数"})
    end = Yuan(metadata={"description": "期末数"})


class BalanceLineSchema(PairSchema):
    code = fields.String()
    name = fields.String()
    contra = fields.Boolean(metadata={"description": "备抵科目（如累计折旧），合计时减去"})


class BalanceSectionSchema(BaseSchema):
    lines = fields.List(fields.Nested(BalanceLineSchema))
    total = fields.Nested(PairSchema)


class BalanceSheetSchema(_SpanOut):
    as_of = fields.Date(metadata={"description": "期末日期"})
    year_start_date = fields.Date(metadata={"description": "年初日期"})
    assets = fields.Nested(BalanceSectionSchema, metadata={"description": "资产（含生产(劳务)成本）"})
    liabilities = fields.Nested(BalanceSectionSchema, metadata={"description": "负债"})
    equity = fields.Nested(BalanceSectionSchema, metadata={"description": "所有者权益；本年收益含尚未结转的收入减支出"})
    liabilities_and_equity = fields.Nested(PairSchema, metadata={"description": "负债和所有者权益合计"})
    unclosed_profit = fields.Nested(PairSchema, metadata={"description": "尚未结转的收益（已含在本年收益中）"})
    balanced = fields.Boolean(metadata={"description": "资产 = 负债 + 所有者权益"})


# ---------------------------------------------------------------- 收益及收益分配表


class StatementLineSchema(BaseSchema):
    code = fields.String()
    name = fields.String()
    level = fields.Integer()
    amount = Yuan()


class StatementSectionSchema(BaseSchema):
    lines = fields.List(fields.Nested(StatementLineSchema))
    total = Yuan()


class DistributionSchema(BaseSchema):
    opening_undistributed = Yuan(metadata={"description": "期初（年初）未分配收益"})
    other_in = Yuan(metadata={"description": "其他转入"})
    distributable = Yuan(metadata={"description": "可分配收益"})
    lines = fields.List(fields.Nested(StatementLineSchema), metadata={"description": "各项分配"})
    total = Yuan(metadata={"description": "分配合计"})
    closing_undistributed = Yuan(metadata={"description": "期末（年末）未分配收益"})


class IncomeStatementSchema(_SpanOut):
    income = fields.Nested(StatementSectionSchema, metadata={"description": "收入"})
    expenses = fields.Nested(StatementSectionSchema, metadata={"description": "支出"})
    profit = Yuan(metadata={"description": "本期收益 = 收入 − 支出"})
    distribution = fields.Nested(DistributionSchema, metadata={"description": "收益分配"})


# ---------------------------------------------------------------- /accounts/summary (docs/api.md)


class CategoryAmountSchema(BaseSchema):
    category = fields.String()
    income = Yuan()
    expense = Yuan()


class AccountsSummarySchema(BaseSchema):
    year = fields.Integer()
    income_total = Yuan(metadata={"description": "总收入"})
    operating_income = Yuan(metadata={"description": "经营性收入（经营收入与投资收益）"})
    expense_total = Yuan(metadata={"description": "总支出"})
    net = Yuan(metadata={"description": "收支相抵"})
    by_category = fields.List(fields.Nested(CategoryAmountSchema))
