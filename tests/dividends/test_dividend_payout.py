"""Paying a published list: opening the payout (the distribution voucher), recording payments (all or nothing,
idempotent), the double-pay race on PostgreSQL, and the bank's batch sheet."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.core.audit import AuditEntry
from backend.core.clock import today
from backend.core.db import db
from backend.dividends.models import Distribution, DividendLine, DividendPayment, PaymentBatch
from backend.dividends.shares import service as shares
from backend.ledger.models import Account, Voucher, VoucherLine
from tests.factories import parallel


def _count(model, *where) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _published(client, make, books, **over) -> int:
    sec = make.headers(books.secretary)
    body = {"year": books.year, "title": f"{books.year}年度收益分配方案", "components": [{"kind": "equity"}], **over}
    r = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=sec)
    assert r.status_code == 201, r.json
    did = r.json["id"]
    r = client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
    assert r.status_code == 200, r.json
    r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
    assert r.status_code == 200, r.json
    return did


def _paying(client, make, books, now, **over) -> int:
    did = _published(client, make, books, **over)
    now[0] = now[0] + timedelta(days=8)  # the 7-day 公示 is over
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=make.headers(books.secretary))
    assert r.status_code == 200, r.json
    return did


def _entries(voucher_id: int) -> list[tuple[str, int, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Account.code, VoucherLine.debit_fen, VoucherLine.credit_fen).join(Account)
        .where(VoucherLine.voucher_id == voucher_id).order_by(VoucherLine.line_no))]


def _snapshot(did: int) -> tuple:
    db.session.expire_all()
    d = db.session.get(Distribution, did)
    paid = db.session.execute(select(DividendLine.id, DividendLine.paid_on, DividendLine.paid_at)
                              .where(DividendLine.distribution_id == did).order_by(DividendLine.id)).all()
    return (d.status, d.accrual_voucher_id, d.paid_at, tuple(paid), _count(Voucher), _count(PaymentBatch),
            _count(DividendPayment), _count(AuditEntry))


def _pay(client, h, did, ids, method="cash", paid_on=None, key=None, **extra):
    body = {"household_ids": ids, "method": method, "paid_on": (paid_on or today()).isoformat(), **extra}
    headers = {**h, "Idempotency-Key": key} if key else h
    return client.post(f"/api/v1/distributions/{did}/payments", json=body, headers=headers)


# ---------------------------------------------------------------- opening the payout


def test_payout_waits_for_the_end_of_publicity_and_answered_objections(client, make, books, now):
    did = _published(client, make, books)
    sec = make.headers(books.secretary)
    before = _snapshot(did)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.publicity_open"
    oid = client.post(f"/api/v1/distributions/{did}/objections", json={"text": "有疑问"},
                      headers=make.headers(books.villager)).json["id"]
    # the last day of the 公示 is still the 公示
    now[0] = now[0] + timedelta(days=6)
    sec = make.headers(books.secretary)
    before = _snapshot(did)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.publicity_open"
    now[0] = now[0] + timedelta(days=1)
    sec = make.headers(books.secretary)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.objections_open"
    assert r.json["error"]["details"]["open"] == 1
    # and no payment before the payout is opened
    r = _pay(client, sec, did, [books.households[0].id])
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_paying"
    assert _snapshot(did)[:-1] == before[:-1] and before[0] == "published" and before[1] is None

    client.post(f"/api/v1/dividend-objections/{oid}/answer", json={"answer": "已核对"}, headers=sec)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 200 and r.json["status"] == "paying"
    before = _snapshot(did)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_published"
    assert _snapshot(did) == before


def test_a_computed_list_cannot_be_paid_out(client, make, books):
    sec = make.headers(books.secretary)
    body = {"year": books.year, "title": "方案", "components": [{"kind": "equity"}]}
    did = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=sec).json["id"]
    client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
    before = _snapshot(did)
    r = client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_published"
    assert _snapshot(did) == before


def test_the_payout_voucher_sets_aside_the_reserve_and_owes_the_households(client, make, books, now):
    did = _paying(client, make, books, now)
    d = db.session.get(Distribution, did)
    v = db.session.get(Voucher, d.accrual_voucher_id)
    assert v.status == "posted" and v.source == "dividends" and v.decision_ref == str(books.decision_id)
    assert _entries(v.id) == [("322002", 90_000_00, 0), ("211", 0, 63_000_00), ("311", 0, 27_000_00)]
    assert d.status == "paying" and d.paid_at is None
    assert _count(PaymentBatch) == 0  # no collective line: nothing is settled yet


def test_the_collective_line_is_settled_at_once_and_the_carried_forward_part_stays(client, make, books, now):
    collective = shares.create_share_type(books.village, shares.ShareTypeInput("collective", "集体股",
                                                                               holder="collective"), actor=None)
    shares.record_event(books.village, shares.EventInput("adjust", books.register_on,
                                                         changes=[shares.ChangeInput(collective.id, 4)]), actor=None)
    db.session.commit()
    did = _paying(client, make, books, now, dividend_total="60000.00")
    plan = client.get(f"/api/v1/distributions/{did}", headers=make.headers(books.secretary)).json
    assert (plan["distributable"], plan["pool"], plan["carried_forward"]) == ("90000.00", "60000.00", "3000.00")
    d = db.session.get(Distribution, did)
    entries = _entries(d.accrual_voucher_id)
    # 15 shares: the collective's 4 give 16,000.00 into 公积公益金 with the 27,000.00 reserve; the households' 11
    # give 44,000.00 owed to them; the 3,000.00 not paid out stays in 未分配收益
    assert entries == [("322002", 87_000_00, 0), ("211", 0, 44_000_00), ("311", 0, 43_000_00)]
    debits, credits = sum(e[1] for e in entries), sum(e[2] for e in entries)
    assert debits == credits == _fen(plan["distributable"]) - _fen(plan["carried_forward"])

    line = db.session.execute(select(DividendLine).where(DividendLine.distribution_id == did,
                                                         DividendLine.household_id.is_(None))).scalar_one()
    assert line.amount_fen == 16_000_00 and line.paid_on == today() and line.paid_at is not None
    batch = db.session.execute(select(PaymentBatch).where(PaymentBatch.distribution_id == did)).scalar_one()
    assert (batch.method, batch.count, batch.total_fen) == ("internal", 1, 16_000_00)
    assert batch.voucher_id == d.accrual_voucher_id is not None
    assert _count(DividendPayment, DividendPayment.line_id == line.id) == 1
    assert _count(Voucher, Voucher.source == "dividends") == 1
    assert plan["status"] == "paying"

    sec = make.headers(books.secretary)
    r = _pay(client, sec, did, [h.id for h in books.households], method="bank")
    assert r.status_code == 201 and r.json["total"] == "44000.00"
    plan = client.get(f"/api/v1/distributions/{did}", headers=sec).json
    assert plan["status"] == "paid" and plan["unpaid_total"] == "0.00" and plan["paid_at"].endswith("+08:00")


def test_a_reserve_kept_in_undistributed_income_needs_no_entry(client, make, books, now):
    buckets = [{"name": "公积公益金", "kind": "retain", "percent": "20", "account_code": "311"},
               {"name": "留作下年分配", "kind": "retain", "percent": "10", "account_code": "322001"},
               {"name": "股金分红", "kind": "dividend", "percent": "70"}]
    did = _paying(client, make, books, now, buckets=buckets)
    d = db.session.get(Distribution, did)
    assert _entries(d.accrual_voucher_id) == [("322002", 81_000_00, 0), ("211", 0, 63_000_00), ("311", 0, 18_000_00)]


def test_a_list_whose_reserve_could_never_be_booked_is_not_published(client, make, books, now):
    """Publication is final: a retained bucket pointing at an account the payout voucher cannot use (unknown, or a
    parent with sub-accounts) is refused before the list is sealed, not discovered when paying out."""
    sec = make.headers(books.secretary)
    for code in ("999", "322"):
        buckets = [{"name": "公积公益金", "kind": "retain", "percent": "30", "account_code": code},
                   {"name": "股金分红", "kind": "dividend", "percent": "70"}]
        body = {"year": books.year, "title": "方案", "components": [{"kind": "equity"}], "buckets": buckets}
        r = client.post(f"/api/v1/villages/{books.village.id}/distributions", json=body, headers=sec)
        if r.status_code == 422:  # refused when the plan is made: as good
            assert r.json["error"]["code"] == "dividend.bucket_account", r.json
            continue
        did = r.json["id"]
        client.post(f"/api/v1/distributions/{did}/compute", json={"record_date": today().isoformat()}, headers=sec)
        before = _snapshot(did)
        r = client.post(f"/api/v1/distributions/{did}/publish", json={"decision_id": books.decision_id}, headers=sec)
        assert r.status_code == 422 and r.json["error"]["code"] == "dividend.bucket_account", (code, r.json)
        assert _snapshot(did) == before and before[0] == "computed"
        assert client.post(f"/api/v1/distributions/{did}/cancel", json={"reason": "科目填错"},
                           headers=sec).status_code == 200


# ---------------------------------------------------------------- payments


def test_bank_and_cash_payments_post_their_vouchers(client, make, books, now):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    h = books.households
    r = _pay(client, sec, did, [h[0].id, h[2].id], method="bank", reference="回单20260105")
    assert r.status_code == 201, r.json
    assert (r.json["count"], r.json["total"], r.json["method"], r.json["replayed"]) == (2, "34363.63", "bank", False)
    v = db.session.get(Voucher, r.json["voucher_id"])
    assert v.status == "posted" and "回单20260105" in v.summary
    assert _entries(v.id) == [("211", 34363_63, 0), ("102", 0, 34363_63)]
    r = _pay(client, sec, did, [h[1].id], method="cash")
    assert r.status_code == 201
    assert _entries(r.json["voucher_id"]) == [("211", 17181_82, 0), ("101", 0, 17181_82)]
    db.session.expire_all()
    paid = dict(db.session.execute(select(DividendLine.household_id, DividendLine.paid_on)
                                   .where(DividendLine.distribution_id == did)).all())
    assert paid == {h[0].id: today(), h[1].id: today(), h[2].id: today(), h[3].id: None}
    assert db.session.get(Distribution, did).status == "paying"

    r = _pay(client, sec, did, [h[3].id], method="cash")
    assert r.status_code == 201
    d = db.session.get(Distribution, did)
    assert d.status == "paid" and d.paid_at is not None
    before = _snapshot(did)
    r = _pay(client, sec, did, [h[3].id], method="cash")
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_paying"
    assert _snapshot(did)[:-1] == before[:-1]
    # 应付款 is cleared: what was owed has all been paid
    owed = db.session.execute(
        select(func.sum(VoucherLine.credit_fen - VoucherLine.debit_fen)).join(Account).join(Voucher)
        .where(Account.code == "211", Voucher.village_id == books.village.id, Voucher.status == "posted")
    ).scalar_one()
    assert owed == 0


def test_one_household_already_paid_refuses_the_whole_batch(client, make, books, now):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    h = books.households
    assert _pay(client, sec, did, [h[0].id]).status_code == 201
    before = _snapshot(did)
    r = _pay(client, sec, did, [h[1].id, h[0].id, h[2].id], method="bank")
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.already_paid"
    assert r.json["error"]["details"]["households"] == ["LJ-101"]
    assert _snapshot(did) == before


def test_payments_refused_for_households_not_listed_duplicates_and_bad_dates(client, make, books, now):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    h = books.households
    elsewhere = make.member(make.village("XZ02", "新竹村"), "吴强")
    db.session.commit()
    until = db.session.get(Distribution, did).publicity_until
    before = _snapshot(did)
    cases = [
        (_pay(client, sec, did, [h[1].id, books.secretary.household_id]), 422, "dividend.household_not_listed"),
        (_pay(client, sec, did, [elsewhere.household_id]), 422, "dividend.household_not_listed"),
        (_pay(client, sec, did, [999_999]), 422, "dividend.household_not_listed"),
        (_pay(client, sec, did, [h[1].id, h[2].id, h[1].id]), 422, "dividend.duplicate_households"),
        (_pay(client, sec, did, []), 422, "validation.failed"),
        (_pay(client, sec, did, [h[1].id], method="wechat"), 422, "validation.failed"),
        (_pay(client, sec, did, [h[1].id], paid_on=today() + timedelta(days=1)), 422, "dividend.paid_on_invalid"),
        (_pay(client, sec, did, [h[1].id], paid_on=until), 422, "dividend.paid_on_invalid"),
    ]
    for r, status, code in cases:
        assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert cases[0][0].json["error"]["details"]["household_ids"] == [books.secretary.household_id]
    assert _snapshot(did) == before
    # the day the payout opened (two days after the 公示) is a valid payment date, and today
    r = _pay(client, sec, did, [h[1].id], paid_on=until + timedelta(days=2))
    assert r.status_code == 201 and r.json["paid_on"] == (until + timedelta(days=2)).isoformat() == \
        db.session.get(Voucher, db.session.get(Distribution, did).accrual_voucher_id).voucher_date.isoformat()
    assert _pay(client, sec, did, [h[2].id], paid_on=today()).status_code == 201


def test_a_payment_cannot_be_dated_before_the_payout_opened(client, make, books, now):
    did = _published(client, make, books)
    now[0] = now[0] + timedelta(days=20)  # the 公示 ended two weeks ago; the payout opens today
    sec = make.headers(books.secretary)
    assert client.post(f"/api/v1/distributions/{did}/payout", headers=sec).status_code == 200
    until = db.session.get(Distribution, did).publicity_until
    before = _snapshot(did)
    for paid_on in (until + timedelta(days=1), today() - timedelta(days=1)):
        # what was owed is only booked (Cr 应付款) today: a payment before it would leave 应付款 negative
        r = _pay(client, sec, did, [books.households[0].id], paid_on=paid_on)
        assert r.status_code == 422 and r.json["error"]["code"] == "dividend.paid_on_invalid", r.json
        assert _snapshot(did) == before
    assert _pay(client, sec, did, [books.households[0].id], paid_on=today()).status_code == 201


def test_an_idempotency_key_replays_the_same_request_and_refuses_another(client, make, books, now):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    h = books.households
    first = _pay(client, sec, did, [h[0].id, h[1].id], method="bank", key="bank-batch-1", reference="回单1")
    assert first.status_code == 201
    before = _snapshot(did)
    again = _pay(client, sec, did, [h[0].id, h[1].id], method="bank", key="bank-batch-1", reference="回单1")
    assert again.status_code == 200 and again.json == {**first.json, "replayed": True}
    assert _snapshot(did)[:-1] == before[:-1]
    for body in ({"ids": [h[0].id, h[2].id]}, {"ids": [h[0].id, h[1].id, h[0].id]},
                 {"ids": [h[0].id, h[1].id], "method": "cash"},
                 {"ids": [h[0].id, h[1].id], "reference": "回单2"}):
        r = _pay(client, sec, did, body["ids"], method=body.get("method", "bank"), key="bank-batch-1",
                 reference=body.get("reference", "回单1"))
        assert r.status_code == 409 and r.json["error"]["code"] == "idempotency.mismatch", r.json
        assert _snapshot(did) == before
    r = _pay(client, sec, did, [h[2].id], key=" " * 3)
    assert r.status_code == 400 and r.json["error"]["code"] == "idempotency.key_invalid"
    r = _pay(client, sec, did, [h[2].id], key="k" * 81)
    assert r.status_code == 400 and _snapshot(did) == before
    # a new key is a new request: a household paid under another key is refused
    r = _pay(client, sec, did, [h[1].id], method="bank", key="bank-batch-2")
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.already_paid"
    assert _snapshot(did) == before


def test_the_database_refuses_a_second_payment_of_one_line(client, make, books, now):
    did = _paying(client, make, books, now)
    r = _pay(client, make.headers(books.secretary), did, [books.households[0].id])
    assert r.status_code == 201
    payment = db.session.execute(select(DividendPayment)).scalar_one()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(DividendPayment(distribution_id=did, line_id=payment.line_id, batch_id=r.json["id"],
                                       amount_fen=payment.amount_fen))
        db.session.flush()
    db.session.rollback()
    assert _count(DividendPayment) == 1


# ---------------------------------------------------------------- the race (PostgreSQL)


def test_one_household_paid_by_many_requests_at_once_is_paid_once(app, client, make, books, now, postgres_only):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    hid = books.households[0].id
    accrual = db.session.get(Distribution, did).accrual_voucher_id
    body = {"household_ids": [hid], "method": "bank", "paid_on": today().isoformat()}
    url = f"/api/v1/distributions/{did}/payments"
    calls = [(lambda c, i=i: c.post(url, json=body, headers={**sec, "Idempotency-Key": f"phone-{i}"} if i % 2 else sec))
             for i in range(16)]
    results = parallel(app, calls)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] + [409] * 15, [r.json for r in results]
    assert all(r.json["error"]["code"] == "dividend.already_paid" for r in results if r.status_code == 409)
    line = db.session.execute(select(DividendLine).where(DividendLine.distribution_id == did,
                                                         DividendLine.household_id == hid)).scalar_one()
    assert _count(DividendPayment, DividendPayment.line_id == line.id) == 1
    assert _count(PaymentBatch) == 1
    payment_vouchers = db.session.execute(select(Voucher).where(Voucher.source == "dividends",
                                                                Voucher.id != accrual)).scalars().all()
    assert len(payment_vouchers) == 1 and payment_vouchers[0].total_fen == line.amount_fen == 28636_36
    assert _count(AuditEntry, AuditEntry.action == "dividend.pay") == 1


def test_one_request_retried_many_times_at_once_makes_one_batch(app, client, make, books, now, postgres_only):
    did = _paying(client, make, books, now)
    sec = {**make.headers(books.secretary), "Idempotency-Key": "bank-batch-7"}
    body = {"household_ids": [h.id for h in books.households[:3]], "method": "bank", "paid_on": today().isoformat()}
    url = f"/api/v1/distributions/{did}/payments"
    results = parallel(app, [(lambda c: c.post(url, json=body, headers=sec)) for _ in range(16)])
    # the first one in pays; every retry waits for it and gets its result
    assert sorted(r.status_code for r in results) == [200] * 15 + [201], [r.json for r in results]
    assert len({r.json["id"] for r in results}) == 1
    assert sorted(r.json["replayed"] for r in results) == [False] + [True] * 15
    assert _count(PaymentBatch) == 1 and _count(DividendPayment) == 3
    assert _count(Voucher, Voucher.source == "dividends") == 2


def test_one_key_sent_with_two_different_bodies_at_once_pays_one_of_them(app, client, make, books, now,
                                                                         postgres_only):
    did = _paying(client, make, books, now)
    sec = {**make.headers(books.secretary), "Idempotency-Key": "same-key"}
    url = f"/api/v1/distributions/{did}/payments"
    bodies = [{"household_ids": [books.households[i % 2].id], "method": "cash", "paid_on": today().isoformat()}
              for i in range(16)]
    results = parallel(app, [(lambda c, b=b: c.post(url, json=b, headers=sec)) for b in bodies])
    created = [i for i, r in enumerate(results) if r.status_code == 201]
    assert len(created) == 1, [r.json for r in results]
    winner = bodies[created[0]]["household_ids"]
    for b, r in zip(bodies, results, strict=True):
        if r.status_code == 201:
            continue
        if b["household_ids"] == winner:
            assert r.status_code == 200 and r.json["id"] == results[created[0]].json["id"], r.json
        else:
            assert r.status_code == 409 and r.json["error"]["code"] == "idempotency.mismatch", r.json
    assert _count(PaymentBatch) == 1 and _count(DividendPayment) == 1
    assert _count(DividendLine, DividendLine.paid_at.is_not(None)) == 1


def test_the_payout_opened_by_several_requests_at_once_is_opened_once(app, client, make, books, now, postgres_only):
    did = _published(client, make, books)
    now[0] = now[0] + timedelta(days=8)
    sec = make.headers(books.secretary)
    url = f"/api/v1/distributions/{did}/payout"
    results = parallel(app, [(lambda c: c.post(url, headers=sec)) for _ in range(8)])
    assert sorted(r.status_code for r in results) == [200] + [409] * 7, [r.json for r in results]
    assert all(r.json["error"]["code"] == "dividend.not_published" for r in results if r.status_code == 409)
    assert _count(Voucher, Voucher.source == "dividends") == 1
    assert _count(AuditEntry, AuditEntry.action == "dividend.payout_open") == 1


def test_the_last_households_paid_at_once_close_the_distribution(app, client, make, books, now, postgres_only):
    did = _paying(client, make, books, now)
    sec = make.headers(books.secretary)
    url = f"/api/v1/distributions/{did}/payments"
    results = parallel(app, [
        (lambda c, hid=h.id: c.post(url, json={"household_ids": [hid], "method": "cash",
                                                "paid_on": today().isoformat()}, headers=sec))
        for h in books.households])
    assert [r.status_code for r in results] == [201] * 4, [r.json for r in results]
    db.session.expire_all()
    d = db.session.get(Distribution, did)
    assert d.status == "paid" and d.paid_at is not None
    assert _count(DividendPayment) == 4 and _count(Voucher, Voucher.source == "dividends") == 5


# ---------------------------------------------------------------- the bank's batch sheet


def test_the_bank_batch_lists_unpaid_households_with_an_account(client, make, books, now):
    h = books.households
    shares.set_payee(books.village, h[0].id, "张10", "临江农商银行城关支行", "6228480012345678901", actor=None)
    shares.set_payee(books.village, h[1].id, "张20", "临江农商银行城关支行", "6228480012345678902", actor=None)
    shares.set_payee(books.village, h[2].id, "张30", "邮储银行临江支行", "6217990000000000303", actor=None)
    db.session.commit()
    did = _published(client, make, books)
    url = f"/api/v1/distributions/{did}/bank-batch.xlsx"
    r = client.get(url, headers=make.headers(books.accountant))
    assert r.status_code == 409 and r.json["error"]["code"] == "dividend.not_paying"
    now[0] = now[0] + timedelta(days=8)
    sec = make.headers(books.secretary)
    client.post(f"/api/v1/distributions/{did}/payout", headers=sec)
    assert _pay(client, sec, did, [h[1].id]).status_code == 201

    r = client.get(url, headers=make.headers(books.accountant))
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    wb = load_workbook(BytesIO(r.data))
    batch, missing = wb.worksheets
    rows = list(batch.iter_rows(values_only=True))
    assert [c.removesuffix("（元）") for c in rows[0][:6]] == ["序号", "户号", "户名", "开户行", "账号", "金额"]
    # amounts are numbers (two decimals shown), account numbers text; a 合计 row closes each sheet
    assert [r[:6] for r in rows[1:-1]] == [
        (1, "LJ-101", "张10", "临江农商银行城关支行", "6228480012345678901", 28636.36),
        (2, "LJ-103", "张30", "邮储银行临江支行", "6217990000000000303", 5727.27),
    ]
    assert rows[-1][:2] == ("合计", "2户") and _fen(str(rows[-1][5])) == 28636_36 + 5727_27
    assert batch["F2"].data_type == "n" and batch["F2"].number_format == "#,##0.00"
    assert batch["E2"].data_type == "s" and batch["E2"].number_format == "@"
    assert batch.print_title_rows == "$1:$1" and int(batch.page_setup.paperSize) == 9  # A4
    assert batch.page_setup.fitToWidth == 1 and batch.sheet_properties.pageSetUpPr.fitToPage
    lacking = list(missing.iter_rows(values_only=True))
    assert [r[:4] for r in lacking[1:-1]] == [(1, "LJ-104", "张40", 11454.55)]
    assert lacking[-1][:2] == ("合计", "1户") and _fen(str(lacking[-1][3])) == 11454_55
    unpaid = client.get(f"/api/v1/distributions/{did}", headers=sec).json["unpaid_total"]
    assert _fen(str(rows[-1][5])) + _fen(str(lacking[-1][3])) == _fen(unpaid) == 45818_18

    for who, status in ((books.supervisor, 403), (books.villager, 403)):
        assert client.get(url, headers=make.headers(who)).status_code == status
    stranger = make.member(make.village("XZ02", "新竹村"), "周会计", roles=("accountant",))
    db.session.commit()
    assert client.get(url, headers=make.headers(stranger)).status_code == 404
