"""Settling installments (a posted voucher each; never beyond what is outstanding; idempotent) and the deposit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from backend.contracts.models import Installment, Settlement
from backend.core.db import db
from backend.ledger.models import Voucher
from tests.contracts.conftest import API, sign
from tests.factories import parallel, resolved_decision


def _vouchers() -> int:
    return db.session.execute(select(func.count()).select_from(Voucher)).scalar_one()


def _lines(voucher_id: int) -> list[tuple[str, int, int]]:
    db.session.expire_all()
    v = db.session.get(Voucher, voucher_id)
    return [(ln.account.code, ln.debit_fen, ln.credit_fen) for ln in v.lines]


def _settle(client: Any, make: Any, lands: Any, c: dict[str, Any], seq: int, amount: str, key: str | None = None,
            **more: Any) -> Any:
    headers = make.headers(lands.accountant)
    if key:
        headers["Idempotency-Key"] = key
    return client.post(f"{API}/contracts/{c['id']}/settlements", headers=headers,
                       json={"installment_id": c["installments"][seq - 1]["id"], "amount": amount,
                             "paid_on": "2026-06-10", **more})


def test_income_received_posts_bank_against_rental_income(client, make, lands, today):
    c = sign(client, make, lands, kind="asset_lease", direction="income", title="压路机出租", total="8000.00",
             decision_id=lands.lease_decision.id,
             installments=[{"due_date": "2026-05-01", "amount": "4000.00"}, {"due_date": "2026-11-01",
                                                                           "amount": "4000.00"}])
    r = _settle(client, make, lands, c, 1, "1500.00")
    assert r.status_code == 201, r.json
    assert r.json["installments"][0]["settled"] == "1500.00" and r.json["overdue_amount"] == "2500.00"
    s = r.json["settlements"][0]
    assert s["account_code"] == "501002" and s["seq"] == 1
    assert _lines(s["voucher_id"]) == [("102", 150000, 0), ("501002", 0, 150000)]
    assert db.session.get(Voucher, s["voucher_id"]).status == "posted"


def test_expense_paid_posts_construction_in_progress_with_the_decision(client, make, lands, today):
    d = resolved_decision(lands.village.id, "村道硬化工程", "construction", 30_000_000, date(2026, 1, 5))
    db.session.commit()
    c = sign(client, make, lands, kind="construction", title="村道硬化工程施工", counterparty_name="临江建筑公司",
             total="280000.00", decision_id=d.id,
             installments=[{"due_date": "2026-04-30", "amount": "100000.00"}, {"due_date": "2026-12-31",
                                                                             "amount": "180000.00"}])
    r = _settle(client, make, lands, c, 1, "100000.00", method="bank")
    assert r.status_code == 201, r.json
    v = db.session.get(Voucher, r.json["settlements"][0]["voucher_id"])
    assert v.decision_ref == str(d.id)
    assert _lines(v.id) == [("153", 10_000_000, 0), ("102", 0, 10_000_000)]
    assert r.json["installments"][0]["overdue"] is False and r.json["settled"] == "100000.00"


def test_a_chosen_account_and_a_refused_one(client, make, lands, today):
    c = sign(client, make, lands)
    r = _settle(client, make, lands, c, 1, "100.00", account_code="514", method="cash")
    assert r.status_code == 201
    assert _lines(r.json["settlements"][0]["voucher_id"]) == [("514", 10000, 0), ("101", 0, 10000)]
    before = _vouchers()
    r = _settle(client, make, lands, c, 1, "100.00", account_code="102")
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.account_invalid"
    assert _vouchers() == before


def test_never_beyond_what_is_outstanding_and_nothing_posted(client, make, lands, today):
    c = sign(client, make, lands)
    assert _settle(client, make, lands, c, 1, "5000.00").status_code == 201
    before = _vouchers()
    r = _settle(client, make, lands, c, 1, "1000.01")
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.over_settled"
    assert r.json["error"]["message"] == "第1期尚余 1000.00 元未结清，付款不能超过这个数"
    assert _vouchers() == before
    db.session.expire_all()
    assert db.session.get(Installment, c["installments"][0]["id"]).settled_fen == 500_000
    assert _settle(client, make, lands, c, 1, "1000.00").status_code == 201  # exactly what is left
    r = _settle(client, make, lands, c, 1, "0.01")
    assert r.status_code == 409
    r = _settle(client, make, lands, c, 1, "0")
    assert r.status_code == 422


def test_a_date_in_the_future_or_an_installment_of_another_contract_is_refused(client, make, lands, today):
    c = sign(client, make, lands)
    other = sign(client, make, lands, number="HT-2026-002")
    r = _settle(client, make, lands, c, 1, "10.00", paid_on="2026-06-16")
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.date_invalid"
    r = client.post(f"{API}/contracts/{c['id']}/settlements", headers=make.headers(lands.accountant),
                    json={"installment_id": other["installments"][0]["id"], "amount": "10.00",
                          "paid_on": "2026-06-10"})
    assert r.status_code == 422 and r.json["error"]["code"] == "contracts.installment_unknown"
    assert db.session.execute(select(func.count()).select_from(Settlement)).scalar_one() == 0


def test_an_idempotency_key_replays_instead_of_paying_twice(client, make, lands, today):
    c = sign(client, make, lands)
    r1 = _settle(client, make, lands, c, 1, "2000.00", key="pay-1")
    r2 = _settle(client, make, lands, c, 1, "2000.00", key="pay-1")
    assert r1.status_code == 201 and r2.status_code == 200
    assert r2.json["installments"][0]["settled"] == "2000.00" and len(r2.json["settlements"]) == 1
    r3 = _settle(client, make, lands, c, 1, "2500.00", key="pay-1")
    assert r3.status_code == 409 and r3.json["error"]["code"] == "idempotency.mismatch"


def test_deposit_received_then_returned(client, make, lands, today):
    c = sign(client, make, lands)
    h = make.headers(lands.accountant)
    url = f"{API}/contracts/{c['id']}/deposit"
    r = client.post(url, headers=h, json={"action": "returned", "on": "2026-06-01"})
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.deposit_not_received"
    before = _vouchers()
    r = client.post(url, headers=h, json={"action": "received", "on": "2026-01-10"})
    assert r.status_code == 200 and r.json["deposit"]["received_on"] == "2026-01-10"
    assert _vouchers() == before + 1
    r = client.post(url, headers=h, json={"action": "received", "on": "2026-01-11"})
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.deposit_received"
    r = client.post(url, headers=h, json={"action": "returned", "on": "2026-01-09"})
    assert r.status_code == 422
    r = client.post(url, headers=h, json={"action": "returned", "on": "2026-06-12", "method": "cash"})
    assert r.status_code == 200 and r.json["deposit"]["returned_on"] == "2026-06-12"
    v = db.session.execute(select(Voucher).order_by(Voucher.id.desc())).scalars().first()
    assert _lines(v.id) == [("211", 100_000, 0), ("101", 0, 100_000)]


def test_no_deposit_agreed_nothing_to_receive(client, make, lands, today):
    c = sign(client, make, lands, deposit="0")
    r = client.post(f"{API}/contracts/{c['id']}/deposit", headers=make.headers(lands.accountant),
                    json={"action": "received", "on": "2026-06-01"})
    assert r.status_code == 409 and r.json["error"]["code"] == "contracts.no_deposit"


def test_two_settlements_at_once_never_exceed_the_installment(app, client, make, lands, today, postgres_only):
    c = sign(client, make, lands)
    h = make.headers(lands.accountant)
    db.session.commit()

    def pay(cl: Any) -> int:
        return cl.post(f"{API}/contracts/{c['id']}/settlements", headers=h,
                       json={"installment_id": c["installments"][0]["id"], "amount": "4000.00",
                             "paid_on": "2026-06-10"}).status_code

    codes = parallel(app, [pay, pay])
    assert sorted(codes) == [201, 409]
    db.session.expire_all()
    assert db.session.get(Installment, c["installments"][0]["id"]).settled_fen == 400_000
