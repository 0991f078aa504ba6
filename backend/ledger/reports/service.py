"""Reports over the books: 科目余额表 (trial balance), 资产负债表 (balance sheet), 收益及收益分配表
(income and income-distribution statement), the villagers' yearly summary, and yearly income for many villages.

Only POSTED vouchers count. Amounts are integer fen. Every report runs a fixed, small number of GROUP BY
queries whatever the size of the books (never one query per account), and rolls sub-accounts up to their
first-level account in Python.

Definitions (the one place they are stated):

- **Balance on the normal side.** A debit-normal account's balance is debits − credits; a credit-normal one's is
  credits − debits. The contra assets 133, 152 and 162 are credit-normal and are subtracted from assets.
- **Closing vouchers (结转凭证).** A posted voucher with a line on 321 本年收益 (or a sub-account of it), or one
  whose every line lies under 322 收益分配 (carrying 各项分配 into 未分配收益), moves balances between profit
  pools at year end; it neither earns nor spends. The income statement, the villagers' summary and
  :func:`year_income` leave such vouchers out, so income stays income after the books are closed. The trial
  balance and the balance sheet count every posted voucher.
- **本年收益 on the balance sheet.** Before the year-end closing, the year's profit still sits in the income and
  expense accounts. The 321 line therefore shows 321's own balance plus the balances of the income accounts
  (credit − debit) minus those of the expense accounts (debit − credit) — "unclosed profit". 401 生产(劳务)成本 is
  not an expense: it is work in progress and is shown with the assets (as 存货 is on the official form). With
  this, assets = liabilities + equity exactly, as a consequence of every voucher balancing.
- **收益分配.** 期初未分配收益 is the undistributed profit in every stage before the span: 322 + 321 + unclosed
  profit. Distributions are the net debits (debit − credit) in the span, outside closing vouchers, to the
  sub-accounts of 322 other than 未分配收益 (e.g. 提取公积公益金, 农户分配). 其他转入 is whatever else moved that
  pool (opening entries, direct entries to 321 or 322001); 期末未分配收益 = 期初 + 本期收益 + 其他转入 − 分配,
  which equals the same pool measured at the end of the span.
- **Operating income (经营性收入)**: as in :mod:`backend.ledger.chart`, the net credits (credit − debit, so a
  reversal cancels its original) to 501 经营收入, 502 投资收益 and their sub-accounts.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, bindparam, case, exists, func, or_, select, union
from sqlalchemy.orm import aliased

from backend.core.db import db
from backend.core.errors import AppError
from backend.ledger.chart import EXPENSE_CATEGORIES, INCOME_CATEGORIES, OPERATING_INCOME_CODES
from backend.ledger.models import Account, Voucher, VoucherLine
from backend.ledger.service import category_of

PROFIT_CODE = "321"  # 本年收益
DISTRIBUTION_CODE = "322"  # 收益分配
UNDISTRIBUTED_NAME = "未分配收益"  # the 322 sub-account that holds what is left to distribute
CONTRA_ASSETS = ("133", "152", "162")

# ---------------------------------------------------------------- spans


_SPAN = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|[Qq]([1-4])))?\Z")
SPAN_HELP = "期间格式应为 YYYY-MM（月）、YYYY-Qn（季度）或 YYYY（年），例如 2026-03、2026-Q1、2026"


@dataclass(frozen=True)
class Span:
    """A reporting span of whole months inside one calendar year."""

    text: str  # normalised: "2026-03", "2026-Q3", "2026"
    kind: str  # month | quarter | year
    start: str  # first period, YYYY-MM
    end: str  # last period, YYYY-MM
    label: str  # "2026年3月", "2026年第3季度", "2026年度"

    @property
    def year(self) -> int:
        return int(self.start[:4])

    @property
    def first_day(self) -> date:
        return date(self.year, int(self.start[5:]), 1)

    @property
    def last_day(self) -> date:
        month = int(self.end[5:])
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def year_start(self) -> str:
        return f"{self.year:04d}-01"


def parse_span(text: str) -> Span:
    """``YYYY-MM``, ``YYYY-Qn`` or ``YYYY`` → :class:`Span`; anything else → 422 ``validation.failed``."""
    m = _SPAN.match(text.strip()) if isinstance(text, str) else None
    if not m or not 1900 <= int(m.group(1)) <= 2999:
        raise AppError(422, "validation.failed", SPAN_HELP, {"period": text if isinstance(text, str) else None})
    year, month, quarter = int(m.group(1)), m.group(2), m.group(3)
    if month:
        p = f"{year:04d}-{month}"
        return Span(p, "month", p, p, f"{year}年{int(month)}月")
    if quarter:
        q = int(quarter)
        return Span(
            f"{year:04d}-Q{q}",
            "quarter",
            f"{year:04d}-{3 * q - 2:02d}",
            f"{year:04d}-{3 * q:02d}",
            f"{year}年第{q}季度",
        )
    return Span(f"{year:04d}", "year", f"{year:04d}-01", f"{year:04d}-12", f"{year}年度")


def year_span(year: int) -> Span:
    return parse_span(f"{year:04d}")


# ---------------------------------------------------------------- the chart of one village, as a tree


class _Chart:
    """A village's accounts in code order, with their tree (sub-accounts under first-level accounts)."""

    def __init__(self, accounts: Iterable[Account]):
        self.accounts = sorted(accounts, key=lambda a: a.code)
        self.by_id = {a.id: a for a in self.accounts}
        self.children: dict[int, list[Account]] = defaultdict(list)
        for a in self.accounts:
            if a.parent_id is not None:
                self.children[a.parent_id].append(a)
        self.level: dict[int, int] = {a.id: self._level(a) for a in self.accounts}

    def _level(self, a: Account) -> int:
        n, cur = 1, a
        while cur.parent_id is not None and cur.parent_id in self.by_id:
            n, cur = n + 1, self.by_id[cur.parent_id]
        return n

    def top(self, a: Account) -> Account:
        cur = a
        while cur.parent_id is not None and cur.parent_id in self.by_id:
            cur = self.by_id[cur.parent_id]
        return cur

    def first_level(self) -> list[Account]:
        return [a for a in self.accounts if self.level[a.id] == 1]

    def by_code(self, code: str) -> Account | None:
        return next((a for a in self.accounts if a.code == code), None)

    def subtree(self, a: Account) -> list[Account]:
        out, todo = [], [a]
        while todo:
            cur = todo.pop()
            out.append(cur)
            todo.extend(self.children.get(cur.id, ()))
        return out

    def subtree_ids(self, code: str) -> list[int]:
        a = self.by_code(code)
        return [x.id for x in self.subtree(a)] if a else []

    def is_leaf(self, a: Account) -> bool:
        return not self.children.get(a.id)

    def rollup(self, own: dict[int, int]) -> dict[int, int]:
        """Each account's own amount plus those of all its descendants."""
        total = {a.id: own.get(a.id, 0) for a in self.accounts}
        for a in sorted(self.accounts, key=lambda x: -self.level[x.id]):
            if a.parent_id is not None and a.parent_id in total:
                total[a.parent_id] += total[a.id]
        return total

    def normal(self, a: Account, raw: int) -> int:
        """A raw debit − credit amount on the account's normal side."""
        return raw if a.debit_normal else -raw


