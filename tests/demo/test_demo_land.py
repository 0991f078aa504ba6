"""The demo's land (docs/demo.md): 荣联农业合作社's transfer covers LJ-005's 1.20 and 2.00 mu at 800 元/亩, so
张大山's household is due and paid 2560.00 this year; the in-kind contract's rent of this year is overdue on the
secretary's arrears screen; every rent voucher is posted and balanced, and seeding again adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import func, select

from backend import demo, land, registry
from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.seal import Seal, verify_chain
from backend.demo import land as demo_land
from backend.demo.days import month_start
from backend.land.models import (
    Contract,
    ContractParcel,
    GrainPrice,
    Parcel,
    Party,
    PayoutBatch,
    RentAllocation,
    RentDue,
    RentPayment,
    RentPayout,
    RentPeriod,
)
from backend.ledger import service as ledger
from backend.ledger.models import Voucher, VoucherLine

COUNTED = (Parcel, Party, Contract, ContractParcel, RentPeriod, RentDue, RentPayment, RentAllocation, GrainPrice,
           Voucher, VoucherLine, Seal, AuditEntry)


def _counts() -> dict[str, int]:
    return {m.__name__: db.session.execute(select(func.count()).select_from(m)).scalar_one() for m in COUNTED}


def _login(client: FlaskClient, key: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/wechat-login", json={"code": f"demo-{key}"})
    assert r.status_code == 200 and r.json["bound"] is True, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def test_the_land_plan_holds_lj005_and_a_310_mu_block() -> None:
    plan = demo_land.land_plan()
    lj005 = [p for p in plan if p.household == "LJ-005"]
    assert [(p.name, p.area_mu4, p.block) for p in lj005] == [("东坡地", 12_000, "rl"), ("河湾地", 20_000, "rl")]
    assert lj005[0].code < lj005[1].code  # listed in this order
    assert sum(p.area_mu4 for p in plan if p.block == "rl") == demo_land.RONGLIAN_MU4 == 310 * land.MU4
    # the service fee the books hold every March (demo_ledger): 60 元 × 310 亩
    assert demo_land.RONGLIAN_MU4 * demo_land.SERVICE_FEE_PER_MU // land.MU4 == 18_600_00
    contracted = [p for p in plan if p.household]
    per_household = Counter(p.household for p in contracted)
    assert len(per_household) >= 60 and set(per_household.values()) <= {1, 2, 3, 4}
    assert all(p.area_mu4 % 100 == 0 and p.area_mu4 >= 3_000 for p in contracted)  # up to 2 decimals
    assert len({p.code for p in plan}) == len(plan) and all(len(p.code) == 19 for p in plan)
    assert Counter(p.land_type for p in contracted).most_common(1)[0][0] == "耕地"
    assert 0 < sum(p.basic for p in contracted) < len(contracted)
    assert not any(p.block for p in contracted if p.land_type != "耕地" or p.household in demo_land.SELF_FARMING)
    assert {p.kind for p in plan if not p.household} == {"collective_land", "collective_asset"}
    assert demo_land.land_plan.__wrapped__() == plan  # deterministic
    codes = {p.credit_code for p in demo_land.parties().values() if p.credit_code}
    assert len(codes) == 3 and all(len(c) == 18 and c.isalnum() for c in codes)


def test_the_demo_land(app: object, client: FlaskClient) -> None:
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    assert lj is not None
    now = today()

    # 张大山 sees his two parcels and the 荣联 contract: 2560.00 due this year, paid
    zhang = _login(client, "zhangdashan")
    mine = client.get("/api/v1/me/land", headers=zhang).json
    assert [p["area_mu"] for p in mine["parcels"]] == ["1.2", "2"]
    assert [p["name"] for p in mine["parcels"]] == ["东坡地", "河湾地"]
    (contract,) = mine["contracts"]
    assert contract["operator"] == "荣联农业合作社" and contract["operator_kind"] == "cooperative"
    assert contract["rent"] == "每亩每年800.00元" and contract["status"] == "active"
    assert sorted(p["area_mu"] for p in contract["parcels"]) == ["1.2", "2"]
    this_year = contract["this_year"]
    assert this_year["due"] == "2560.00" and this_year["paid"] == "2560.00" and this_year["status"] == "paid"
    assert date.fromisoformat(this_year["due_date"]).year == now.year
    assert date.fromisoformat(this_year["paid_on"]) <= now
    history = client.get("/api/v1/me/land/rent-history", headers=zhang).json
    assert history["total"] >= 2 and all(r["status"] == "paid" and r["due"] == "2560.00" for r in history["items"])

    # the secretary's arrears screen: 惠农's rent in kind of this year, overdue, with its late fee
    wang = _login(client, "wangjianguo")
    arrears = client.get(f"/api/v1/villages/{lj.id}/rent-arrears", headers=wang).json
    if demo_land.arrears_expected(now):
        (item,) = arrears["items"]
        assert item["contract_number"] == "LJLZ-002" and item["party"] == "惠农粮油有限公司"
        assert date.fromisoformat(item["due_date"]).year == now.year and item["days_overdue"] > 0
        assert item["outstanding"] == item["total"] != "0.00" and item["late_fee"] != "0.00"
        assert arrears["by_party"] == [{"party": "惠农粮油有限公司", "outstanding": item["outstanding"],
                                        "contracts": 1}]
    else:
        assert arrears["items"] == []

    # the contracts as the secretary sees them
    listing = client.get(f"/api/v1/villages/{lj.id}/land-contracts?page_size=50", headers=wang).json
    by_number = {c["number"]: c for c in listing["items"]}
    assert set(by_number) == {"LJLZ-001", "LJLZ-002", "LJLZ-003", "LJLZ-004",
                              "LJZL-001", "LJZL-002", "LJZL-003", "LJZL-004"}
    rl = client.get(f"/api/v1/land-contracts/{by_number['LJLZ-001']['id']}", headers=wang).json
    assert rl["area_mu"] == "310" and rl["entrusted"] and all(p["entrustment_no"] for p in rl["parcels"])
    assert "18600元" in rl["fee_note"] and rl["end_date"] < "2057-12-31"
    assert all(d["collective"] == "0.00" and d["households"] == "248000.00" for d in rl["dues"])
    past = [d for d in rl["dues"] if d["due_date"] <= now.isoformat() or d["due_date"][:4] == str(now.year)]
    assert len(past) >= 2 and all(d["outstanding"] == "0.00" for d in past)
    hn = client.get(f"/api/v1/land-contracts/{by_number['LJLZ-002']['id']}", headers=wang).json
    assert hn["rent"] == "每亩每年稻谷500斤，按当年最低收购价折款" and hn["dues"][0]["outstanding"] == "0.00"
    staged = client.get(f"/api/v1/land-contracts/{by_number['LJLZ-003']['id']}", headers=wang).json
    assert [(p["from_year"], p["to_year"]) for p in staged["periods"]] == [(1, 3)]
    assert staged["dues"][3]["total"] is None and "待约定" in staged["dues"][3]["note"]
    assert staged["dues"][0]["collective"] != "0.00" and staged["dues"][0]["outstanding"] == "0.00"
    r = client.get(f"/api/v1/townships/{lj.township_id}/grain-prices", headers=_login(client, "zhengwen"))
    assert r.status_code == 200, r.json
    prices = r.json["items"]
    assert {p["year"] for p in prices} >= {now.year - 1, now.year}

    # every due fallen due is paid but 惠农's of this year; each payment posted into the books, balanced
    for c in db.session.execute(select(Contract).where(Contract.village_id == lj.id)).scalars():
        for d in land.dues_of(c):
            total = land.due_total(d)
            if total is not None and d.due_date < now and not (c.number == "LJLZ-002" and d.due_date.year == now.year):
                assert d.paid_fen == total, (c.number, d.year_no)
    vouchers = db.session.execute(select(Voucher).where(Voucher.source == "land")).scalars().all()
    payments = db.session.execute(select(RentPayment)).scalars().all()
    assert len(payments) >= 10 and all(p.receipt_voucher_id for p in payments)
    # every household's part passed on (a bank batch or cash): one voucher per paid batch and per cash payout
    batches = db.session.execute(select(PayoutBatch)).scalars().all()
    cash = db.session.execute(select(RentPayout).where(RentPayout.method == "cash")).scalars().all()
    assert batches and all(b.status == "paid" for b in batches)
    assert len(vouchers) == len(payments) + len(batches) + len(cash)
    assert db.session.execute(select(RentAllocation.id).outerjoin(RentPayout, RentPayout.allocation_id
                                                                  == RentAllocation.id)
                              .where(RentAllocation.amount_fen > 0, RentPayout.paid_on.is_(None))).first() is None
    opened = month_start(now, 24)
    for v in vouchers:
        assert v.status == "posted" and v.village_id == lj.id and opened <= v.voucher_date <= now
        assert sum(ln.debit_fen for ln in v.lines) == sum(ln.credit_fen for ln in v.lines) == v.total_fen
    # 荣联's service fee is booked once a year, by demo_ledger, not again with the rent
    rl_payments = [p for p in payments if p.contract_id == by_number["LJLZ-001"]["id"]]
    assert all(p.collective_fen == 0 for p in rl_payments)
    numbers: dict[str, list[int]] = {}
    for period, number in db.session.execute(select(Voucher.period, Voucher.number)
                                             .where(Voucher.village_id == lj.id)).all():
        numbers.setdefault(period, []).append(number)
    assert all(sorted(ns) == list(range(1, len(ns) + 1)) for ns in numbers.values())  # no gaps in any month
    assert len(ledger.closed_periods(lj.id)) == 24  # the months the rent went into are closed afterwards
    assert verify_chain(lj.id).ok

    # seeding again adds nothing
    before = _counts()
    assert demo_land.seed_land() == 0
    assert "无新增" in demo.seed()
    db.session.commit()
    assert _counts() == before
