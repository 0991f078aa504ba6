"""Demo public-benefit jobs (docs/demo.md): 临江村's posts from posting to pay, and the open 村道保洁员 posting.

Three postings in 临江村, each through the real services (``backend.jobs.service``), every step "on" a plausible
day (``demo_dividends.on_day``), so every rule holds: ages, one applicant per household, no cadre families, the
list sealed before the seed is announced, 公示 for the village's days, hires only after the 公示:

- 护路员 (last year's, completed): 2 posts at 500.00 a month paid from the village's solar-plant income, so only
  脱贫户 and 监测户 may apply (``priority_only``). Posted in November of the year before; 刘小梅 (LJ-006, 脱贫户)
  applied from her phone, 孙明轩 (LJ-055, 监测户, no phone) with the secretary's help; the list sealed, the seed
  drawn at the 村民大会, 公示, a villager's objection (why only those households) answered, both hired for
  January–December, attendance recorded at each month's end and the month paid by bank on the 5th of the next
  (one voucher a month, Dr 514 公益支出 / Cr 102). 刘小梅 sees twelve paid months on ``GET /me/job-pay``.
- 巡河护岸员 (running): 2 posts at 550.00 from the collective's income, hired from the first day of the month six
  months back for a year. A 脱贫户 applicant comes first; the other four, one of them applied for by the
  secretary, are ranked by the lottery; the completed months are recorded and paid like the 护路员's.
- 村道保洁员 (open, docs/demo.md's fixed figures): **2 posts, 600.00 a month, open for 14 days from the seeding
  moment**, funded by 衔接资金. Two villagers have applied from their phones and one without a phone through the
  secretary; 刘小梅 (her 护路员 term is over) has not, so that she can apply in a demonstration. 王建国's household
  may not (cadre family), nor 孙有福 (over 65).

The pay vouchers go into months that ``backend.demo.registry.seed`` closes only afterwards (``close_past_months``).

Idempotent: a posting is looked up by village, title and the day its window opened (within half a year of the
planned day, so that a seed some weeks later finds it); the open posting by village, title and a window still
open. Attendance is recorded for each completed month of a hire not yet recorded, and a month is paid once its
pay day has come (and its month is still open). Returns the number of postings created.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from backend import registry
from backend.core.clock import SHANGHAI, today, utcnow
from backend.core.db import db
from backend.core.permissions import Principal
from backend.demo.days import month_start, on_day
from backend.demo.registry import principal, roster_plan
from backend.jobs import service as jobs
from backend.jobs.models import JobHire, JobPay, JobPosting
from backend.ledger import service as ledger
from backend.registry.models import Person, Village

OPEN_TITLE = "村道保洁员"
OPEN_POSITIONS = 2
OPEN_WAGE_FEN = 60_000  # docs/demo.md: 600.00 元 a month
OPEN_DAYS = 14
PAY_DAY = 5  # the month's pay goes out by bank on the 5th of the next month
MATCH_DAYS = 183  # a planned posting is "the same" as one whose window opened within this many days


@dataclass(frozen=True)
class Applicant:
    household: str
    name: str
    assisted: bool = False  # no phone: the secretary applies for them (at the village office)
    note: str | None = None


@dataclass(frozen=True)
class Cycle:
    """A posting the demo takes from posting to pay."""

    title: str
    category: str
    positions: int
    wage_fen: int
    funding: str
    duties: str
    place: str
    opens: date  # the window opens at 09:00 that day, for ``window_days``
    window_days: int
    applicants: tuple[Applicant, ...]
    start_on: date
    seed: str
    seed_source: str
    priority_only: bool = False
    objection: tuple[str, str, str, str] | None = None  # household, name, text, the secretary's answer
    deductions: tuple[tuple[str, int, int, int, str], ...] = ()  # name, month no., days, amount fen, note


def past_cycle(now: date) -> Cycle:
    """Last year's 护路员: posted in November of the year before, hired January to December."""
    year = now.year - 1
    opens = date(year - 1, 11, 18)
    return Cycle(
        title="护路员", category="护路", positions=2, wage_fen=50_000, funding="光伏收益",
        duties="负责县道临江段和村内通组路的日常巡查养护：清理路面落石杂物、疏通边沟、路肩除草，发现路面损坏和"
               "安全隐患及时报告村委会；每月出勤不少于20天，接受村委会考勤和每月考核。",
        place="县道临江段及村内通组路（约6公里）", opens=opens, window_days=10,
        applicants=(Applicant("LJ-006", "刘小梅", note="家里有老人孩子，离家近的岗位能兼顾"),
                    Applicant("LJ-055", "孙明轩", assisted=True, note="本人无手机，到村委会由工作人员代为报名")),
        start_on=date(year, 1, 1),
        seed=_numbers(f"护路员-{year}"),
        seed_source=f"{year - 1}年11月30日村民大会现场摇号（摇号机摇出5个号码，村务监督委员会在场见证）",
        priority_only=True,
        objection=("LJ-008", "刘建华", "护路员为什么只让脱贫户、监测户报名？我家也想报，请村里解释一下。",
                   "这两个岗位的工资来自村光伏电站收益。按照县里光伏扶贫收益使用办法，光伏收益设置的公益岗位只面向"
                   "脱贫户和监测户。村里用集体收入或衔接资金设置的保洁、巡河等岗位面向全体村民，报名信息会在村务"
                   "公开栏和小程序上发布，欢迎报名。"),
        deductions=(("孙明轩", 7, 18, 42_000, "病假4天，按考核办法扣发80.00元"),),
    )