def _chart(village_id: int) -> _Chart:
    return _Chart(db.session.execute(select(Account).where(Account.village_id == village_id)).scalars())


# ---------------------------------------------------------------- the GROUP BY queries


@dataclass
class _Sums:
    before: int = 0  # debit − credit before the span
    debit: int = 0  # debits within the span
    credit: int = 0  # credits within the span


def _posted(village_id: int, end: str) -> tuple[ColumnElement[bool], ...]:
    return (Voucher.village_id == village_id, Voucher.status == "posted", Voucher.period <= end)


def _movements_stmt(village_id: int, start: str, end: str) -> Select[Any]:
    in_span = Voucher.period >= start
    return (
        select(
            VoucherLine.account_id,
            func.sum(case((in_span, 0), else_=VoucherLine.debit_fen - VoucherLine.credit_fen)),
            func.sum(case((in_span, VoucherLine.debit_fen), else_=0)),
            func.sum(case((in_span, VoucherLine.credit_fen), else_=0)),
        )
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .where(*_posted(village_id, end))
        .group_by(VoucherLine.account_id)
    )


def _movements(village_id: int, start: str, end: str) -> dict[int, _Sums]:
    """Per account: the net movement before ``start`` and the debits and credits from ``start`` to ``end``."""
    rows = db.session.execute(_movements_stmt(village_id, start, end))
    return {aid: _Sums(int(b or 0), int(d or 0), int(c or 0)) for aid, b, d, c in rows}


