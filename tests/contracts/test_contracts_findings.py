"""The warning rules: receivable_overdue (installments and land rent), contract_expiring (the edges of the window),
contract_no_decision (the collective's and land leases)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import update

from backend import registry
from backend.contracts import findings
from backend.contracts.models import CollectiveContract
from backend.core.db import db
from backend.land.models import Contract
from tests.contracts.conftest import TODAY, sign


def _of(kind: str, on: date, village_id: int) -> dict[str, object]:
    return {f.key: f for f in findings([village_id], on) if f.kind == kind}


def test_an_installment_due_today_is_not_overdue_the_next_day_it_is(client, make, lands, today):
    c = sign(client, make, lands, kind="asset_lease", direction="income", title="压路机出租", total="4000.00",
             counterparty_name="宏达路桥工程队", decision_id=lands.lease_decision.id,
             installments=[{"due_date": "2026-06-15", "amount": "4000.00"}])
    key = f"installment-{c['installments'][0]['id']}"
    assert key not in _of("receivable_overdue", TODAY, lands.village.id)
    f = _of("receivable_overdue", TODAY + timedelta(days=1), lands.village.id)[key]
    assert f.since == date(2026, 6, 16) and f.link_type == "contract" and f.link_id == c["id"]
    assert f.message == ("宏达路桥工程队应付的合同“压路机出租”（HT-2026-001）第1期款 4000.00 元已逾期 1 天"
                         "（应于 2026-06-15 前支付）")


def test_a_partly_received_installment_reports_what_is_left_and_a_settled_one_nothing(client, make, lands, today):
    c = sign(client, make, lands, kind="asset_lease", direction="income", total="4000.00",
             decision_id=lands.lease_decision.id, installments=[{"due_date": "2026-06-01", "amount": "4000.00"}])
    h = make.headers(lands.accountant)
    url = f"/api/v1/contracts/{c['id']}/settlements"
    ins = c["installments"][0]["id"]
    client.post(url, headers=h, json={"installment_id": ins, "amount": "2500.00", "paid_on": "2026-06-10"})
    f = _of("receivable_overdue", TODAY, lands.village.id)[f"installment-{ins}"]
    assert "1500.00 元" in f.message and "14 天" in f.message
    client.post(url, headers=h, json={"installment_id": ins, "amount": "1500.00", "paid_on": "2026-06-11"})
    assert f"installment-{ins}" not in _of("receivable_overdue", TODAY, lands.village.id)


def test_what_the_collective_pays_is_no_receivable(client, make, lands, today):
    sign(client, make, lands)  # expense, first installment overdue since 2026-03-31
    assert not [k for k in _of("receivable_overdue", TODAY, lands.village.id) if k.startswith("installment-")]


def test_land_rent_past_its_due_date(client, make, lands, today):
    land = lands.contract()  # year 1 due 2026-03-01
    found = _of("receivable_overdue", TODAY, lands.village.id)
    (_key, f), = [(k, f) for k, f in found.items() if k.startswith("rent_due-")]
    assert f.link_type == "land_contract" and f.link_id == land.id and f.since == date(2026, 3, 2)
    assert "荣联农业合作社" in f.message and "逾期 106 天" in f.message
    assert not [k for k in _of("receivable_overdue", date(2026, 3, 1), lands.village.id) if k.startswith("rent")]


def test_expiring_exactly_90_days_is_in_91_is_out(client, make, lands, today):
    c = sign(client, make, lands, end_date="2026-09-13")
    key = f"contract-{c['id']}"
    f = _of("contract_expiring", TODAY, lands.village.id)[key]  # 90 days left
    assert "还剩 90 天" in f.message and f.since == TODAY and f.link_type == "contract"
    assert key not in _of("contract_expiring", TODAY - timedelta(days=1), lands.village.id)  # 91 days
    assert key in _of("contract_expiring", date(2026, 9, 13), lands.village.id)  # ends today: 0 days
    assert key not in _of("contract_expiring", date(2026, 9, 14), lands.village.id)  # ended


def test_the_window_is_a_setting_and_a_terminated_contract_does_not_expire(client, make, lands, today):
    c = sign(client, make, lands, end_date="2026-09-13")
    registry.settings.put("contracts.expiring_days", 30, actor=None, village=lands.village)
    db.session.commit()
    assert f"contract-{c['id']}" not in _of("contract_expiring", TODAY, lands.village.id)
    assert f"contract-{c['id']}" in _of("contract_expiring", date(2026, 8, 14), lands.village.id)
    db.session.execute(update(CollectiveContract).values(status="terminated", terminated_on=TODAY))
    assert f"contract-{c['id']}" not in _of("contract_expiring", date(2026, 8, 14), lands.village.id)


def test_a_land_contract_expiring(client, make, lands, today):
    land = lands.contract()  # ends 2029-03-01
    f = _of("contract_expiring", date(2028, 12, 1), lands.village.id)[f"land-{land.id}"]
    assert f.link_type == "land_contract" and "还剩 90 天" in f.message
    assert f"land-{land.id}" not in _of("contract_expiring", date(2028, 11, 30), lands.village.id)


def test_a_contract_that_needs_a_decision_and_has_none(client, make, lands, today):
    c = sign(client, make, lands, total="50000.00", installments=[{"due_date": "2026-07-01", "amount": "50000.00"}])
    assert not _of("contract_no_decision", TODAY, lands.village.id)
    # the village lowers its threshold: the contract signed before now rests on no decision it needs
    registry.settings.put("ledger.large_expense_fen", 1_000_000, actor=None, village=lands.village)
    db.session.commit()
    f = _of("contract_no_decision", TODAY, lands.village.id)[f"contract-{c['id']}"]
    assert f.since == date(2026, 1, 10) and "50000.00 元" in f.message and "洁美保洁服务部" in f.message


def test_a_land_lease_without_a_resolved_decision(client, make, lands, today):
    land = lands.contract()
    assert not _of("contract_no_decision", TODAY, lands.village.id)  # a transfer needs none
    db.session.execute(update(Contract).where(Contract.id == land.id).values(kind="lease", decision_id=None))
    f = _of("contract_no_decision", TODAY, lands.village.id)[f"land-{land.id}"]
    assert f.link_type == "land_contract" and f.since == date(2026, 3, 1)
    db.session.execute(update(Contract).where(Contract.id == land.id)
                       .values(decision_id=lands.lease_decision.id))
    assert not _of("contract_no_decision", TODAY, lands.village.id)
