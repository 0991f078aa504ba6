"""Attendance and pay: one record per hire and month, within the hire and not ahead of time, never above the
wage; paying a month marks it paid and posts one voucher (Dr 514 公益支出) for the total, never twice; the pay
sheet and the selected list as .xlsx; the worker's own view."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.core.clock import today
from backend.core.db import db
from backend.jobs.models import JobDraw, JobHire, JobPay
from backend.ledger import service as ledger
from backend.ledger.models import Account, Voucher, VoucherLine
from tests.factories import parallel
from tests.jobs.conftest import count, refused, snapshot

START = date(2026, 3, 16)  # the window closes 9 March, 公示 to 13 March, hires confirmed on 14 March


@pytest.fixture
def crew(jobs):
    """Two hires on 村道保洁员 (600 元 a month) from 16 March 2026 for a year; the clock on 31 March 2026."""
    pid = jobs.posting(positions=2)
    a, b = jobs.villager("刘小梅", female=True), jobs.villager("孙大海")
    jobs.applied(pid, a, b)
    hires = jobs.hired(pid, start_on=START)
    jobs.at(datetime(2026, 3, 31, 2, tzinfo=UTC))
    by_person = {h["person_id"]: h["id"] for h in hires}
    return pid, (a, by_person[a.person_id]), (b, by_person[b.person_id])


def _record(jobs, hire_id, month, days=16, **extra):
    return jobs.client.post(f"/api/v1/job-hires/{hire_id}/pay", headers=jobs.sec(),
                            json={"month": month, "days_worked": days, **extra})


def _pay(jobs, month, paid_on=None, **extra):
    return jobs.client.post(f"/api/v1/villages/{jobs.village.id}/job-pay", headers=jobs.sec(),
                            json={"month": month, "paid_on": (paid_on or today()).isoformat(), **extra})


def _entries(voucher_id):
    return [tuple(r) for r in db.session.execute(
        select(Account.code, VoucherLine.debit_fen, VoucherLine.credit_fen).join(Account)
        .where(VoucherLine.voucher_id == voucher_id).order_by(VoucherLine.line_no))]


# ---------------------------------------------------------------- recording a month


def test_one_record_per_hire_and_month_at_the_wage_by_default(jobs, crew):
    _, (_, hire), (_, other) = crew
    r = _record(jobs, hire, "2026-03", days=12, score=88)
    assert r.status_code == 201, r.json
    assert (r.json["amount"], r.json["days_worked"], r.json["score"], r.json["paid_on"]) == ("600.00", 12, 88, None)
    before = snapshot()
    err = refused(_record(jobs, hire, "2026-03", days=13, amount="300.00"), 409, "job.pay_exists")
    assert "2026-03" in err["message"]
    assert snapshot() == before
    assert _record(jobs, other, "2026-03", amount="0.00").json["amount"] == "0.00"
    assert count(JobPay) == 2


@pytest.mark.parametrize(("month", "code"), [
    ("2026-02", "job.month_outside"),  # before the hire started (16 March)
    ("2026-04", "job.month_future"),  # not begun yet (today is 31 March)
    ("2026-13", "job.month_invalid"),
    ("2026-00", "job.month_invalid"),
    ("0000-03", "job.month_invalid"),
    ("+2026-3", "job.month_invalid"),  # the same March written another way: would pay it twice
    ("2026-3 ", None),
    ("202603", "validation.failed"),
])
def test_a_month_outside_the_hire_or_ahead_of_time_or_malformed_is_refused(jobs, crew, month, code):
    _, (_, hire), _ = crew
    assert _record(jobs, hire, "2026-03").status_code == 201
    before = snapshot()
    refused(_record(jobs, hire, month), 422, code)
    assert snapshot() == before


def test_the_last_month_of_the_term_is_paid_and_the_one_after_is_not(jobs, crew):
    _, (_, hire), _ = crew
    assert db.session.get(JobHire, hire).end_on == date(2027, 3, 15)
    jobs.at(datetime(2027, 4, 20, 2, tzinfo=UTC))
    refused(_record(jobs, hire, "2027-03", days=16), 422, "job.days_invalid")  # the term ends on the 15th
    assert _record(jobs, hire, "2027-03", days=15).status_code == 201
    refused(_record(jobs, hire, "2027-04"), 422, "job.month_outside")


def test_an_ended_hire_is_paid_up_to_its_last_month(jobs, crew):
    _, (_, hire), _ = crew
    jobs.at(datetime(2026, 6, 10, 2, tzinfo=UTC))
    r = jobs.client.post(f"/api/v1/job-hires/{hire}/end", headers=jobs.sec(), json={"on": "2026-04-30",
                                                                                     "reason": "入伍"})
    assert r.status_code == 200, r.json
    assert _record(jobs, hire, "2026-04").status_code == 201
    refused(_record(jobs, hire, "2026-05"), 422, "job.month_outside")


@pytest.mark.parametrize(("amount", "code"), [("600.01", "job.amount_invalid"), ("9999.00", "job.amount_invalid"),
                                              ("-1.00", None), ("12.345", "validation.failed")])
def test_the_amount_is_never_above_the_wage_nor_negative(jobs, crew, amount, code):
    _, (_, hire), _ = crew
    before = snapshot()
    refused(_record(jobs, hire, "2026-03", amount=amount), 422, code)
    assert snapshot() == before
    assert _record(jobs, hire, "2026-03", amount="600.00").json["amount"] == "600.00"


def test_a_villager_or_a_supervisor_cannot_record_pay(jobs, crew):
    _, (worker, hire), _ = crew
    supervisor = jobs.villager("孙立平", roles=("supervisor",))
    before = snapshot()
    for who in (worker, supervisor):
        refused(jobs.client.post(f"/api/v1/job-hires/{hire}/pay", headers=jobs.h(who),
                                 json={"month": "2026-03", "days_worked": 31}), 403)
    assert snapshot() == before


def test_the_database_holds_one_record_per_hire_and_month_and_no_negative_pay(jobs, crew):
    _, (_, hire), _ = crew
    h = db.session.get(JobHire, hire)

    def row(month, amount):
        return JobPay(hire_id=h.id, village_id=h.village_id, month=month, days_worked=20, amount_fen=amount)

    db.session.add(row("2026-03", 600_00))
    db.session.commit()
    for bad in (row("2026-03", 1_00), row("2026-04", -1)):
        db.session.add(bad)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
    assert count(JobPay) == 1


# ---------------------------------------------------------------- paying a month


def test_paying_a_month_marks_it_paid_and_posts_one_voucher_for_the_total(jobs, crew):
    _, (_, hire), (_, other) = crew
    assert _record(jobs, hire, "2026-03", days=12).status_code == 201
    assert _record(jobs, other, "2026-03", days=9, amount="450.50").status_code == 201
    r = _pay(jobs, "2026-03")
    assert r.status_code == 200, r.json
    assert r.json == {"month": "2026-03", "records": 2, "total": "1050.50"}
    vouchers = db.session.execute(select(Voucher).where(Voucher.source == "jobs")).scalars().all()
    assert len(vouchers) == 1
    v = vouchers[0]
    assert (v.status, v.total_fen, v.voucher_date) == ("posted", 1050_50, date(2026, 3, 31))
    assert _entries(v.id) == [("514", 1050_50, 0), ("102", 0, 1050_50)]
    rows = db.session.execute(select(JobPay.paid_on, JobPay.method, JobPay.voucher_id)).all()
    assert rows == [(date(2026, 3, 31), "bank", v.id)] * 2
    before = snapshot()
    refused(_pay(jobs, "2026-03"), 409, "job.nothing_to_pay")
    assert snapshot() == before
    # a paid month cannot be recorded again either
    refused(_record(jobs, hire, "2026-03", amount="100.00"), 409, "job.pay_exists")
    assert snapshot() == before


def test_cash_pay_is_credited_to_cash_and_a_later_record_gets_its_own_voucher(jobs, crew):
    _, (_, hire), (_, other) = crew
    assert _record(jobs, hire, "2026-03").status_code == 201
    r = _pay(jobs, "2026-03", method="cash")
    assert r.status_code == 200 and r.json["total"] == "600.00"
    first = db.session.execute(select(Voucher).where(Voucher.source == "jobs")).scalar_one()
    assert _entries(first.id) == [("514", 600_00, 0), ("101", 0, 600_00)]
    assert _record(jobs, other, "2026-03", amount="200.00").status_code == 201
    r = _pay(jobs, "2026-03")
    assert r.json == {"month": "2026-03", "records": 1, "total": "200.00"}
    second = db.session.execute(select(Voucher).where(Voucher.source == "jobs", Voucher.id != first.id)).scalar_one()
    assert _entries(second.id) == [("514", 200_00, 0), ("102", 0, 200_00)]
    assert _entries(first.id) == [("514", 600_00, 0), ("101", 0, 600_00)]


def test_paying_is_refused_ahead_of_time_by_an_unknown_method_or_into_closed_books(jobs, crew):
    _, (_, hire), _ = crew
    assert _record(jobs, hire, "2026-03").status_code == 201
    before = snapshot()
    refused(_pay(jobs, "2026-03", paid_on=date(2026, 4, 1)), 422, "job.paid_on_invalid")
    refused(_pay(jobs, "2026-03", method="wechat"), 422, "validation.failed")
    refused(_pay(jobs, "2026-04"), 409, "job.nothing_to_pay")
    refused(_pay(jobs, "2026-3x"), 422, "job.month_invalid")
    assert snapshot() == before
    ledger.close_period(jobs.village, "2026-03", actor=None)
    db.session.commit()
    before = snapshot()
    r = _pay(jobs, "2026-03")
    assert r.status_code in (409, 422) and r.json["error"]["code"].startswith("ledger."), r.json
    db.session.rollback()
    assert snapshot() == before
    assert db.session.execute(select(JobPay.paid_on)).scalars().all() == [None]
    # paid in April instead: fine
    jobs.at(datetime(2026, 4, 2, 2, tzinfo=UTC))
    assert _pay(jobs, "2026-03", paid_on=date(2026, 4, 2)).status_code == 200


def test_a_month_paid_by_many_requests_at_once_is_paid_once(app, jobs, crew, postgres_only):
    _, (_, hire), (_, other) = crew
    assert _record(jobs, hire, "2026-03").status_code == 201
    assert _record(jobs, other, "2026-03").status_code == 201
    sec = jobs.sec()
    url = f"/api/v1/villages/{jobs.village.id}/job-pay"
    body = {"month": "2026-03", "paid_on": today().isoformat(), "method": "bank"}
    results = parallel(app, [(lambda c: c.post(url, headers=sec, json=body)) for _ in range(8)])
    assert sorted(r.status_code for r in results) == [200] + [409] * 7, [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} == {"job.nothing_to_pay"}
    assert count(Voucher, Voucher.source == "jobs") == 1
    v = db.session.execute(select(Voucher).where(Voucher.source == "jobs")).scalar_one()
    assert v.total_fen == 1200_00
    assert set(db.session.execute(select(JobPay.voucher_id)).scalars()) == {v.id}


# ---------------------------------------------------------------- spreadsheets


def test_the_monthly_pay_sheet_lists_each_worker_and_the_total(jobs, crew):
    _, (_, hire), (_, other) = crew
    assert _record(jobs, hire, "2026-03", days=12, score=90).status_code == 201
    assert _record(jobs, other, "2026-03", days=9, amount="450.50").status_code == 201
    url = f"/api/v1/villages/{jobs.village.id}/job-pay.xlsx"
    r = jobs.client.get(url, headers=jobs.sec(), query_string={"month": "2026-03"})
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    ws = load_workbook(BytesIO(r.data)).worksheets[0]
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "临江村公益岗位2026-03考勤及工资表"
    assert rows[1][:6] == ["序号", "姓名", "岗位", "出勤天数", "考核分", "应发（元）"]
    body = {row[1]: row for row in rows[2:-1]}
    assert set(body) == {"刘小梅", "孙大海"}
    assert body["刘小梅"][2:7] == ["村道保洁员", 12, 90, 600, None]  # money is a number (issue 19), not a text
    assert body["孙大海"][3:6] == [9, None, 450.5]
    assert ws.cell(row=3, column=6).number_format == "#,##0.00"
    assert rows[-1][0] == "合计" and rows[-1][5] == 1050.5
    assert _pay(jobs, "2026-03").status_code == 200
    ws = load_workbook(BytesIO(jobs.client.get(url, headers=jobs.sec()).data)).worksheets[0]  # this month
    rows = [list(row) for row in ws.iter_rows(values_only=True)]
    assert {row[6] for row in rows[2:-1]} == {datetime(2026, 3, 31)}  # a date Excel sorts
    other_month = jobs.client.get(url, headers=jobs.sec(), query_string={"month": "2026-02"})
    rows = [list(row) for row in load_workbook(BytesIO(other_month.data)).worksheets[0].iter_rows(values_only=True)]
    assert len(rows) == 3 and rows[-1][5] == 0
    refused(jobs.client.get(url, headers=jobs.sec(), query_string={"month": "2026-13"}), 422)


def test_the_selected_list_names_the_selected_with_the_list_hash_and_the_seed(jobs):
    pid = jobs.posting(positions=2)
    people = [jobs.villager(n) for n in ("刘小梅", "孙大海", "周三", "吴四")]
    jobs.applied(pid, *people)
    url = f"/api/v1/job-postings/{pid}/selected.xlsx"
    rows = [list(r) for r in load_workbook(BytesIO(jobs.client.get(url, headers=jobs.sec()).data))
            .worksheets[0].iter_rows(values_only=True)]
    assert rows[0][0] == "村道保洁员（保洁）拟聘用人员名单" and len(rows) == 2  # nothing drawn yet
    d = jobs.drawn(pid, "11-22-33")
    selected = {a["name"] for a in d["applicants"] if a["status"] == "selected"}
    draw = db.session.execute(select(JobDraw)).scalar_one()
    rows = [list(r) for r in load_workbook(BytesIO(jobs.client.get(url, headers=jobs.sec()).data))
            .worksheets[0].iter_rows(values_only=True)]
    assert rows[1] == ["序号", "姓名", "户号", "年龄", "优先群体", "抽签序号", "状态"]
    listed = [r for r in rows[2:] if isinstance(r[0], int)]
    assert {r[1] for r in listed} == selected and len(listed) == 2
    assert [r[5] for r in listed] == [1, 2] and {r[6] for r in listed} == {"拟聘用（公示中）"}
    assert all(r[2] and r[3] == 50 for r in listed)
    assert ["报名名单封存哈希", draw.list_hash] in [r[:2] for r in rows]
    assert ["抽签种子", "11-22-33"] in [r[:2] for r in rows]


# ---------------------------------------------------------------- the worker's own view


def test_a_worker_sees_their_own_pay_and_no_one_elses(jobs, crew):
    pid, (a, hire), (b, other) = crew
    assert _record(jobs, hire, "2026-03", days=12).status_code == 201
    assert _record(jobs, other, "2026-03", days=9, amount="450.50").status_code == 201
    mine = jobs.client.get("/api/v1/me/job-pay", headers=jobs.h(a)).json
    assert mine["items"] == [{"posting": {"id": pid, "title": "村道保洁员"}, "month": "2026-03", "days_worked": 12,
                              "amount": "600.00", "paid_on": None}]
    assert _pay(jobs, "2026-03").status_code == 200
    jobs.at(datetime(2026, 5, 3, 2, tzinfo=UTC))
    assert _record(jobs, hire, "2026-04", days=22).status_code == 201
    mine = jobs.client.get("/api/v1/me/job-pay", headers=jobs.h(a)).json
    assert mine["total"] == 2
    assert [(x["month"], x["paid_on"]) for x in mine["items"]] == [("2026-04", None), ("2026-03", "2026-03-31")]
    theirs = jobs.client.get("/api/v1/me/job-pay", headers=jobs.h(b)).json["items"]
    assert [(x["month"], x["amount"]) for x in theirs] == [("2026-03", "450.50")]
    nobody = jobs.villager("旁人")
    assert jobs.client.get("/api/v1/me/job-pay", headers=jobs.h(nobody)).json == {
        "items": [], "total": 0, "page": 1, "page_size": 20}



def test_someone_selected_for_two_posts_is_hired_only_once(make, now):
    """Selected in two postings drawn at the same time: the second confirmation withdraws them (no two posts)."""
    from datetime import timedelta

    from backend.core.clock import utcnow
    from backend.jobs import service as jobs_service
    from backend.jobs.models import JobApplication

    village = make.village("LJ09", "双岗村")
    worker = make.member(village, "钱多多")
    postings = []
    for title in ("村道保洁员", "护林员"):
        p = jobs_service.create_posting(village, jobs_service.PostingInput(
            title, "保洁", 1, 500_00, utcnow() - timedelta(hours=1), utcnow() + timedelta(hours=1)), actor=None)
        jobs_service.apply(p, worker.person_id, note=None, actor=make.principal(worker))
        postings.append(p)
    now[0] = now[0] + timedelta(hours=2)
    for p in postings:
        jobs_service.seal_applicants(p, actor=None)
        jobs_service.announce_seed(p, "7", None, actor=None)
    now[0] = now[0] + timedelta(days=10)
    first = jobs_service.confirm_hires(postings[0], today(), actor=None)
    second = jobs_service.confirm_hires(postings[1], today(), actor=None)
    assert len(first) == 1 and second == []
    statuses = db.session.execute(select(JobApplication.status).where(
        JobApplication.person_id == worker.person_id)).scalars().all()
    assert sorted(statuses) == ["hired", "withdrawn"]
    hires = db.session.execute(select(JobHire.id).where(JobHire.person_id == worker.person_id)).scalars().all()
    assert len(hires) == 1