def running_cycle(now: date) -> Cycle:
    """This year's 巡河护岸员: hired from the first day of the month six months back, for a year."""
    start = month_start(now, 6)
    opens = start - timedelta(days=45)
    meeting = opens + timedelta(days=12)
    return Cycle(
        title="巡河护岸员", category="巡河", positions=2, wage_fen=55_000, funding="集体收入",
        duties="负责临江临江村段和东、西支渠的日常巡查：清理河面漂浮物和岸边垃圾，劝阻乱倒垃圾、非法捕捞和采砂，"
               "汛期加密巡查、发现险情立即报告；每周巡河不少于5次，填写巡河日志。",
        place="临江村段河道（约3.5公里）及东、西支渠", opens=opens, window_days=10,
        applicants=(Applicant("LJ-047", "张欣"), Applicant("LJ-016", "郑红军"), Applicant("LJ-030", "孙志远"),
                    Applicant("LJ-010", "刘国庆", assisted=True, note="本人无手机，由村委会代为报名"),
                    Applicant("LJ-041", "陈超")),
        start_on=start,
        seed=_numbers(f"巡河护岸员-{opens.isoformat()}"),
        seed_source=f"{meeting.year}年{meeting.month}月{meeting.day}日村民代表会议现场摇号（摇号机摇出5个号码）",
    )


OPEN_DUTIES = ("负责村内主干道和一至六组巷道的日常清扫保洁、垃圾清运到收集点、路边杂草清理；每天上午7点前完成主干道"
               "清扫，每月出勤不少于22天，接受村委会考勤和每月考核。")
OPEN_PLACE = "临江村村内道路（主干道约4.2公里及各组巷道）"
# Who has already applied to the open posting: the first two eligible from their phones, the first eligible
# without a phone through the secretary (never from 刘小梅's household, which one-per-household would close).
OPEN_BY_PHONE = (Applicant("LJ-009", "张卫东"), Applicant("LJ-024", "王春燕"), Applicant("LJ-053", "冯文杰"),
                 Applicant("LJ-033", "刘明轩"))
