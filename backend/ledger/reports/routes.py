"""Report endpoints: 科目余额表, 资产负债表, 收益及收益分配表 (the books' keepers and overseers), and the
yearly summary of the collective's accounts that every villager may read (/accounts/summary, docs/api.md)."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask import Response, send_file
from flask_smorest import Blueprint

from backend import registry
from backend.core.clock import today
from backend.core.permissions import requires
from backend.core.replica import replica_read
from backend.core.shared_pages import shared_page
from backend.ledger.reports import service as reports
from backend.ledger.reports import xlsx
from backend.ledger.reports.schemas import (
    AccountsSummarySchema,
    BalanceSheetSchema,
    IncomeStatementSchema,
    ReportArgs,
    SummaryArgs,
    TrialBalanceSchema,
)

blp = Blueprint(
    "ledger_reports", __name__, description="账务报表：科目余额表、资产负债表、收益及收益分配表，村民可看的年度收支"
)
SECURITY = [{"bearer": []}]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _span(args: dict[str, Any]) -> reports.Span:
    span: reports.Span | None = args.get("period")
    return span if span is not None else reports.year_span(today().year)


@blp.route("/villages/<int:village_id>/reports/trial-balance", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, TrialBalanceSchema)
@blp.doc(security=SECURITY)
@replica_read
def trial_balance(args: dict[str, Any], village_id: int) -> reports.TrialBalance:
    """科目余额表：各科目期初余额、本期借贷发生额、期末余额（只计已记账凭证）。"""
    registry.get_village(village_id)
    return reports.trial_balance(village_id, _span(args))


@blp.route("/villages/<int:village_id>/reports/balance-sheet", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, BalanceSheetSchema)
@blp.doc(security=SECURITY)
@replica_read
def balance_sheet(args: dict[str, Any], village_id: int) -> reports.BalanceSheet:
    """资产负债表：期末与年初的资产、负债和所有者权益。"""
    registry.get_village(village_id)
    return reports.balance_sheet(village_id, _span(args))


@blp.route("/villages/<int:village_id>/reports/income-statement", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, IncomeStatementSchema)
@blp.doc(security=SECURITY)
@replica_read
def income_statement(args: dict[str, Any], village_id: int) -> reports.IncomeStatement:
    """收益及收益分配表：本期收入、支出、收益，以及收益分配和未分配收益。"""
    registry.get_village(village_id)
    return reports.income_statement(village_id, _span(args))


def _xlsx(
    village_id: int, args: dict[str, Any], name: str, build: Callable[[Any, str], bytes], report: Any
) -> Response:
    village = registry.get_village(village_id)
    span = _span(args)
    data = build(report(village_id, span), village.name)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=f"{village.code}-{span.text}-{name}.xlsx")


@blp.route("/villages/<int:village_id>/reports/trial-balance.xlsx", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def trial_balance_xlsx(args: dict[str, Any], village_id: int) -> Response:
    """科目余额表 .xlsx：金额是数字单元格（元，两位小数），A4 横向打印，每页重复表头。"""
    return _xlsx(village_id, args, "trial-balance", xlsx.trial_balance_xlsx, reports.trial_balance)


@blp.route("/villages/<int:village_id>/reports/balance-sheet.xlsx", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def balance_sheet_xlsx(args: dict[str, Any], village_id: int) -> Response:
    """资产负债表 .xlsx：金额是数字单元格（元，两位小数），A4 横向打印。"""
    return _xlsx(village_id, args, "balance-sheet", xlsx.balance_sheet_xlsx, reports.balance_sheet)


@blp.route("/villages/<int:village_id>/reports/income-statement.xlsx", methods=["GET"])
@requires("ledger.read", village="village_id")
@blp.arguments(ReportArgs, location="query")
@blp.response(200, content_type=XLSX)
@blp.doc(security=SECURITY)
@replica_read
def income_statement_xlsx(args: dict[str, Any], village_id: int) -> Response:
    """收益及收益分配表 .xlsx：金额是数字单元格（元，两位小数），A4 纵向打印。"""
    return _xlsx(village_id, args, "income-statement", xlsx.income_statement_xlsx, reports.income_statement)


@blp.route("/villages/<int:village_id>/accounts/summary", methods=["GET"])
@requires("village.view", village="village_id")
@shared_page
@blp.arguments(SummaryArgs, location="query")
@blp.response(200, AccountsSummarySchema)
@blp.doc(security=SECURITY)
def accounts_summary(args: dict[str, Any], village_id: int) -> reports.AccountsSummary:
    """本村集体一年的收支：总收入、经营性收入、总支出和各类别收支。"""
    # no registry.get_village: @requires let the caller through, so the village exists (a grant names it)
    return reports.accounts_summary(village_id, args.get("year") or today().year)