def _closing_vouchers(
    ids_321: Collection[int], ids_322: Collection[int]
) -> Select[tuple[int]] | CompoundSelect[tuple[int]]:
    """Ids of closing vouchers (see the module's definitions): a line on 321, or every line under 322."""
    q321 = select(VoucherLine.voucher_id).where(VoucherLine.account_id.in_(list(ids_321)))
    if not ids_322:
        return q321
    other = aliased(VoucherLine)
    q322 = select(VoucherLine.voucher_id).where(
        VoucherLine.account_id.in_(list(ids_322)),
        ~exists().where(other.voucher_id == VoucherLine.voucher_id, other.account_id.not_in(list(ids_322))),
    )
    return union(q321, q322)


def _span_nets_template() -> Select[Any]:
    """The statement of ``_span_nets`` with its values as parameters: built once, so the villagers' yearly summary
    does not rebuild (and re-key) the same SQL on every request. An empty ``ids_322`` selects no 322 voucher."""
    ids_321, ids_322 = bindparam("ids_321", expanding=True), bindparam("ids_322", expanding=True)
    other = aliased(VoucherLine)
    closing = union(
        select(VoucherLine.voucher_id).where(VoucherLine.account_id.in_(ids_321)),
        select(VoucherLine.voucher_id).where(
            VoucherLine.account_id.in_(ids_322),
            ~exists().where(other.voucher_id == VoucherLine.voucher_id, other.account_id.not_in(ids_322)),
        ),
    )
    return (
        select(VoucherLine.account_id, func.sum(VoucherLine.debit_fen - VoucherLine.credit_fen))
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .where(
            Voucher.village_id == bindparam("village_id"),
            Voucher.status == "posted",
            Voucher.period <= bindparam("end"),
            Voucher.period >= bindparam("start"),
            Voucher.id.not_in(closing),
        )
        .group_by(VoucherLine.account_id)
    )


_SPAN_NETS = _span_nets_template()


def _span_nets_params(village_id: int, span: Span, chart: _Chart) -> dict[str, Any]:
    return {"village_id": village_id, "start": span.start, "end": span.end,
            "ids_321": chart.subtree_ids(PROFIT_CODE), "ids_322": chart.subtree_ids(DISTRIBUTION_CODE)}


def _span_nets_stmt(village_id: int, span: Span, chart: _Chart) -> Select[Any]:
    """``_span_nets``' statement with its values bound (to print or EXPLAIN it)."""
    return _SPAN_NETS.params(_span_nets_params(village_id, span, chart))


def _span_nets(village_id: int, span: Span, chart: _Chart) -> dict[int, int]:
    """Per account: debit − credit within the span, closing vouchers left out."""
    rows = db.session.execute(_SPAN_NETS, _span_nets_params(village_id, span, chart))
    return {aid: int(net or 0) for aid, net in rows}


def _balanced(debits: int, credits: int, what: str) -> None:
    """Balanced vouchers make the two sides equal; anything else is corrupt books, not a user error."""
    if debits != credits:
        raise AssertionError(f"{what}: debits {debits} != credits {credits}")


# ---------------------------------------------------------------- 科目余额表


@dataclass(frozen=True)
class TrialBalanceRow:
    code: str
    name: str
    level: int  # 1 for a first-level account
    parent_code: str | None
    klass: str
    debit_normal: bool
    leaf: bool
    opening: int  # on the normal side
    debit: int
    credit: int
    closing: int  # on the normal side

    @property
    def direction(self) -> str:
        return "借" if self.debit_normal else "贷"


@dataclass(frozen=True)
class TrialBalanceTotals:
    """The check of the books: each pair is equal. Balances are summed on their account's normal side."""

    opening_debit: int
    opening_credit: int
    debit: int
    credit: int
    closing_debit: int
    closing_credit: int


