"""Which periods the accountant may draft a 财务公开 for, as the console offers them.

A village discloses by quarter (the national rule's minimum, 农经发〔2011〕13号) or, where it has many transactions,
by month: the setting ``disclosures.monthly`` (1 按月, 0 按季度; the township may set it for all its villages). The
choices are the last completed periods of that kind, newest first, each with whether all its months are closed, the
disclosure in the works or published for it (its status and, when returned, the supervisor's reason), and whether
a draft may be started or refreshed now — with the sentence that says why not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from backend import ledger, registry
from backend.core.clock import today
from backend.core.db import db
from backend.disclosures.models import Disclosure
from backend.disclosures.periods import covering, months_of, period_label
from backend.registry import Village

MONTHLY = registry.settings.declare("disclosures.monthly", "财务公开按月公开（1 按月，0 按季度）", 0, 0, 1)

STATUS_LABELS = {"draft": "待审核", "returned": "已退回", "approved": "已审核", "published": "已公开"}


@dataclass(frozen=True)
class Choice:
    period: str
    label: str
    months: list[str]
    closed: bool
    open_months: list[str]
    disclosure: Disclosure | None  # the period's own (not an erratum), newest first
    covered_by: str | None  # a published period that already covers this one (its quarter, or all its months)
    can_draft: bool
    reason: str | None  # why it cannot be drafted now (Chinese), None when it can


def cadence(village: Village) -> str:
    return "month" if registry.settings.get(village, MONTHLY.key) == 1 else "quarter"


def completed_periods(kind: str, on: date, count: int) -> list[str]:
    """The last ``count`` completed months or quarters before ``on``, newest first."""
    out = []
    if kind == "month":
        n = on.year * 12 + on.month - 1
        for back in range(1, count + 1):
            y, m = divmod(n - back, 12)
            out.append(f"{y:04d}-{m + 1:02d}")
    else:
        n = on.year * 4 + (on.month - 1) // 3
        for back in range(1, count + 1):
            y, q = divmod(n - back, 4)
            out.append(f"{y:04d}-Q{q + 1}")
    return out


def choices(village: Village, kind: str | None = None, count: int = 8) -> tuple[str, list[Choice]]:
    """(the kind used, the choices): ``kind`` month|quarter, else the village's setting."""
    kind = kind or cadence(village)
    periods = completed_periods(kind, today(), count)
    closed = set(ledger.closed_periods(village.id))
    wanted: set[str] = set()
    for p in periods:
        wanted |= {p, *covering(p), *months_of(p)}
    rows = db.session.execute(
        select(Disclosure)
        .where(Disclosure.village_id == village.id, Disclosure.period.in_(wanted), Disclosure.corrects_id.is_(None))
        .order_by(Disclosure.id.desc())
    ).scalars().all()
    own: dict[str, Disclosure] = {}
    published: set[str] = set()
    for d in rows:
        own.setdefault(d.period, d)
        if d.status == "published":
            published.add(d.period)
    out = []
    for p in periods:
        months = months_of(p)
        open_months = [m for m in months if m not in closed]
        d = own.get(p)
        covered = None
        if d is None or d.status != "published":
            covered = next((c for c in covering(p) if c != p and c in published), None)
            if covered is None and "Q" in p and all(m in published for m in months):
                covered = "、".join(months)
        reason = None
        if open_months:
            reason = f"{'、'.join(open_months)} 尚未结账，结账后才能编制"
        elif d is not None and d.status == "published":
            reason = "已经公开；如有错误请发布更正"
        elif d is not None and d.status == "approved":
            reason = "已经审核通过，可以公开"
        elif covered is not None:
            reason = f"已由 {covered} 的财务公开覆盖"
        out.append(Choice(p, period_label(p), months, not open_months, open_months, d, covered, reason is None,
                          reason))
    return kind, out


def view(kind: str, items: list[Choice]) -> dict[str, Any]:
    return {
        "cadence": kind,
        "items": [
            {
                "period": c.period,
                "label": c.label,
                "months": c.months,
                "closed": c.closed,
                "open_months": c.open_months,
                "disclosure": None if c.disclosure is None else {
                    "id": c.disclosure.id,
                    "status": c.disclosure.status,
                    "status_label": STATUS_LABELS[c.disclosure.status],
                    "title": c.disclosure.title,
                    "return_reason": c.disclosure.return_reason if c.disclosure.status == "returned" else None,
                },
                "covered_by": c.covered_by,
                "can_draft": c.can_draft,
                "reason": c.reason,
            }
            for c in items
        ],
    }