OPEN_ASSISTED = (Applicant("LJ-013", "王斌", assisted=True, note="本人无手机，由村委会代为报名"),
                 Applicant("LJ-056", "刘超", assisted=True, note="本人无手机，由村委会代为报名"))


def _numbers(key: str) -> str:
    """Five numbers out of 1–35 as a lottery machine shows them (``"03-11-19-24-30"``): fixed per posting."""
    rng = random.Random(key)
    return "-".join(f"{n:02d}" for n in sorted(rng.sample(range(1, 36), 5)))


# ---------------------------------------------------------------- helpers


def _principal(person_id: int) -> Principal:
    p = registry.load_principal(person_id)
    assert p is not None
    return p


def _person_id(household: str, name: str) -> int | None:
    for h in roster_plan():
        if h.village == "LJ01" and h.number == household:
            for m in h.members:
                if m.name == name:
                    p = registry.person_by_id_card(m.id_card)
                    return p.id if p is not None else None
    return None


def _moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI)


def _existing(village: Village, title: str, opens: date) -> JobPosting | None:
    for p in db.session.execute(select(JobPosting).where(
            JobPosting.village_id == village.id, JobPosting.title == title,
            JobPosting.status != "cancelled")).scalars():
        if abs((p.apply_from.astimezone(SHANGHAI).date() - opens).days) <= MATCH_DAYS:
            return p
    return None


def _apply(p: JobPosting, who: Applicant, staff: Principal) -> bool:
    """Apply for ``who`` if the rules let them (checked first, so a seed years later simply skips them)."""
    pid = _person_id(who.household, who.name)
    if pid is None or not jobs.eligibility(p, pid).ok:
        return False
    actor = staff if who.assisted else _principal(pid)
    jobs.apply(p, pid, note=who.note, actor=actor, assisted=who.assisted)
    return True


# ---------------------------------------------------------------- a posting from posting to hire


def _run_cycle(village: Village, c: Cycle, staff: Principal) -> JobPosting:
    """Post, take the applications, seal, draw, 公示 (an objection answered) and hire."""
    until = _moment(c.opens + timedelta(days=c.window_days), time(17, 30))
    with on_day(c.opens, time(9, 0)):
        p = jobs.create_posting(village, jobs.PostingInput(
            title=c.title, category=c.category, positions=c.positions, monthly_wage_fen=c.wage_fen,
            apply_from=_moment(c.opens, time(9, 0)), apply_until=until, duties=c.duties, place=c.place,
            funding=c.funding, priority_only=c.priority_only), actor=staff)
    applied = 0
    for i, who in enumerate(c.applicants):
        day = c.opens + timedelta(days=1 + (i * 2) % (c.window_days - 1))
        with on_day(day, time(10, 30) if who.assisted else time(20, 15)):
            applied += _apply(p, who, staff)
    if not applied:
        return p  # left open past its window: nothing more to show
    sealed_on = c.opens + timedelta(days=c.window_days + 1)
    with on_day(sealed_on, time(9, 0)):
        jobs.seal_applicants(p, actor=staff)
    with on_day(sealed_on + timedelta(days=1), time(10, 0)):
        jobs.announce_seed(p, c.seed, c.seed_source, actor=staff)
    assert p.publicity_until is not None
    if c.objection is not None:
        household, name, text, answer = c.objection
        pid = _person_id(household, name)
        if pid is not None:
            with on_day(sealed_on + timedelta(days=2), time(19, 40)):
                o = jobs.raise_objection(p, text, actor=_principal(pid))
            with on_day(sealed_on + timedelta(days=3), time(9, 30)):
                jobs.answer_objection(o, answer, actor=staff)
    with on_day(p.publicity_until + timedelta(days=2), time(10, 0)):
        jobs.confirm_hires(p, c.start_on, actor=staff)
    return p


# ---------------------------------------------------------------- attendance and pay


def _months(first: date, last: date) -> list[date]:
    out, d = [], first.replace(day=1)
    while d <= last:
        out.append(d)
        d = (d + timedelta(days=32)).replace(day=1)
    return out


