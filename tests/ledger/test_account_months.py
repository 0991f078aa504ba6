"""The months' totals (ledger_account_months): after every way of posting — by hand, a reversal, an import, another
domain through the service, a bulk UPDATE that bypasses the service — they equal the sum of the posted lines, on
SQLite and PostgreSQL; balances read from them equal the lines' sums on any day; two postings at once leave them
right (PostgreSQL)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError

from backend.assets.findings import GALLOP_LIMIT, _cash, cash_over_since
from backend.core.db import db
from backend.ledger import account_balances, voucher_import
from backend.ledger import service as ledger
from backend.ledger.models import Account, AccountMonth, Voucher, VoucherLine
from backend.ledger.totals import FROM_LINES
from backend.registry.models import Village
from tests.factories import parallel
from tests.xlsx_files import xlsx

CODES = ("101", "102", "211", "501002")
HEADERS = ["凭证号", "日期", "摘要", "科目编码", "借方金额", "贷方金额"]


def totals() -> dict[tuple[int, str], tuple[int, int]]:
    db.session.flush()
    return {(a, p): (int(d), int(c)) for a, p, d, c in db.session.execute(
        select(AccountMonth.account_id, AccountMonth.period, AccountMonth.debit_fen, AccountMonth.credit_fen))}


def from_lines() -> dict[tuple[int, str], tuple[int, int]]:
    return {(a, p): (int(d), int(c)) for a, p, d, c in db.session.execute(text(FROM_LINES))}


def assert_true() -> None:
    assert totals() == from_lines()


def _lines(rng: random.Random) -> list[ledger.LineInput]:
    debit, credit = rng.sample(CODES, 2)
    fen = rng.randint(1, 2_000_000)
    split = rng.randint(1, fen) if fen > 1 and rng.random() < 0.3 else fen
    out = [ledger.LineInput(debit, debit_fen=split), ledger.LineInput(credit, credit_fen=fen)]
    if split < fen:
        out.append(ledger.LineInput(rng.choice(CODES), debit_fen=fen - split))
    return out


def _day(rng: random.Random) -> date:
    return date(2024, 11, 1) + timedelta(days=rng.randint(0, 500))  # three years, many months


def _post(village: Village, rng: random.Random) -> ledger.Voucher:
    v = ledger.create_voucher(village, ledger.VoucherInput(_day(rng), "收付", _lines(rng)), actor=None)
    return ledger.post_voucher(v, actor=None)


def test_the_totals_equal_the_lines_after_every_way_of_posting(app, books):
    rng = random.Random(22)
    posted = []
    for _ in range(25):  # by hand, across months and years; drafts left as drafts count nothing
        posted.append(_post(books["a"], rng))
        ledger.create_voucher(books["b"], ledger.VoucherInput(_day(rng), "草稿", _lines(rng)), actor=None)
        assert_true()
    for v in rng.sample(posted, 8):  # reversals, dated later, some in another month or year
        ledger.reverse_voucher(v, v.voucher_date + timedelta(days=rng.randint(0, 90)), "更正", actor=None)
        assert_true()
    db.session.commit()
    rows = []
    for key in range(1, 7):  # an import: vouchers of several months in one transaction
        on, fen = _day(rng), rng.randint(1, 900_000)
        rows += [{"凭证号": key, "日期": on, "摘要": "导入", "科目编码": "102", "借方金额": fen / 100},
                 {"凭证号": key, "日期": on, "摘要": "导入", "科目编码": "501002", "贷方金额": fen / 100}]
    voucher_import.import_vouchers(books["b"], xlsx(rows, HEADERS), actor=None)
    assert_true()
    drafts = [ledger.create_voucher(books["b"], ledger.VoucherInput(_day(rng), "批量", _lines(rng)), actor=None).id
              for _ in range(5)]
    db.session.execute(update(Voucher).where(Voucher.id.in_(drafts)).values(status="posted", number=Voucher.id))
    assert_true()  # a bulk UPDATE that bypasses the service (the benches' builders do) counts too
    db.session.commit()
    assert_true()
    assert len(totals()) > 20  # not vacuous


def test_a_refused_posting_and_a_rolled_back_one_leave_the_totals_alone(app, books):
    rng = random.Random(7)
    _post(books["a"], rng)
    db.session.commit()
    before = totals()
    v = ledger.create_voucher(books["a"], ledger.VoucherInput(date(2025, 3, 3), "收付", _lines(rng)), actor=None)
    with db.session.begin_nested() as sp:
        ledger.post_voucher(v, actor=None)
        assert totals() != before
        sp.rollback()
    assert totals() == before == from_lines()


def test_the_database_refuses_negative_totals_and_a_second_row_for_an_account_month(app, books):
    acc = db.session.execute(select(Account.id).where(Account.village_id == books["a"].id,
                                                      Account.code == "101")).scalar_one()
    for values in ({"debit_fen": -1, "credit_fen": 0}, {"debit_fen": 0, "credit_fen": -5}):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(AccountMonth(account_id=acc, period="2025-01", **values))
            db.session.flush()
    db.session.add(AccountMonth(account_id=acc, period="2025-01", debit_fen=1, credit_fen=0))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(AccountMonth.__table__.insert().values(account_id=acc, period="2025-01", debit_fen=1,
                                                                 credit_fen=0))


def _balance_from_lines(village_id: int, code: str, on: date | None) -> int:
    stmt = (select(VoucherLine.debit_fen, VoucherLine.credit_fen, Voucher.voucher_date, Account.code)
            .join(Voucher).join(Account).where(Voucher.village_id == village_id, Voucher.status == "posted"))
    return sum(d - c for d, c, day, acc in db.session.execute(stmt)
               if acc.startswith(code) and (on is None or day <= on))


def test_a_balance_on_any_day_is_the_sum_of_the_lines_up_to_it(app, books):
    rng = random.Random(5)
    for _ in range(40):
        _post(books["a"], rng)
    for on in [None, date(2024, 10, 31), date(2026, 3, 16), *(_day(rng) for _ in range(30))]:
        got = account_balances(books["a"].id, ["10", "101", "102", "211", "5"], on)
        assert got == {c: _balance_from_lines(books["a"].id, c, on) for c in got}, on


def _since_by_probing(village_id: int, limit: int, on: date) -> date:
    """The galloping search as it was, the balance of each probed day summed from the lines: what the search over
    the days' movements read once must equal."""
    over, step, under = on, 1, None
    while step <= GALLOP_LIMIT:
        d = on - timedelta(days=step)
        if _balance_from_lines(village_id, "101", d) <= limit:
            under = d
            break
        over, step = d, step * 2
    if under is None:
        return over
    while (over - under).days > 1:
        mid = under + timedelta(days=(over - under).days // 2)
        over, under = (mid, under) if _balance_from_lines(village_id, "101", mid) > limit else (over, mid)
    return over


def test_cash_over_the_limit_since_is_the_same_as_probing_each_day(app, books):
    rng = random.Random(3)
    for _ in range(60):
        fen = rng.randint(1, 300_000)
        other = rng.choice(("102", "501002"))
        lines = ([ledger.LineInput("101", debit_fen=fen), ledger.LineInput(other, credit_fen=fen)]
                 if rng.random() < 0.6 else
                 [ledger.LineInput(other, debit_fen=fen), ledger.LineInput("101", credit_fen=fen)])
        v = ledger.create_voucher(books["a"], ledger.VoucherInput(_day(rng), "现金", lines), actor=None)
        ledger.post_voucher(v, actor=None)
    vid = books["a"].id
    checked = 0
    for on in [_day(rng) for _ in range(25)] + [date(2026, 12, 31)]:
        cash = _cash(vid, on)
        for limit in (0, 100_000, cash // 2, cash - 1):
            if cash > limit:
                assert cash_over_since(vid, limit, on, cash) == _since_by_probing(vid, limit, on), (on, limit)
                checked += 1
    assert checked > 40


def _draft(village: Village, on: date, code: str, fen: int) -> int:
    return ledger.create_voucher(village, ledger.VoucherInput(on, "收到租金", [
        ledger.LineInput(code, debit_fen=fen), ledger.LineInput("501002", credit_fen=fen)]), actor=None).id


def test_postings_at_once_leave_the_totals_right(app, books, postgres_only):
    """Same accounts and month (queued on the month's counter), other months, another village: all at once."""
    a, b = books["a"], books["b"]
    ids = ([_draft(a, date(2026, 1, 1 + i), "102", 100 + i) for i in range(8)]
           + [_draft(a, date(2026, 2 + i % 3, 5), "101", 1_000 + i) for i in range(6)])
    b_ids = [_draft(b, date(2026, 1, 9), "102", 7_000 + i) for i in range(4)]
    db.session.commit()

    def post_b(i: int) -> Any:
        ledger.post_voucher(db.session.get(Voucher, i), actor=None)
        db.session.commit()
        return 200

    calls = [(lambda c, i=i: c.post(f"/api/v1/vouchers/{i}/post", headers=books["h"]).status_code) for i in ids]
    calls += [(lambda c, i=i: post_b(i)) for i in b_ids]
    assert parallel(app, calls) == [200] * len(calls)
    db.session.expire_all()
    assert_true()
    jan = totals()
    acc = {c: db.session.execute(select(Account.id).where(Account.village_id == a.id, Account.code == c))
           .scalar_one() for c in ("101", "102", "501002")}
    assert jan[(acc["102"], "2026-01")] == (sum(100 + i for i in range(8)), 0)
    assert sum(d for (k, p), (d, _) in jan.items() if k == acc["101"]) == sum(1_000 + i for i in range(6))
