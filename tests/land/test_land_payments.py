"""Rent payments: the exact split between households (by area) and the collective (generated contracts and payment
sequences through the real database), the refusals (each changes nothing), idempotent retries, the ledger postings,
and the races on PostgreSQL (never paid twice, never more than the due)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError
from backend.land import contracts, parcels, payments
from backend.land.models import RentAllocation, RentDue, RentPayment
from backend.ledger import service as ledger
from backend.ledger.models import Account, Voucher, VoucherLine
from tests.factories import parallel

API = "/api/v1"
FEE_NOTE = "合同第八条：村集体每亩每年收取流转服务费，另收集体分成"


# ---------------------------------------------------------------- helpers


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _count(model: Any, *where: Any) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _snapshot() -> tuple:
    """Everything a payment writes: a refused one leaves all of it as it was."""
    db.session.expire_all()
    paid = tuple(db.session.execute(select(RentDue.id, RentDue.paid_fen).order_by(RentDue.id)).all())
    return (paid, _count(RentPayment), _count(RentAllocation), _count(Voucher), _count(VoucherLine),
            _count(AuditEntry))


def _entries(voucher_id: int) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Account.code, VoucherLine.debit_fen, VoucherLine.credit_fen).join(Account)
        .where(VoucherLine.voucher_id == voucher_id).order_by(VoucherLine.line_no))]


def _dues(contract: Any) -> list[RentDue]:
    db.session.expire_all()
    return contracts.dues_of(contract)


def _pay(client: Any, headers: dict[str, str], contract_id: int, due_id: int, amount: str, paid_on: str = "2026-03-03",
         key: str | None = None, **extra: Any) -> Any:
    h = {**headers, "Idempotency-Key": key} if key else headers
    return client.post(f"{API}/land-contracts/{contract_id}/payments", headers=h,
                       json={"due_id": due_id, "amount": amount, "paid_on": paid_on, **extra})


@pytest.fixture
def march(now: list[datetime]) -> list[datetime]:
    """2026-03-05 in China: the first year's rent of the fixture contract fell due on 2026-03-01."""
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    return now


# ---------------------------------------------------------------- property: the split on generated contracts


_seq = itertools.count(1)


@st.composite
def _cases(draw: Any) -> dict[str, Any]:
    houses = draw(st.lists(st.lists(st.integers(1, 99_999), min_size=1, max_size=3), min_size=1, max_size=4))
    per_mu = draw(st.integers(1, 2_000_00))
    fee = draw(st.one_of(st.just(0), st.integers(0, per_mu)))
    collective = draw(st.one_of(st.just(0), st.integers(0, 500_00)))
    area = sum(sum(h) for h in houses)
    total = (int(Fraction(per_mu * area, 10_000) + Fraction(1, 2))
             + int(Fraction(collective * area, 10_000) + Fraction(1, 2)))
    if total < 2:
        cuts: list[int] = []
    else:
        cuts = sorted(draw(st.sets(st.integers(1, total - 1), max_size=4)))
        if cuts and draw(st.booleans()):
            cuts = sorted({*cuts, total - 1, 1})  # a 1-fen payment at the start and at the end
    return {"houses": houses, "per_mu": per_mu, "fee": fee, "collective": collective, "cuts": cuts}


def _half_up(x: Fraction) -> int:
    return int(x + Fraction(1, 2))


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=_cases())
def test_property_every_payment_splits_exactly_and_the_last_one_settles_every_part(make, march, case):
    try:
        _check_split(make, case)
    finally:
        db.session.rollback()  # each example starts from empty tables


