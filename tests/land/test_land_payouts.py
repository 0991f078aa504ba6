"""Proof that rent reached a household: rent received books only the receipt (the households' part in 应付款 211);
a household's rent reads as paid — in /me/land, its rent history, the home screen's money, the 待转付 list — only
when its payout is recorded (a bank batch marked paid with the bank's reference, or cash to a named receiver).
The database holds the rule too. And a lease of the collective's land or assets rests on a resolved decision whose
amount caps the lease's rent over its term."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import db
from backend.core.errors import AppError
from backend.decisions.pipeline.models import Decision
from backend.dividends.shares.service import set_payee
from backend.land import contracts, parcels
from backend.land.models import Contract, PayoutBatch, RentAllocation, RentPayout
from backend.ledger.models import Account, Voucher, VoucherLine
from tests.factories import resolved_decision

API = "/api/v1"


@pytest.fixture
def march(now: list[datetime]) -> list[datetime]:
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    return now


@pytest.fixture
def paid(client: Any, make: Any, lands: Any, march: Any) -> dict[str, Any]:
    """The fixture contract's first year (5826.64: households 2560.00, 600.00, 2666.64) received on 2026-03-03."""
    c = lands.contract()
    due = contracts.dues_of(c)[0]
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.accountant),
                    json={"due_id": due.id, "amount": "5826.64", "paid_on": "2026-03-03"})
    assert r.status_code == 201, r.json
    items = _payouts(client, make, lands, r.json["id"])["items"]
    return {"contract": c, "payment": r.json, "alloc": [i["allocation_id"] for i in items]}


def _payouts(client: Any, make: Any, lands: Any, payment_id: int) -> dict[str, Any]:
    r = client.get(f"{API}/land-payments/{payment_id}/payouts", headers=make.headers(lands.accountant))
    assert r.status_code == 200, r.json
    return r.json


def _status(client: Any, make: Any, lands: Any, payment_id: int) -> list[tuple[str, str, str]]:
    return [(i["household_number"], i["amount"], i["status"])
            for i in _payouts(client, make, lands, payment_id)["items"]]


def _cash(client: Any, make: Any, lands: Any, allocation_id: int, paid_on: str = "2026-03-04",
          receiver: str = "张户1", key: str | None = None) -> Any:
    h = make.headers(lands.accountant)
    if key:
        h = {**h, "Idempotency-Key": key}
    return client.post(f"{API}/villages/{lands.village.id}/rent-payouts/cash", headers=h,
                       json={"allocation_id": allocation_id, "receiver_name": receiver, "paid_on": paid_on})


def _batch(client: Any, make: Any, lands: Any, ids: list[int], key: str | None = None) -> Any:
    h = make.headers(lands.accountant)
    if key:
        h = {**h, "Idempotency-Key": key}
    return client.post(f"{API}/villages/{lands.village.id}/rent-payout-batches", headers=h,
                       json={"allocation_ids": ids})


def _payable(village_id: int) -> int:
    """The 211 应付款 balance (credit side) of posted vouchers."""
    db.session.expire_all()
    dr, cr = db.session.execute(
        select(func.coalesce(func.sum(VoucherLine.debit_fen), 0), func.coalesce(func.sum(VoucherLine.credit_fen), 0))
        .join(Account, Account.id == VoucherLine.account_id).join(Voucher, Voucher.id == VoucherLine.voucher_id)
        .where(Voucher.village_id == village_id, Voucher.status == "posted", Account.code.like("211%"))).one()
    return int(cr) - int(dr)


def _entries(voucher_id: int) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Account.code, VoucherLine.debit_fen, VoucherLine.credit_fen).join(Account)
        .where(VoucherLine.voucher_id == voucher_id).order_by(VoucherLine.line_no))]


def _mine(client: Any, make: Any, who: Any) -> dict[str, Any]:
    return client.get(f"{API}/me/land", headers=make.headers(who)).json["contracts"][0]["this_year"]


def _history(client: Any, make: Any, who: Any) -> dict[str, Any]:
    return client.get(f"{API}/me/land/rent-history", headers=make.headers(who)).json["items"][0]


