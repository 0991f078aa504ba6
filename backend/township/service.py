"""The township's view of its villages (挂图作战, 一周一通报, 按月通报): each village's collective income for the year
to date against the year's targets, its rank and score, whether it has published its last disclosure, and its open
decisions; counts and shares of villages meeting each target.

Read-only. Every figure comes from another domain's public functions: income from :func:`backend.ledger.year_income`
(one query for all villages), disclosures from :func:`backend.disclosures.published_villages`, decisions from
:func:`backend.decisions.decisions_of` (one query for all villages), targets and the scoring rule from
:mod:`backend.registry.settings`.

Rules (the one place they are stated):

- **Income** is 总收入 and 经营性收入 as the ledger defines them (posted vouchers, closing vouchers left out), from
  January to the report's month. Money is integer fen; the API shows yuan strings.
- **Targets**: ``township.target_total_fen`` and ``township.target_operating_fen`` may differ per village (一村一策:
  a village's own setting, else the township's, else the default); met means income ≥ target. The tiers
  (``township.tier_1_fen``, ``township.tier_2_fen``; 0 = not counted) and the scoring rule are the township's.
- **Rank**: by total income, highest first; equal totals share a rank and the next rank skips (1, 2, 2, 4).
- **Score** (seed 001: 3万元为基础，每超额完成1000元加10分): floor((total − base) / step) × points, never below 0.
- **Shares** are exact fractions shown to one decimal, rounded half up: "21 / 67 = 31.3%".
- **Disclosure**: published for the last completed quarter as of the report's date (the end of the month, or today
  for the current month); the state is today's.
- **Stuck stage**: an open decision (in progress or resolved, with a stage still to do) whose stage has not moved
  (its ``updated_at``) for more than ``township.stuck_days`` days before now.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from backend import decisions, disclosures, ledger, registry
from backend.core.clock import today, utcnow
from backend.core.errors import unprocessable
from backend.core.money import fen_to_yuan
from backend.registry import Township

settings = registry.settings  # declared at import, read per village (or township)

WAN = 10_000_00  # 1万元 in fen

TARGET_TOTAL = settings.declare("township.target_total_fen", "年度集体经济总收入目标", 3 * WAN, 0, 10**12, "分")
TARGET_OPERATING = settings.declare("township.target_operating_fen", "年度集体经营性收入目标", 2 * WAN, 0, 10**12, "分")
TIER_1 = settings.declare("township.tier_1_fen", "统计档次一：年度总收入达到（0 不统计）", 10 * WAN, 0, 10**12, "分")
TIER_2 = settings.declare("township.tier_2_fen", "统计档次二：年度总收入达到（0 不统计）", 100 * WAN, 0, 10**12, "分")
SCORE_BASE = settings.declare("township.score_base_fen", "集体经济考核加分：基础收入", 3 * WAN, 0, 10**12, "分")
SCORE_STEP = settings.declare("township.score_step_fen", "集体经济考核加分：每超额多少", 1_000_00, 1, 10**12, "分")
SCORE_POINTS = settings.declare("township.score_points", "集体经济考核加分：每超额一档加分", 10, 0, 10_000, "分")
STUCK_DAYS = settings.declare("township.stuck_days", "决策事项停滞提醒：环节超过多少天未推进", 30, 1, 3650, "天")

OPEN_STATUSES = ("in_progress", "resolved")


# ---------------------------------------------------------------- pure rules


def rank_by(values: list[int]) -> list[int]:
    """Competition ranks, highest first: [5, 9, 9, 1] → [3, 1, 1, 4]."""
    order = sorted(values, reverse=True)
    first = {}
    for i, v in enumerate(order, start=1):
        first.setdefault(v, i)
    return [first[v] for v in values]


def score(total_fen: int, base_fen: int, step_fen: int, points: int) -> int:
    """floor((total − base) / step) × points, not below 0 (integer arithmetic)."""
    if step_fen <= 0:
        raise ValueError("step must be positive")
    return max(total_fen - base_fen, 0) // step_fen * points


def share(count: int, whole: int) -> str:
    """21, 67 → "21 / 67 = 31.3%" (exact fraction, rounded half up to one decimal)."""
    if whole == 0:
        return f"{count} / 0 = —"
    pct = (Decimal(count) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return f"{count} / {whole} = {pct}%"


# ---------------------------------------------------------------- the table


@dataclass(frozen=True)
class VillageProgress:
    village_id: int
    code: str
    name: str
    total_fen: int
    operating_fen: int
    target_total_fen: int
    target_operating_fen: int
    rank: int
    score: int
    tiers: tuple[bool, ...]  # one per counted tier, in Summary.tiers order
    published: bool
    open_decisions: int
    stuck_stages: int

    @property
    def total_met(self) -> bool:
        return self.total_fen >= self.target_total_fen

    @property
    def operating_met(self) -> bool:
        return self.operating_fen >= self.target_operating_fen


@dataclass(frozen=True)
class Line:
    label: str  # 总收入达到目标 / 总收入 10万元以上 …
    count: int
    share: str


@dataclass(frozen=True)
class Progress:
    township_id: int
    township_name: str
    year: int
    month: int
    through: str  # YYYY-MM
    as_of: date
    disclosure_period: str
    stuck_days: int
    score_rule: str
    tiers: list[int]
    villages: list[VillageProgress]
    lines: list[Line] = field(default_factory=list)
    total_fen: int = 0
    operating_fen: int = 0
    unpublished: int = 0
    stuck_stages: int = 0

    @property
    def label(self) -> str:
        return f"{self.year}年1—{self.month}月"


def _township_setting(township: Township, key: str) -> int:
    """A township-wide setting: the township's value, else the default (no village's own value counts)."""
    return settings.get_for_township(township.id, key)


def _yuan_words(fen: int) -> str:
    """3_000_000 → "3万元"; 123_400 → "1234元"; 50 → "0.50元"."""
    if fen % WAN == 0 and fen:
        return f"{fen // WAN}万元"
    if fen % 100 == 0:
        return f"{fen // 100}元"
    return f"{fen_to_yuan(fen)}元"


def _month(year: int | None, month: int | None) -> tuple[int, int, date]:
    now = today()
    y = year or now.year
    m = (now.month if y == now.year else 12) if month is None else month
    if not 1 <= m <= 12 or not 1900 <= y <= 2999:
        raise unprocessable("township.month", "月份应为 1 到 12，年份应为四位数字，例如 year=2026&month=5")
    if (y, m) > (now.year, now.month):
        raise unprocessable("township.future", "不能查看还没到的月份")
    last = date(y, m, calendar.monthrange(y, m)[1])
    return y, m, min(last, now)


def _decision_counts(village_ids: list[int], stuck_days: int) -> dict[int, tuple[int, int]]:
    cutoff = utcnow() - timedelta(days=stuck_days)
    open_n = dict.fromkeys(village_ids, 0)
    stuck = dict.fromkeys(village_ids, 0)
    for d in decisions.decisions_of(village_ids):
        if d.status not in OPEN_STATUSES or d.current_stage is None:
            continue
        open_n[d.village_id] += 1
        if (d.updated_at or d.created_at) < cutoff:
            stuck[d.village_id] += 1
    return {vid: (open_n[vid], stuck[vid]) for vid in village_ids}


def progress(township_id: int, year: int | None = None, month: int | None = None) -> Progress:
    """The progress table of the township's villages for January to ``month`` of ``year`` (default: to date)."""
    township = registry.get_township(township_id)
    y, m, as_of = _month(year, month)
    through = f"{y:04d}-{m:02d}"
    villages = registry.villages_of_township(township_id)
    ids = [v.id for v in villages]
    income = ledger.year_income(ids, y, through)
    period = disclosures.previous_quarter(as_of + timedelta(days=1))
    published = disclosures.published_villages(ids, period)
    stuck_days = _township_setting(township, STUCK_DAYS.key)
    counts = _decision_counts(ids, stuck_days)
    base, step, points = (_township_setting(township, k.key) for k in (SCORE_BASE, SCORE_STEP, SCORE_POINTS))
    tiers = [t for t in (_township_setting(township, k.key) for k in (TIER_1, TIER_2)) if t > 0]
    totals = [income[v.id][0] for v in villages]
    ranks = rank_by(totals)
    rows = [
        VillageProgress(
            village_id=v.id,
            code=v.code,
            name=v.name,
            total_fen=income[v.id][0],
            operating_fen=income[v.id][1],
            target_total_fen=settings.get(v, TARGET_TOTAL.key),
            target_operating_fen=settings.get(v, TARGET_OPERATING.key),
            rank=rank,
            score=score(income[v.id][0], base, step, points),
            tiers=tuple(income[v.id][0] >= t for t in tiers),
            published=v.id in published,
            open_decisions=counts[v.id][0],
            stuck_stages=counts[v.id][1],
        )
        for v, rank in zip(villages, ranks, strict=True)
    ]
    rows.sort(key=lambda r: (r.rank, r.code))
    n = len(rows)
    lines = [
        Line("总收入达到目标", c := sum(r.total_met for r in rows), share(c, n)),
        Line("经营性收入达到目标", c := sum(r.operating_met for r in rows), share(c, n)),
        Line("总收入、经营性收入都达到目标", c := sum(r.total_met and r.operating_met for r in rows), share(c, n)),
        *(
            Line(f"总收入{_yuan_words(t)}以上", c := sum(r.tiers[i] for r in rows), share(c, n))
            for i, t in enumerate(tiers)
        ),
        Line("上期财务未公开", c := sum(not r.published for r in rows), share(c, n)),
    ]
    return Progress(
        township_id=township.id,
        township_name=township.name,
        year=y,
        month=m,
        through=through,
        as_of=as_of,
        disclosure_period=period,
        stuck_days=stuck_days,
        score_rule=f"{_yuan_words(base)}为基础，每超额{_yuan_words(step)}加{points}分",
        tiers=tiers,
        villages=rows,
        lines=lines,
        total_fen=sum(r.total_fen for r in rows),
        operating_fen=sum(r.operating_fen for r in rows),
        unpublished=sum(not r.published for r in rows),
        stuck_stages=sum(r.stuck_stages for r in rows),
    )