def _check_split(make: Any, case: dict[str, Any]) -> None:
    assert _count(RentPayment) == 0
    n = next(_seq)
    v = make.village(f"PL{n:04d}", f"试算村{n}")
    ledger.ensure_chart(v)
    party = parcels.create_party(v, parcels.PartyInput("company", "试算农业公司"), actor=None)
    areas: dict[int, int] = {}
    lines = []
    for i, parcel_areas in enumerate(case["houses"]):
        h = make.household(v, f"PL-{i:02d}")
        for j, mu4 in enumerate(parcel_areas):
            p = parcels.create_parcel(v, parcels.ParcelInput(f"PL-{i}-{j}", f"地{i}{j}", mu4, household_id=h.id),
                                      actor=None)
            lines.append(contracts.LineInput(p.id))
            areas[h.id] = areas.get(h.id, 0) + mu4
    c = contracts.create_contract(v, contracts.ContractInput(
        number="PL-1", kind="transfer", party_id=party.id, title="试算流转", start_date=date(2026, 3, 1),
        end_date=date(2027, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20), lines=lines,
        periods=[contracts.PeriodInput(1, 1, case["per_mu"], collective_per_mu=case["collective"],
                                       fee_per_mu=case["fee"])],
        fee_note=FEE_NOTE if case["fee"] or case["collective"] else None), actor=None)
    (d,) = contracts.dues_of(c)
    area = sum(areas.values())
    # the due, worked out from the generated terms alone
    gross = _half_up(Fraction(case["per_mu"] * area, 10_000))
    assert d.household_fen == gross
    assert d.fee_fen == min(_half_up(Fraction(case["fee"] * area, 10_000)), gross)
    assert d.collective_fen == _half_up(Fraction(case["collective"] * area, 10_000))
    total = d.household_fen + d.collective_fen
    bounds = [0, *case["cuts"], total]
    amounts = [b - a for a, b in itertools.pairwise(bounds)] if total else []
    made = []
    for k, amount in enumerate(amounts):
        r = payments.record_payment(c, payments.PaymentInput(d.id, amount, date(2026, 3, 3)), idempotency_key=f"k{k}",
                                    actor=None)
        p = r.payment
        assert not r.replayed and p.amount_fen == amount
        assert p.household_fen + p.collective_fen == amount and 0 <= p.fee_fen <= p.collective_fen
        allocs = db.session.execute(select(RentAllocation).where(RentAllocation.payment_id == p.id)).scalars().all()
        assert sorted(a.household_id for a in allocs) == sorted(areas)
        assert sum(a.amount_fen for a in allocs) == p.household_fen
        settling = k == len(amounts) - 1
        for a in allocs:
            # within a fen of the household's exact share by area of what this payment passes on to households
            # (the settling payment instead tops every household up to its exact share of the year: below)
            if not settling:
                assert abs(a.amount_fen * area - p.household_fen * areas[a.household_id]) < area
            assert a.area_mu4 == areas[a.household_id]
        receipt = db.session.get(Voucher, p.receipt_voucher_id)
        assert receipt.status == "posted" and receipt.total_fen == amount
        db.session.refresh(d)
        assert d.paid_fen == sum(amounts[: k + 1]) <= total
        made.append(p)
    assert d.paid_fen == total
    assert sum(p.household_fen for p in made) == d.household_fen - d.fee_fen
    assert sum(p.fee_fen for p in made) == d.fee_fen
    assert sum(p.collective_fen - p.fee_fen for p in made) == d.collective_fen
    # every fen of the households' net reached a household
    reached = db.session.execute(select(func.sum(RentAllocation.amount_fen))
                                 .where(RentAllocation.due_id == d.id)).scalar_one()
    assert int(reached or 0) == d.household_fen - d.fee_fen
    # each household got its share of the year by area (largest remainder): exactly, unless an earlier instalment
    # already took it past its share (tiny instalments), when the settling payment can't take anything back
    year = contracts.household_shares(c, d.household_fen - d.fee_fen)
    per_household = dict(db.session.execute(
        select(RentAllocation.household_id, func.sum(RentAllocation.amount_fen))
        .where(RentAllocation.due_id == d.id).group_by(RentAllocation.household_id)).all())
    got = {h: int(per_household.get(h, 0)) for h in year}
    assert all(abs(got[h] - year[h]) < max(len(amounts), 1) for h in year)
    if len(amounts) >= 2:
        before = dict(db.session.execute(
            select(RentAllocation.household_id, func.sum(RentAllocation.amount_fen))
            .where(RentAllocation.due_id == d.id, RentAllocation.payment_id != made[-1].id)
            .group_by(RentAllocation.household_id)).all())
        if all(int(before.get(h, 0)) <= year[h] for h in year):
            assert got == year
    if total:
        with pytest.raises(AppError) as info:
            payments.record_payment(c, payments.PaymentInput(d.id, 1, date(2026, 3, 3)), idempotency_key="one-more",
                                    actor=None)
        assert info.value.code == "land.overpaid"