def _home_rent(client: Any, make: Any, who: Any) -> str:
    r = client.get(f"{API}/me/home", headers=make.headers(who))
    assert r.status_code == 200, r.json
    return r.json["money_this_year"]["land_rent"]


def _counts() -> tuple[int, ...]:
    db.session.expire_all()
    return tuple(db.session.execute(select(func.count()).select_from(m)).scalar_one()
                 for m in (RentPayout, PayoutBatch, Voucher, VoucherLine))


# ---------------------------------------------------------------- received is not paid


def test_rent_received_is_a_liability_and_not_the_households_until_its_payout_is_recorded(client, make, lands, paid):
    head = lands.heads[0]
    assert paid["payment"]["payout_voucher_id"] is None
    assert _payable(lands.village.id) == 5826_64  # all of it owed to the households
    # the household sees nothing paid: what the collective holds for it is 待转付
    this_year = _mine(client, make, head)
    assert (this_year["paid"], this_year["awaiting"], this_year["status"]) == ("0.00", "2560.00", "overdue")
    hist = _history(client, make, head)
    assert (hist["paid"], hist["awaiting"], hist["status"], hist["paid_on"]) == ("0.00", "2560.00", "overdue", None)
    assert _home_rent(client, make, head) == "0.00"
    awaiting = client.get(f"{API}/villages/{lands.village.id}/rent-awaiting",
                          headers=make.headers(lands.secretary)).json
    assert awaiting["total"] == "5826.64"
    assert [(i["household_number"], i["amount"]) for i in awaiting["items"]] == [
        ("LJ-L01", "2560.00"), ("LJ-L02", "600.00"), ("LJ-L03", "2666.64")]
    arrears = client.get(f"{API}/villages/{lands.village.id}/rent-arrears", headers=make.headers(lands.secretary))
    assert arrears.json["items"] == [] and arrears.json["awaiting_payout"] == "5826.64"
    assert _status(client, make, lands, paid["payment"]["id"]) == [
        ("LJ-L01", "2560.00", "pending"), ("LJ-L02", "600.00", "pending"), ("LJ-L03", "2666.64", "pending")]

    # cash to household 1's head: its rent is paid that day, the others' still wait
    r = _cash(client, make, lands, paid["alloc"][0], paid_on="2026-03-04", receiver="张户1")
    assert r.status_code == 201, r.json
    assert [(i["household_number"], i["status"], i["receiver_name"], i["paid_on"]) for i in r.json["items"]] == [
        ("LJ-L01", "passed_on", "张户1", "2026-03-04"), ("LJ-L02", "pending", None, None),
        ("LJ-L03", "pending", None, None)]
    this_year = _mine(client, make, head)
    assert (this_year["paid"], this_year["awaiting"], this_year["status"], this_year["paid_on"]) == (
        "2560.00", "0.00", "paid", "2026-03-04")
    assert _history(client, make, head)["status"] == "paid"
    assert _home_rent(client, make, head) == "2560.00"
    assert _mine(client, make, lands.heads[1])["status"] == "overdue"  # household 2: received, not passed on
    assert _home_rent(client, make, lands.heads[1]) == "0.00"
    payout = db.session.execute(select(RentPayout)).scalar_one()
    assert _entries(payout.voucher_id) == [("211", 2560_00, 0), ("101", 0, 2560_00)]
    assert _payable(lands.village.id) == 5826_64 - 2560_00


