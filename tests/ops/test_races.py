"""Races on PostgreSQL: concurrent writes that must serialise.

Already proven where the rules live (each: many requests released at once by a barrier, see tests/factories.py
``parallel``), and not repeated here:

- ballots: tests/decisions/test_votes.py — 64 ballots from one voter count once; many voters each count once;
- payouts: tests/dividends/test_dividend_payout.py — one household paid by many requests once, one request retried
  at once makes one batch, one key with two bodies pays one, the payout opened once, the last payments close it;
  tests/dividends/test_dividend_publish.py — a list published at once is sealed once;
- rent allocation: tests/land/test_land_payments.py — the whole rent sent at once is taken once, one payment
  retried at once is recorded once, partial payments at once never exceed the due;
- job applications: tests/jobs/test_jobs_selection.py — one person from many phones applies once, a household
  applying at once gets one place, an application in flight at the deadline is on the sealed list;
  tests/jobs/test_jobs_pay.py — a month paid by many requests at once is paid once;
- voucher numbering: tests/ledger/test_voucher_concurrency.py — twenty drafts posted at once are numbered 1..20,
  months and villages number independently, a draft posted at once is posted once, a reversal at once is made
  once, two imports at once share the numbers without gaps;
- binding: tests/auth/test_bind_concurrency.py; the notices outbox: tests/notices/test_notices_outbox.py.

Missing, added here: one village's month numbered by every writer at once. Land payments (a receipt voucher each),
hand-posted drafts and reversals all take numbers from the same counter in the same month; nothing may share a
number or leave a gap, and every payment must still have its receipt."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select

from backend.core.db import db
from backend.land.models import RentPayment
from backend.ledger import service as ledger
from backend.ledger.models import Voucher, VoucherCounter, VoucherLine
from tests.factories import parallel
from tests.ops.conftest import build_rent_books

API = "/api/v1"


def _draft(village: Any, on: date, fen: int = 50_00) -> int:
    return ledger.create_voucher(village, ledger.VoucherInput(on, "收到补助", [
        ledger.LineInput("102", debit_fen=fen), ledger.LineInput("503", credit_fen=fen)]), actor=None).id


def test_payments_drafts_and_reversals_at_once_share_one_months_numbers_without_gaps(app, make, now, postgres_only):
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    books = build_rent_books(make, date(2026, 3, 1), date(2026, 3, 3), contracts=4)
    village = books.village
    drafts = [_draft(village, date(2026, 3, 2 + i % 3)) for i in range(8)]
    february = [ledger.post_voucher(ledger.get_voucher(_draft(village, date(2026, 2, 10))), actor=None).id
                for _ in range(4)]
    db.session.commit()
    h = make.headers(books.accountant)

    calls = []
    for i in range(8):
        contract_id, due_id = books.contract_ids[i % 4], books.due_ids[i % 4]
        calls.append(lambda c, i=i, contract_id=contract_id, due_id=due_id: c.post(
            f"{API}/land-contracts/{contract_id}/payments", headers={**h, "Idempotency-Key": f"race-{i}"},
            json={"due_id": due_id, "amount": "100.00", "paid_on": "2026-03-03"}))
    calls += [lambda c, vid=vid: c.post(f"{API}/vouchers/{vid}/post", headers=h) for vid in drafts]
    calls += [lambda c, vid=vid: c.post(f"{API}/vouchers/{vid}/reverse", headers=h,
                                        json={"date": "2026-03-04", "reason": "重复入账"}) for vid in february]
    results = parallel(app, calls)
    assert [r.status_code for r in results] == [201] * 8 + [200] * 8 + [201] * 4, [r.json for r in results]

    db.session.expire_all()
    march = list(db.session.execute(select(Voucher).where(
        Voucher.village_id == village.id, Voucher.period == "2026-03")).scalars())
    assert len(march) == 8 + 8 + 4 and all(v.status == "posted" for v in march)
    assert sorted(v.number for v in march) == list(range(1, 21))
    assert db.session.get(VoucherCounter, (village.id, "2026-03")).last_number == 20
    # the numbers the clients were told are those stored
    told = {r.json["number"] for r in results[8:16]} | {r.json["number"] for r in results[16:]}
    assert told <= {v.number for v in march} and len(told) == 12
    for v in march:
        debit, credit = db.session.execute(select(func.sum(VoucherLine.debit_fen), func.sum(VoucherLine.credit_fen))
                                           .where(VoucherLine.voucher_id == v.id)).one()
        assert debit == credit == v.total_fen
    payments = list(db.session.execute(select(RentPayment)).scalars())
    assert len(payments) == 8
    mine = {p.receipt_voucher_id for p in payments}  # the households' payouts are recorded later, not here
    assert mine == {v.id for v in march if v.source == "land"} and len(mine) == 8
    assert sorted(v.number for v in _february(village.id)) == [1, 2, 3, 4]  # February untouched


def _february(village_id: int) -> list[Voucher]:
    return list(db.session.execute(select(Voucher).where(Voucher.village_id == village_id,
                                                         Voucher.period == "2026-02")).scalars())