# ---------------------------------------------------------------- refusals


def test_a_payment_above_what_is_owed_is_refused_and_the_exact_balance_accepted(client, make, lands, march):
    c = lands.contract()
    sec = make.headers(lands.accountant)
    due = _dues(c)[0]
    assert contracts.due_total(due) == 5826_64
    before = _snapshot()
    r = _pay(client, sec, c.id, due.id, "5826.65")
    assert r.status_code == 409 and r.json["error"]["code"] == "land.overpaid", r.json
    assert r.json["error"]["details"]["outstanding"] == "5826.64"
    assert _snapshot() == before
    assert _pay(client, sec, c.id, due.id, "1000.00").status_code == 201
    before = _snapshot()
    r = _pay(client, sec, c.id, due.id, "4826.65")
    assert r.status_code == 409 and r.json["error"]["code"] == "land.overpaid"
    assert r.json["error"]["details"]["outstanding"] == "4826.64"
    assert _snapshot() == before
    r = _pay(client, sec, c.id, due.id, "4826.64")
    assert r.status_code == 201, r.json
    assert _dues(c)[0].paid_fen == 5826_64


def test_a_due_of_another_contract_or_no_due_is_refused(client, make, lands, march):
    c = lands.contract()
    later = lands.contract(number="LZ-2029-001", start_date=date(2029, 3, 1), end_date=date(2030, 3, 1),
                           signed_on=date(2026, 2, 20), periods=[contracts.PeriodInput(1, 1, 800_00)])
    sec = make.headers(lands.secretary)
    other_due = _dues(later)[0]
    assert contracts.due_total(other_due) == 5826_64
    before = _snapshot()
    for due_id in (other_due.id, 999_999):
        r = _pay(client, sec, c.id, due_id, "100.00")
        assert r.status_code == 422 and r.json["error"]["code"] == "land.due_unknown", r.json
    assert _snapshot() == before


def test_rent_not_yet_agreed_cannot_be_collected(client, make, lands, march):
    # 长包短定: only the first year's rent is agreed
    c = lands.contract(periods=[contracts.PeriodInput(1, 1, 800_00)])
    first, second, _ = _dues(c)
    assert second.household_fen is None and contracts.due_total(second) is None
    sec = make.headers(lands.secretary)
    before = _snapshot()
    r = _pay(client, sec, c.id, second.id, "100.00")
    assert r.status_code == 409 and r.json["error"]["code"] == "land.due_unpriced", r.json
    assert _snapshot() == before
    assert _pay(client, sec, c.id, first.id, "100.00").status_code == 201


def test_a_payment_dated_after_today_is_refused_and_today_is_accepted(client, make, lands, march):
    c = lands.contract()
    sec = make.headers(lands.secretary)
    due = _dues(c)[0]
    assert today() == date(2026, 3, 5)
    before = _snapshot()
    r = _pay(client, sec, c.id, due.id, "100.00", paid_on="2026-03-06")
    assert r.status_code == 422 and r.json["error"]["code"] == "land.paid_on_invalid", r.json
    assert _snapshot() == before
    r = _pay(client, sec, c.id, due.id, "100.00", paid_on="2026-03-05")
    assert r.status_code == 201 and r.json["paid_on"] == "2026-03-05"


@pytest.mark.parametrize(("amount", "method", "codes"), [
    ("0.00", "bank", {"land.amount_invalid"}),
    ("-100.00", "bank", {"land.amount_invalid", "validation.failed"}),
    ("0.001", "bank", {"validation.failed"}),
    (100, "bank", {"validation.failed"}),
    ("100.00", "wechat", {"validation.failed", "land.method_invalid"}),
])
def test_an_amount_that_is_not_positive_money_or_an_unknown_method_is_refused(client, make, lands, march, amount,
                                                                              method, codes):
    c = lands.contract()
    due = _dues(c)[0]
    before = _snapshot()
    r = client.post(f"{API}/land-contracts/{c.id}/payments", headers=make.headers(lands.secretary),
                    json={"due_id": due.id, "amount": amount, "paid_on": "2026-03-03", "method": method})
    assert r.status_code == 422 and r.json["error"]["code"] in codes, r.json
    assert _snapshot() == before


