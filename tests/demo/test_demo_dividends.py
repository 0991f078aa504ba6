"""The demo's dividends (docs/demo.md): 临江村's register and last year's distribution, paid, on the demo decision;
张大山's household LJ-005 holds 3 成员股 and 2 劳龄股 and was paid 250.00 at 50.00 per share."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend import demo, registry
from backend import disclosures as disclosure_service
from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.seal import Seal, verify_chain
from backend.decisions.pipeline.models import Decision
from backend.demo import dividends as demo_dividends
from backend.disclosures.models import Disclosure
from backend.dividends import computing
from backend.dividends.models import (
    Distribution,
    DividendLine,
    PayeeAccount,
    PaymentBatch,
    ShareCertificate,
    ShareChange,
    ShareEvent,
    ShareType,
)
from backend.dividends.shares import service as register
from backend.ledger import service as ledger
from backend.ledger.models import Period, Voucher
from tests.factories import Factory

COUNTED = (ShareType, ShareEvent, ShareChange, ShareCertificate, PayeeAccount, Distribution, DividendLine,
           PaymentBatch, Voucher, Period, Seal, AuditEntry)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in COUNTED}


def _fen(yuan: str) -> int:
    whole, frac = yuan.split(".")
    return int(whole) * 100 + int(frac)


def test_the_register_plan_gives_lj005_its_fixed_shares() -> None:
    on = demo_dividends.reform_day(today())
    plan = demo_dividends.register_plan("LJ01", on)
    lj005 = [a for a in plan.initial if a.household == "LJ-005"]
    assert sorted(a.name for a in lj005) == ["孙红", "张大山", "张小燕"]
    assert sum(a.member for a in lj005) == 3 and sum(a.labor for a in lj005) == 2
    assert all(born >= on for _, _, born in plan.births) and plan.births  # 生不增: recorded, no shares
    assert "LJ-005" not in {a.household for a in plan.transfer} | set(plan.no_account) | set(plan.bank_returned)
    assert "LJ-007" in plan.no_account
    assert plan == demo_dividends.register_plan("LJ01", on)  # deterministic


def test_the_demo_distribution_is_paid_and_zhangdashan_sees_250(app: Flask, client: FlaskClient,
                                                                 make: Factory) -> None:
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    assert lj is not None
    year = today().year - 1

    # 张大山 logs in through the WeChat stand-in and looks at his dividends
    login = client.post("/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan"})
    assert login.status_code == 200 and login.json["bound"] is True, login.json
    zhang = {"Authorization": f"Bearer {login.json['token']}"}
    mine = client.get("/api/v1/me/dividends", headers=zhang).json
    assert mine["total"] == 1
    item = mine["items"][0]
    assert item["declaration"]["year"] == year and item["declaration"]["per_share"] == "50.00"
    assert item["household_shares"] == 5 and item["amount"] == "250.00"
    assert item["status"] == "paid" and item["paid_at"] and item["paid_on"]
    did = item["declaration"]["id"]
    st = client.get(f"/api/v1/me/dividends/{did}", headers=zhang).json
    assert {s["name"]: s["shares"] for s in st["shares_by_type"]} == {"成员股": 3, "劳龄股": 2}
    assert st["household"]["number"] == "LJ-005" and st["household_shares"] == 5
    assert [(c["kind"], c["per_share"], c["per_share_exact"], c["units"], c["amount"]) for c in st["components"]] \
        == [("equity", "50.00", True, 5, "250.00")]
    assert st["amount"] == "250.00" and st["status"] == "paid" and st["paid_on"] and st["paid_at"]
    assert {m["name"] for m in st["members"]} == {"张大山", "孙红", "张小燕"}

    # the plan as the accountant sees it: paid in full, the lines sum exactly to the pool
    staff = make.headers(demo.person("lixiuying"))
    plan: dict[str, Any] = client.get(f"/api/v1/distributions/{did}", headers=staff).json
    assert plan["status"] == "paid" and plan["per_share"] == "50.00"
    assert plan["unpaid_total"] == "0.00" and plan["paid_households"] == plan["households"]
    assert _fen(plan["pool"]) == plan["total_shares"] * 5_000 == _fen(plan["total"]) == _fen(plan["paid_total"])
    assert sum(_fen(b["amount"]) for b in plan["buckets"]) == _fen(plan["distributable"])
    retained = sum(b["percent_bp"] for b in plan["buckets"] if b["kind"] == "retain")
    assert retained >= 3000 and _fen(plan["pool"]) <= sum(_fen(b["amount"]) for b in plan["buckets"]
                                                            if b["kind"] == "dividend")
    assert plan["objections"] and all(o["answer"] for o in plan["objections"])
    lines = client.get(f"/api/v1/distributions/{did}/lines?page_size=100", headers=staff).json
    assert lines["total"] == plan["households"] == len(lines["items"])
    assert sum(_fen(ln["amount"]) for ln in lines["items"]) == _fen(plan["pool"])
    assert all(ln["paid_on"] for ln in lines["items"])
    assert all(_fen(ln["amount"]) == ln["shares"] * 5_000 for ln in lines["items"])

    # it rests on the demo decision, resolved by the 成员大会, and everything happened before today
    d = db.session.get(Distribution, did)
    assert d is not None and d.decision_id is not None
    decision = db.session.get(Decision, d.decision_id)
    assert decision is not None and decision.title == f"{year}年度集体收益分配方案"
    assert decision.decision_body == "members_assembly" and decision.status == "done"
    assert decision.amount_fen == d.pool_fen == d.paid_out_fen  # the plan's 分红总额 is what was paid
    assert decision.resolved_on is not None and d.published_at is not None and d.paid_at is not None
    assert decision.resolved_on < d.publicity_until < min(ln.paid_on for ln in db.session.execute(
        select(DividendLine).where(DividendLine.distribution_id == did)).scalars()) < today()
    batches = db.session.execute(select(PaymentBatch).where(PaymentBatch.distribution_id == did)
                                 .order_by(PaymentBatch.id)).scalars().all()
    assert [b.method for b in batches] == ["bank", "cash"] and all(b.idempotency_key for b in batches)
    assert batches[0].count > 10 * batches[1].count > 0

    # the seal chain, the frozen register, the books
    assert verify_chain(lj.id).ok
    assert computing.verify_register(d)
    assert register.static_policy(lj)
    vouchers = db.session.execute(select(Voucher).where(Voucher.village_id == lj.id,
                                                        Voucher.source == "dividends")).scalars().all()
    assert len(vouchers) == 3 and all(v.status == "posted" for v in vouchers)
    assert all(v.voucher_date < today() for v in vouchers)
    assert len(ledger.closed_periods(lj.id)) == 24  # the months the payout went into are closed (afterwards)
    for disc in db.session.execute(select(Disclosure).where(Disclosure.village_id == lj.id)).scalars():
        # the sealed quarterly disclosures match the books
        assert disclosure_service.snapshot(lj, disc.period).content == disc.content_data()
    certified = db.session.execute(select(func.count(ShareCertificate.id))
                                   .where(ShareCertificate.village_id == lj.id)).scalar_one()
    accounts = db.session.execute(select(func.count(PayeeAccount.id))
                                  .where(PayeeAccount.village_id == lj.id)).scalar_one()
    assert certified == plan["households"] and plan["households"] - 3 < accounts < plan["households"]

    # 新竹村 has a register too, but no distribution
    xz = registry.village_by_code("XZ02")
    assert xz is not None and not register.static_policy(xz)
    assert register.register_at(xz.id, today()) and not db.session.execute(
        select(Distribution.id).where(Distribution.village_id == xz.id)).first()

    # seeding again adds nothing
    before = _counts()
    assert demo_dividends.seed_dividends() == 0
    assert "无新增" in demo.seed()
    db.session.commit()
    assert _counts() == before
