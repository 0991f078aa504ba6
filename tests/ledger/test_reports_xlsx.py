"""The reports as .xlsx: every figure equals the JSON report's, money is a number cell (not text) formatted
#,##0.00, the sheet names the village, the period and 元, prints on A4 fitted to width with the header row repeated;
month, quarter and year all work; a bad period is refused in Chinese; the same permissions as the JSON reports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.ledger.reports.test_reports import books, people  # noqa: F401 (fixtures)

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _sheet(r):
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert r.mimetype == XLSX
    return load_workbook(io.BytesIO(r.data)).active


def _rows(ws):
    """Data rows below the header (row 3) until the note, as lists of values."""
    out = []
    for row in ws.iter_rows(min_row=4):
        values = [c.value for c in row]
        if all(v is None for v in values):
            break
        out.append(row)
    return out


def _d(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _money_cell(c):
    """A money cell: a real number (int/float/Decimal as openpyxl reads it back), shown #,##0.00."""
    assert isinstance(c.value, (int, float, Decimal)) and not isinstance(c.value, bool), (c.coordinate, c.value)
    assert c.data_type == "n" and c.number_format == "#,##0.00", (c.coordinate, c.number_format)
    return Decimal(str(c.value)).quantize(Decimal("0.01"))


def _print_setup(ws, *, landscape: bool):
    assert ws.page_setup.paperSize in (9, "9")  # A4
    assert ws.page_setup.orientation == ("landscape" if landscape else "portrait")
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
    assert ws.print_title_rows in ("$3:$3", "3:3")


@pytest.mark.parametrize("period", ["2026-03", "2026-Q1", "2026"])
def test_trial_balance_xlsx_equals_the_json(client, books, people, period):  # noqa: F811
    vid, h = books["village"].id, people["accountant"]
    js = client.get(f"{API}/villages/{vid}/reports/trial-balance", query_string={"period": period}, headers=h).json
    r = client.get(f"{API}/villages/{vid}/reports/trial-balance.xlsx", query_string={"period": period}, headers=h)
    assert f"LJ01-{js['period']}-trial-balance.xlsx" in r.headers["Content-Disposition"]
    ws = _sheet(r)
    assert ws["A1"].value == "科目余额表"
    assert "临江村" in ws["A2"].value and js["label"] in ws["A2"].value and "单位：元" in ws["A2"].value
    assert [c.value for c in ws[3]] == ["科目编码", "科目名称", "期初借方", "期初贷方", "本期借方", "本期贷方",
                                        "期末借方", "期末贷方"]
    _print_setup(ws, landscape=True)
    rows = _rows(ws)
    assert len(rows) == len(js["rows"]) + 1  # every account, then 合计
    for row, want in zip(rows, js["rows"], strict=False):
        assert row[0].value == want["code"]
        assert row[1].value == want["name"]
        debit_side = want["direction"] == "借"
        opening = row[2] if debit_side else row[3]
        closing = row[6] if debit_side else row[7]
        assert _money_cell(opening) == _d(want["opening"])
        assert _money_cell(closing) == _d(want["closing"])
        assert (row[3] if debit_side else row[2]).value is None
        assert _money_cell(row[4]) == _d(want["debit"]) and _money_cell(row[5]) == _d(want["credit"])
    total = rows[-1]
    assert total[0].value == "合计"
    t = js["totals"]
    got = [_money_cell(c) for c in total[2:8]]
    assert got == [_d(t[k]) for k in ("opening_debit", "opening_credit", "debit", "credit", "closing_debit",
                                      "closing_credit")]
    assert got[0] == got[1] and got[2] == got[3] and got[4] == got[5]  # balanced, as on screen


def test_a_known_figure_in_the_trial_balance_xlsx(client, books, people):  # noqa: F811
    """102 银行存款 in March 2026 (worked out in tests/ledger/reports): 489,000.00 / 16,000 / 8,000 / 497,000.00."""
    r = client.get(f"{API}/villages/{books['village'].id}/reports/trial-balance.xlsx?period=2026-03",
                   headers=people["accountant"])
    row = next(r for r in _rows(_sheet(r)) if r[0].value == "102")
    assert [_money_cell(row[i]) for i in (2, 4, 5, 6)] == [Decimal("489000.00"), Decimal("16000.00"),
                                                          Decimal("8000.00"), Decimal("497000.00")]


