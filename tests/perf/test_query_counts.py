"""SQL statements per request on a villager's hot paths: the same number whatever the data size (no N+1),
and at most a small fixed number.

A statement is whatever reaches the database cursor (SQLAlchemy's ``before_cursor_execute`` on the engine), counted
for one request in an app context of its own: a cold session, as each request has in production (the test's session,
shared by the test client, would answer some look-ups from its identity map). Each path is asked twice and the
second is counted: a published disclosure's sealed part is
then in the worker's cache, as it is for every reader but the first; the first may take one statement more (the
sealed text), and the budget allows for it too.

The village is measured twice: "small" (one of everything) and "large" (more notices of both sources, some read,
more dividend years, open votes, more land contracts and parcels, a month of many vouchers disclosed with questions
asked on it, more vouchers in the summary's year). Budgets: each villager hot path at most ``BUDGET``; ``/me/home``,
which gathers five screens in one request, at most ``HOME_BUDGET``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine.interfaces import CacheStats

from backend import disclosures, dividends, land
from backend.core.db import db
from backend.core.permissions import Principal
from backend.core.shared_pages import READS_EXTENSION, pages_of
from backend.decisions.pipeline.models import Decision
from backend.decisions.votes import service as votes
from backend.dividends.shares import service as shares
from backend.ledger import service as ledger
from backend.notices import service as notices
from backend.registry.models import Household, Member, Person, Village
from tests.dividends.conftest import approving_decision, post_income
from tests.factories import Factory, id_card
from tests.notices.conftest import bind

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in 临江村
BUDGET = 8
HOME_BUDGET = 12
MANY = 30  # notices, vouchers of the disclosed month and of the year
YEARS = (2021, 2022, 2023, 2024, 2025)  # dividend years; the small village has the first one only


@dataclass
class Village_:
    app: Flask
    make: Factory
    village: Village
    zhang: Member  # 张大山, head of LJ-005
    secretary: Principal
    accountant: Principal
    supervisor: Principal
    staff: Principal
    decision_id: int
    households: list[Household]
    disclosure_id: int = 0  # the one the disclosure path reads
    contracts: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------ what the village does

    def notice(self, i: int, *, township: bool = False, read: bool = False) -> None:
        if township:
            n = notices.publish(notices.NoticeInput(f"镇通知{i}", "请各村相互转告。", pinned=i == 0), actor=self.staff,
                                township=self.make.township("QS", "青山镇"))
        else:
            n = notices.publish(notices.NoticeInput(f"村通知{i}", "请相互转告。", category="公告"),
                                actor=self.secretary, village=self.village)
        if read:
            notices.mark_read(n, self.zhang.person_id, self.village.id)
        db.session.commit()

    def distribution(self, year: int) -> None:
        post_income(self.village, date(year, 6, 30), 20_000_00 + year)
        d = dividends.create_distribution(self.village, dividends.DistributionInput(
            year=year, title=f"{year}年度收益分配方案", components=[dividends.ComponentInput("equity")]), actor=None)
        dividends.compute(d, date(year, 1, 2), actor=None)
        dividends.publish(d, self.decision_id, actor=None)
        db.session.commit()

    def vote(self, i: int) -> None:
        decision = db.session.get(Decision, self.decision_id)
        assert decision is not None
        votes.open_vote(decision, stage="决议", body="villagers_meeting", title=f"第{i}项表决", opens_at=T0,
                        closes_at=T0 + timedelta(days=30), actor=None)
        db.session.commit()

    def contract(self) -> None:
        """One more transfer contract on two new parcels of LJ-005 (and one of another household)."""
        k = self.contracts = self.contracts + 1
        owners = (self.zhang.household_id, self.zhang.household_id, self.households[k % len(self.households)].id)
        parcels = [land.create_parcel(self.village, land.ParcelInput(f"LJ-D{k:02d}{j}", f"地块{k}-{j}", 10000 + j,
                                                                     household_id=hid,
                                                                     contract_until=date(2057, 12, 31)), actor=None)
                   for j, hid in enumerate(owners)]
        party = land.create_party(self.village, land.PartyInput("cooperative", f"第{k}农业合作社",
                                                                credit_code=f"93371427MA3C0000{k:02d}"), actor=None)
        c = land.create_contract(self.village, land.ContractInput(
            number=f"LZ-2026-{k:03d}", kind="transfer", party_id=party.id, title=f"流转{k}",
            start_date=date(2026, 3, 1), end_date=date(2029, 3, 1), use="粮食种植", signed_on=date(2026, 2, 20),
            lines=[land.LineInput(p.id) for p in parcels], periods=[land.PeriodInput(1, 3, 800_00)]), actor=None)
        due = next(d for d in land.dues_of(c) if d.year_no == 1)
        total = land.due_total(due)
        assert total
        land.record_payment(c, land.PaymentInput(due.id, total, T0.date()), idempotency_key=None, actor=None)
        db.session.commit()

    def disclose(self, period: str, vouchers: int, questions: int) -> int:
        """``vouchers`` income vouchers in the month ``period``, closed, drafted, approved, published; questions."""
        first = date.fromisoformat(f"{period}-01")
        for i in range(vouchers):
            v = ledger.create_voucher(self.village, ledger.VoucherInput(first + timedelta(days=i % 28), f"收租金{i}", [
                ledger.LineInput("102", debit_fen=100_00 + i), ledger.LineInput("501002", credit_fen=100_00 + i)]),
                actor=None)
            ledger.post_voucher(v, actor=None)
        ledger.close_period(self.village, period, actor=None)
        d, _ = disclosures.draft_disclosure(self.village, period, None, actor=self.accountant)
        disclosures.approve(d, actor=self.supervisor)
        disclosures.publish(d, actor=self.secretary)
        for i in range(questions):
            disclosures.ask(d, 1 + i % vouchers, f"第{i}个问题：这笔钱是谁交的？",
                            actor=self.make.principal(self.zhang))
        db.session.commit()
        return d.id


@pytest.fixture
def small(app, make, now, wechat) -> Iterator[Village_]:
    """临江村 on 2 March 2026 with one of everything: a township and a village notice, a dividend year, an open
    vote, a land contract with this year's rent paid, January's books (one voucher) disclosed."""
    now[0] = T0
    qs = make.township("QS", "青山镇")
    village = make.village("LJ01", "临江村", township=qs)
    ledger.ensure_chart(village)
    secretary = make.member(village, "王建国", id_no=id_card(born=date(1970, 5, 5)), roles=("secretary",))
    accountant = make.member(village, "李秀英", roles=("accountant",))
    supervisor = make.member(village, "赵德明", roles=("supervisor",))
    lj5 = make.household(village, "LJ-005")
    zhang = make.member(village, "张大山", household=lj5, head=True, id_no=id_card(born=date(1972, 4, 15)))
    sun = make.member(village, "孙红", household=lj5, head=False, id_no=id_card(born=date(1974, 8, 1), female=True))
    others = [make.member(village, f"村民{i}", id_no=id_card(born=date(1980 + i, 1, 1))) for i in range(3)]
    staff = make.staff(qs, "郑雯")
    bind(secretary.person_id, "o-wangjianguo")
    bind(staff.id, "o-zhengwen")
    member_type = shares.create_share_type(village, shares.ShareTypeInput("member", "成员股", per_person=1), actor=None)
    holders = (zhang, sun, *others)
    shares.record_event(village, shares.EventInput("initial", date(YEARS[0], 1, 1), changes=[
        shares.ChangeInput(member_type.id, 1, m.household_id, m.id) for m in holders]), actor=None)
    decision_id = approving_decision(village)
    db.session.commit()
    w = Village_(app, make, village, zhang, make.principal(secretary), make.principal(accountant),
                 make.principal(supervisor), make.principal(staff), decision_id,
                 [db.session.get(Household, m.household_id) for m in others])  # type: ignore[misc]
    w.notice(0, township=True)
    w.notice(0, read=True)
    w.distribution(YEARS[0])
    w.vote(0)
    w.contract()
    w.disclosure_id = w.disclose("2026-01", 1, 0)
    yield w


def grow(w: Village_) -> None:
    """Many more of everything the hot paths read."""
    for i in range(1, MANY):
        w.notice(i, township=i % 3 == 0, read=i % 2 == 0)
    for year in YEARS[1:]:
        w.distribution(year)
    for i in range(1, 6):
        w.vote(i)
    for _ in range(3):
        w.contract()
    w.disclosure_id = w.disclose("2026-02", MANY, 6)
    # more roles for the villager: the principal (one row per role) grows too
    w.make.role(db.session.get(Person, w.zhang.person_id), "representative", village=w.village)  # type: ignore[arg-type]
    w.make.role(db.session.get(Person, w.zhang.person_id), "party_member", village=w.village)  # type: ignore[arg-type]
    db.session.commit()


def paths(w: Village_) -> dict[str, str]:
    api = "/api/v1"
    return {
        "/me": f"{api}/me",
        "/me/dividends": f"{api}/me/dividends",
        "/me/notices": f"{api}/me/notices",
        "/disclosures/{id}": f"{api}/disclosures/{w.disclosure_id}",
        "/villages/{id}/accounts/summary": f"{api}/villages/{w.village.id}/accounts/summary?year=2026",
        "/me/votes": f"{api}/me/votes",
        "/villages/{id}/decisions": f"{api}/villages/{w.village.id}/decisions",
        "/decisions/{id}": f"{api}/decisions/{w.decision_id}",  # its votes grow with the village
        "/me/land": f"{api}/me/land",
        "/me/home": f"{api}/me/home",
    }


@dataclass
class Count:
    status: int
    items: int  # the size of the answer: list items, lines, etc. (to show the data did grow)
    statements: list[str]
    compiled: list[str] = field(default_factory=list)  # statements SQLAlchemy compiled for this request


def _size(body: Any) -> int:
    if isinstance(body, list):
        return len(body)
    if isinstance(body, dict):
        for key in ("items", "lines", "contracts", "parcels"):
            if isinstance(body.get(key), list):
                return len(body[key])
        return sum(1 for v in body.values() if v not in (None, [], {}))
    return 0


def count(w: Village_, path: str, headers: dict[str, str]) -> tuple[Count, Count]:
    """(first, second) request of ``path``, each in an app context of its own, with the statements it ran."""
    seen: list[str] = []
    compiled: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, *args: Any) -> None:
        seen.append(" ".join(statement.split()))
        if context is not None and context.cache_hit in (CacheStats.CACHE_MISS, CacheStats.NO_CACHE_KEY):
            compiled.append(f"{context.cache_hit.name}: {seen[-1]}")

    out = []
    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        for _ in range(2):
            seen.clear()
            compiled.clear()
            with w.app.app_context():
                r = w.app.test_client().get(path, headers=headers)
                db.session.remove()
            out.append(Count(r.status_code, _size(r.json), list(seen), list(compiled)))
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return out[0], out[1]


def measure(w: Village_) -> dict[str, tuple[Count, Count]]:
    """What building each page costs: the shared pages and shared reads are off (a kept page is counted in
    tests/core/test_shared_pages.py, kept reads in tests/core/test_shared_reads.py)."""
    headers = w.make.headers(w.zhang)
    db.session.commit()
    pages, reads = pages_of(w.app), w.app.extensions[READS_EXTENSION]
    seconds, pages.seconds, reads.seconds = pages.seconds, 0, 0
    try:
        return {name: count(w, path, headers) for name, path in paths(w).items()}
    finally:
        pages.seconds = reads.seconds = seconds


def _show(statements: list[str]) -> str:
    return "\n".join(f"      {i}. {s[:300]}" for i, s in enumerate(statements, 1))


def test_hot_paths_issue_a_fixed_small_number_of_statements(small):
    w = small
    before = measure(w)
    grow(w)
    after = measure(w)
    problems, table = [], []
    for name, (cold_s, warm_s) in before.items():
        cold_l, warm_l = after[name]
        budget = HOME_BUDGET if name == "/me/home" else BUDGET
        table.append(f"{name}: {len(warm_s.statements)} → {len(warm_l.statements)} statements "
                     f"(first request {len(cold_s.statements)} → {len(cold_l.statements)}; "
                     f"answer size {warm_s.items} → {warm_l.items}; budget {budget})")
        for label, c in (("small", cold_s), ("small", warm_s), ("large", cold_l), ("large", warm_l)):
            if c.status != 200:
                problems.append(f"{name} ({label} village): HTTP {c.status}")
        if len(warm_l.statements) != len(warm_s.statements):
            problems.append(f"{name}: {len(warm_s.statements)} statements in the small village, "
                            f"{len(warm_l.statements)} in the large one (N+1?)\n    small:\n{_show(warm_s.statements)}"
                            f"\n    large:\n{_show(warm_l.statements)}")
        worst = max((cold_s, warm_s, cold_l, warm_l), key=lambda c: len(c.statements))
        if len(worst.statements) > budget:
            problems.append(f"{name}: {len(worst.statements)} statements, more than its budget of {budget}:\n"
                            f"{_show(worst.statements)}")
        for label, c in (("small", warm_s), ("large", warm_l)):
            if c.compiled:  # a statement with no cache key is compiled anew on every request (0.2 ms and more)
                problems.append(f"{name} ({label} village): statements compiled again on a repeated request:\n"
                                + _show(c.compiled))
        if len(cold_l.statements) > len(warm_l.statements) + 1:
            problems.append(f"{name}: the first request took {len(cold_l.statements)} statements, the next "
                            f"{len(warm_l.statements)}:\n{_show(cold_l.statements)}")
    # the large village is larger where it matters (else the comparison proves nothing)
    grew = {name: after[name][1].items > before[name][1].items for name in
            ("/me/dividends", "/me/notices", "/disclosures/{id}", "/me/votes", "/me/land")}
    assert all(grew.values()), grew
    assert not problems, "\n".join(problems) + "\n\nall paths:\n  " + "\n  ".join(table)
    print("\nstatements per request (small → large village):\n  " + "\n  ".join(table))  # shown with pytest -s
