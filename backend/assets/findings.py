"""The assets domain's warning rules (预警), reported to the township as :class:`backend.core.findings.Finding`.

- ``cash_over_limit``: the village's 库存现金 (account 101 and its subaccounts) from the posted books is above its
  cash limit (setting ``assets.cash_limit_fen``, default 5,000 元: "库存现金一般不超过5000元", DOMAIN.md §4.1's
  cash rules; cash received is banked within 3 days). Exactly at the limit is no warning. ``since`` is the day the
  balance last went over, as far as the books tell (the days between are searched by galloping back, then
  halving, over the days' movements read once), or today.
- ``asset_idle``: an entry (资产 or 资源) whose status is 闲置 for more than ``assets.idle_days`` (default 365) days;
  an entry leased (a land lease on its parcel, or a contract of its own) is not idle. ``since`` is the day it became
  idle + N days.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from datetime import date, timedelta
from itertools import accumulate

from sqlalchemy import select

from backend import registry
from backend.assets.leases import leases
from backend.assets.models import Asset
from backend.core.db import db
from backend.core.findings import Finding
from backend.core.money import fen_to_yuan
from backend.ledger import account_balances, daily_movements

CASH_LIMIT = registry.settings.declare(
    "assets.cash_limit_fen", "库存现金限额（分）：超过即预警，一般为3—5天日常零星开支", 500_000, 0, 100_000_000, "分"
)
IDLE_DAYS = registry.settings.declare("assets.idle_days", "资产闲置超过多少天预警", 365, 1, 3650, "天")
CASH_CODE = "101"
GALLOP_LIMIT = 4096  # days back the cash search looks at most


def _cash(village_id: int, on: date) -> int:
    return account_balances(village_id, [CASH_CODE], on)[CASH_CODE]


def cash_history(village_id: int, on: date, cash: int) -> Callable[[date], int]:
    """The cash balance on any day of the ``GALLOP_LIMIT`` days before ``on`` (when it was ``cash``), from one read
    of the days' movements: a day's balance is ``cash`` less the movements after it."""
    moves = sorted(daily_movements(village_id, CASH_CODE, on - timedelta(days=GALLOP_LIMIT), on).items())
    days = [d for d, _ in moves]
    after = list(accumulate((fen for _, fen in reversed(moves)), initial=0))[::-1]  # after[i]: days[i:]'s sum

    def balance(d: date) -> int:
        return cash - after[bisect_right(days, d)]

    return balance


def cash_over_since(village_id: int, limit: int, on: date, cash: int) -> date:
    """The day the cash balance went over ``limit`` (it is over on ``on``, where it is ``cash``): gallop back to a
    day at or under it, then halve the gap to the first day over."""
    balance = cash_history(village_id, on, cash)
    over, step = on, 1
    under: date | None = None
    while step <= GALLOP_LIMIT:
        d = on - timedelta(days=step)
        if balance(d) <= limit:
            under = d
            break
        over = d
        step *= 2
    if under is None:
        return over
    while (over - under).days > 1:
        mid = under + timedelta(days=(over - under).days // 2)
        if balance(mid) > limit:
            over = mid
        else:
            under = mid
    return over


def cash_findings(village_ids: list[int], on: date) -> list[Finding]:
    out = []
    for vid in village_ids:
        village = registry.get_village(vid)
        limit = registry.settings.get(village, CASH_LIMIT.key)
        cash = _cash(vid, on)
        if cash <= limit:
            continue
        out.append(Finding(
            kind="cash_over_limit", key=f"village-{vid}", village_id=vid,
            message=(f"{village.name}库存现金 {fen_to_yuan(cash)} 元，超过限额 {fen_to_yuan(limit)} 元"
                     f"（多 {fen_to_yuan(cash - limit)} 元），应及时存入银行"),
            since=cash_over_since(vid, limit, on, cash), link_type="fund", link_id=vid))
    return out


def idle_findings(village_ids: list[int], on: date) -> list[Finding]:
    rows = list(db.session.execute(
        select(Asset).where(Asset.village_id.in_(village_ids), Asset.status == "idle", Asset.kind != "fund")
        .order_by(Asset.village_id, Asset.code)).scalars())
    if not rows:
        return []
    leased = leases(sorted({a.village_id for a in rows}), on)
    days_of: dict[int, int] = {}
    out = []
    for a in rows:
        if leased.of(a) is not None:
            continue
        if a.village_id not in days_of:
            days_of[a.village_id] = registry.settings.get(registry.get_village(a.village_id), IDLE_DAYS.key)
        n = days_of[a.village_id]
        idle = (on - a.status_since).days
        if idle <= n:
            continue
        value = f"，账面价值 {fen_to_yuan(a.book_fen)} 元" if a.book_fen else ""
        out.append(Finding(
            kind="asset_idle", key=f"asset-{a.id}", village_id=a.village_id,
            message=(f"{a.name}（{a.code}）自 {a.status_since.isoformat()} 起闲置 {idle} 天，超过 {n} 天{value}，"
                     "请研究盘活利用或依决议处置"),
            since=a.status_since + timedelta(days=n), link_type="asset", link_id=a.id))
    return out


def findings(village_ids: list[int], on: date) -> list[Finding]:
    """Every finding of this domain's rules in these villages on day ``on``."""
    if not village_ids:
        return []
    return cash_findings(village_ids, on) + idle_findings(village_ids, on)
