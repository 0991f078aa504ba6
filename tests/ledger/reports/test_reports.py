"""Reports: 科目余额表, 资产负债表, 收益及收益分配表, /accounts/summary, year_income.

Hand-computed books first (every figure below was worked out on paper), then generated books (hypothesis) for the
properties that must hold whatever is posted: debits = credits, assets = liabilities + equity at every month end,
operating income ≤ total income, and the reports agree with a plain recomputation from the vouchers.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from backend import registry
from backend.core import clock
from backend.core.db import db
from backend.core.errors import AppError
from backend.ledger import service as ledger
from backend.ledger.reports import service as reports
from tests.factories import id_card

API = "/api/v1"


def book(village, day: date, *lines: tuple[str, int, int], draft: bool = False):
    """A voucher of ``(account code, debit fen, credit fen)`` lines, posted unless ``draft``."""
    v = ledger.create_voucher(
        village,
        ledger.VoucherInput(day, "测试凭证", [ledger.LineInput(code, d, c) for code, d, c in lines]),
        actor=None,
    )
    if not draft:
        ledger.post_voucher(v, actor=None)
    return v


@pytest.fixture
def books(make):
    """临江村's books, 2025-06 to 2026-04 (figures in the tests below), and 新竹村's, which must never show."""
    qs = make.township("QS", "青山镇")
    v = make.village("LJ01", "临江村", township=qs)
    other = make.village("XZ02", "新竹村", township=qs)
    for village in (v, other):
        ledger.ensure_chart(village)
    for parent, code, name in (
        ("513", "513001", "办公费"),
        ("513", "513002", "折旧费"),
        ("322002", "322002001", "提取公积公益金"),
        ("322002", "322002002", "农户分配"),
    ):
        ledger.add_subaccount(v, parent, code, name, category=None, actor=None)
    # 2025: 2,000.00 of other income, closed at year end into 321 and on into 322001 未分配收益
    book(v, date(2025, 6, 1), ("101", 2_000_00, 0), ("504", 0, 2_000_00))
    book(v, date(2025, 12, 31), ("504", 2_000_00, 0), ("321", 0, 2_000_00))
    book(v, date(2025, 12, 31), ("321", 2_000_00, 0), ("322001", 0, 2_000_00))
    # 2026
    book(v, date(2026, 1, 2), ("102", 500_000_00, 0), ("301", 0, 500_000_00))
    book(v, date(2026, 1, 10), ("151", 30_000_00, 0), ("102", 0, 30_000_00))
    book(v, date(2026, 1, 20), ("102", 20_000_00, 0), ("501001", 0, 20_000_00))
    book(v, date(2026, 2, 5), ("513001", 1_000_00, 0), ("102", 0, 1_000_00))
    book(v, date(2026, 2, 28), ("513002", 250_00, 0), ("152", 0, 250_00))
    rent = book(v, date(2026, 3, 3), ("102", 8_000_00, 0), ("501002", 0, 8_000_00))
    ledger.reverse_voucher(rent, date(2026, 3, 5), "重复入账", actor=None)
    book(v, date(2026, 3, 10), ("102", 5_000_00, 0), ("503", 0, 5_000_00))
    book(v, date(2026, 3, 15), ("102", 9_999_00, 0), ("504", 0, 9_999_00), draft=True)
    book(v, date(2026, 3, 20), ("102", 3_000_00, 0), ("502", 0, 3_000_00))
    book(
        v,
        date(2026, 3, 25),
        ("322002001", 1_000_00, 0),
        ("311", 0, 1_000_00),
        ("322002002", 500_00, 0),
        ("211", 0, 500_00),
    )
    book(v, date(2026, 4, 2), ("514", 2_000_00, 0), ("102", 0, 2_000_00))
    book(other, date(2026, 2, 1), ("102", 777_00, 0), ("501001", 0, 777_00))
    book(other, date(2026, 3, 1), ("513", 333_00, 0), ("102", 0, 333_00))
    db.session.commit()
    return {"village": v, "other": other, "township": qs}


# ---------------------------------------------------------------- spans


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "last_day"),
    [
        ("2026-03", "2026-03", "2026-03", "2026年3月", date(2026, 3, 31)),
        ("2024-02", "2024-02", "2024-02", "2024年2月", date(2024, 2, 29)),
        ("2026-Q3", "2026-07", "2026-09", "2026年第3季度", date(2026, 9, 30)),
        ("2026-q1", "2026-01", "2026-03", "2026年第1季度", date(2026, 3, 31)),
        ("2026", "2026-01", "2026-12", "2026年度", date(2026, 12, 31)),
    ],
)
def test_parse_span(text, start, end, label, last_day):
    s = reports.parse_span(text)
    assert (s.start, s.end, s.label, s.last_day) == (start, end, label, last_day)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-01", "2026/03", "2026-3", "", "年度"])
def test_parse_span_refuses_bad_text_in_chinese(text):
    with pytest.raises(AppError) as err:
        reports.parse_span(text)
    assert (err.value.status, err.value.code) == (422, "validation.failed")
    assert "期间格式" in err.value.message


# ---------------------------------------------------------------- 科目余额表


def test_trial_balance_of_a_month(books):
    tb = reports.trial_balance(books["village"].id, reports.parse_span("2026-03"))
    rows = {r.code: r for r in tb.rows}
    # opening = everything posted before March; closing = opening + March, on the normal side
    assert (rows["101"].opening, rows["101"].closing) == (2_000_00, 2_000_00)
    r = rows["102"]
    assert (r.opening, r.debit, r.credit, r.closing) == (489_000_00, 16_000_00, 8_000_00, 497_000_00)
    assert rows["152"].direction == "贷" and rows["152"].closing == 250_00  # contra asset, credit side
    # the rent and its reversal net out; 501 rolls up its sub-accounts
    assert (rows["501002"].debit, rows["501002"].credit, rows["501002"].closing) == (8_000_00, 8_000_00, 0)
    assert rows["501001"].closing == 20_000_00 and rows["501001"].level == 2 and rows["501001"].parent_code == "501"
    assert (rows["501"].opening, rows["501"].debit, rows["501"].credit, rows["501"].closing) == (
        20_000_00,
        8_000_00,
        8_000_00,
        20_000_00,
    )
    assert rows["513"].closing == 1_250_00 and not rows["513"].leaf and rows["513002"].leaf
    # 322: 2,000.00 undistributed from 2025, 1,500.00 distributed in March, three levels deep
    assert (rows["322"].opening, rows["322"].debit, rows["322"].closing) == (2_000_00, 1_500_00, 500_00)
    assert rows["322002"].debit == 1_500_00 and rows["322002001"].level == 3
    # the draft (9,999.00 to 504) is not there, nor is 新竹村's 777.00; untouched accounts are left out
    assert "504" not in rows and "503" in rows and "121" not in rows and "321" not in rows
    t = tb.totals
    assert (t.debit, t.credit) == (25_500_00, 25_500_00)
    assert (t.opening_debit, t.opening_credit) == (522_250_00, 522_250_00)
    assert (t.closing_debit, t.closing_credit) == (530_250_00, 530_250_00)


def test_trial_balance_of_a_quarter_starts_from_the_year_before(books):
    tb = reports.trial_balance(books["village"].id, reports.parse_span("2026-Q1"))
    rows = {r.code: r for r in tb.rows}
    assert rows["102"].opening == 0 and rows["102"].closing == 497_000_00
    assert rows["322001"].opening == 2_000_00 and rows["101"].opening == 2_000_00
    assert tb.totals.debit == tb.totals.credit == 500_000_00 + 30_000_00 + 20_000_00 + 1_250_00 + 16_000_00 + 9_500_00


# ---------------------------------------------------------------- 资产负债表


def test_balance_sheet_with_unclosed_profit_and_a_contra_account(books):
    bs = reports.balance_sheet(books["village"].id, reports.parse_span("2026-Q1"))
    assert bs.as_of == date(2026, 3, 31) and bs.year_start_date == date(2026, 1, 1)
    assets = {ln.code: ln for ln in bs.assets.lines}
    assert assets["152"].contra and assets["152"].end == 250_00
    assert assets["102"].end == 497_000_00 and assets["401"].end == 0  # 401 is shown with the assets
    assert bs.assets.total.end == 2_000_00 + 497_000_00 + 30_000_00 - 250_00
    assert bs.liabilities.total.end == 500_00
    equity = {ln.code: ln for ln in bs.equity.lines}
    # 321 = its own balance (0) + income 28,000.00 − expenses 1,250.00 not yet closed
    assert bs.unclosed_profit.end == 26_750_00
    assert (equity["301"].end, equity["311"].end, equity["321"].end, equity["322"].end) == (
        500_000_00,
        1_000_00,
        26_750_00,
        500_00,
    )
    assert bs.liabilities_and_equity.end == bs.assets.total.end == 528_750_00
    # at the start of 2026: 2025 was closed, so its profit sits in 322 and nothing is unclosed
    assert bs.assets.total.year_start == 2_000_00 and equity["322"].year_start == 2_000_00
    assert equity["321"].year_start == 0 and bs.unclosed_profit.year_start == 0
    assert bs.liabilities_and_equity.year_start == 2_000_00
    assert bs.balanced


def test_balance_sheet_before_the_closing_shows_last_years_profit_in_321(books):
    bs = reports.balance_sheet(books["village"].id, reports.parse_span("2025-11"))
    equity = {ln.code: ln for ln in bs.equity.lines}
    assert equity["321"].end == 2_000_00 and equity["322"].end == 0 and bs.unclosed_profit.end == 2_000_00
    assert bs.assets.total.end == 2_000_00 and bs.balanced


# ---------------------------------------------------------------- 收益及收益分配表


def test_income_statement_and_distribution(books):
    st_ = reports.income_statement(books["village"].id, reports.parse_span("2026-Q1"))
    income = {ln.code: ln.amount for ln in st_.income.lines}
    assert (income["501"], income["501001"], income["501002"], income["502"], income["503"], income["504"]) == (
        20_000_00,
        20_000_00,
        0,
        3_000_00,
        5_000_00,
        0,  # the 9,999.00 draft does not count
    )
    assert st_.income.total == 28_000_00
    expenses = {ln.code: ln.amount for ln in st_.expenses.lines}
    assert (expenses["513"], expenses["513001"], expenses["513002"], expenses["514"]) == (1_250_00, 1_000_00, 250_00, 0)
    assert st_.expenses.total == 1_250_00 and st_.profit == 26_750_00
    d = st_.distribution
    assert d.opening_undistributed == 2_000_00 and d.other_in == 0
    assert d.distributable == 28_750_00
    assert [(ln.code, ln.level, ln.amount) for ln in d.lines] == [
        ("322002", 1, 1_500_00),
        ("322002001", 2, 1_000_00),
        ("322002002", 2, 500_00),
    ]
    assert d.total == 1_500_00 and d.closing_undistributed == 27_250_00


def test_income_statement_of_a_closed_year_still_shows_its_income(books):
    st_ = reports.income_statement(books["village"].id, reports.parse_span("2025"))
    assert {ln.code: ln.amount for ln in st_.income.lines}["504"] == 2_000_00  # the closing vouchers are left out
    assert st_.profit == 2_000_00 and st_.distribution.total == 0
    assert st_.distribution.opening_undistributed == 0 and st_.distribution.closing_undistributed == 2_000_00
    assert st_.distribution.other_in == 0


# ---------------------------------------------------------------- the villagers' summary and year_income


def test_accounts_summary(books):
    s = reports.accounts_summary(books["village"].id, 2026)
    by = {c.category: (c.income, c.expense) for c in s.by_category}
    assert [c.category for c in s.by_category] == [
        "经营收入",
        "发包及上交收入",
        "投资收益",
        "补助收入",
        "其他收入",
        "经营支出",
        "税金及附加",
        "管理费用",
        "公益支出",
        "其他支出",
        "所得税费用",
    ]
    assert by["发包及上交收入"] == (20_000_00, 0)  # 501001's own category
    assert by["经营收入"] == (0, 0)  # 501002 takes 501's category; the rent was reversed
    assert by["投资收益"] == (3_000_00, 0) and by["补助收入"] == (5_000_00, 0) and by["其他收入"] == (0, 0)
    assert by["管理费用"] == (0, 1_250_00) and by["公益支出"] == (0, 2_000_00)
    assert (s.income_total, s.operating_income, s.expense_total) == (28_000_00, 23_000_00, 3_250_00)
    # 2025 was closed into 321: the closing vouchers do not erase the year's income
    last = reports.accounts_summary(books["village"].id, 2025)
    assert (last.income_total, last.operating_income, last.expense_total) == (2_000_00, 0, 0)
    assert reports.accounts_summary(books["village"].id, 2024).income_total == 0


def test_summary_lists_a_villages_own_category_after_the_fixed_ones(make):
    v = make.village("SX03", "石溪村")
    ledger.ensure_chart(v)
    ledger.add_subaccount(v, "504", "504001", "捐赠收入", category="捐赠收入", actor=None)
    ledger.add_subaccount(v, "504", "504002", "杂项收入", category=None, actor=None)
    book(v, date(2026, 5, 1), ("102", 600_00, 0), ("504001", 0, 600_00))
    book(v, date(2026, 5, 2), ("102", 40_00, 0), ("504002", 0, 40_00))
    s = reports.accounts_summary(v.id, 2026)
    assert [c.category for c in s.by_category][-1] == "捐赠收入"
    by = {c.category: c.income for c in s.by_category}
    assert by["捐赠收入"] == 600_00 and by["其他收入"] == 40_00 and s.income_total == 640_00


def test_a_reversal_in_the_next_year_lowers_that_years_income(make):
    v = make.village("SX05", "沙溪村")
    ledger.ensure_chart(v)
    subsidy = book(v, date(2025, 12, 20), ("102", 1_000_00, 0), ("503", 0, 1_000_00))
    book(v, date(2026, 2, 1), ("102", 300_00, 0), ("501002", 0, 300_00))
    ledger.reverse_voucher(subsidy, date(2026, 1, 5), "补助退回", actor=None)
    assert reports.accounts_summary(v.id, 2025).income_total == 1_000_00
    s = reports.accounts_summary(v.id, 2026)
    assert (s.income_total, s.operating_income) == (-700_00, 300_00)
    assert {c.category: c.income for c in s.by_category}["补助收入"] == -1_000_00
    assert reports.year_income([v.id], 2026) == {v.id: (-700_00, 300_00)}


def test_year_income_in_one_go(books, make):
    empty = make.village("KB04", "空白村")
    v, other = books["village"], books["other"]
    got = reports.year_income([v.id, other.id, empty.id], 2026)
    assert got == {v.id: (28_000_00, 23_000_00), other.id: (777_00, 777_00), empty.id: (0, 0)}
    assert reports.year_income([v.id], 2025) == {v.id: (2_000_00, 0)}
    assert reports.year_income([], 2026) == {}


def test_each_report_is_a_fixed_few_queries(books):
    """GROUP BY queries, never one per account: the count does not depend on the books."""
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    vid, other, span = books["village"].id, books["other"].id, reports.parse_span("2026")
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        counts = []
        for run in (
            lambda: reports.trial_balance(vid, span),
            lambda: reports.balance_sheet(vid, span),
            lambda: reports.income_statement(vid, span),
            lambda: reports.accounts_summary(vid, 2026),
            lambda: reports.year_income([vid, other], 2026),
        ):
            db.session.expire_all()
            seen.clear()
            run()
            counts.append(len(seen))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert counts == [2, 2, 3, 2, 1]


# ---------------------------------------------------------------- the endpoints


@pytest.fixture
def people(books, make):
    v, other = books["village"], books["other"]
    agent = registry.add_staff_person("冯立", id_card(), books["township"], actor=None)
    make.role(agent, "township_accountant", village=v)
    out = {
        "villager": make.member(v, "李四"),
        "accountant": make.member(v, "王会计", roles=("accountant",)),
        "agency": agent,
        "other villager": make.member(other, "吴强"),
        "other accountant": make.member(other, "周会计", roles=("accountant",)),
    }
    db.session.commit()
    return {name: make.headers(p) for name, p in out.items()}


def test_summary_endpoint_contract_and_string_money(client, books, people):
    r = client.get(f"{API}/villages/{books['village'].id}/accounts/summary?year=2026", headers=people["villager"])
    assert r.status_code == 200, r.json
    body = r.json
    assert {"year", "income_total", "operating_income", "expense_total", "by_category"} <= set(body)
    assert body["year"] == 2026
    assert (body["income_total"], body["operating_income"], body["expense_total"]) == (
        "28000.00",
        "23000.00",
        "3250.00",
    )
    assert body["by_category"][1] == {"category": "发包及上交收入", "income": "20000.00", "expense": "0.00"}
    for c in body["by_category"]:
        assert set(c) == {"category", "income", "expense"}
        assert isinstance(c["income"], str) and isinstance(c["expense"], str)


def test_summary_defaults_to_this_year_in_china(client, books, people, now):
    now[0] = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # already 2026-01-01 01:00 in Shanghai
    r = client.get(f"{API}/villages/{books['village'].id}/accounts/summary", headers=people["villager"])
    assert r.status_code == 200 and r.json["year"] == 2026 and r.json["income_total"] == "28000.00"


def test_report_endpoints_for_the_books_keepers(client, books, people):
    vid = books["village"].id
    for who in ("accountant", "agency"):
        tb = client.get(f"{API}/villages/{vid}/reports/trial-balance?period=2026-03", headers=people[who])
        assert tb.status_code == 200, tb.json
        assert (tb.json["period"], tb.json["label"], tb.json["start"], tb.json["end"]) == (
            "2026-03",
            "2026年3月",
            "2026-03",
            "2026-03",
        )
        row = next(r for r in tb.json["rows"] if r["code"] == "102")
        assert row == {
            "code": "102",
            "name": "银行存款",
            "level": 1,
            "parent_code": None,
            "klass": "asset",
            "leaf": True,
            "direction": "借",
            "opening": "489000.00",
            "debit": "16000.00",
            "credit": "8000.00",
            "closing": "497000.00",
        }
        assert tb.json["totals"]["debit"] == tb.json["totals"]["credit"] == "25500.00"
    h = people["accountant"]
    bs = client.get(f"{API}/villages/{vid}/reports/balance-sheet?period=2026-Q1", headers=h).json
    assert bs["balanced"] is True and bs["as_of"] == "2026-03-31" and bs["label"] == "2026年第1季度"
    assert bs["assets"]["total"] == {"year_start": "2000.00", "end": "528750.00"}
    assert bs["liabilities_and_equity"] == bs["assets"]["total"]
    assert next(ln for ln in bs["equity"]["lines"] if ln["code"] == "321")["end"] == "26750.00"
    inc = client.get(f"{API}/villages/{vid}/reports/income-statement?period=2026-Q1", headers=h).json
    assert (inc["income"]["total"], inc["expenses"]["total"], inc["profit"]) == ("28000.00", "1250.00", "26750.00")
    assert inc["distribution"]["closing_undistributed"] == "27250.00"
    # without a period: this year
    y = client.get(f"{API}/villages/{vid}/reports/income-statement", headers=h)
    assert y.status_code == 200 and y.json["period"] == str(clock.today().year)


REPORTS = ("reports/trial-balance", "reports/balance-sheet", "reports/income-statement")


def test_a_villager_reads_the_summary_but_not_the_books(client, books, people):
    vid = books["village"].id
    for path in REPORTS:
        r = client.get(f"{API}/villages/{vid}/{path}?period=2026", headers=people["villager"])
        assert r.status_code == 403 and r.json["error"]["code"] == "auth.forbidden"


@pytest.mark.parametrize("who", ["other villager", "other accountant"])
def test_another_villages_people_get_404(client, books, people, who):
    vid = books["village"].id
    for path in (*REPORTS, "accounts/summary"):
        r = client.get(f"{API}/villages/{vid}/{path}", headers=people[who])
        assert r.status_code == 404 and "error" in r.json


def test_the_agency_accountant_only_reads_the_villages_assigned(client, books, people):
    r = client.get(f"{API}/villages/{books['other'].id}/reports/trial-balance", headers=people["agency"])
    assert r.status_code == 404


def test_anonymous_gets_401(client, books):
    assert client.get(f"{API}/villages/{books['village'].id}/accounts/summary").status_code == 401


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26-03", "2026/03", "abc", ""])
def test_bad_periods_are_422_in_chinese(client, books, people, period):
    for path in REPORTS:
        r = client.get(
            f"{API}/villages/{books['village'].id}/{path}",
            query_string={"period": period},
            headers=people["accountant"],
        )
        assert r.status_code == 422
        err = r.json["error"]
        assert (
            err["code"] == "validation.failed" and "期间格式" in err["message"] and "period" in err["details"]["fields"]
        )


@pytest.mark.parametrize("year", ["20x6", "1800", "2026.5"])
def test_bad_years_are_422_in_chinese(client, books, people, year):
    r = client.get(
        f"{API}/villages/{books['village'].id}/accounts/summary",
        query_string={"year": year},
        headers=people["villager"],
    )
    assert r.status_code == 422 and r.json["error"]["code"] == "validation.failed"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.json["error"]["message"])


def test_reports_are_in_the_openapi_spec(client):
    spec = client.get(f"{API}/openapi.json").json
    for path in (*REPORTS, "accounts/summary"):
        op = spec["paths"][f"{API}/villages/{{village_id}}/{path}"]["get"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in op["summary"])
        assert "200" in op["responses"]


# ---------------------------------------------------------------- generated books

MONTHS = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
MONEY = ("101", "102", "112")
INCOME = ("501001", "501002", "502", "503", "504")
OPERATING = ("501001", "501002", "502")
# every leaf of the default chart but the income accounts (income is only ever credited, below)
OTHER = (
    *("101", "102", "111", "112", "113", "121", "131", "132", "133", "134", "141", "151", "152", "153", "154"),
    *("161", "162", "171", "181", "201", "211", "212", "213", "214", "221", "231", "241", "301", "311", "321"),
    *("322001", "322002", "401", "511", "512", "513", "514", "515", "521"),
)
amounts = st.integers(min_value=1, max_value=1_000_000_00 // 100)  # up to 10,000.00: below the decision threshold


@dataclass
class Gen:
    day: date
    lines: list[tuple[str, int, int]]
    income: bool
    post: bool
    reverse_after: int | None  # days after which a posted voucher is reversed, or None

    def reversed_on(self) -> date | None:
        """When it is reversed. Income is reversed within its year: reversed in a later year, it lowers that
        year's income, and a negative non-operating income would rightly put operating above total (see
        test_a_reversal_in_the_next_year_lowers_that_years_income)."""
        if self.reverse_after is None:
            return None
        on = date.fromordinal(self.day.toordinal() + self.reverse_after)
        return min(on, date(self.day.year, 12, 31)) if self.income else on


@st.composite
def gen_voucher(draw) -> Gen:
    month = draw(st.sampled_from(MONTHS))
    day = date(int(month[:4]), int(month[5:]), draw(st.integers(1, 28)))
    if draw(st.booleans()):
        amount = draw(amounts)
        lines = [(draw(st.sampled_from(MONEY)), amount, 0), (draw(st.sampled_from(INCOME)), 0, amount)]
        income = True
    else:
        debits = draw(st.lists(amounts, min_size=1, max_size=2))
        total = sum(debits)
        cut = draw(st.integers(0, total - 1))
        credits = [total - cut, cut] if cut else [total]
        lines = [(draw(st.sampled_from(OTHER)), d, 0) for d in debits]
        lines += [(draw(st.sampled_from(OTHER)), 0, c) for c in credits]
        income = False
    post = draw(st.integers(0, 9)) > 0  # one in ten stays a draft
    reverse_after = draw(st.one_of(st.none(), st.none(), st.integers(0, 40))) if post else None
    return Gen(day, lines, income, post, reverse_after)


_codes = itertools.count(1)


def _expected(gens: list[Gen]) -> list[tuple[date, list[tuple[str, int, int]]]]:
    """The posted vouchers as plain data: each posted one, and its reversal (lines swapped) if any."""
    out = []
    for g in gens:
        if not g.post:
            continue
        out.append((g.day, g.lines))
        on = g.reversed_on()
        if on is not None:
            out.append((on, [(a, c, d) for a, d, c in g.lines]))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(gens=st.lists(gen_voucher(), min_size=1, max_size=25))
def test_generated_books_balance_everywhere(make, gens):
    v = make.village(f"H{next(_codes):05d}", "生成村")
    ledger.ensure_chart(v)
    for g in gens:
        vch = book(v, g.day, *g.lines, draft=not g.post)
        on = g.reversed_on()
        if on is not None:
            ledger.reverse_voucher(vch, on, "生成", actor=None)
    posted = _expected(gens)

    # expected leaf balances (debit − credit) at every month end, recomputed from the data
    months = [*MONTHS, "2027-01", "2027-02"]  # reversals may land up to 40 days into 2027
    for period in months:
        tb = reports.trial_balance(v.id, reports.parse_span(period))
        assert tb.totals.debit == tb.totals.credit
        assert tb.totals.opening_debit == tb.totals.opening_credit
        assert tb.totals.closing_debit == tb.totals.closing_credit
        raw: dict[str, int] = defaultdict(int)
        for day, lines in posted:
            if f"{day.year:04d}-{day.month:02d}" <= period:
                for code, d, c in lines:
                    raw[code] += d - c
        got = {r.code: (r.closing if r.debit_normal else -r.closing) for r in tb.rows if r.leaf}
        assert {k: x for k, x in got.items() if x} == {k: x for k, x in raw.items() if x}
        bs = reports.balance_sheet(v.id, reports.parse_span(period))
        assert bs.balanced and bs.assets.total.end == bs.liabilities_and_equity.end
        assert bs.assets.total.year_start == bs.liabilities_and_equity.year_start

    for year in (2025, 2026):
        s = reports.accounts_summary(v.id, year)
        assert s.operating_income <= s.income_total
        in_year = [lines for day, lines in posted if day.year == year]
        closing = [any(code == "321" for code, _, _ in lines) for lines in in_year]
        income = sum(c - d for lines in in_year for code, d, c in lines if code in INCOME)
        operating = sum(c - d for lines in in_year for code, d, c in lines if code in OPERATING)
        assert (s.income_total, s.operating_income) == (income, operating)
        expense = sum(
            d - c
            for lines, closes in zip(in_year, closing, strict=True)
            if not closes
            for code, d, c in lines
            if code[0] == "5" and code[:3] not in ("501", "502", "503", "504")
        )
        assert s.expense_total == expense
        assert reports.year_income([v.id], year) == {v.id: (income, operating)}
        stmt = reports.income_statement(v.id, reports.year_span(year))
        assert stmt.profit == s.income_total - s.expense_total
        d = stmt.distribution
        assert d.closing_undistributed == d.distributable - d.total