def test_a_bank_batch_is_paid_when_the_bank_confirms_it_in_one_voucher(client, make, lands, paid):
    set_payee(lands.village, lands.households[1].id, "张户2", "临江农商银行", "6230 9100 0000 0002", actor=None)
    db.session.commit()
    r = _batch(client, make, lands, paid["alloc"][1:])
    assert r.status_code == 201, r.json
    batch = r.json
    assert (batch["status"], batch["total"], batch["households"], batch["missing_accounts"]) == (
        "pending", "3266.64", 2, ["LJ-L03"])
    # listed for the bank, not yet paid: still 待转付 to the household, nothing posted
    assert _status(client, make, lands, paid["payment"]["id"])[1:] == [
        ("LJ-L02", "600.00", "in_batch"), ("LJ-L03", "2666.64", "in_batch")]
    assert _mine(client, make, lands.heads[1])["paid"] == "0.00"
    assert _payable(lands.village.id) == 5826_64

    # the bank's file: money as numbers, the account as text; a household without an account on the second sheet
    f = client.get(f"{API}/rent-payout-batches/{batch['id']}/bank-file.xlsx", headers=make.headers(lands.accountant))
    assert f.status_code == 200
    wb = load_workbook(io.BytesIO(f.data))
    rows = list(wb["银行代发"].iter_rows(values_only=True))
    assert rows[0] == ("序号", "户号", "户名", "开户行", "账号", "金额（元）", "摘要")
    assert rows[1] == (1, "LJ-L02", "张户2", "临江农商银行", "6230910000000002", 600.0, "土地流转租金")
    assert isinstance(rows[1][4], str) and isinstance(rows[1][5], int | float)
    assert rows[-1][0] == "合计" and rows[-1][5] == 600
    assert list(wb["缺少账户"].iter_rows(values_only=True))[1] == ("LJ-L03", "张户3", 2666.64)

    before = _counts()
    refused = client.post(f"{API}/rent-payout-batches/{batch['id']}/paid", headers=make.headers(lands.accountant),
                          json={"bank_reference": "HD20260305001", "paid_on": "2026-03-02"})
    assert refused.status_code == 422 and refused.json["error"]["details"]["field"] == "paid_on"
    assert "2026-03-03" in refused.json["error"]["message"] and _counts() == before
    done = client.post(f"{API}/rent-payout-batches/{batch['id']}/paid", headers=make.headers(lands.accountant),
                       json={"bank_reference": "HD20260305001", "paid_on": "2026-03-05"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["bank_reference"], done.json["paid_on"]) == (
        "paid", "HD20260305001", "2026-03-05")
    assert _entries(done.json["voucher_id"]) == [("211", 3266_64, 0), ("102", 0, 3266_64)]
    assert _status(client, make, lands, paid["payment"]["id"])[1:] == [
        ("LJ-L02", "600.00", "passed_on"), ("LJ-L03", "2666.64", "passed_on")]
    assert _mine(client, make, lands.heads[2])["paid"] == "2666.64"
    assert _mine(client, make, lands.heads[2])["paid_on"] == "2026-03-05"
    assert _payable(lands.village.id) == 2560_00  # household 1's part is still owed
    # the same confirmation again changes nothing; another is refused
    n = _counts()
    again = client.post(f"{API}/rent-payout-batches/{batch['id']}/paid", headers=make.headers(lands.accountant),
                        json={"bank_reference": "HD20260305001", "paid_on": "2026-03-05"})
    assert again.status_code == 200 and _counts() == n
    other = client.post(f"{API}/rent-payout-batches/{batch['id']}/paid", headers=make.headers(lands.accountant),
                        json={"bank_reference": "HD999", "paid_on": "2026-03-05"})
    assert other.status_code == 409 and other.json["error"]["code"] == "land.batch_paid" and _counts() == n
    cancel = client.delete(f"{API}/rent-payout-batches/{batch['id']}", headers=make.headers(lands.accountant))
    assert cancel.status_code == 409 and _counts() == n


def test_a_pending_batch_may_be_withdrawn_and_its_households_wait_again(client, make, lands, paid):
    r = _batch(client, make, lands, paid["alloc"])
    assert r.status_code == 201
    assert _cash(client, make, lands, paid["alloc"][0]).json["error"]["code"] == "land.payout_exists"
    d = client.delete(f"{API}/rent-payout-batches/{r.json['id']}", headers=make.headers(lands.accountant))
    assert d.status_code == 204
    assert [s for _, _, s in _status(client, make, lands, paid["payment"]["id"])] == ["pending"] * 3
    assert _cash(client, make, lands, paid["alloc"][0]).status_code == 201


def test_payouts_are_refused_with_the_field_named_and_change_nothing(client, make, lands, paid):
    before = _counts()
    cases = [
        (_cash(client, make, lands, paid["alloc"][0], receiver="  "), 422, "validation.failed"),
        (_cash(client, make, lands, paid["alloc"][0], paid_on="2026-03-02"), 422, "land.payout_date_invalid"),
        (_cash(client, make, lands, paid["alloc"][0], paid_on="2026-03-06"), 422, "land.payout_date_invalid"),
        (_cash(client, make, lands, 999_999), 422, "land.allocation_unknown"),
        (_batch(client, make, lands, []), 422, "land.batch_empty"),
        (_batch(client, make, lands, [paid["alloc"][0], 999_999]), 422, "land.allocation_unknown"),
    ]
    for r, status, code in cases:
        assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert "receiver_name" in cases[0][0].json["error"]["details"]["fields"]
    assert cases[0][0].json["error"]["message"].startswith("领款人")
    assert cases[1][0].json["error"]["details"]["field"] == "paid_on"
    assert _counts() == before
    # once passed on, never again — in cash or in a batch
    assert _cash(client, make, lands, paid["alloc"][0]).status_code == 201
    n = _counts()
    twice = _cash(client, make, lands, paid["alloc"][0])
    assert twice.status_code == 409 and twice.json["error"]["code"] == "land.payout_exists"
    assert "LJ-L01" in twice.json["error"]["message"]
    assert _batch(client, make, lands, paid["alloc"]).json["error"]["code"] == "land.payout_exists"
    assert _counts() == n
    # another village's allocation is not this village's to pay
    other = make.village("XZ01", "新竹村")
    acct = make.member(other, "钱会计", roles=("accountant",))
    r = client.post(f"{API}/villages/{other.id}/rent-payouts/cash", headers=make.headers(acct),
                    json={"allocation_id": paid["alloc"][1], "receiver_name": "张户2", "paid_on": "2026-03-04"})
    assert r.status_code == 422 and r.json["error"]["code"] == "land.allocation_unknown"
    assert _counts() == n


def test_replays_with_the_same_key_return_the_first_result(client, make, lands, paid):
    first = _cash(client, make, lands, paid["alloc"][0], key="cash-1")
    assert first.status_code == 201
    n = _counts()
    again = _cash(client, make, lands, paid["alloc"][0], key="cash-1")
    assert again.status_code == 200 and again.json == first.json and _counts() == n
    mismatch = _cash(client, make, lands, paid["alloc"][1], key="cash-1")
    assert mismatch.status_code == 409 and mismatch.json["error"]["code"] == "idempotency.mismatch"
    b = _batch(client, make, lands, paid["alloc"][1:], key="batch-1")
    assert b.status_code == 201
    n = _counts()
    b2 = _batch(client, make, lands, list(reversed(paid["alloc"][1:])), key="batch-1")
    assert b2.status_code == 200 and b2.json["id"] == b.json["id"] and b2.json["replayed"] and _counts() == n
    b3 = _batch(client, make, lands, paid["alloc"][2:], key="batch-1")
    assert b3.status_code == 409 and _counts() == n


def test_who_may_pass_rent_on(client, make, lands, paid):
    sup = make.headers(lands.supervisor)
    assert client.get(f"{API}/land-payments/{paid['payment']['id']}/payouts", headers=sup).status_code == 200
    assert client.get(f"{API}/villages/{lands.village.id}/rent-awaiting", headers=sup).status_code == 200
    r = client.post(f"{API}/villages/{lands.village.id}/rent-payouts/cash", headers=sup,
                    json={"allocation_id": paid["alloc"][0], "receiver_name": "张户1", "paid_on": "2026-03-04"})
    assert r.status_code == 403
    assert client.post(f"{API}/villages/{lands.village.id}/rent-payout-batches", headers=sup,
                       json={"allocation_ids": paid["alloc"]}).status_code == 403
    villager = make.headers(lands.heads[0])
    assert client.get(f"{API}/land-payments/{paid['payment']['id']}/payouts", headers=villager).status_code == 403
    sec = make.headers(lands.secretary)
    assert _cash(client, make, lands, paid["alloc"][0]).status_code == 201  # the accountant
    assert client.post(f"{API}/villages/{lands.village.id}/rent-payout-batches", headers=sec,
                       json={"allocation_ids": paid["alloc"][1:]}).status_code == 201  # the secretary


# ---------------------------------------------------------------- the database holds the rule


def _raw_payout(a: RentAllocation, **over: Any) -> None:
    data = dict(allocation_id=a.id, village_id=a.village_id, household_id=a.household_id, amount_fen=a.amount_fen,
                method="cash", receiver_name="张户", paid_on=date(2026, 3, 4),
                voucher_id=db.session.execute(select(Voucher.id)).scalars().first())
    data.update(over)
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(RentPayout(**data))
        db.session.flush()


def test_the_database_refuses_a_payout_that_is_not_its_allocation(client, make, lands, paid):
    a = db.session.get(RentAllocation, paid["alloc"][0])
    _raw_payout(a, amount_fen=a.amount_fen - 1)  # not the allocation's amount
    _raw_payout(a, amount_fen=a.amount_fen + 1)
    _raw_payout(a, household_id=lands.households[1].id)  # not the allocation's household
    _raw_payout(a, allocation_id=999_999)  # no allocation received
    _raw_payout(a, receiver_name=None)  # cash names its receiver
    _raw_payout(a, method="bank")  # a bank payout belongs to a batch
    _raw_payout(a, paid_on=None)  # a payout is posted when it is paid
    assert _cash(client, make, lands, a.id).status_code == 201
    _raw_payout(db.session.get(RentAllocation, a.id))  # one payout per allocation
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(PayoutBatch(village_id=lands.village.id, status="paid", total_fen=100, request_hash="x"))
        db.session.flush()  # a paid batch has its reference, date and voucher


# ---------------------------------------------------------------- a lease rests on a decision, within its amount


def _lease(lands: Any, number: str, yearly_fen: int, decision_id: int | None, years: int = 3) -> Contract:
    asset = parcels.create_parcel(lands.village, parcels.ParcelInput(f"ZC-{number}", f"门面{number}", 500,
                                                                     kind="collective_asset", land_type="其他"),
                                  actor=None)
    return lands.contract(number=number, kind="lease", title=f"门面出租{number}", use="商业经营",
                          lines=[contracts.LineInput(asset.id)], end_date=date(2026 + years, 3, 1),
                          periods=[contracts.PeriodInput(1, years, 0, flat_fen=yearly_fen)], decision_id=decision_id)


def test_a_lease_needs_a_resolved_decision(client, make, lands):
    with pytest.raises(AppError) as e:
        _lease(lands, "ZL-1", 10_000_00, None)
    assert e.value.code == "land.decision_required" and e.value.details["field"] == "decision_id"
    db.session.rollback()
    pending = Decision(village_id=lands.village.id, title="门面出租方案", category="land_contract",
                       amount_fen=100_000_00, status="in_progress")
    db.session.add(pending)
    db.session.commit()
    with pytest.raises(AppError) as e:
        _lease(lands, "ZL-1", 10_000_00, pending.id)
    assert e.value.code == "land.decision_not_resolved" and "门面出租方案" in e.value.message
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(Contract)).scalar_one() == 0
    # over the API: the message at the decision's field
    asset = parcels.create_parcel(lands.village, parcels.ParcelInput("ZC-9", "门面9", 500, kind="collective_asset",
                                                                     land_type="其他"), actor=None)
    db.session.commit()
    r = client.post(f"{API}/villages/{lands.village.id}/land-contracts", headers=make.headers(lands.secretary),
                    json={"number": "ZL-9", "kind": "lease", "party_id": lands.party.id, "title": "门面出租",
                          "use": "商业经营", "start_date": "2026-03-01", "end_date": "2029-03-01",
                          "signed_on": "2026-02-20", "parcels": [{"parcel_id": asset.id}],
                          "periods": [{"from_year": 1, "to_year": 3, "flat": "10000.00"}]})
    assert r.status_code == 422 and r.json["error"]["code"] == "land.decision_required"
    assert r.json["error"]["details"]["field"] == "decision_id"