def test_balance_sheet_xlsx_equals_the_json(client, books, people):  # noqa: F811
    vid, h = books["village"].id, people["agency"]
    js = client.get(f"{API}/villages/{vid}/reports/balance-sheet?period=2026-Q1", headers=h).json
    ws = _sheet(client.get(f"{API}/villages/{vid}/reports/balance-sheet.xlsx?period=2026-Q1", headers=h))
    assert ws["A1"].value == "资产负债表" and "2026-03-31" in ws["A2"].value and "单位：元" in ws["A2"].value
    _print_setup(ws, landscape=True)
    rows = _rows(ws)
    left = {r[0].value: r for r in rows if r[0].value}
    for ln in js["assets"]["lines"]:
        name = f"减：{ln['name']}" if ln["contra"] else ln["name"]
        assert _money_cell(left[name][1]) == _d(ln["year_start"]) and _money_cell(left[name][2]) == _d(ln["end"])
    right = {r[3].value: r for r in rows if r[3].value}
    for ln in js["liabilities"]["lines"] + js["equity"]["lines"]:
        assert _money_cell(right[ln["name"]][5]) == _d(ln["end"])
    total = rows[-1]
    assert total[0].value == "资产总计" and total[3].value == "负债和所有者权益总计"
    assert _money_cell(total[2]) == _d(js["assets"]["total"]["end"])
    assert _money_cell(total[5]) == _d(js["liabilities_and_equity"]["end"]) == _money_cell(total[2])
    assert _money_cell(right["负债合计"][5]) == _d(js["liabilities"]["total"]["end"])


def test_income_statement_xlsx_equals_the_json_in_the_forms_order(client, books, people):  # noqa: F811
    vid, h = books["village"].id, people["accountant"]
    js = client.get(f"{API}/villages/{vid}/reports/income-statement?period=2026-Q1", headers=h).json
    ws = _sheet(client.get(f"{API}/villages/{vid}/reports/income-statement.xlsx?period=2026-Q1", headers=h))
    assert ws["A1"].value == "收益及收益分配表" and "2026年第1季度" in ws["A2"].value
    _print_setup(ws, landscape=False)
    rows = _rows(ws)
    names = [r[0].value for r in rows]
    # the 2023 form's order: income, expenses, profit, then the distribution down to 期末未分配收益
    order = ["一、收入", "收入合计", "二、支出", "支出合计", "三、本期收益（收入合计 − 支出合计）",
             "加：期初未分配收益", "其他转入", "四、可分配收益", "分配合计", "五、期末未分配收益"]
    assert [n for n in names if n in order] == order
    by = {r[0].value: r for r in rows}
    assert [r[1].value for r in rows] == list(range(1, len(rows) + 1))  # 行次
    assert _money_cell(by["收入合计"][2]) == _d(js["income"]["total"])
    assert _money_cell(by["支出合计"][2]) == _d(js["expenses"]["total"])
    assert _money_cell(by["三、本期收益（收入合计 − 支出合计）"][2]) == _d(js["profit"])
    d = js["distribution"]
    assert _money_cell(by["加：期初未分配收益"][2]) == _d(d["opening_undistributed"])
    assert _money_cell(by["四、可分配收益"][2]) == _d(d["distributable"])
    assert _money_cell(by["五、期末未分配收益"][2]) == _d(d["closing_undistributed"])
    for ln in js["income"]["lines"] + js["expenses"]["lines"] + d["lines"]:
        assert _money_cell(by[ln["name"]][2]) == _d(ln["amount"])
    assert by["一、收入"][2].value is None  # a heading has no amount (not a 0 that reads as a figure)


def test_the_default_period_is_this_year(client, books, people, now):  # noqa: F811
    now[0] = datetime(2025, 12, 31, 17, 0, tzinfo=UTC)  # already 2026-01-01 01:00 in Shanghai
    r = client.get(f"{API}/villages/{books['village'].id}/reports/trial-balance.xlsx", headers=people["accountant"])
    assert "2026年度" in _sheet(r)["A2"].value


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "2026/03", "abc"])
def test_a_bad_period_is_refused_in_chinese(client, books, people, period):  # noqa: F811
    for name in ("trial-balance", "balance-sheet", "income-statement"):
        r = client.get(f"{API}/villages/{books['village'].id}/reports/{name}.xlsx", query_string={"period": period},
                       headers=people["accountant"])
        assert r.status_code == 422
        err = r.json["error"]
        assert err["code"] == "validation.failed" and "期间格式" in err["message"]
        assert "period" in err["details"]["fields"]


def test_the_xlsx_has_the_json_reports_permissions(client, books, people):  # noqa: F811
    vid, other = books["village"].id, books["other"].id
    url = "/reports/trial-balance.xlsx?period=2026"
    assert client.get(f"{API}/villages/{vid}{url}").status_code == 401
    assert client.get(f"{API}/villages/{vid}{url}", headers=people["villager"]).status_code == 403
    assert client.get(f"{API}/villages/{vid}{url}", headers=people["other accountant"]).status_code == 404
    assert client.get(f"{API}/villages/{other}{url}", headers=people["agency"]).status_code == 404


def test_a_name_that_looks_like_a_formula_stays_text(client, books, people):  # noqa: F811
    from backend.core.db import db
    from backend.ledger import service as ledger
    from tests.ledger.reports.test_reports import book

    v = books["village"]
    ledger.add_subaccount(v, "513", "513009", "=HYPERLINK(\"x\")", category=None, actor=None)
    book(v, date(2026, 3, 2), ("513009", 1_00, 0), ("102", 0, 1_00))
    db.session.commit()
    ws = _sheet(client.get(f"{API}/villages/{v.id}/reports/trial-balance.xlsx?period=2026-03",
                           headers=people["accountant"]))
    cell = next(r[1] for r in _rows(ws) if r[0].value == "513009")
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