def _month_end(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _pay(village: Village, cycles: Sequence[Cycle], staff: Principal) -> None:
    """Attendance for every completed month of the demo hires, and each month paid on its pay day."""
    now = today()
    current = now.replace(day=1)
    by_title = {c.title: c for c in cycles}
    hires = db.session.execute(
        select(JobHire, JobPosting.title, Person.name).join(JobPosting, JobPosting.id == JobHire.posting_id)
        .join(Person, Person.id == JobHire.person_id)
        .where(JobHire.village_id == village.id, JobPosting.title.in_(list(by_title)))
        .order_by(JobHire.id)).all()
    recorded = {(hid, m) for hid, m in db.session.execute(
        select(JobPay.hire_id, JobPay.month).where(JobPay.village_id == village.id)).all()}
    months: set[date] = set()
    for hire, title, name in hires:
        c = by_title[title]
        for first in _months(hire.start_on, min(hire.ended_on or hire.end_on, current - timedelta(days=1))):
            month = first.strftime("%Y-%m")
            months.add(first)
            if (hire.id, month) in recorded:
                continue
            rng = random.Random(f"{title}:{name}:{month}")
            days, amount, note = rng.randint(21, 26), None, None
            for who, month_no, d, fen, why in c.deductions:
                if who == name and first.month == month_no:
                    days, amount, note = d, fen, why
            with on_day(_month_end(first), time(17, 0)):
                jobs.record_pay(hire, month, days, amount, score=rng.randint(86, 98) if amount is None else 75,
                                note=note, actor=staff)
    closed = set(ledger.closed_periods(village.id))
    for first in sorted(months):
        month = first.strftime("%Y-%m")
        paid_on = (first + timedelta(days=32)).replace(day=PAY_DAY)
        if paid_on > now or ledger.period_of(paid_on) in closed:
            continue
        unpaid = db.session.execute(select(JobPay.id).where(
            JobPay.village_id == village.id, JobPay.month == month, JobPay.paid_on.is_(None)).limit(1)).first()
        if unpaid is not None:
            with on_day(paid_on, time(10, 0)):
                jobs.pay_month(village, month, paid_on, "bank", actor=staff)


# ---------------------------------------------------------------- the open posting


def _seed_open(village: Village, staff: Principal) -> int:
    now = utcnow().replace(microsecond=0)
    if db.session.execute(select(JobPosting.id).where(
            JobPosting.village_id == village.id, JobPosting.title == OPEN_TITLE, JobPosting.status == "open",
            JobPosting.apply_until > now)).first():
        return 0
    p = jobs.create_posting(village, jobs.PostingInput(
        title=OPEN_TITLE, category="保洁", positions=OPEN_POSITIONS, monthly_wage_fen=OPEN_WAGE_FEN,
        apply_from=now, apply_until=now + timedelta(days=OPEN_DAYS), duties=OPEN_DUTIES, place=OPEN_PLACE,
        funding="衔接资金"), actor=staff)
    for pool, wanted in ((OPEN_BY_PHONE, 2), (OPEN_ASSISTED, 1)):
        done = 0
        for who in pool:
            if done < wanted and _apply(p, who, staff):
                done += 1
    return 1


# ---------------------------------------------------------------- entry point


def seed_jobs() -> int:
    """Seed 临江村's public-benefit jobs; returns the postings created."""
    village = registry.village_by_code("LJ01")
    if village is None:
        return 0
    staff = principal("wangjianguo")  # the secretary: posts, draws, hires, records and pays
    now = today()
    cycles = (past_cycle(now), running_cycle(now))
    created = 0
    for c in cycles:
        if _existing(village, c.title, c.opens) is None:
            _run_cycle(village, c, staff)
            created += 1
    _pay(village, cycles, staff)
    created += _seed_open(village, staff)
    return created