def test_a_lease_within_its_decisions_amount_passes_one_fen_over_is_refused(client, make, lands):
    d = resolved_decision(lands.village.id, "村口门面出租", "land_contract", 30_000_00, date(2026, 1, 10))
    db.session.commit()
    # 3 years × 10,000.00 = 30,000.00: equal to the decision's amount
    assert _lease(lands, "ZL-1", 10_000_00, d.id).id
    d2 = resolved_decision(lands.village.id, "鱼塘出租", "land_contract", 30_000_00, date(2026, 1, 10))
    db.session.commit()
    with pytest.raises(AppError) as e:
        _over_by_a_fen(lands, d2.id)
    assert e.value.code == "land.decision_amount_exceeded"
    assert e.value.details["field"] == "decision_id"
    assert "鱼塘出租" in e.value.message and "30000.00" in e.value.message and "30000.01" in e.value.message
    db.session.rollback()
    assert db.session.execute(select(Contract.number).order_by(Contract.number)).scalars().all() == ["ZL-1"]


def _over_by_a_fen(lands: Any, decision_id: int) -> Contract:
    """Years of 10,000.00, 10,000.00 and 10,000.01: 30,000.01 over the term."""
    asset = parcels.create_parcel(lands.village, parcels.ParcelInput("ZC-P", "鱼塘", 500, kind="collective_asset",
                                                                     land_type="其他"), actor=None)
    return lands.contract(number="ZL-2", kind="lease", title="鱼塘出租", use="商业经营",
                          lines=[contracts.LineInput(asset.id)], end_date=date(2029, 3, 1),
                          periods=[contracts.PeriodInput(1, 2, 0, flat_fen=10_000_00),
                                   contracts.PeriodInput(3, 3, 0, flat_fen=10_000_01)], decision_id=decision_id)