def test_only_the_books_keepers_of_the_village_record_rent(client, make, lands, march):
    c = lands.contract()
    due = _dues(c)[0]
    other = make.village("SH02", "石河村")
    stranger = make.member(other, "外村会计", roles=("accountant",))
    before = _snapshot()
    for who, status in ((lands.heads[0], 403), (lands.supervisor, 403), (stranger, 404)):
        r = _pay(client, make.headers(who), c.id, due.id, "100.00")
        assert r.status_code == status, (who.name, r.json)
    assert _snapshot() == before


# ---------------------------------------------------------------- idempotency


def test_a_retry_with_the_same_key_replays_the_payment_and_writes_nothing(client, make, lands, march):
    c = lands.contract()
    sec = make.headers(lands.accountant)
    due = _dues(c)[0]
    first = _pay(client, sec, c.id, due.id, "2000.00", key="bank-0303-1", reference="回单 0303-1")
    assert first.status_code == 201 and first.json["replayed"] is False
    before = _snapshot()
    again = _pay(client, sec, c.id, due.id, "2000.00", key="bank-0303-1", reference="回单 0303-1")
    assert again.status_code == 200, again.json
    assert again.json["replayed"] is True and again.json["id"] == first.json["id"]
    assert {k: v for k, v in again.json.items() if k != "replayed"} == \
        {k: v for k, v in first.json.items() if k != "replayed"}
    assert _snapshot() == before
    # the same key with another body is a mistake, not a retry
    for changed in ({"amount": "2000.01"}, {"paid_on": "2026-03-04"}, {"method": "cash"}, {"reference": "回单 2"}):
        body = {"amount": "2000.00", "paid_on": "2026-03-03", "reference": "回单 0303-1", **changed}
        r = _pay(client, sec, c.id, due.id, key="bank-0303-1", **body)
        assert r.status_code == 409 and r.json["error"]["code"] == "idempotency.mismatch", (changed, r.json)
    assert _snapshot() == before
    # a new key is a new payment
    r = _pay(client, sec, c.id, due.id, "2000.00", key="bank-0303-2", reference="回单 0303-1")
    assert r.status_code == 201 and r.json["id"] != first.json["id"]
    assert _dues(c)[0].paid_fen == 4000_00


def test_a_blank_or_too_long_key_is_refused(client, make, lands, march):
    c = lands.contract()
    due = _dues(c)[0]
    before = _snapshot()
    for key in ("   ", "k" * 81):
        r = _pay(client, make.headers(lands.secretary), c.id, due.id, "100.00", key=key)
        assert r.status_code == 400 and r.json["error"]["code"] == "idempotency.key_invalid", r.json
    assert _snapshot() == before


# ---------------------------------------------------------------- the ledger


def test_a_transfer_payment_posts_the_receipt_only_and_the_households_rent_waits_in_payables(client, make, lands,
                                                                                            march):
    c = lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, collective_per_mu=50_00, fee_per_mu=20_00)],
                       fee_note=FEE_NOTE)
    due = _dues(c)[0]
    # 7.2833 mu: rent 5826.64, of it the fee 145.666 → 145.67; on top to the collective 364.165 → 364.17
    assert (due.household_fen, due.fee_fen, due.collective_fen) == (5826_64, 145_67, 364_17)
    r = _pay(client, make.headers(lands.accountant), c.id, due.id, "6190.81", paid_on="2026-03-02")
    assert r.status_code == 201, r.json
    body = r.json
    assert (body["amount"], body["households"], body["collective"], body["fee"]) == \
        ("6190.81", "5680.97", "509.84", "145.67")
    receipt = db.session.get(Voucher, body["receipt_voucher_id"])
    assert _entries(receipt.id) == [("102", 6190_81, 0), ("211", 0, 5680_97), ("501001", 0, 509_84)]
    lines = _entries(receipt.id)
    assert receipt.status == "posted" and receipt.number is not None and receipt.source == "land"
    assert receipt.voucher_date == date(2026, 3, 2) and receipt.period == "2026-03"
    assert sum(x[1] for x in lines) == sum(x[2] for x in lines) == receipt.total_fen == 6190_81
    # nothing is passed on with the receipt: the households' part is a liability until each payout is recorded
    assert body["payout_voucher_id"] is None
    assert _count(Voucher, Voucher.source == "land") == 1
    assert sum(_fen(a["amount"]) for a in body["allocations"]) == 5680_97


