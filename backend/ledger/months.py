"""The months of a village's books as the console shows them: the open month (the earliest not closed), the drafts
waiting to be posted, each month's vouchers and whether it is closed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select

from backend import registry
from backend.core.db import db
from backend.ledger.models import Period, Voucher
from backend.ledger.service import period_of


def _next_month(period: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


def books_status(village_ids: Sequence[int], on: date) -> dict[int, dict[str, Any]]:
    """For each village: its open month (the earliest month not closed, from the month of its first voucher; the
    month of ``on`` for books with no voucher yet), the months closed, and how many draft vouchers wait to be
    posted (in any month), in three queries whatever the number of villages."""
    ids = list(village_ids)
    if not ids:
        return {}
    closed: dict[int, set[str]] = {i: set() for i in ids}
    for vid, p in db.session.execute(select(Period.village_id, Period.period).where(Period.village_id.in_(ids))):
        closed[vid].add(p)
    first = dict(
        db.session.execute(
            select(Voucher.village_id, func.min(Voucher.period)).where(Voucher.village_id.in_(ids))
            .group_by(Voucher.village_id)
        ).all()
    )
    drafts = dict(
        db.session.execute(
            select(Voucher.village_id, func.count()).where(Voucher.village_id.in_(ids), Voucher.status == "draft")
            .group_by(Voucher.village_id)
        ).all()
    )
    return {vid: _status(first.get(vid), closed[vid], int(drafts.get(vid, 0)), on) for vid in ids}


def _status(first: str | None, closed: set[str], drafts: int, on: date) -> dict[str, Any]:
    """One village's books status (see :func:`books_status`) from its first voucher's month, its closed months and
    its drafts."""
    month = first or period_of(on)
    while month in closed:
        month = _next_month(month)
    return {"open_month": month, "last_closed": max(closed) if closed else None, "drafts": drafts}


def months_overview(village_id: int, on: date) -> list[dict[str, Any]]:
    """The month-close screen's rows, newest first: every month that has vouchers or is closed, and the open month
    (see :func:`books_status`) even when it holds no voucher yet; each with its posted and draft vouchers, whether
    it is closed (when, by whom) and whether it is the month to close next."""
    counts: dict[str, dict[str, int]] = {}
    for p, st, n in db.session.execute(
        select(Voucher.period, Voucher.status, func.count()).where(Voucher.village_id == village_id)
        .group_by(Voucher.period, Voucher.status)
    ):
        counts.setdefault(p, {})[st] = int(n)
    closed = {
        row.period: row
        for row in db.session.execute(select(Period).where(Period.village_id == village_id)).scalars()
    }
    # the same status as books_status, from the two reads above (the months' counts hold the first month and drafts)
    status = _status(min(counts) if counts else None, set(closed),
                     sum(c.get("draft", 0) for c in counts.values()), on)
    names = registry.person_names([r.closed_by_id for r in closed.values() if r.closed_by_id])
    months = sorted({*counts, *closed, status["open_month"]}, reverse=True)
    return [
        {
            "period": p,
            "closed": p in closed,
            "closed_at": closed[p].closed_at if p in closed else None,
            "closed_by": (names.get(closed[p].closed_by_id) or "系统") if p in closed else None,
            "posted": counts.get(p, {}).get("posted", 0),
            "drafts": counts.get(p, {}).get("draft", 0),
            "is_open_month": p == status["open_month"],
        }
        for p in months
    ]