def test_leases_on_one_decision_share_its_amount_and_no_amount_sets_no_cap(client, make, lands):
    d = resolved_decision(lands.village.id, "集体资产出租", "land_contract", 50_000_00, date(2026, 1, 10))
    free = resolved_decision(lands.village.id, "不限金额的出租决议", "land_contract", None, date(2026, 1, 10))
    db.session.commit()
    _lease(lands, "ZL-1", 10_000_00, d.id)  # 30,000.00 of 50,000.00
    with pytest.raises(AppError) as e:
        _lease(lands, "ZL-2", 7_000_00, d.id)  # 21,000.00 more: 51,000.00
    assert e.value.code == "land.decision_amount_exceeded"
    assert "21000.00" in e.value.message and "30000.00" in e.value.message and "51000.00" in e.value.message
    assert "50000.00" in e.value.message and "还可出租 20000.00 元" in e.value.message
    db.session.rollback()
    assert _lease(lands, "ZL-3", 6_666_66, d.id).id  # 19,999.98: 49,999.98 in all
    assert _lease(lands, "ZL-4", 1_000_000_00, free.id).id  # a decision without an amount caps nothing


def test_a_later_rent_period_may_not_take_a_lease_over_its_decision(client, make, lands):
    d = resolved_decision(lands.village.id, "门面出租", "land_contract", 40_000_00, date(2026, 1, 10))
    db.session.commit()
    asset = parcels.create_parcel(lands.village, parcels.ParcelInput("ZC-1", "门面", 500, kind="collective_asset",
                                                                     land_type="其他"), actor=None)
    c = lands.contract(number="ZL-1", kind="lease", title="门面出租", use="商业经营",
                       lines=[contracts.LineInput(asset.id)], end_date=date(2030, 3, 1),
                       periods=[contracts.PeriodInput(1, 2, 0, flat_fen=10_000_00)], decision_id=d.id)
    contracts.add_rent_period(c, contracts.PeriodInput(3, 3, 0, flat_fen=10_000_00), actor=None)  # 30,000.00
    db.session.commit()
    with pytest.raises(AppError) as e:
        contracts.add_rent_period(c, contracts.PeriodInput(4, 4, 0, flat_fen=10_000_01), actor=None)
    assert e.value.code == "land.decision_amount_exceeded"


