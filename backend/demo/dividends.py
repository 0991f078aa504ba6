"""Demo dividends (docs/demo.md): 临江村's share register and last year's distribution, paid; a small register
in 新竹村.

临江村 reformed its collective into a 股份经济合作社 on the register's base day (``reform_day``: 1 January 2023 for
the 2026 roster) under a static charter (生不增、死不减). Every member of the collective then alive got 1 成员股;
劳龄股 count the years of working age (from 16) up to the reform, 1 share per full 20 years, at most 2. That gives
household LJ-005 (张大山 1972, 孙红 1971, 张小燕 1999: all three collective members) exactly docs/demo.md's 3 成员股
and 2 劳龄股. Later changes, all before the record date: the children born since (recorded, no shares under the
static charter), a death (no change: the shares stay with the household) and a transfer of 1 劳龄股 between two
households. 股权证 for every shareholding household; bank accounts for all but two of them.

Last year's distribution rests on the decision "<year>年度集体收益分配方案" of ``backend.demo.decisions`` (决议 by
the 成员大会): record date 31 December (or the 决议 day, should that come first), 分红总额 = 50.00 元 × every
share, computed and published the day after the 决议, 公示 for the village's publicity days, then the payout, a
bank batch for most households and cash at the 分红大会 for the rest, all well before the decision's result was
accepted. The service calls run "on" those days (``backend.core.clock.set_now``, restored afterwards).

The books: the payout vouchers are posted into last spring's months, which ``backend.demo.registry.seed`` closes
only after every domain has posted (``demo_ledger.close_past_months``), as a village closes a month after booking it.

Idempotent: share types by code, the register when the village has no share events yet, certificates and bank
accounts by household, the distribution by (village, year, not cancelled). Returns the distributions created.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy import select

from backend import decisions, registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.identity import id_hashes
from backend.core.permissions import Principal
from backend.decisions.pipeline.models import Decision
from backend.demo import decisions as demo_decisions
from backend.demo.days import on_day
from backend.demo.registry import REF_YEAR, principal, roster_plan
from backend.dividends import computing, plans, publishing
from backend.dividends import payout as payouts
from backend.dividends.models import (
    BucketTemplate,
    Distribution,
    DividendLine,
    PayeeAccount,
    ShareCertificate,
    ShareEvent,
)
from backend.dividends.shares import service as register
from backend.registry import settings
from backend.registry.models import Member, Person, Village

PER_SHARE_FEN = 5_000  # docs/demo.md: 50.00 元 per share
MEMBER, LABOR = "member", "labor"
LABOR_YEARS_PER_SHARE, LABOR_MAX = 20, 2
LJ_BUCKETS = (
    plans.BucketInput("提取公积金", "retain", 5000, "扩大生产、弥补亏损", plans.RESERVE_ACCOUNT),
    plans.BucketInput("提取公益金", "retain", 4000, "村内公益事业、集体福利", plans.RESERVE_ACCOUNT),
    plans.BucketInput("股金分红", "dividend", 1000, "按成员股、劳龄股分配到户", None),
)
NO_ACCOUNT = 2  # households without a bank account: paid in cash (孙有福's LJ-007 and the oldest other head)
BANK_RETURNED = 2  # households whose bank transfer came back (户名不符、账户冻结): paid in cash too
BANKS = (("山东夏津农村商业银行青山支行", "6230", 19), ("中国邮政储蓄银行青山镇营业所", "6221", 19),
         ("中国农业银行夏津县支行", "6228", 16))


def reform_day(now: date) -> date:
    """The register's base day: 1 January 2023 (the roster's youngest children were born that year), and never
    later than two years before the seeding day."""
    return date(min(REF_YEAR - 3, now.year - 2), 1, 1)


def labor_shares(born: date, on: date) -> int:
    """劳龄股 by the charter: 1 per full 20 years of working age (from 16) up to the reform, at most 2."""
    years = on.year - born.year - 16
    return min(LABOR_MAX, max(0, years) // LABOR_YEARS_PER_SHARE)


@dataclass(frozen=True)
class Allotment:
    household: str
    id_card: str
    name: str
    member: int
    labor: int


@dataclass(frozen=True)
class RegisterPlan:
    """临江村's register as a pure plan (no database): who got what on the reform day, and what happened since."""

    on: date
    initial: tuple[Allotment, ...]
    births: tuple[tuple[str, str, date], ...]  # household, id card, birth date
    deaths: tuple[tuple[str, str], ...]  # household, id card (died after the reform)
    transfer: tuple[Allotment, Allotment]  # from, to (1 劳龄股)
    no_account: tuple[str, ...]  # household numbers
    bank_returned: tuple[str, ...]


