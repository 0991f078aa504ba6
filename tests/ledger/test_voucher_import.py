"""Voucher import (.xlsx): good files in the 2023 and the 2004 chart, every kind of bad row reported with its
row and nothing written, dry run, scope, and the HTTP endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from io import BytesIO
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.core.errors import AppError
from backend.decisions.pipeline.models import Decision
from backend.ledger import service as ledger
from backend.ledger import voucher_import
from backend.ledger.models import Account, Period, Voucher, VoucherCounter, VoucherLine
from backend.registry.models import Village
from tests.factories import Factory, resolved_decision
from tests.xlsx_files import xlsx

HEADERS = ["凭证号", "日期", "摘要", "科目编码", "科目名称", "科目体系", "借方金额", "贷方金额", "决议编号", "附件"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---------------------------------------------------------------- helpers


def row(key: Any, on: Any, code: Any = None, debit: Any = None, credit: Any = None, summary: str | None = "摘要",
        **more: Any) -> dict[str, Any]:
    out = {"凭证号": key, "日期": on, "摘要": summary, "科目编码": code, "借方金额": debit, "贷方金额": credit}
    for k, v in more.items():
        out[{"name": "科目名称", "chart": "科目体系", "decision": "决议编号", "attachments": "附件"}[k]] = v
    return out


def counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Voucher, VoucherLine, VoucherCounter, AuditEntry, Account, Period)}


def run(village: Village, rows: Sequence[dict[str, Any] | None], **kw: Any) -> dict[str, Any]:
    return voucher_import.import_vouchers(village, xlsx(rows, HEADERS), actor=kw.pop("actor", None), **kw)


def refused(village: Village, rows: Sequence[dict[str, Any] | None], headers: Sequence[str] = HEADERS) -> AppError:
    before = counts()
    with pytest.raises(AppError) as info:
        voucher_import.import_vouchers(village, xlsx(rows, headers), actor=None)
    db.session.rollback()
    assert counts() == before, "a refused import wrote something"
    assert info.value.status == 422 and info.value.code == "ledger.import_invalid"
    return info.value


def problems(err: AppError) -> dict[tuple[int | None, str | None], str]:
    return {(e["row"], e["field"]): e["message"] for e in err.details["rows"]}


def stored(voucher_id: int) -> list[tuple[str, int, int, str | None]]:
    v = ledger.get_voucher(voucher_id)
    return [(x.account.code, x.debit_fen, x.credit_fen, x.summary) for x in v.lines]


@pytest.fixture
def w(make: Factory) -> SimpleNamespace:
    qs = make.township()
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("XZ02", "新竹村", township=qs)
    acct = make.member(a, "李会计", roles=("accountant",))
    b_acct = make.member(b, "周会计", roles=("accountant",))
    villager = make.member(a, "陈村民")
    sup = make.member(a, "赵监督", roles=("supervisor",))
    ledger.ensure_chart(a)
    ledger.ensure_chart(b)
    db.session.commit()
    return SimpleNamespace(a=a, b=b, acct=acct, b_acct=b_acct, villager=villager, sup=sup, qs=qs)


GOOD_2023 = [
    row("1", "2026-01-05", "102", 1234.5, None, "收到一组土地租金", attachments="收据001.jpg"),
    row("1", "2026-01-05", "501002", None, "1,234.50", "一组土地租金", attachments="收据001.jpg；合同.pdf"),
    row("2", datetime(2026, 2, 3), "513", 800, None, "购买办公用品"),
    row("2", datetime(2026, 2, 3), "101", None, "800.00", None),
    None,  # a blank row is skipped
    row("3", "2026-01-20", "511", "200.10", None, "支付劳务费"),
    row("3", "2026-01-20", "102", None, 100.05, "转账"),
    row("3", "2026-01-20", "101", None, "100.05", "现金"),
]


# ---------------------------------------------------------------- good files


def test_a_good_2023_file_is_posted_in_file_order_after_the_numbers_already_used(app, w):
    existing = ledger.post_voucher(ledger.create_voucher(w.a, ledger.VoucherInput(date(2026, 1, 2), "期初", [
        ledger.LineInput("102", debit_fen=100), ledger.LineInput("301", credit_fen=100)]), actor=None), actor=None)
    db.session.commit()
    before = counts()
    report = run(w.a, GOOD_2023)
    assert report["vouchers"] == 3 and report["lines"] == 7 and report["dry_run"] is False
    assert report["total"] == "2234.60" and report["periods"] == {"2026-01": 2, "2026-02": 1}
    created = {c["key"]: c for c in report["created"]}
    assert (created["1"]["period"], created["1"]["number"]) == ("2026-01", 2)  # after the existing number 1
    assert (created["3"]["period"], created["3"]["number"]) == ("2026-01", 3)
    assert (created["2"]["period"], created["2"]["number"]) == ("2026-02", 1)
    assert existing.number == 1

    v1 = db.session.get(Voucher, created["1"]["id"])
    assert (v1.status, v1.source, v1.summary, v1.voucher_date, v1.total_fen) == (
        "posted", "import", "收到一组土地租金", date(2026, 1, 5), 123450)
    assert stored(v1.id) == [("102", 123450, 0, "收到一组土地租金"), ("501002", 0, 123450, "一组土地租金")]
    assert v1.attachments == '["收据001.jpg", "合同.pdf"]'
    assert stored(created["2"]["id"]) == [("513", 80000, 0, "购买办公用品"), ("101", 0, 80000, None)]
    assert stored(created["3"]["id"]) == [("511", 20010, 0, "支付劳务费"), ("102", 0, 10005, "转账"),
                                          ("101", 0, 10005, "现金")]
    after = counts()
    assert after["Voucher"] == before["Voucher"] + 3 and after["VoucherLine"] == before["VoucherLine"] + 7
    summary = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ledger.voucher_import")).scalar_one()
    assert summary.village_id == w.a.id and summary.after_data()["vouchers"] == 3
    assert summary.after_data()["periods"] == {"2026-01": 2, "2026-02": 1}


def test_rows_of_one_voucher_need_not_be_adjacent(app, w):
    report = run(w.a, [
        row("A", "2026-03-01", "102", "50.00"),
        row("B", "2026-03-02", "101", "10.00"),
        row("A", "2026-03-01", "504", None, "50.00"),
        row("B", "2026-03-02", "504", None, "10.00"),
    ])
    assert [(c["key"], c["number"]) for c in report["created"]] == [("A", 1), ("B", 2)]
    assert stored(report["created"][0]["id"])[1][:3] == ("504", 0, 5000)


def test_a_good_2004_file_is_mapped_by_name(app, w):
    rows = [
        # 2004's 502 was 经营支出; in 2023 502 is 投资收益: the name decides, not the code
        row("1", "2023-12-31", "502", "300.00", name="经营支出", chart="2004"),
        row("1", "2023-12-31", None, None, "300.00", name="现金", chart=2004),
        row("2", "2023-12-31", None, "5000.00", name="银行存款", chart="2004"),
        row("2", "2023-12-31", "511", None, "5000.00", name="发包及上交收入", chart="2004"),
        row("3", "2023-12-31", None, "120.00", name="应付福利费", chart="2004"),
        row("3", "2023-12-31", None, None, "120.00", name="银行存款", chart="2004"),
        row("4", "2023-12-31", None, "66.00", name="牲畜（禽）资产", chart="2004"),
        row("4", "2023-12-31", None, None, "66.00", name="收益分配-未分配收益", chart="2004"),
        row("5", "2023-12-31", None, "9.00", name="管理费用", chart="2004"),
        row("5", "2023-12-31", None, None, "9.00", name="农业税附加返还收入", chart="2004"),
    ]
    report = run(w.a, rows)
    codes = {c["key"]: [code for code, *_ in stored(c["id"])] for c in report["created"]}
    assert codes == {
        "1": ["511", "101"],
        "2": ["102", "501001"],  # 发包及上交收入 → 经营收入's sub-account
        "3": ["211", "102"],  # 应付福利费 (deleted in 2023) → 应付款
        "4": ["131", "322001"],
        "5": ["513", "504"],
    }


def test_names_may_be_used_with_the_2023_chart_too(app, w):
    report = run(w.a, [
        row("1", "2026-01-05", None, "10.00", name="库存现金"),
        row("1", "2026-01-05", "501002", None, "10.00", name="经营收入-租赁收入"),
    ])
    assert [c for c, *_ in stored(report["created"][0]["id"])] == ["101", "501002"]


def test_amounts_at_the_threshold_and_with_a_resolved_decision_are_imported(app, w):
    d = resolved_decision(w.a.id, "修建村道", "工程建设", 9_000_000, date(2025, 12, 1))
    db.session.commit()
    report = run(w.a, [
        row("1", "2026-01-05", "513", "50000.00"),
        row("1", "2026-01-05", "102", None, "50000.00"),
        row("2", "2026-01-06", "153", "80000.00", decision=d.id),  # an Excel number is fine
        row("2", "2026-01-06", "102", None, "80000.00"),
    ])
    v = db.session.get(Voucher, report["created"][1]["id"])
    assert v.decision_ref == str(d.id) and v.status == "posted"


# ---------------------------------------------------------------- refusals


def test_every_kind_of_bad_row_is_reported_with_its_row_and_nothing_is_written(app, w):
    db.session.add(Period(village_id=w.a.id, period="2025-12"))
    pending = Decision(village_id=w.a.id, title="修缮办公楼", category="工程建设", status="in_progress")
    db.session.add(pending)
    db.session.commit()
    rows = [
        row("1", "2026-01-05", "199", "10.00"),  # 2: unknown code
        row("1", "2026-01-05", "102", None, "10.00"),  # 3
        row("2", "2026-01-05", "102", "10.00"),  # 4: unbalanced voucher 2 (rows 4–5)
        row("2", "2026-01-05", "501002", None, "9.50"),  # 5
        row("3", "2026-01-05", "102", "10.00"),  # 6
        row("3", "2026-01-06", "501002", None, "10.00"),  # 7: another date
        row("4", "2026-01-05", "102", "1.005"),  # 8: three decimals
        row("4", "2026-01-05", "501002", None, 10.001),  # 9: an Excel number with three decimals
        row("5", "2026-01-05", "102", "10.00", "10.00"),  # 10: both sides
        row("5", "2026-01-05", "501002"),  # 11: neither side
        row("6", "2025-12-20", "102", "10.00"),  # 12: a closed month
        row("6", "2025-12-20", "501002", None, "10.00"),  # 13
        row("7", "2026-01-05", "513", "60000.00"),  # 14: a large expense without a decision
        row("7", "2026-01-05", "102", None, "60000.00"),  # 15
        row("8", "2026-01-05", "513", "60000.00", decision=str(pending.id)),  # 16: an unresolved decision
        row("8", "2026-01-05", "102", None, "60000.00"),  # 17
        row("9", "2026-01-05", "102", "-5.00"),  # 18: negative
        row("9", "2026-01-05", "501", None, "5.00"),  # 19: a parent account
        row("10", "2026/01/05", "102", "5.00"),  # 20: a date in another format
        row("10", "2026-02-30", "504", None, "5.00"),  # 21: no such day
        row("11", "2026-01-05", None, "5.00", name="发包及上交收入", chart="2004"),  # 22: fine
        row("11", "2026-01-05", None, None, "5.00", name="集体提留", chart="2004"),  # 23: unknown old name
        row("12", "2026-01-05", "102", "5.00"),  # 24: one row only
        row("13", "2026-01-05", "102", "abc"),  # 25: not a number
        row("13", "2026-01-05", "504", None, "5.00", chart="2010"),  # 26: no such chart
        row(None, "2026-01-05", "102", "5.00"),  # 27: no key
        row("14", "2026-01-05", "102", "5.00", name="库存现金"),  # 28: code and name disagree
        row("14", "2026-01-05", "504", None, "5.00"),  # 29
        row("15", "2026-01-05", "102", "5.00", chart="2004"),  # 30: old chart without a name
        row("15", "2026-01-05", None, None, "5.00"),  # 31: no account at all
        row("16", "2026-01-05", "102", "20.00", summary=None),  # 32: no summary on any row
        row("16", "2026-01-05", "504", None, "20.00", summary=None),  # 33
    ]
    err = refused(w.a, rows)
    found = problems(err)
    expected = {
        (2, "科目编码"): "199",
        (4, "借方金额"): "借贷不平",
        (7, "日期"): "日期应相同",
        (8, "借方金额"): "两位小数",
        (9, "贷方金额"): "两位小数",
        (10, "借方金额"): "只能填一个",
        (11, "借方金额"): "请填写借方金额或贷方金额",
        (12, "日期"): "已结账",
        (14, "决议编号"): "四议两公开",
        (16, "决议编号"): "尚未通过",
        (18, "借方金额"): "负数",
        (19, "科目编码"): "明细科目",
        (20, "日期"): "YYYY-MM-DD",
        (21, "日期"): "没有这一天",
        (23, "科目名称"): "集体提留",
        (24, "凭证号"): "只有一行",
        (25, "借方金额"): "应为数字",
        (26, "科目体系"): "2023 或 2004",
        (27, "凭证号"): "请填写凭证号",
        (28, "科目名称"): "不符",
        (30, "科目名称"): "科目名称",
        (31, "科目编码"): "请填写科目编码或科目名称",
        (32, "摘要"): "摘要",
    }
    for where, words in expected.items():
        assert where in found, (where, found)
        assert words in found[where], (where, found[where])
    assert "借方多 0.50 元" in found[(4, "借方金额")] and "第4–5行" in found[(4, "借方金额")]
    assert set(found) == set(expected), set(found) ^ set(expected)
    assert err.details["row_count"] == len(expected) and err.details["error_count"] == len(err.details["rows"])
    assert [e["row"] for e in err.details["rows"]] == sorted(e["row"] for e in err.details["rows"])
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in e["message"]) for e in err.details["rows"])
    assert "整份未导入" in err.message


@pytest.mark.parametrize(
    ("cell", "fen"),
    [(1234.5, 123450), (0.3, 30), (100.0, 10000), (12, 1200), ("1,234,567.89", 123456789), (" 7.1 ", 710), (None, 0),
     ("", 0), (9999999999999.99, 999999999999999)],
)
def test_amount_cells_are_read_exactly(cell, fen):
    assert voucher_import._fen(cell) == fen


@pytest.mark.parametrize(
    "cell",
    [0.1 + 0.2, 1.005, 1e-05, 10**13, "1.2.3", "1,23", "¥5", True, float("nan"), float("inf"), -1, "-0.01"],
)
def test_amount_cells_that_are_not_yuan_and_fen_are_refused(cell):
    with pytest.raises(ValueError):
        voucher_import._fen(cell)


def test_an_unbalanced_voucher_says_by_how_much(app, w):
    err = refused(w.a, [
        row("7", "2026-01-05", "102", "100.00"),
        row("7", "2026-01-05", "501002", None, "60.00"),
        row("7", "2026-01-05", "504", None, "60.00"),
    ])
    assert problems(err) == {(2, "贷方金额"): "凭证 7（第2–4行）借贷不平：借方合计 100.00 元，贷方合计 120.00 元，"
                                              "贷方多 20.00 元"}


def test_another_villages_decision_does_not_count(app, w):
    other = resolved_decision(w.b.id, "新竹村修路", "工程建设", None, date(2025, 12, 1))
    db.session.commit()
    err = refused(w.a, [row("1", "2026-01-05", "513", "60000.00", decision=str(other.id)),
                        row("1", "2026-01-05", "102", None, "60000.00")])
    assert "找不到所注明的决议" in problems(err)[(2, "决议编号")]


def test_old_bare_operating_income_lands_in_its_default_sub_account(app, w):
    report = run(w.a, [row("1", "2026-01-05", None, "5.00", name="银行存款", chart="2004"),
                       row("1", "2026-01-05", None, None, "5.00", name="经营收入", chart="2004")])
    assert [c for c, *_ in stored(report["created"][0]["id"])] == ["102", "501003"]


def test_a_sub_account_that_does_not_exist_is_refused(app, w):
    err = refused(w.a, [row("1", "2026-01-05", None, "5.00", name="应收款-张三"),
                        row("1", "2026-01-05", "504", None, "5.00")])
    assert "没有明细科目“张三”" in problems(err)[(2, "科目名称")]


@pytest.mark.parametrize(
    ("headers", "words"),
    [
        (["凭证号", "日期", "摘要", "科目编码", "借方金额"], "贷方金额"),
        (["凭证号", "日期", "摘要", "借方金额", "贷方金额"], "科目编码或科目名称"),
        ([*HEADERS, "制单人"], "制单人"),
        (["凭证号", "日期", "日期", "摘要", "科目编码", "借方金额", "贷方金额"], "两次"),
    ],
    ids=["no-credit", "no-account", "unknown", "twice"],
)
def test_bad_headers_are_refused(app, w, headers, words):
    err = refused(w.a, [{"凭证号": "1"}], headers=headers)
    assert words in err.message and err.details["rows"][0]["row"] == 1


def test_an_unreadable_or_empty_file_is_refused(app, w):
    before = counts()
    for data in (b"", b"not a workbook", "凭证号,日期\n1,2026-01-05\n".encode()):
        with pytest.raises(AppError) as info:
            voucher_import.import_vouchers(w.a, BytesIO(data), actor=None)
        assert info.value.status == 422 and info.value.code == "ledger.import_invalid"
        assert info.value.details["rows"][0]["message"] == info.value.message
    err = refused(w.a, [None, None])
    assert "没有凭证数据" in err.message
    assert counts() == before


def test_too_many_rows_are_refused(app, w):
    app.config["VOUCHER_IMPORT_MAX_ROWS"] = 3
    try:
        err = refused(w.a, [row(str(i // 2), "2026-01-05", "102", "1.00") for i in range(4)])
    finally:
        del app.config["VOUCHER_IMPORT_MAX_ROWS"]
    assert "最多导入 3 行" in err.message


def test_books_changed_while_writing_leave_nothing_behind(app, w, monkeypatch):
    """The checks pass, then a month turns out closed while writing (a race): not one voucher stays."""
    db.session.add(Period(village_id=w.a.id, period="2026-02"))
    db.session.commit()
    monkeypatch.setattr(ledger, "closed_periods", lambda village_id: [])  # what the checks saw
    before = counts()
    with pytest.raises(AppError) as info:
        run(w.a, GOOD_2023)  # voucher 1 (January) is written before voucher 2 (February) fails
    assert info.value.status == 409 and info.value.code == "ledger.import_conflict"
    assert "整份未导入" in info.value.message and info.value.details["cause"] == "ledger.period_closed"
    db.session.rollback()
    assert counts() == before


# ---------------------------------------------------------------- dry run


def test_a_dry_run_checks_everything_and_writes_nothing(app, w):
    before = counts()
    report = run(w.a, GOOD_2023, dry_run=True)
    assert report["dry_run"] is True and report["vouchers"] == 3 and report["created"] == []
    assert report["periods"] == {"2026-01": 2, "2026-02": 1}
    db.session.rollback()
    assert counts() == before
    err = refused(w.a, [*GOOD_2023, row("9", "2026-01-05", "102", "1.00")])  # and refuses what it would refuse
    assert (9 + 1, "凭证号") in problems(err)


def test_a_dry_run_in_a_village_without_a_chart_yet_writes_no_accounts(app, make):
    v = make.village("BS01", "白石村", township=make.township("BS", "白石镇"))
    db.session.commit()
    report = voucher_import.import_vouchers(v, xlsx(GOOD_2023, HEADERS), actor=None, dry_run=True)
    assert report["vouchers"] == 3
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Account)).scalar_one() == 0


# ---------------------------------------------------------------- over HTTP


def upload(client: FlaskClient, village_id: int, data: BytesIO | None, headers: dict[str, str],
           **form: str) -> Any:
    payload: dict[str, Any] = dict(form)
    if data is not None:
        payload["file"] = (data, "凭证.xlsx", XLSX)
    return client.post(f"/api/v1/villages/{village_id}/vouchers/import", data=payload, headers=headers,
                       content_type="multipart/form-data")


@pytest.fixture
def http(app: Flask, client: FlaskClient) -> Any:
    """One request in its own app context (as in production): its session is removed when it ends."""

    def call(*args: Any, **kw: Any) -> Any:
        db.session.commit()
        with app.app_context():
            r = upload(client, *args, **kw)
        db.session.commit()
        return r

    return call


def test_the_endpoint_imports_and_reports(app, make, w, http):
    h = make.headers(w.acct)
    r = http(w.a.id, xlsx(GOOD_2023, HEADERS), h, dry_run="true")
    assert r.status_code == 200 and r.json["dry_run"] is True and r.json["vouchers"] == 3
    assert db.session.execute(select(func.count()).select_from(Voucher)).scalar_one() == 0
    r = http(w.a.id, xlsx(GOOD_2023, HEADERS), h)
    assert r.status_code == 200, r.json
    assert r.json["vouchers"] == 3 and r.json["total"] == "2234.60"
    assert [(c["period"], c["number"]) for c in r.json["created"]] == [("2026-01", 1), ("2026-02", 1), ("2026-01", 2)]
    entry = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ledger.voucher_import")).scalar_one()
    assert entry.actor_person_id == w.acct.person_id and "accountant" in entry.actor_roles.split(",")
    posts = db.session.execute(select(AuditEntry).where(AuditEntry.action == "ledger.voucher_post")).scalars().all()
    assert len(posts) == 3 and all(e.actor_person_id == w.acct.person_id for e in posts)


def test_the_endpoint_reports_bad_rows(app, make, w, http):
    h = make.headers(w.acct)
    before = counts()
    r = http(w.a.id, xlsx([row("1", "2026-01-05", "102", "10.00"), row("1", "2026-01-05", "501002", None, "9.00")],
                          HEADERS), h)
    assert r.status_code == 422 and r.json["error"]["code"] == "ledger.import_invalid"
    assert r.json["error"]["details"]["rows"] == [
        {"row": 2, "field": "借方金额",
         "message": "凭证 1（第2–3行）借贷不平：借方合计 10.00 元，贷方合计 9.00 元，借方多 1.00 元"}]
    r = http(w.a.id, None, h)
    assert r.status_code == 422 and r.json["error"]["code"] == "ledger.import_file_missing"
    assert counts() == before


def test_only_the_villages_own_bookkeepers_may_import(app, make, w, http):
    before = counts()
    assert http(w.a.id, xlsx(GOOD_2023, HEADERS), make.headers(w.b_acct)).status_code == 404
    assert http(w.a.id, xlsx(GOOD_2023, HEADERS), make.headers(w.villager)).status_code == 403
    assert http(w.a.id, xlsx(GOOD_2023, HEADERS), make.headers(w.sup)).status_code == 403
    assert http(w.a.id, xlsx(GOOD_2023, HEADERS), {}).status_code == 401
    assert counts() == before
    b_report = http(w.b.id, xlsx(GOOD_2023, HEADERS), make.headers(w.b_acct))
    assert b_report.status_code == 200
    vouchers = db.session.execute(select(Voucher.village_id)).scalars().all()
    assert set(vouchers) == {w.b.id}


# ---------------------------------------------------------------- a decision's amount, the template


def test_the_decision_amount_holds_across_the_file_and_the_books(w):
    d = resolved_decision(w.a.id, "村道照明工程", "工程建设", 10_000_000, date(2025, 12, 20))
    ref = str(d.id)
    run(w.a, [row("0", "2026-01-03", "514", "60000.00", None, decision=ref),
              row("0", "2026-01-03", "102", None, "60000.00", decision=ref)])
    db.session.commit()
    err = refused(w.a, [
        row("1", "2026-01-05", "514", "30000.00", None, decision=ref),
        row("1", "2026-01-05", "102", None, "30000.00"),
        row("2", "2026-01-06", "153", "10000.01", None, decision=ref),  # 在建工程: one fen beyond what remains
        row("2", "2026-01-06", "102", None, "10000.01"),
    ])
    found = problems(err)
    assert list(found) == [(4, "决议编号")]
    assert "村道照明工程" in found[(4, "决议编号")] and "100000.00 元" in found[(4, "决议编号")]
    assert "已支出 90000.00 元" in found[(4, "决议编号")]
    done = run(w.a, [
        row("1", "2026-01-05", "514", "30000.00", None, decision=ref),
        row("1", "2026-01-05", "102", None, "30000.00"),
        row("2", "2026-01-06", "153", "10000.00", None, decision=ref),  # exactly the amount
        row("2", "2026-01-06", "102", None, "10000.00"),
    ])
    assert done["vouchers"] == 2


def test_an_import_may_cite_only_a_resolved_decision_of_the_village(w, make):
    pending = Decision(village_id=w.a.id, title="修缮村委会办公楼", category="工程建设", amount_fen=None,
                       status="in_progress")
    db.session.add(pending)
    db.session.commit()
    err = refused(w.a, [
        row("1", "2026-01-05", "513", "100.00", None, decision=str(pending.id)),
        row("1", "2026-01-05", "102", None, "100.00"),
        row("2", "2026-01-06", "513", "100.00", None, decision="999999"),
        row("2", "2026-01-06", "102", None, "100.00"),
    ])
    found = problems(err)
    assert "尚未通过" in found[(2, "决议编号")] and "找不到" in found[(4, "决议编号")]


def test_the_template_has_the_columns_the_import_reads(client: FlaskClient, w, make):
    from openpyxl import load_workbook

    r = client.get(f"/api/v1/villages/{w.a.id}/vouchers/template.xlsx", headers=make.headers(w.acct))
    assert r.status_code == 200 and r.mimetype == XLSX
    wb = load_workbook(BytesIO(r.data))
    assert [c.value for c in wb.worksheets[0][1]] == HEADERS and wb.sheetnames == ["凭证", "填写说明"]
    # the empty template itself is a file with no vouchers, refused with a sentence (nothing written)
    r = client.post(f"/api/v1/villages/{w.a.id}/vouchers/import", headers=make.headers(w.acct),
                    data={"file": (BytesIO(r.data), "t.xlsx"), "dry_run": "true"})
    assert r.status_code == 422, r.json
    assert client.get(f"/api/v1/villages/{w.a.id}/vouchers/template.xlsx",
                      headers=make.headers(w.villager)).status_code == 403
