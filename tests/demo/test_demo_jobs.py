"""The demo's public-benefit jobs (docs/demo.md): the open 村道保洁员 posting (2 posts, 600.00 a month, open 14
days from seeding), last year's 护路员 with 刘小梅 hired and paid monthly, a running 巡河护岸员 cycle; every draw
re-runs from the sealed list and the seed, the seal chain verifies, the pay vouchers balance, a second seed adds
nothing."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend import demo, registry
from backend.core.audit import AuditEntry
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.seal import Seal, verify_chain, verify_seal
from backend.demo import jobs as demo_jobs
from backend.jobs import service as jobs
from backend.jobs.models import JobApplication, JobDraw, JobHire, JobObjection, JobPay, JobPosting
from backend.ledger.models import Voucher

COUNTED = (JobPosting, JobApplication, JobDraw, JobObjection, JobHire, JobPay, Voucher, Seal, AuditEntry)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in COUNTED}


def _login(client: FlaskClient, key: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/wechat-login", json={"code": f"demo-{key}"})
    assert r.status_code == 200 and r.json["bound"] is True, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def _posting(village_id: int, title: str) -> JobPosting:
    return db.session.execute(select(JobPosting).where(JobPosting.village_id == village_id,
                                                       JobPosting.title == title)).scalar_one()


def test_the_demo_jobs(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    spent: list[float] = []
    seed_jobs = demo_jobs.seed_jobs

    def timed() -> int:
        t = time.perf_counter()
        try:
            return seed_jobs()
        finally:
            spent.append(time.perf_counter() - t)

    monkeypatch.setattr(demo_jobs, "seed_jobs", timed)
    before_seed = utcnow().replace(microsecond=0)
    started = time.perf_counter()
    demo.seed()
    db.session.commit()
    print(f"\ndemo seed ({db.engine.dialect.name}): {time.perf_counter() - started:.1f} s, "
          f"of which the jobs {spent[0]:.2f} s")
    monkeypatch.undo()
    after_seed = utcnow()
    lj = registry.village_by_code("LJ01")
    assert lj is not None
    year = today().year - 1

    # docs/demo.md's fixed figures, as any 临江村 villager sees them
    zhang = _login(client, "zhangdashan")
    listed = client.get(f"/api/v1/villages/{lj.id}/job-postings", headers=zhang).json
    assert [(p["title"], p["category"], p["positions"], p["monthly_wage"], p["status"]) for p in listed["items"]] \
        == [("村道保洁员", "保洁", 2, "600.00", "open")]
    item = listed["items"][0]
    opened, until = datetime.fromisoformat(item["apply_from"]), datetime.fromisoformat(item["apply_until"])
    assert item["apply_until"].endswith("+08:00") and until - opened == timedelta(days=14)
    assert before_seed <= opened <= after_seed
    assert [p["title"] for p in client.get(f"/api/v1/villages/{lj.id}/job-postings/all",
                                           headers=zhang).json["items"]] == ["村道保洁员", "巡河护岸员", "护路员"]

    # 刘小梅 (脱贫户, her 护路员 term over) may apply to it; she has not yet
    liu = _login(client, "liuxiaomei")
    detail = client.get(f"/api/v1/job-postings/{item['id']}", headers=liu).json
    assert detail["eligibility"] == {"ok": True, "reason": None, "priority": True}
    assert detail["funding"] == "衔接资金" and detail["term_months"] == 12 and detail["applications"] == 3
    assert (detail["min_age"], detail["max_age"], detail["priority_only"]) == (16, 65, False)
    open_posting = db.session.get(JobPosting, item["id"])
    assert open_posting is not None
    assert not jobs.eligibility(open_posting, demo.person("wangjianguo").id).ok  # cadre family
    assert not jobs.eligibility(open_posting, demo.person("sunyoufu").id).ok  # over 65
    staff = _login(client, "wangjianguo")
    applicants = client.get(f"/api/v1/job-postings/{item['id']}", headers=staff).json["applicants"]
    assert len(applicants) == 3 and sum(a["assisted"] for a in applicants) == 1
    assert all(a["status"] == "applied" and a["household_number"] not in ("LJ-001", "LJ-006") for a in applicants)

    # her 护路员 application, hired, and twelve months paid
    mine = client.get("/api/v1/me/job-applications", headers=liu).json
    assert [(a["posting"]["title"], a["status"], a["status_label"]) for a in mine["items"]] \
        == [("护路员", "hired", "已聘用")]
    pay = client.get("/api/v1/me/job-pay?page_size=50", headers=liu).json
    assert pay["total"] == 12
    assert [p["month"] for p in pay["items"]] == [f"{year}-{m:02d}" for m in range(12, 0, -1)]
    assert all(p["amount"] == "500.00" and p["posting"]["title"] == "护路员" for p in pay["items"])
    waiting = [p["month"] for p in pay["items"] if not p["paid_on"]]  # December's pay goes out on 5 January
    assert waiting == ([f"{year}-12"] if today() < date(year + 1, 1, demo_jobs.PAY_DAY) else [])

    # last year's 护路员: priority-only (solar income), sealed, drawn, 公示 with an objection answered, hired for a year
    past = _posting(lj.id, "护路员")
    assert past.status == "confirmed" and past.priority_only and past.funding == "光伏收益"
    objections = jobs.objections_of(past)
    assert len(objections) == 1 and objections[0].answer and objections[0].raised_by_name == "刘建华"
    hires = jobs.hires_of(past)
    assert len(hires) == 2 and {(h.start_on.isoformat(), h.end_on.isoformat()) for h in hires} \
        == {(f"{year}-01-01", f"{year}-12-31")}
    assert {a.assisted_by_id is not None for a in jobs._applicants(past)} == {True, False}
    running = _posting(lj.id, "巡河护岸员")
    assert running.status == "confirmed" and len(jobs._applicants(running)) == 5
    assert all(h.start_on < today() < h.end_on for h in jobs.hires_of(running))
    statuses = {a.status for a in jobs._applicants(running)}
    assert statuses == {"hired", "waitlisted"}

    # every draw re-runs from the sealed list and the announced seed
    for p in (past, running):
        d = jobs.get_draw(p)
        assert d is not None and d.seed and d.result
        sealed = db.session.get(Seal, d.list_seal_id)
        assert sealed is not None and sealed.hash == d.list_hash and verify_seal(sealed)
        assert d.sealed_at > p.apply_until and d.seed_at is not None and d.seed_at > d.sealed_at
        order = jobs.draw_order(json.loads(sealed.canonical)["applicants"], d.seed)
        assert order == json.loads(d.result)
        ranked = sorted(jobs._applicants(p), key=lambda a: a.rank or 0)
        assert [a.receipt for a in ranked] == order
        assert [a.status for a in ranked] == ["hired"] * p.positions + ["waitlisted"] * (len(order) - p.positions)
    assert verify_chain(lj.id).ok

    # the pay: one voucher a month, Dr 514 公益支出 / Cr 102, posted and balanced, matching the paid records
    vouchers = db.session.execute(select(Voucher).where(Voucher.village_id == lj.id, Voucher.source == "jobs")
                                  ).scalars().all()
    assert len(vouchers) >= 11 and all(v.status == "posted" and v.voucher_date <= today() for v in vouchers)
    for v in vouchers:
        assert sum(ln.debit_fen for ln in v.lines) == sum(ln.credit_fen for ln in v.lines) > 0
        assert {ln.account.code for ln in v.lines if ln.debit_fen} == {"514"}
        assert {ln.account.code for ln in v.lines if ln.credit_fen} == {"102"}
    paid = db.session.execute(select(JobPay).where(JobPay.village_id == lj.id, JobPay.paid_on.is_not(None))
                              ).scalars().all()
    assert sum(r.amount_fen for r in paid) == sum(ln.debit_fen for v in vouchers for ln in v.lines)
    assert all(r.voucher_id is not None and r.method == "bank" for r in paid)
    unpaid = db.session.execute(select(JobPay).where(JobPay.paid_on.is_(None))).scalars().all()
    assert all(r.month == max(p.month for p in paid + unpaid) for r in unpaid)  # at most the last month waits

    # seeding again adds nothing
    before = _counts()
    assert demo_jobs.seed_jobs() == 0
    assert "无新增" in demo.seed()
    db.session.commit()
    assert _counts() == before