def register_plan(village_code: str, on: date) -> RegisterPlan:
    households = [h for h in roster_plan() if h.village == village_code]
    initial: list[Allotment] = []
    births: list[tuple[str, str, date]] = []
    deaths: list[tuple[str, str]] = []
    for h in households:
        for m in h.members:
            if m.status == "moved_out" or (m.status == "active" and not m.collective):
                continue  # moved away before the reform, or married in and not (yet) a member of the collective
            if m.born >= on:
                births.append((h.number, m.id_card, m.born))
                continue
            # the roster's deceased died after the reform: members then, their shares stay (死不减)
            if m.status == "deceased":
                deaths.append((h.number, m.id_card))
            initial.append(Allotment(h.number, m.id_card, m.name, 1, labor_shares(m.born, on)))
    generated = sorted({a.household for a in initial} - {"LJ-001", "LJ-002", "LJ-003", "LJ-004", "LJ-005",
                                                          "LJ-006", "LJ-007"})
    # the transfer: an older member of one generated household passes 1 劳龄股 to the head of another
    giver = next(a for a in initial if a.household in generated and a.labor == LABOR_MAX)
    heads = {h.number: h.members[0].id_card for h in households}
    taker_household = next(n for n in generated if n > giver.household)
    taker = next(a for a in initial if a.id_card == heads[taker_household])
    oldest = min((h for h in households if h.number in generated), key=lambda h: h.members[0].born)
    no_account = ("LJ-007", oldest.number)[:NO_ACCOUNT]
    rng = random.Random(f"{village_code}-bank-returned")
    returned = tuple(sorted(rng.sample([n for n in generated if n not in no_account], BANK_RETURNED)))
    return RegisterPlan(on, tuple(initial), tuple(births), tuple(deaths), (giver, taker), no_account, returned)


# ---------------------------------------------------------------- helpers


def _members(village: Village) -> dict[str, tuple[int, int]]:
    """ID number of every planned member of the village → (member id, household id)."""
    key = registry.identity_key()
    cards = {id_hashes(key, m.id_card)[0]: m.id_card
             for h in roster_plan() if h.village == village.code for m in h.members}
    rows = db.session.execute(
        select(Member.id, Member.household_id, Person.id_hash).join(Person, Person.id == Member.person_id)
        .where(Member.village_id == village.id)
    ).all()
    return {cards[h]: (mid, hid) for mid, hid, h in rows if h in cards}


def _household_ids(village: Village) -> dict[str, int]:
    return {b.number: b.id for b in registry.households_brief(village.id).values()}


def _share_type(village: Village, data: register.ShareTypeInput, actor: Principal) -> int:
    for st in register.share_types(village.id):
        if st.code == data.code:
            return st.id
    return register.create_share_type(village, data, actor=actor).id


def _account_no(number: str) -> tuple[str, str]:
    rng = random.Random(f"payee-{number}")
    bank, prefix, length = BANKS[rng.randrange(len(BANKS))]
    return bank, prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix)))


# ---------------------------------------------------------------- 临江村


