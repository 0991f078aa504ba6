"""One village's income month by month: the same figures as the progress table, cumulative to December, months not
yet reached null."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from backend.core.db import db
from backend.ledger import service as ledger
from backend.registry import settings

API = "/api/v1"
MAY_10 = datetime(2026, 5, 10, 2, 0, tzinfo=UTC)


def post(village, on: date, fen: int, account: str = "501001") -> None:
    ledger.ensure_chart(village)
    v = ledger.create_voucher(
        village, ledger.VoucherInput(on, "收入", [ledger.LineInput("102", fen, 0), ledger.LineInput(account, 0, fen)]),
        actor=None)
    ledger.post_voucher(v, actor=None)


@pytest.fixture
def books(make, now):
    now[0] = MAY_10
    qs = make.township("QS", "青山镇")
    a = make.village("A01", "甲村", township=qs)
    post(a, date(2025, 1, 31), 1_000_00)
    post(a, date(2025, 3, 1), 2_500_50, "503")  # subsidy: total only
    post(a, date(2025, 3, 20), 700_00)
    post(a, date(2025, 12, 31), 40_000_00)
    post(a, date(2026, 2, 1), 20_000_00)
    post(a, date(2026, 5, 2), 15_000_00)
    post(a, date(2026, 4, 3), 3_000_00, "503")
    draft = ledger.create_voucher(  # a draft is not income
        a, ledger.VoucherInput(date(2026, 4, 5), "草稿", [ledger.LineInput("102", 9_00, 0),
                                                         ledger.LineInput("501001", 0, 9_00)]), actor=None)
    assert draft.status == "draft"
    staff = make.staff(qs)
    settings.put("township.target_total_fen", 50_000_00, actor=None, village=a)
    db.session.commit()
    return {"qs": qs, "a": a, "headers": make.headers(staff)}


def months(client, books, query=""):
    r = client.get(f"{API}/townships/{books['qs'].id}/progress/{books['a'].id}/months{query}",
                   headers=books["headers"])
    assert r.status_code == 200, r.json
    return r.json


def progress(client, books, query):
    r = client.get(f"{API}/townships/{books['qs'].id}/progress{query}", headers=books["headers"])
    row = r.json["villages"][0]
    return row["total_income"], row["operating_income"]


def test_a_past_year_month_by_month_agrees_with_the_progress_table(client, books):
    body = months(client, books, "?year=2025")
    assert body["village"] == {"id": books["a"].id, "name": "甲村"} and body["year"] == 2025
    assert (body["target_total"], body["target_operating"]) == ("50000.00", "20000.00")
    ms = body["months"]
    assert [m["month"] for m in ms] == list(range(1, 13))
    assert (ms[0]["total_income"], ms[0]["operating_income"]) == ("1000.00", "1000.00")
    assert (ms[1]["total_income"], ms[1]["cumulative_total"]) == ("0.00", "1000.00")
    assert (ms[2]["total_income"], ms[2]["operating_income"]) == ("3200.50", "700.00")
    assert (ms[2]["cumulative_total"], ms[2]["cumulative_operating"]) == ("4200.50", "1700.00")
    # December's cumulative figures are the progress table's for the year; every month's for its month
    assert (ms[11]["cumulative_total"], ms[11]["cumulative_operating"]) == ("44200.50", "41700.00")
    for m in ms:
        assert progress(client, books, f"?year=2025&month={m['month']}") == (
            m["cumulative_total"], m["cumulative_operating"]), m


def test_this_year_stops_at_this_month_with_nulls(client, books):
    ms = months(client, books)["months"]  # default: this year (2026, now May)
    assert [m["total_income"] for m in ms[:5]] == ["0.00", "20000.00", "0.00", "3000.00", "15000.00"]
    assert ms[4]["cumulative_total"] == "38000.00" and ms[4]["cumulative_operating"] == "35000.00"
    assert progress(client, books, "") == ("38000.00", "35000.00")
    # June to December have not begun: null, not 0
    assert all(m[k] is None for m in ms[5:] for k in ("total_income", "operating_income", "cumulative_total",
                                                       "cumulative_operating"))


@pytest.mark.parametrize(("query", "says"), [("?year=2027", "不能查看还没到的年份"), ("?year=99", "应在1900到2999之间"),
                                             ("?year=abc", None)])
def test_a_bad_year_is_refused(client, books, query, says):
    r = client.get(f"{API}/townships/{books['qs'].id}/progress/{books['a'].id}/months{query}",
                   headers=books["headers"])
    assert r.status_code == 422, r.json
    if says:
        assert says in r.json["error"]["message"] + str(r.json["error"]["details"])