def test_cash_goes_through_the_cash_account_and_a_partial_payment_is_split_in_proportion(client, make, lands, march):
    c = lands.contract(periods=[contracts.PeriodInput(1, 3, 800_00, collective_per_mu=50_00, fee_per_mu=20_00)],
                       fee_note=FEE_NOTE)
    due = _dues(c)[0]
    r = _pay(client, make.headers(lands.accountant), c.id, due.id, "1000.00", method="cash")
    assert r.status_code == 201, r.json
    # 1000.00 of 6190.81: households' gross 5826.64 / 6190.81 → 941.18 (941.1756…), collective 58.82;
    # of the 941.18 the fee's part 145.67 / 5826.64 → 23.53 (23.5294…): households 917.65, collective 58.82 + 23.53
    assert (r.json["households"], r.json["fee"], r.json["collective"]) == ("917.65", "23.53", "82.35")
    assert _entries(r.json["receipt_voucher_id"]) == [("101", 1000_00, 0), ("211", 0, 917_65), ("501001", 0, 82_35)]
    assert r.json["payout_voucher_id"] is None


def test_a_lease_of_the_collectives_asset_is_all_income_of_the_collective(client, make, lands, march):
    pond = parcels.create_parcel(lands.village, parcels.ParcelInput("LJ-Z001", "村集体鱼塘", 50_000,
                                                                    kind="collective_asset"), actor=None)
    c = lands.contract(number="ZL-2026-001", kind="lease", title="鱼塘出租", use="水产养殖",
                       lines=[contracts.LineInput(pond.id)],
                       periods=[contracts.PeriodInput(1, 3, 0, flat_fen=12_000_00)])
    due = _dues(c)[0]
    assert (due.household_fen, due.fee_fen, due.collective_fen) == (0, 0, 12_000_00)
    r = _pay(client, make.headers(lands.accountant), c.id, due.id, "12000.00")
    assert r.status_code == 201, r.json
    assert (r.json["households"], r.json["collective"], r.json["allocations"]) == ("0.00", "12000.00", [])
    assert r.json["payout_voucher_id"] is None
    v = db.session.get(Voucher, r.json["receipt_voucher_id"])
    assert _entries(v.id) == [("102", 12_000_00, 0), ("501002", 0, 12_000_00)]
    assert v.status == "posted" and v.voucher_date == date(2026, 3, 3)
    assert _count(Voucher, Voucher.source == "land") == 1 and _count(RentAllocation) == 0


def test_a_payment_into_a_closed_month_is_refused_and_writes_nothing(client, make, lands, march):
    c = lands.contract()
    due = _dues(c)[0]
    ledger.close_period(lands.village, "2026-02", actor=None)
    db.session.commit()
    sec = make.headers(lands.accountant)
    before = _snapshot()
    r = _pay(client, sec, c.id, due.id, "5826.64", paid_on="2026-02-27", key="feb")
    assert r.status_code == 409 and r.json["error"]["code"] == "ledger.period_closed", r.json
    assert _snapshot() == before
    # the same money dated in the open month goes through, with the same key (nothing of the refusal stayed)
    r = _pay(client, sec, c.id, due.id, "5826.64", paid_on="2026-03-01", key="feb")
    assert r.status_code == 201, r.json
    assert _count(RentPayment) == 1 and _dues(c)[0].paid_fen == 5826_64


def test_the_database_refuses_a_due_paid_beyond_its_amount(lands, march):
    c = lands.contract()
    due = _dues(c)[0]
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(update(RentDue).where(RentDue.id == due.id).values(paid_fen=5826_64 + 1))
    db.session.rollback()
    assert _dues(c)[0].paid_fen == 0
    db.session.execute(update(RentDue).where(RentDue.id == due.id).values(paid_fen=5826_64))  # the edge is allowed
    assert _dues(c)[0].paid_fen == 5826_64
    db.session.rollback()