def _seed_linjiang_register(village: Village, plan: RegisterPlan, actor: Principal) -> None:
    member_type = _share_type(village, register.ShareTypeInput(MEMBER, "成员股", per_person=1), actor)
    labor_type = _share_type(village, register.ShareTypeInput(LABOR, "劳龄股", sort=1), actor)
    if not db.session.execute(select(BucketTemplate.id).where(BucketTemplate.village_id == village.id)).first():
        plans.set_bucket_template(village, LJ_BUCKETS, actor=actor)
    households = _household_ids(village)
    if not db.session.execute(select(ShareEvent.id).where(ShareEvent.village_id == village.id).limit(1)).first():
        _seed_linjiang_events(village, plan, member_type, labor_type, actor)
    _seed_certificates_and_accounts(village, plan, households, actor)


def _seed_linjiang_events(village: Village, plan: RegisterPlan, member_type: int, labor_type: int,
                          actor: Principal) -> None:
    members = _members(village)
    changes: list[register.ChangeInput] = []
    for a in plan.initial:
        mid, hid = members[a.id_card]
        changes.append(register.ChangeInput(member_type, a.member, hid, mid))
        if a.labor:
            changes.append(register.ChangeInput(labor_type, a.labor, hid, mid))
    with on_day(plan.on, time(9, 0)):
        register.bulk_initial(village, plan.on, changes, actor=actor,
                              note="股份经济合作社成立：成员每人1股成员股；劳龄满20年1股、满40年2股")
    later: list[tuple[date, register.EventInput]] = []
    for _number, card, born in plan.births:  # registered about three weeks after the birth
        later.append((born + timedelta(days=20), register.EventInput(
            "birth", born, member_id=members[card][0], note="新生儿出生登记；静态管理，生不增，不配股")))
    for i, (_number, card) in enumerate(plan.deaths):
        died = date(plan.on.year, 10, 8 + i)
        later.append((died, register.EventInput(
            "death", died, member_id=members[card][0], note="成员去世；静态管理，死不减，股份仍由本户持有")))
    giver, taker = plan.transfer
    (gm, gh), (tm, th) = members[giver.id_card], members[taker.id_card]
    moved = date(today().year - 2, 5, 18)  # before any record date the demo decision allows
    later.append((moved, register.EventInput(
        "transfer", moved, note=f"集体内部转让：{giver.household}户{giver.name}将1股劳龄股转让给"
                                f"{taker.household}户{taker.name}，经理事会审核备案",
        changes=[register.ChangeInput(labor_type, -1, gh, gm), register.ChangeInput(labor_type, 1, th, tm)])))
    for day, event in sorted(later, key=lambda x: x[0]):
        with on_day(day):
            register.record_event(village, event, actor=actor)


def _seed_certificates_and_accounts(village: Village, plan: RegisterPlan, households: dict[str, int],
                                    actor: Principal) -> None:
    holders = sorted({a.household for a in plan.initial})
    certified = set(db.session.execute(
        select(ShareCertificate.household_id).where(ShareCertificate.village_id == village.id)).scalars())
    with_account = set(db.session.execute(
        select(PayeeAccount.household_id).where(PayeeAccount.village_id == village.id)).scalars())
    heads = {b.id: b.head_name for b in registry.households_brief(village.id).values()}
    issued = plan.on + timedelta(days=73)
    for number in holders:
        hid = households[number]
        if hid not in certified:
            with on_day(issued):
                register.set_certificate(village, hid, f"LJGQ-{plan.on.year}-{number[-3:]}", issued, actor=actor)
        if hid not in with_account and number not in plan.no_account:
            bank, no = _account_no(number)
            with on_day(issued):
                register.set_payee(village, hid, heads[hid] or "", bank, no, actor=actor)


def _existing_distribution(village: Village, year: int) -> Distribution | None:
    return db.session.execute(
        select(Distribution).where(Distribution.village_id == village.id, Distribution.year == year,
                                   Distribution.status != "cancelled")
    ).scalar_one_or_none()