# ---------------------------------------------------------------- at once (PostgreSQL: row locks, real races)


def test_one_households_part_sent_many_ways_at_once_is_passed_on_once(app, client, make, lands, paid,
                                                                      postgres_only):
    from tests.factories import parallel

    h = make.headers(lands.accountant)
    vid, aid = lands.village.id, paid["alloc"][0]
    cash = {"allocation_id": aid, "receiver_name": "张户1", "paid_on": "2026-03-04"}
    calls = [(lambda cl, i=i: cl.post(f"{API}/villages/{vid}/rent-payouts/cash", json=cash,
                                      headers={**h, "Idempotency-Key": f"c{i}"})) for i in range(6)]
    calls += [(lambda cl, i=i: cl.post(f"{API}/villages/{vid}/rent-payout-batches", json={"allocation_ids": [aid]},
                                       headers={**h, "Idempotency-Key": f"b{i}"})) for i in range(6)]
    results = parallel(app, calls)
    assert sorted(r.status_code for r in results) == [201] + [409] * 11, [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} <= {"land.payout_exists",
                                                                                 "land.payout_conflict"}
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(RentPayout)).scalar_one() == 1


def test_a_batch_marked_paid_twice_at_once_posts_once(app, client, make, lands, paid, postgres_only):
    from tests.factories import parallel

    h = make.headers(lands.accountant)
    b = _batch(client, make, lands, paid["alloc"]).json
    body = {"bank_reference": "HD1", "paid_on": "2026-03-05"}
    results = parallel(app, [(lambda cl: cl.post(f"{API}/rent-payout-batches/{b['id']}/paid", json=body, headers=h))
                             for _ in range(8)])
    assert {r.status_code for r in results} == {200}, [r.json for r in results]
    assert _payable(lands.village.id) == 0
    db.session.expire_all()
    assert db.session.execute(select(func.count()).select_from(Voucher).where(Voucher.source == "land")
                              ).scalar_one() == 2  # the receipt and the batch's one voucher