@dataclass(frozen=True)
class TrialBalance:
    span: Span
    rows: list[TrialBalanceRow]
    totals: TrialBalanceTotals


def trial_balance(village_id: int, span: Span) -> TrialBalance:
    """科目余额表: every account with a balance or movement, sub-accounts rolled up into their parents."""
    chart = _chart(village_id)
    sums = _movements(village_id, span.start, span.end)
    before = chart.rollup({k: s.before for k, s in sums.items()})
    debit = chart.rollup({k: s.debit for k, s in sums.items()})
    credit = chart.rollup({k: s.credit for k, s in sums.items()})
    rows: list[TrialBalanceRow] = []
    for a in chart.accounts:
        if not (before[a.id] or debit[a.id] or credit[a.id]):
            continue
        parent = chart.by_id.get(a.parent_id) if a.parent_id else None
        rows.append(
            TrialBalanceRow(
                code=a.code,
                name=a.name,
                level=chart.level[a.id],
                parent_code=parent.code if parent else None,
                klass=a.klass,
                debit_normal=a.debit_normal,
                leaf=chart.is_leaf(a),
                opening=chart.normal(a, before[a.id]),
                debit=debit[a.id],
                credit=credit[a.id],
                closing=chart.normal(a, before[a.id] + debit[a.id] - credit[a.id]),
            )
        )
    side: dict[str, int] = defaultdict(int)
    for r in rows:
        if r.level == 1:
            d = "debit" if r.debit_normal else "credit"
            side["opening_" + d] += r.opening
            side["closing_" + d] += r.closing
    totals = TrialBalanceTotals(
        opening_debit=side["opening_debit"],
        opening_credit=side["opening_credit"],
        debit=sum(s.debit for s in sums.values()),
        credit=sum(s.credit for s in sums.values()),
        closing_debit=side["closing_debit"],
        closing_credit=side["closing_credit"],
    )
    _balanced(totals.debit, totals.credit, "trial balance movement")
    _balanced(totals.opening_debit, totals.opening_credit, "trial balance opening")
    _balanced(totals.closing_debit, totals.closing_credit, "trial balance closing")
    return TrialBalance(span, rows, totals)


# ---------------------------------------------------------------- 资产负债表


@dataclass(frozen=True)
class Pair:
    year_start: int  # 年初数: at the start of the span's year
    end: int  # 期末数: at the end of the span


@dataclass(frozen=True)
class BalanceLine:
    code: str
    name: str
    contra: bool  # shown on its own side, subtracted in the total (减：累计折旧 …)
    year_start: int
    end: int


@dataclass(frozen=True)
class BalanceSection:
    lines: list[BalanceLine]
    total: Pair


@dataclass(frozen=True)
class BalanceSheet:
    span: Span
    assets: BalanceSection
    liabilities: BalanceSection
    equity: BalanceSection
    liabilities_and_equity: Pair
    unclosed_profit: Pair  # income − expense balances, included in the 321 line
    balanced: bool

    @property
    def as_of(self) -> date:
        return self.span.last_day

    @property
    def year_start_date(self) -> date:
        return date(self.span.year, 1, 1)


def _section(lines: list[BalanceLine]) -> BalanceSection:
    sign = [(-1 if ln.contra else 1) for ln in lines]
    return BalanceSection(
        lines,
        Pair(
            sum(s * ln.year_start for s, ln in zip(sign, lines, strict=True)),
            sum(s * ln.end for s, ln in zip(sign, lines, strict=True)),
        ),
    )


