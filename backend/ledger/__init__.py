"""The books of a village's collective economic organisation: the chart of accounts (2023 system), vouchers
(draft → posted, reversals), month closing, the voucher import, and the reports over the posted books.

Other domains post vouchers and read the books through the functions below: dividends, rent received and
public-benefit pay post vouchers; a disclosure reads a period's income and expense lines and, for the supervisors,
the vouchers they cite; the township reads the villages' yearly and monthly income.
"""

from backend.ledger.balances import account_balances, daily_movements
from backend.ledger.chart import EXPENSE_CATEGORIES, INCOME_CATEGORIES
from backend.ledger.findings import findings
from backend.ledger.months import books_status
from backend.ledger.movements import monthly_credits
from backend.ledger.reports.income_expense import VoucherBrief, income_and_expense, vouchers_by_number
from backend.ledger.reports.service import income_statement, month_income, year_income, year_span
from backend.ledger.service import (
    LineInput,
    VoucherInput,
    accounts,
    close_period,
    closed_periods,
    create_voucher,
    ensure_chart,
    get_voucher,
    post_voucher,
    reverse_voucher,
)

__all__ = [
    "EXPENSE_CATEGORIES",
    "INCOME_CATEGORIES",
    "LineInput",
    "VoucherBrief",
    "VoucherInput",
    "account_balances",
    "accounts",
    "books_status",
    "close_period",
    "closed_periods",
    "create_voucher",
    "daily_movements",
    "ensure_chart",
    "findings",
    "get_voucher",
    "income_and_expense",
    "income_statement",
    "month_income",
    "monthly_credits",
    "post_voucher",
    "reverse_voucher",
    "vouchers_by_number",
    "year_income",
    "year_span",
]