def _seed_linjiang_distribution(village: Village, plan: RegisterPlan) -> int:
    year = today().year - 1
    if _existing_distribution(village, year) is not None:
        return 0
    decision = db.session.execute(
        select(Decision).where(Decision.village_id == village.id, Decision.title == f"{year}年度集体收益分配方案")
    ).scalar_one_or_none()
    ref = decisions.get_ref(village.id, decision.id) if decision is not None else None
    if ref is None or not ref.resolved or ref.resolved_on is None:
        return 0  # no resolved plan to rest on
    secretary, accountant = principal("wangjianguo"), principal("lixiuying")
    resolved = ref.resolved_on
    # 股权登记日: the year's last day (the 决议 day if the demo decision was resolved before the year ended)
    record_date = min(date(year, 12, 31), resolved)
    total_shares = sum(h.shares for h in register.register_at(village.id, record_date))

    with on_day(resolved + timedelta(days=1), time(9, 0)):
        d = plans.create_distribution(village, plans.DistributionInput(
            year=year, title=f"{year}年度收益分配方案（分红名单）",
            components=[plans.ComponentInput("equity", "股金分红")],
            dividend_total_fen=total_shares * PER_SHARE_FEN), actor=accountant)
        computing.compute(d, record_date, actor=accountant)
    with on_day(resolved + timedelta(days=1), time(15, 0)):
        publishing.publish(d, ref.id, actor=secretary)
    assert d.publicity_until is not None
    if plan.births:  # during the 公示 a parent asks why the newborn has no share: the static charter
        number = plan.births[0][0]
        head_card = next(h.members[0].id_card for h in roster_plan() if h.number == number)
        asker = registry.person_by_id_card(head_card)
        asking = registry.load_principal(asker.id) if asker is not None else None
        if asking is not None:
            with on_day(resolved + timedelta(days=3), time(19, 30)):
                o = publishing.raise_objection(d, "我家孩子是股改以后出生的，名单上为什么没有孩子的成员股？",
                                               actor=asking)
            with on_day(resolved + timedelta(days=4), time(9, 30)):
                publishing.answer_objection(o, (
                    f"本社章程实行静态管理（生不增、死不减），{plan.on.year}年{plan.on.month}月{plan.on.day}日"
                    "股改基准日以后出生的不再配股；股份由全户共享，可依章程继承或在本社内部转让取得。"),
                    actor=secretary)

    payout = d.publicity_until + timedelta(days=2)
    bank_day, cash_day = payout + timedelta(days=1), payout + timedelta(days=3)
    numbers = {b.id: b.number for b in registry.households_brief(village.id).values()}
    listed = sorted(numbers[hid] for hid in db.session.execute(
        select(DividendLine.household_id).where(DividendLine.distribution_id == d.id,
                                                DividendLine.household_id.is_not(None))).scalars())
    households = {n: hid for hid, n in numbers.items()}
    cash = [n for n in listed if n in plan.no_account or n in plan.bank_returned]
    bank = [n for n in listed if n not in cash]
    with on_day(payout, time(9, 0)):
        payouts.open_payout(d, actor=accountant)
    with on_day(bank_day, time(16, 0)):
        payouts.record_payments(d, payouts.PaymentInput(
            [households[n] for n in bank], "bank", bank_day, f"农商银行批量代发 LJ{year}FH01"),
            idempotency_key=f"demo-{village.code}-{year}-bank", actor=accountant)
    with on_day(cash_day, time(11, 0)):
        payouts.record_payments(d, payouts.PaymentInput(
            [households[n] for n in cash], "cash", cash_day, "分红大会现场发放（本人签字领取）"),
            idempotency_key=f"demo-{village.code}-{year}-cash", actor=accountant)
    assert d.status == "paid", d.status
    return 1