def balance_sheet(village_id: int, span: Span) -> BalanceSheet:
    """资产负债表 at the end of the span, with the balances at the start of its year beside it."""
    chart = _chart(village_id)
    sums = _movements(village_id, span.year_start, span.end)
    start_raw = chart.rollup({k: s.before for k, s in sums.items()})
    end_raw = chart.rollup({k: s.before + s.debit - s.credit for k, s in sums.items()})
    tops = chart.first_level()

    def line(a: Account) -> BalanceLine:
        return BalanceLine(
            a.code,
            a.name,
            a.klass == "asset" and not a.debit_normal,
            chart.normal(a, start_raw[a.id]),
            chart.normal(a, end_raw[a.id]),
        )

    unclosed = Pair(
        -sum(start_raw[a.id] for a in tops if a.klass in ("income", "expense")),
        -sum(end_raw[a.id] for a in tops if a.klass in ("income", "expense")),
    )
    assets = [line(a) for a in tops if a.klass in ("asset", "cost")]
    liabilities = [line(a) for a in tops if a.klass == "liability"]
    equity = []
    for a in tops:
        if a.klass == "equity":
            ln = line(a)
            if a.code == PROFIT_CODE:
                ln = BalanceLine(ln.code, ln.name, False, ln.year_start + unclosed.year_start, ln.end + unclosed.end)
            equity.append(ln)
    if chart.by_code(PROFIT_CODE) is None and (unclosed.year_start or unclosed.end):
        equity.append(BalanceLine(PROFIT_CODE, "本年收益", False, unclosed.year_start, unclosed.end))
    a_sec, l_sec, e_sec = _section(assets), _section(liabilities), _section(equity)
    le = Pair(l_sec.total.year_start + e_sec.total.year_start, l_sec.total.end + e_sec.total.end)
    return BalanceSheet(
        span=span,
        assets=a_sec,
        liabilities=l_sec,
        equity=e_sec,
        liabilities_and_equity=le,
        unclosed_profit=unclosed,
        balanced=(a_sec.total == le),
    )


# ---------------------------------------------------------------- 收益及收益分配表


@dataclass(frozen=True)
class StatementLine:
    code: str
    name: str
    level: int
    amount: int


@dataclass(frozen=True)
class StatementSection:
    lines: list[StatementLine]
    total: int


@dataclass(frozen=True)
class Distribution:
    opening_undistributed: int  # 年初（期初）未分配收益
    other_in: int  # 其他转入
    distributable: int  # 可分配收益 = 本期收益 + 期初未分配收益 + 其他转入
    lines: list[StatementLine]  # 提取公积公益金, 农户分配 … (322's sub-accounts but 未分配收益)
    total: int
    closing_undistributed: int  # 年末（期末）未分配收益


@dataclass(frozen=True)
class IncomeStatement:
    span: Span
    income: StatementSection
    expenses: StatementSection
    profit: int  # 本期收益 = income − expenses
    distribution: Distribution


def income_statement(village_id: int, span: Span) -> IncomeStatement:
    """收益及收益分配表 for the span (closing vouchers left out of the movements)."""
    chart = _chart(village_id)
    nets = chart.rollup(_span_nets(village_id, span, chart))
    sums = _movements(village_id, span.start, span.end)
    before = chart.rollup({k: s.before for k, s in sums.items()})
    end = chart.rollup({k: s.before + s.debit - s.credit for k, s in sums.items()})

    def section(klass: str) -> StatementSection:
        accs = [a for a in chart.accounts if chart.top(a).klass == klass]
        lines = [StatementLine(a.code, a.name, chart.level[a.id], chart.normal(a, nets[a.id])) for a in accs]
        return StatementSection(lines, sum(ln.amount for ln in lines if ln.level == 1))

    income, expenses = section("income"), section("expense")
    profit = income.total - expenses.total

    def pool(raw: dict[int, int]) -> int:
        """Undistributed profit in every stage, credit side: 322 + 321 + income − expense balances."""
        pools = ("income", "expense")
        return -sum(
            raw[a.id] for a in chart.first_level() if a.klass in pools or a.code in (PROFIT_CODE, DISTRIBUTION_CODE)
        )

    dist_lines: list[StatementLine] = []
    top322 = chart.by_code(DISTRIBUTION_CODE)
    if top322 is not None:
        for child in chart.children.get(top322.id, ()):
            if child.name == UNDISTRIBUTED_NAME or child.code == DISTRIBUTION_CODE + "001":
                continue
            for a in sorted(chart.subtree(child), key=lambda x: x.code):
                dist_lines.append(StatementLine(a.code, a.name, chart.level[a.id] - 1, nets[a.id]))
    dist_total = sum(ln.amount for ln in dist_lines if ln.level == 1)
    opening, closing = pool(before), pool(end)
    other_in = closing - opening - profit + dist_total
    return IncomeStatement(
        span=span,
        income=income,
        expenses=expenses,
        profit=profit,
        distribution=Distribution(
            opening_undistributed=opening,
            other_in=other_in,
            distributable=profit + opening + other_in,
            lines=dist_lines,
            total=dist_total,
            closing_undistributed=closing,
        ),
    )


