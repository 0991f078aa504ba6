"""The demo books: two years for 临江村, every completed month closed, the large expense on its decision."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from backend import decisions, registry
from backend.core import clock
from backend.core.db import db
from backend.demo import ledger as demo_ledger
from backend.ledger import service as ledger
from backend.ledger.models import Period, Voucher, VoucherLine
from backend.ledger.months import books_status


def _seed(make) -> None:
    qs = make.township()
    for code, name in (("LJ01", "临江村"), ("XZ02", "新竹村"), ("TQ03", "土桥村")):
        make.village(code, name, township=qs)
    demo_ledger.seed_ledger_demo()
    assert demo_ledger.close_past_months() == 3 * 24 - 1  # 新竹村's last month stays open
    db.session.commit()


def test_books_balance_and_every_completed_month_is_closed(app, make):
    _seed(make)
    lj = registry.village_by_code("LJ01")
    debit, credit = db.session.execute(
        select(func.sum(VoucherLine.debit_fen), func.sum(VoucherLine.credit_fen))
        .join(Voucher).where(Voucher.village_id == lj.id)).one()
    assert debit == credit > 0
    closed = set(ledger.closed_periods(lj.id))
    this_month = ledger.period_of(clock.today())
    assert this_month not in closed
    assert len(closed) == 24
    assert ledger.period_of(demo_ledger.month_start(clock.today(), 1)) in closed
    assert db.session.execute(select(func.count(Period.id))).scalar_one() == 3 * 24 - 1
    xz = registry.village_by_code("XZ02")
    last_month = ledger.period_of(demo_ledger.month_start(clock.today(), 1))
    assert last_month not in ledger.closed_periods(xz.id)
    assert books_status([xz.id], clock.today())[xz.id]["open_month"] == last_month


def test_the_large_expense_rests_on_a_resolved_decision(app, make):
    _seed(make)
    lj = registry.village_by_code("LJ01")
    road = db.session.execute(select(Voucher).where(Voucher.village_id == lj.id,
                                                    Voucher.decision_ref.is_not(None))).scalar_one()
    assert road.total_fen == 6_850_000 and road.status == "posted"
    ref = decisions.get_ref(lj.id, int(road.decision_ref))
    assert ref is not None and ref.resolved and ref.title == demo_ledger.ROAD_DECISION
    assert ref.resolved_on < road.voucher_date


def test_seeding_again_adds_nothing(app, make):
    _seed(make)
    count = db.session.execute(select(func.count(Voucher.id))).scalar_one()
    assert demo_ledger.seed_ledger_demo() == 0
    assert demo_ledger.close_past_months() == 0
    assert db.session.execute(select(func.count(Voucher.id))).scalar_one() == count


def test_numbers_run_without_gaps_in_every_month(app, make):
    _seed(make)
    rows = db.session.execute(select(Voucher.village_id, Voucher.period, Voucher.number)).all()
    by_month: dict[tuple[int, str], list[int]] = {}
    for vid, period, number in rows:
        by_month.setdefault((vid, period), []).append(number)
    assert by_month
    for numbers in by_month.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))


def test_month_start_goes_back_across_years():
    assert demo_ledger.month_start(date(2026, 2, 14), 3) == date(2025, 11, 1)
    assert demo_ledger.month_start(date(2026, 2, 14), 0) == date(2026, 2, 1)
    assert demo_ledger.month_start(date(2026, 12, 31), 24) == date(2024, 12, 1)


def test_the_demo_publishes_the_last_three_quarters_sealed(app, client, make):
    from backend import demo
    from backend.core.seal import verify_chain
    from backend.disclosures.models import Disclosure

    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    published = db.session.execute(select(Disclosure).where(Disclosure.village_id == lj.id,
                                                            Disclosure.status == "published")
                                   .order_by(Disclosure.period)).scalars().all()
    assert [d.period for d in published] == demo_ledger._quarters_back(clock.today(), 3)
    check = verify_chain(lj.id)
    assert check.ok and check.count >= 3  # the decisions' resolutions are sealed into the same chain
    assert all(d.seal is not None and d.seal.village_id == lj.id for d in published)
    # what 张大山 sees on his phone
    h = make.headers(demo.person("zhangdashan"))
    listing = client.get(f"/api/v1/villages/{lj.id}/disclosures", headers=h).json
    assert listing["total"] == 3 and listing["items"][0]["period"] == published[-1].period
    detail = client.get(f"/api/v1/disclosures/{published[-1].id}", headers=h).json
    assert detail["approved_by"] == "赵德明" and detail["prev_seal"] == published[-2].seal.hash
    assert detail["questions"] and detail["questions"][0]["answer"]
    summary = client.get(f"/api/v1/villages/{lj.id}/accounts/summary", headers=h).json
    assert summary["year"] == clock.today().year
    demo.seed()  # again: nothing new
    assert db.session.execute(select(func.count(Disclosure.id))).scalar_one() == 3


def test_quarters_back():
    assert demo_ledger._quarters_back(date(2026, 11, 22), 3) == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert demo_ledger._quarters_back(date(2026, 2, 1), 3) == ["2025-Q2", "2025-Q3", "2025-Q4"]