def _seed_linjiang_year_end(village: Village) -> int:
    """This year's 年终分红, ready for the accountant to compute: a decision of the 成员大会 resolved five days ago
    (提议, 商议, 审议, 决议 recorded; its 决议公开 not yet opened) and the plan, a draft on the village's buckets
    with an equity dividend of the whole dividend bucket, stating the decision and the 股权登记日 (the 决议 day).
    Nothing is computed, published or booked."""
    year = today().year
    if _existing_distribution(village, year) is not None:
        return 0
    secretary, accountant = principal("wangjianguo"), principal("lixiuying")
    title = f"{year}年度年终分红方案"
    decision = db.session.execute(
        select(Decision).where(Decision.village_id == village.id, Decision.title == title)
    ).scalar_one_or_none()
    resolved = today() - timedelta(days=5)
    if decision is None:
        decision = decisions.create_decision(village.id, decisions.DecisionInput(
            title=title, category="other", origin="村干部提议", decision_body="members_assembly",
            description="按章程比例提取公积金、公益金后，股金分红一项全部按成员股、劳龄股分配到户，年前发放。"),
            actor=secretary)
        start = resolved - timedelta(days=15)
        for stage, body, day, summary in (
            ("提议", "two_committees", start, "党支部提议年终分红"),
            ("商议", "two_committees", start + timedelta(days=3), "两委联席会议商议分红方案"),
            ("审议", "party_meeting", start + timedelta(days=8), "党员大会审议通过"),
        ):
            demo_decisions._meeting(decision, village, stage, body, day, secretary, absent=0, summary=summary)
        demo_decisions._meeting(decision, village, "决议", "members_assembly", resolved, secretary, absent=25,
                                oppose=2, abstain=3, summary="成员大会表决通过年终分红方案", form="成员大会（现场）")
    with on_day(resolved + timedelta(days=1), time(10, 0)):
        plans.create_distribution(village, plans.DistributionInput(
            year=year, title=f"{year}年度收益分配方案（年终分红）",
            components=[plans.ComponentInput("equity", "股金分红")], record_date=resolved, decision_id=decision.id),
            actor=accountant)
    return 1


# ---------------------------------------------------------------- 新竹村 (a register, no distribution)


def _seed_xinzhu_register(village: Village, on: date) -> None:
    """新竹村 reformed a year earlier under a dynamic charter (随人口增减调整): a child born since got 1 成员股."""
    actor = principal("zhouhai")
    member_type = _share_type(village, register.ShareTypeInput(MEMBER, "成员股", per_person=1), actor)
    if db.session.execute(select(ShareEvent.id).where(ShareEvent.village_id == village.id).limit(1)).first():
        return
    settings.put(register.STATIC.key, 0, actor=actor, village=village)
    members = _members(village)
    households = _household_ids(village)
    changes, births = [], []
    holders: set[str] = set()
    for h in (h for h in roster_plan() if h.village == village.code):
        for m in h.members:
            if m.status != "active" or not m.collective:
                continue
            if m.born >= on:
                births.append((m.born, members[m.id_card][0]))
                continue
            mid, hid = members[m.id_card]
            changes.append(register.ChangeInput(member_type, 1, hid, mid))
            holders.add(h.number)
    with on_day(on, time(9, 0)):
        register.bulk_initial(village, on, changes, actor=actor, note="股份经济合作社成立：成员每人1股成员股")
    for born, mid in sorted(births):
        with on_day(born + timedelta(days=15)):
            register.record_event(village, register.EventInput("birth", born, member_id=mid,
                                                               note="动态管理：新生儿配成员股1股"), actor=actor)
    issued = on + timedelta(days=60)
    for number in sorted(holders):
        with on_day(issued):
            register.set_certificate(village, households[number], f"XZGQ-{on.year}-{number[-3:]}", issued,
                                     actor=actor)


# ---------------------------------------------------------------- entry point


def seed_dividends() -> int:
    """Seed the demo's registers and 临江村's paid distribution of last year; returns the distributions created."""
    created = 0
    on = reform_day(today())
    lj = registry.village_by_code("LJ01")
    if lj is not None:
        plan = register_plan("LJ01", on)
        _seed_linjiang_register(lj, plan, principal("lixiuying"))
        created += _seed_linjiang_distribution(lj, plan)
        created += _seed_linjiang_year_end(lj)
    xz = registry.village_by_code("XZ02")
    if xz is not None:
        _seed_xinzhu_register(xz, date(on.year - 1, 1, 1))
    return created
