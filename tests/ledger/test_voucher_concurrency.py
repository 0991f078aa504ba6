"""Posting and reversing under concurrent requests (PostgreSQL: real row locks and parallel transactions)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select

from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.ledger import service as ledger
from backend.ledger.models import Voucher, VoucherCounter
from backend.registry.models import Village
from tests.factories import parallel


def _draft(village: Village, on: date, amount_fen: int = 300_00) -> int:
    v = ledger.create_voucher(village, ledger.VoucherInput(on, "收到土地租金", [
        ledger.LineInput("102", debit_fen=amount_fen), ledger.LineInput("501002", credit_fen=amount_fen)]),
        actor=None)
    return v.id


def _numbers(village_id: int, period: str) -> list[int]:
    db.session.expire_all()
    return list(db.session.execute(
        select(Voucher.number).where(Voucher.village_id == village_id, Voucher.period == period,
                                     Voucher.status == "posted").order_by(Voucher.number)).scalars())


def test_twenty_drafts_posted_at_once_get_numbers_one_to_twenty(app, books, postgres_only):
    ids = [_draft(books["a"], date(2026, 1, 1 + i)) for i in range(20)]
    db.session.commit()
    h = books["h"]
    results = parallel(app, [(lambda c, i=i: c.post(f"/api/v1/vouchers/{i}/post", headers=h)) for i in ids])
    assert [r.status_code for r in results] == [200] * 20, [r.json for r in results if r.status_code != 200]
    assert sorted(r.json["number"] for r in results) == list(range(1, 21))
    assert _numbers(books["a"].id, "2026-01") == list(range(1, 21))
    assert db.session.get(VoucherCounter, (books["a"].id, "2026-01")).last_number == 20
    posts = db.session.execute(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "ledger.voucher_post")).scalar_one()
    assert posts == 20


def test_months_and_villages_number_independently_under_load(app, books, postgres_only):
    a, b = books["a"], books["b"]
    jobs = [(a, date(2026, 1, 5), books["h"]), (a, date(2026, 2, 5), books["h"]), (b, date(2026, 1, 5), books["b_h"])]
    calls = []
    for village, on, h in jobs:
        for _ in range(8):
            vid = _draft(village, on)
            calls.append(lambda c, vid=vid, h=h: c.post(f"/api/v1/vouchers/{vid}/post", headers=h))
    db.session.commit()
    results = parallel(app, calls)
    assert [r.status_code for r in results] == [200] * len(calls)
    assert _numbers(a.id, "2026-01") == list(range(1, 9))
    assert _numbers(a.id, "2026-02") == list(range(1, 9))
    assert _numbers(b.id, "2026-01") == list(range(1, 9))


def test_one_draft_posted_by_several_requests_at_once_is_posted_once(app, books, postgres_only):
    vid = _draft(books["a"], date(2026, 1, 5))
    db.session.commit()
    h = books["h"]
    results = parallel(app, [(lambda c: c.post(f"/api/v1/vouchers/{vid}/post", headers=h)) for _ in range(6)])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409, 409, 409, 409, 409], [r.json for r in results]
    assert all(r.json["error"]["code"] == "ledger.voucher_posted" for r in results if r.status_code == 409)
    assert _numbers(books["a"].id, "2026-01") == [1]
    assert db.session.get(VoucherCounter, (books["a"].id, "2026-01")).last_number == 1


def test_one_voucher_reversed_by_several_requests_at_once_is_reversed_once(app, books, postgres_only):
    original = ledger.post_voucher(ledger.get_voucher(_draft(books["a"], date(2026, 1, 5))), actor=None)
    db.session.commit()
    h, oid = books["h"], original.id
    body = {"date": "2026-01-20", "reason": "重复入账"}
    results = parallel(app, [(lambda c: c.post(f"/api/v1/vouchers/{oid}/reverse", json=body, headers=h))
                              for _ in range(6)])
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.json for r in results]
    assert all(r.json["error"]["code"] == "ledger.already_reversed" for r in results if r.status_code == 409)
    db.session.expire_all()
    reversals = db.session.execute(select(Voucher).where(Voucher.reverses_id == oid)).scalars().all()
    assert len(reversals) == 1 and reversals[0].status == "posted"
    assert db.session.execute(select(func.count()).select_from(Voucher)).scalar_one() == 2  # no stray drafts
    assert _numbers(books["a"].id, "2026-01") == [1, 2]


def test_an_edit_racing_a_post_never_leaves_a_posted_voucher_that_differs_from_its_lines(app, books, postgres_only):
    h = books["h"]
    edit = {"voucher_date": "2026-01-06", "summary": "改为收到补助",
            "lines": [{"account_code": "102", "debit": "555.00"}, {"account_code": "503", "credit": "555.00"}]}
    for _ in range(5):
        vid = _draft(books["a"], date(2026, 1, 5))
        db.session.commit()
        results = parallel(app, [lambda c, vid=vid: c.post(f"/api/v1/vouchers/{vid}/post", headers=h),
                                  lambda c, vid=vid: c.put(f"/api/v1/vouchers/{vid}", json=edit, headers=h)])
        post, put = results
        assert post.status_code == 200, post.json
        assert put.status_code in (200, 409), put.json  # before the post, or refused after it: never a 500
        db.session.expire_all()
        v = ledger.get_voucher(vid)
        assert v.status == "posted"
        assert v.total_fen == sum(x.debit_fen for x in v.lines) == sum(x.credit_fen for x in v.lines)
        assert v.total_fen == (555_00 if put.status_code == 200 else 300_00)
        assert {x.account.code for x in v.lines} == ({"102", "503"} if put.status_code == 200 else {"102", "501002"})


def test_a_month_closed_while_a_reversal_is_being_written_takes_no_voucher(app, books, postgres_only, monkeypatch):
    """The close cannot see a voucher created and posted in one transaction (it is never a visible draft), so
    posting checks the month again under the month's lock. Made deterministic: the close is sent once the
    reversal has passed its checks, and the reversal takes its number only after the close has committed."""
    original = ledger.post_voucher(ledger.get_voucher(_draft(books["a"], date(2026, 1, 5))), actor=None)
    db.session.commit()
    h, oid, a_id = books["h"], original.id, books["a"].id
    checked, closed = threading.Event(), threading.Event()
    real_next_number = ledger._next_number

    def next_number_after_the_close(village_id: int, period: str) -> int:
        checked.set()
        assert closed.wait(20)
        return real_next_number(village_id, period)

    monkeypatch.setattr(ledger, "_next_number", next_number_after_the_close)

    def close(c: Any) -> Any:
        try:
            assert checked.wait(20)
            return c.post(f"/api/v1/villages/{a_id}/periods/2026-02/close", headers=h)
        finally:
            closed.set()

    rev, shut = parallel(app, [
        lambda c: c.post(f"/api/v1/vouchers/{oid}/reverse", json={"date": "2026-02-10", "reason": "重复"}, headers=h),
        close,
    ])
    assert shut.status_code == 200, shut.json
    assert rev.status_code == 409 and rev.json["error"]["code"] == "ledger.period_closed", rev.json
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Voucher).where(Voucher.period == "2026-02")
                              ).scalar_one() == 0
    counter = db.session.get(VoucherCounter, (a_id, "2026-02"))
    assert counter is None or counter.last_number == 0


def _workbook(months: list[str], per_month: int, tag: str) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["凭证号", "日期", "摘要", "科目编码", "借方金额", "贷方金额"])
    for m in months:
        for i in range(per_month):
            ws.append([f"{tag}{m}-{i}", f"{m}-05", "收到租金", "102", "10.00", None])
            ws.append([f"{tag}{m}-{i}", f"{m}-05", "收到租金", "501002", None, "10.00"])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def test_two_imports_at_once_into_the_same_months_share_the_numbers_without_gaps(app, books, postgres_only):
    """One file runs January then February, the other February then January: months are locked in one order,
    so neither waits for the other in a cycle, and the numbers of each month run 1..n."""
    h, a_id = books["h"], books["a"].id
    files = [_workbook(["2026-01", "2026-02"], 15, "A"), _workbook(["2026-02", "2026-01"], 15, "B")]

    def send(data: bytes) -> Callable[[Any], Any]:
        return lambda c: c.post(f"/api/v1/villages/{a_id}/vouchers/import", headers=h,
                                data={"file": (BytesIO(data), "凭证.xlsx")}, content_type="multipart/form-data")

    results = parallel(app, [send(f) for f in files])
    assert [r.status_code for r in results] == [200, 200], [r.json for r in results]
    assert _numbers(a_id, "2026-01") == list(range(1, 31))
    assert _numbers(a_id, "2026-02") == list(range(1, 31))
    for r in results:  # each file's vouchers are numbered in file order within a month
        for period in ("2026-01", "2026-02"):
            numbers = [c["number"] for c in r.json["created"] if c["period"] == period]
            assert numbers == sorted(numbers) and len(numbers) == 15


def test_expenses_posted_at_once_under_one_decision_never_exceed_its_amount(app, books, postgres_only):
    from backend.ledger.decision_cap import decision_spent
    from tests.factories import resolved_decision

    d = resolved_decision(books["a"].id, "新建村道照明工程", "工程建设", 10_000_000, date(2025, 12, 20))
    ids = []
    for i in range(6):  # six of 30,000.00 against 100,000.00: three fit
        v = ledger.create_voucher(books["a"], ledger.VoucherInput(date(2026, 1, 1 + i), "支付工程款", [
            ledger.LineInput("514", debit_fen=3_000_000), ledger.LineInput("102", credit_fen=3_000_000)],
            decision_ref=str(d.id)), actor=None)
        ids.append(v.id)
    db.session.commit()
    h = books["h"]
    results = parallel(app, [(lambda c, i=i: c.post(f"/api/v1/vouchers/{i}/post", headers=h)) for i in ids])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 200, 422, 422, 422], [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 422} == {"ledger.decision_amount_exceeded"}
    assert decision_spent(books["a"].id, [d.id]) == {d.id: 9_000_000}