# ---------------------------------------------------------------- the parcel register: search and corrections


def test_parcels_are_found_by_code_name_or_place_and_corrected(client, make, lands):
    sec = make.headers(lands.secretary)
    vid = lands.village.id
    r = client.get(f"{API}/villages/{vid}/parcels", query_string={"q": "河湾"}, headers=sec)
    assert [(p["code"], p["household_number"], p["head_name"]) for p in r.json["items"]] == [
        ("LJ-D002", "LJ-L01", "张户1")]
    p = lands.parcels[2]  # household 2's, in no contract
    r = client.patch(f"{API}/parcels/{p.id}", headers=sec, json={"household_id": lands.households[0].id,
                                                                 "area_mu": "0.8", "location": "塘埂北"})
    assert r.status_code == 200, r.json
    assert (r.json["household_number"], r.json["area_mu"], r.json["location"]) == ("LJ-L01", "0.8", "塘埂北")
    # a parcel in an active contract keeps its household (its rent goes to the household the contract names)
    lands.contract(lines=[contracts.LineInput(lands.parcels[0].id)])
    r = client.patch(f"{API}/parcels/{lands.parcels[0].id}", headers=sec,
                     json={"household_id": lands.households[1].id})
    assert r.status_code == 409 and r.json["error"]["code"] == "land.parcel_in_contract"
    assert r.json["error"]["details"]["field"] == "household_id" and "LZ-2026-001" in r.json["error"]["message"]
    r = client.patch(f"{API}/parcels/{p.id}", headers=sec, json={"area_mu": "0"})
    assert r.status_code == 422 and "area_mu" in r.json["error"]["details"]["fields"]
    assert client.patch(f"{API}/parcels/{p.id}", headers=make.headers(lands.supervisor),
                        json={"name": "改名"}).status_code == 403
