"""Demo books: two years of 临江村's accounts in the 2023 chart, smaller books for 新竹村 and 土桥村.

Dates are relative to the seeding day: the books open on the first day of the month 24 months ago, every
completed month is closed but 新竹村's last one (its agency accountant 冯立 closes it in the console), and the
current month stays open. Idempotent: a village whose books already
hold demo vouchers is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from backend import registry
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.decisions.pipeline.models import Decision
from backend.demo.days import month_start
from backend.demo.registry import person
from backend.ledger import service as ledger
from backend.ledger.models import Voucher
from backend.registry.models import Village

ROAD_DECISION = "村道硬化修缮工程（二组至三组）"


@dataclass(frozen=True)
class Entry:
    day: int
    summary: str
    debit: str
    credit: str
    fen: int
    decision: bool = False


def _month_entries(code: str, first: date, months_ago: int) -> list[Entry]:
    """What happens in a demo village's month (amounts in fen)."""
    big = code == "LJ01"
    out = [
        Entry(10, "收取临街门面租金", "102", "501002", (200_000 if big else 80_000)),
        Entry(15, "支付村道保洁员工资（2人）" if big else "支付保洁员工资", "514", "102", 120_000 if big else 60_000),
        Entry(20, "购买办公用品、缴纳电话费", "513", "102", 30_000 + (first.month % 3) * 15_000),
    ]
    if first.month in (1, 4, 7, 10):
        out.append(Entry(5, "收到镇财政拨付村级组织运转经费", "102", "503", 1_500_000 if big else 900_000))
    if first.month == 3:
        out.append(
            Entry(
                18,
                "收取荣联农业合作社土地流转服务费" if big else "收取土地发包费",
                "102",
                "501001",
                1_860_000 if big else 640_000,
            )
        )
    if first.month == 12 and big:
        out.append(Entry(22, "收到光伏发电合作项目收益分成", "102", "502", 8_600_000))
    if first.month == 6 and big:
        out.append(Entry(12, "收到乡贤捐赠（用于敬老活动）", "102", "504", 500_000))
        out.append(Entry(25, "重阳敬老慰问支出", "514", "102", 420_000))
    if big and months_ago == 8:
        out.append(Entry(16, f"支付{ROAD_DECISION}工程款", "514", "102", 6_850_000, decision=True))
    return out


def _road_decision(village: Village, on: date) -> Decision:
    existing = db.session.execute(
        select(Decision).where(Decision.village_id == village.id, Decision.title == ROAD_DECISION)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    # resolved on paper before the village used the app: a decision with no stages
    d = Decision(village_id=village.id, title=ROAD_DECISION, category="project", amount_fen=6_850_000,
                 status="resolved", resolved_on=on, updated_at=utcnow())
    db.session.add(d)
    db.session.flush()
    return d


def seed_books(village: Village, *, months: int = 24) -> int:
    """Open and fill the demo books of ``village`` (``close_past_months`` closes them once every domain has posted);
    returns the number of vouchers posted (0 if seeded)."""
    if db.session.execute(
        select(Voucher.id).where(Voucher.village_id == village.id, Voucher.source == "demo").limit(1)
    ).first():
        return 0
    ledger.ensure_chart(village)
    now = today()
    opened = month_start(now, months)
    posted = 0

    def post(on: date, summary: str, lines: list[ledger.LineInput], decision_ref: str | None = None) -> None:
        nonlocal posted
        v = ledger.create_voucher(
            village, ledger.VoucherInput(on, summary, lines, decision_ref), actor=None, source="demo"
        )
        ledger.post_voucher(v, actor=None)
        posted += 1

    capital = 48_000_000 if village.code == "LJ01" else 12_000_000
    post(
        opened,
        "建账：银行存款期初余额",
        [ledger.LineInput("102", debit_fen=capital), ledger.LineInput("301", credit_fen=capital)],
    )
    for back in range(months, -1, -1):
        first = month_start(now, back)
        for e in _month_entries(village.code, first, back):
            on = first.replace(day=e.day)
            if on > now:
                continue
            ref = None
            if e.decision:
                ref = str(_road_decision(village, month_start(now, back + 1).replace(day=20)).id)
            post(
                on,
                e.summary,
                [ledger.LineInput(e.debit, debit_fen=e.fen), ledger.LineInput(e.credit, credit_fen=e.fen)],
                ref,
            )
    return posted


# 新竹村's agency accountant 冯立 has not closed last month yet: the month he closes in the console's story
LEFT_OPEN = {"XZ02": 1}


def close_past_months(months: int = 24) -> int:
    """Close every month before this one in the demo books (after the other domains have posted into them: the
    dividend payout of last spring, for one), except 新竹村's last month (:data:`LEFT_OPEN`); returns how many
    were closed."""
    closed = 0
    now = today()
    for code in ("LJ01", "XZ02", "TQ03"):
        village = registry.village_by_code(code)
        if village is None:
            continue
        done = set(ledger.closed_periods(village.id))
        for back in range(months, LEFT_OPEN.get(code, 0), -1):
            period = ledger.period_of(month_start(now, back))
            if period not in done:
                ledger.close_period(village, period, actor=None)
                closed += 1
    return closed


def seed_ledger_demo() -> int:
    total = 0
    for code in ("LJ01", "XZ02", "TQ03"):
        village = registry.village_by_code(code)
        if village is not None:
            total += seed_books(village)
    return total


def _quarters_back(on: date, count: int) -> list[str]:
    """The last ``count`` completed quarters before ``on``, oldest first."""
    q = (on.month - 1) // 3  # 0-based current quarter
    out = []
    for back in range(count, 0, -1):
        y, qq = divmod(on.year * 4 + q - back, 4)
        out.append(f"{y}-Q{qq + 1}")
    return out


def seed_disclosures() -> int:
    """临江村's quarterly disclosures for the last three completed quarters: drafted by the accountant 李秀英,
    approved by the supervisor 赵德明, published and sealed; a villager's question on the latest, answered."""
    from backend import disclosures
    from backend.disclosures.models import Disclosure

    village = registry.village_by_code("LJ01")
    if village is None:
        return 0
    accountant = registry.load_principal(person("lixiuying").id)
    supervisor = registry.load_principal(person("zhaodeming").id)
    secretary = registry.load_principal(person("wangjianguo").id)
    villager = registry.load_principal(person("zhangdashan").id)
    assert accountant and supervisor and secretary and villager
    published = 0
    latest = None
    for period in _quarters_back(today(), 3):
        exists = db.session.execute(select(Disclosure.id).where(
            Disclosure.village_id == village.id, Disclosure.period == period, Disclosure.status == "published")).first()
        if exists:
            continue
        d, _ = disclosures.draft_disclosure(village, period, None, actor=accountant)
        disclosures.approve(d, actor=supervisor)
        latest = disclosures.publish(d, actor=accountant)
        published += 1
    if latest is not None and latest.content_data()["lines"]:
        q = disclosures.ask(latest, 1, "这笔租金是哪几间门面的？租给了谁？", actor=villager)
        disclosures.answer(q, "是村委会东侧两间临街门面，租给本村李记农资店，合同挂在村务公开栏。", actor=secretary)
    return published