# ---------------------------------------------------------------- what villagers see, and the township's figures


@dataclass(frozen=True)
class CategoryAmount:
    category: str
    income: int
    expense: int


@dataclass(frozen=True)
class AccountsSummary:
    year: int
    income_total: int
    operating_income: int
    expense_total: int
    by_category: list[CategoryAmount] = field(default_factory=list)

    @property
    def net(self) -> int:
        return self.income_total - self.expense_total


def accounts_summary(village_id: int, year: int) -> AccountsSummary:
    """The year's income and expenses by 财务公开 category, every category listed (zero where none)."""
    span = year_span(year)
    chart = _chart(village_id)
    nets = _span_nets(village_id, span, chart)
    income: dict[str, int] = defaultdict(int)
    expense: dict[str, int] = defaultdict(int)
    operating = 0
    for aid, net in nets.items():
        a = chart.by_id.get(aid)
        if a is None or a.klass not in ("income", "expense"):
            continue
        category = category_of(a, chart.by_id) or chart.top(a).name
        if a.klass == "income":
            income[category] -= net
            if chart.top(a).code in OPERATING_INCOME_CODES:
                operating -= net
        else:
            expense[category] += net
    order = [*INCOME_CATEGORIES, *EXPENSE_CATEGORIES]
    order += sorted((set(income) | set(expense)) - set(order))
    return AccountsSummary(
        year=year,
        income_total=sum(income.values()),
        operating_income=operating,
        expense_total=sum(expense.values()),
        by_category=[CategoryAmount(c, income.get(c, 0), expense.get(c, 0)) for c in order],
    )


def _year_income_stmt(village_ids: Collection[int], year: int, through: str | None = None) -> Select[Any]:
    span = year_span(year)
    end = min(span.end, through) if through else span.end
    ids = list(village_ids)
    profit_accounts = select(Account.id).where(Account.village_id.in_(ids), Account.code.startswith(PROFIT_CODE))
    closing = select(VoucherLine.voucher_id).where(VoucherLine.account_id.in_(profit_accounts))
    operating = or_(*(Account.code.startswith(code) for code in OPERATING_INCOME_CODES))
    net = VoucherLine.credit_fen - VoucherLine.debit_fen
    return (
        select(Voucher.village_id, func.sum(net), func.sum(case((operating, net), else_=0)))
        .select_from(VoucherLine)
        .join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(
            Voucher.village_id.in_(ids),
            Voucher.status == "posted",
            Voucher.period >= span.start,
            Voucher.period <= end,
            Account.klass == "income",
            Voucher.id.not_in(closing),
        )
        .group_by(Voucher.village_id)
    )


def year_income(village_ids: Collection[int], year: int, through: str | None = None) -> dict[int, tuple[int, int]]:
    """village id → (total income, operating income) of the year, in fen, in one query (zero for no books);
    ``through`` (``YYYY-MM``) stops at that month: the year to date."""
    out = {vid: (0, 0) for vid in village_ids}
    if not out:
        return out
    for vid, total, operating in db.session.execute(_year_income_stmt(out, year, through)):
        out[vid] = (int(total or 0), int(operating or 0))
    return out


def month_income(village_id: int, year: int) -> dict[str, tuple[int, int]]:
    """``YYYY-MM`` → (total income, operating income) of each month of the year that has any, in fen, in one query:
    the same rule as :func:`year_income` (posted vouchers, closing vouchers left out), so the months of a year add up
    to its :func:`year_income`."""
    stmt = _year_income_stmt([village_id], year)
    stmt = stmt.add_columns(Voucher.period).group_by(Voucher.period)
    return {period: (int(total or 0), int(operating or 0))
            for _vid, total, operating, period in db.session.execute(stmt)}


__all__ = [
    "AccountsSummary",
    "BalanceSheet",
    "IncomeStatement",
    "Span",
    "TrialBalance",
    "accounts_summary",
    "balance_sheet",
    "income_statement",
    "month_income",
    "parse_span",
    "trial_balance",
    "year_income",
    "year_span",
]