# ---------------------------------------------------------------- races (PostgreSQL)


def _paid_state(c: Any) -> tuple[int, int, int]:
    db.session.expire_all()
    return _dues(c)[0].paid_fen, _count(RentPayment), _count(RentAllocation)


def test_the_whole_rent_sent_by_many_requests_at_once_is_taken_once(app, client, make, lands, march, postgres_only):
    c = lands.contract()
    due = _dues(c)[0]
    sec = make.headers(lands.accountant)
    url = f"{API}/land-contracts/{c.id}/payments"
    body = {"due_id": due.id, "amount": "5826.64", "paid_on": "2026-03-03"}
    results = parallel(app, [(lambda cl, i=i: cl.post(url, json=body, headers={**sec, "Idempotency-Key": f"k{i}"}))
                             for i in range(16)])
    assert sorted(r.status_code for r in results) == [201] + [409] * 15, [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} <= {"land.overpaid",
                                                                                 "land.payment_conflict"}
    assert _paid_state(c) == (5826_64, 1, 3)
    assert _count(Voucher, Voucher.source == "land") == 1  # the receipt: passing on is a payout of its own
    assert _count(AuditEntry, AuditEntry.action == "land.rent_payment") == 1


def test_one_payment_retried_many_times_at_once_is_recorded_once(app, client, make, lands, march, postgres_only):
    c = lands.contract()
    due = _dues(c)[0]
    sec = {**make.headers(lands.accountant), "Idempotency-Key": "bank-0303"}
    url = f"{API}/land-contracts/{c.id}/payments"
    body = {"due_id": due.id, "amount": "3000.00", "paid_on": "2026-03-03"}
    results = parallel(app, [(lambda cl: cl.post(url, json=body, headers=sec)) for _ in range(16)])
    assert sorted(r.status_code for r in results) == [200] * 15 + [201], [r.json for r in results]
    assert len({r.json["id"] for r in results}) == 1
    assert sorted(r.json["replayed"] for r in results) == [False] + [True] * 15
    assert _paid_state(c) == (3000_00, 1, 3)
    assert _count(Voucher, Voucher.source == "land") == 1


def test_partial_payments_at_once_never_take_more_than_the_due(app, client, make, lands, march, postgres_only):
    c = lands.contract()
    due = _dues(c)[0]
    sec = make.headers(lands.accountant)
    url = f"{API}/land-contracts/{c.id}/payments"
    # 16 × 500.00 = 8000.00 against 5826.64: eleven fit (5500.00), the rest would overpay
    results = parallel(app, [
        (lambda cl, i=i: cl.post(url, json={"due_id": due.id, "amount": "500.00", "paid_on": "2026-03-03"},
                                 headers={**sec, "Idempotency-Key": f"p{i}"})) for i in range(16)])
    ok = [r for r in results if r.status_code == 201]
    assert len(ok) == 11 and sorted(r.status_code for r in results) == [201] * 11 + [409] * 5, \
        [r.json for r in results]
    assert {r.json["error"]["code"] for r in results if r.status_code == 409} <= {"land.overpaid",
                                                                                 "land.payment_conflict"}
    paid, n_payments, allocations = _paid_state(c)
    assert paid == sum(_fen(r.json["amount"]) for r in ok) == 5500_00 <= 5826_64
    assert n_payments == 11 and allocations == 33
    assert _count(Voucher, Voucher.source == "land") == 11  # one receipt a payment
    # the rest is still open to the right amount
    r = _pay(client, sec, c.id, due.id, "326.64")
    assert r.status_code == 201 and _paid_state(c)[0] == 5826_64


def test_a_late_retry_after_the_due_was_settled_still_replays(client, make, lands, march):
    c = lands.contract()
    due = _dues(c)[0]
    sec = make.headers(lands.accountant)
    first = _pay(client, sec, c.id, due.id, "5826.64", key="all")
    assert first.status_code == 201
    march[0] = march[0] + timedelta(days=30)
    sec = make.headers(lands.accountant)
    before = _snapshot()
    again = _pay(client, sec, c.id, due.id, "5826.64", key="all")
    assert again.status_code == 200 and again.json["id"] == first.json["id"] and again.json["replayed"] is True
    assert _snapshot() == before