def progress_view(p: Progress) -> dict[str, Any]:
    """The table as JSON for the mini-program: money as yuan strings, shares as exact text."""
    return {
        "township_id": p.township_id,
        "township_name": p.township_name,
        "year": p.year,
        "month": p.month,
        "through": p.through,
        "label": p.label,
        "as_of": p.as_of.isoformat(),
        "disclosure_period": p.disclosure_period,
        "stuck_days": p.stuck_days,
        "score_rule": p.score_rule,
        "villages": [
            {
                "village_id": r.village_id,
                "village_code": r.code,
                "village_name": r.name,
                "total_income": fen_to_yuan(r.total_fen),
                "operating_income": fen_to_yuan(r.operating_fen),
                "target_total": fen_to_yuan(r.target_total_fen),
                "target_operating": fen_to_yuan(r.target_operating_fen),
                "total_met": r.total_met,
                "operating_met": r.operating_met,
                "tiers": [{"threshold": fen_to_yuan(t), "met": met} for t, met in zip(p.tiers, r.tiers, strict=True)],
                "rank": r.rank,
                "score": r.score,
                "disclosure_published": r.published,
                "open_decisions": r.open_decisions,
                "stuck_stages": r.stuck_stages,
            }
            for r in p.villages
        ],
        "summary": {
            "villages": len(p.villages),
            "total_income": fen_to_yuan(p.total_fen),
            "operating_income": fen_to_yuan(p.operating_fen),
            "unpublished": p.unpublished,
            "stuck_stages": p.stuck_stages,
            "lines": [{"label": ln.label, "count": ln.count, "share": ln.share} for ln in p.lines],
        },
    }


__all__ = ["Progress", "VillageProgress", "progress", "progress_view", "rank_by", "score", "share"]
