"""Computing a distribution's list from the register frozen at the record date.

The buckets split the distributable income by their percentages with the largest-remainder method, so they sum
to it exactly. Fixed dividends are exact (per share of a type, or per shareholding member); the equity dividend is
what the dividend pool has left, split across households pro rata to their shares with the largest-remainder
method, so the lines sum exactly to the pool and no household is a fen or more away from its exact share.
Refused: a plan on no or negative distributable income (不得亏空分配、举债分配), fixed dividends above the pool.
"""

from __future__ import annotations

import functools
import gc
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import insert, select

from backend import ledger, registry
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.permissions import Principal
from backend.dividends.models import Distribution, DividendLine
from backend.dividends.plans import (
    STATUS_LABELS,
    UNDISTRIBUTED_ACCOUNT,
    BucketInput,
    bucket_template,
    buckets_of,
    check_record_date,
    components_of,
    lock_distribution,
)
from backend.dividends.shares import service as register


@dataclass
class _Line:
    household_id: int | None
    number: str
    head_name: str
    head_id_last4: str | None
    shares: int
    members: int
    by_type: dict[str, int]
    by_member: list[dict[str, Any]]
    fixed: list[int] = field(default_factory=list)  # per fixed component
    equity: int = 0

    @property
    def amount(self) -> int:
        return sum(self.fixed) + self.equity


def _accrual_debit(d: Distribution) -> int:
    """What ``d``'s distribution voucher takes out of undistributed income: the retained buckets that leave
    未分配收益 and every line (households and the collective)."""
    kept = sum(b.amount_fen or 0 for b in buckets_of(d)
               if b.kind == "retain" and b.account_code != UNDISTRIBUTED_ACCOUNT)
    return kept + (d.paid_out_fen or 0)


def distributable_of(village_id: int, year: int, *, excluding: int | None = None) -> int:
    """What a plan for ``year`` may distribute: the 收益及收益分配表's 可分配收益 of the year (profit + opening
    未分配收益 + other), less what was already distributed from it, i.e. its 期末未分配收益 — and less what other
    plans have taken or will take that the books do not show by the end of the year (a plan is booked when its
    payout opens, usually the following year). Without that, an earlier year's profit, still in the opening
    balance when the next plan is computed, would be distributed twice."""
    st = ledger.income_statement(village_id, ledger.year_span(year))
    end = date(year, 12, 31)
    pending = 0
    others = db.session.execute(
        select(Distribution).where(Distribution.village_id == village_id, Distribution.status != "cancelled",
                                   Distribution.status != "draft", Distribution.id != (excluding or 0))
    ).scalars()
    for other in others:
        if other.accrual_voucher_id is not None and ledger.get_voucher(other.accrual_voucher_id).voucher_date <= end:
            continue  # in the year's books already
        pending += _accrual_debit(other)
    return st.distribution.closing_undistributed - pending


# json.dumps(..., ensure_ascii=False, separators=(",", ":")) without building an encoder per line
_DETAIL_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _split_by_shares(total: int, shares: list[int]) -> list[int]:
    """``split_largest_remainder`` for whole-number weights, in integers rather than Fractions: the same parts
    (each floor(total × w / s); the fen left over to the largest remainders total × w mod s, earlier first)."""
    s = sum(shares)
    if total < 0 or s <= 0 or any(w < 0 for w in shares):
        return split_largest_remainder(total, shares)  # its errors
    parts, rems = [], []
    for w in shares:
        q, r = divmod(total * w, s)
        parts.append(q)
        rems.append(r)
    left = total - sum(parts)
    if left:
        for i in sorted(range(len(shares)), key=rems.__getitem__, reverse=True)[:left]:  # stable: ties stay in order
            parts[i] += 1
    return parts


def _insert_lines(rows: list[dict[str, Any]]) -> None:
    """The computed lines into ``dividend_lines``: by COPY on PostgreSQL (the same rows, checks, foreign keys and
    triggers, in half the time of an executemany of 10,000 rows), by executemany in chunks elsewhere."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        cols = list(rows[0]) if rows else []
        copy_sql = f"COPY {DividendLine.__tablename__} ({', '.join(cols)}) FROM STDIN"
        with conn.connection.driver_connection.cursor() as cur, cur.copy(copy_sql) as copy:  # type: ignore[union-attr]
            for r in rows:
                copy.write_row([r[c] for c in cols])
        return
    for i in range(0, len(rows), 2000):
        db.session.execute(insert(DividendLine.__table__), rows[i : i + 2000])


_F = TypeVar("_F", bound=Callable[..., Any])


def _without_cyclic_gc(fn: _F) -> _F:
    """Pause the cyclic garbage collector while ``fn`` runs. A village's register in memory is some 200,000 small
    dicts, rows and dataclasses, all alive until the lines are written: they set off full collections that cost a
    third of the computation and free nothing. Reference counting frees memory as usual meanwhile; the collector
    is switched back on afterwards (unless it was already off)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()

    return wrapper  # type: ignore[return-value]


@_without_cyclic_gc
def compute(d: Distribution, record_date: date | None, *, actor: Principal | None) -> Distribution:
    """Freeze the register at ``record_date`` (or the plan's own) and compute every household's line (replacing a
    previous preview)."""
    lock_distribution(d)
    if d.status not in ("draft", "computed"):
        raise conflict("dividend.not_editable", f"分配方案{STATUS_LABELS[d.status]}，不能重新计算")
    record_date = record_date or d.record_date
    if record_date is None:
        raise unprocessable("dividend.record_date", "请填写股权登记日", fields={"record_date": "请填写股权登记日"})
    check_record_date(d.year, record_date)
    base = distributable_of(d.village_id, d.year, excluding=d.id)
    distributable = base - d.excluded_fen
    if distributable <= 0:
        raise unprocessable(
            "dividend.no_income",
            f"{d.year}年度可分配收益为 {fen_to_yuan(distributable)} 元，不能分配（不得亏空分配、举债分配）",
            distributable=fen_to_yuan(distributable),
        )
    buckets = buckets_of(d)
    amounts = split_largest_remainder(distributable, [b.percent_bp for b in buckets])
    for b, amt in zip(buckets, amounts, strict=True):
        b.amount_fen = amt
    pool = sum(b.amount_fen or 0 for b in buckets if b.kind == "dividend")
    if d.dividend_total_fen is not None:
        if d.dividend_total_fen > pool:
            raise unprocessable(
                "dividend.total_exceeds_buckets",
                f"分红总额 {fen_to_yuan(d.dividend_total_fen)} 元超过了按比例可用于分红的 {fen_to_yuan(pool)} 元",
                allowed=fen_to_yuan(pool),
            )
        pool = d.dividend_total_fen

    register.freeze(d.village_id, record_date)
    holdings = register.register_at(d.village_id, record_date)
    if not holdings:
        raise unprocessable("dividend.empty_register", f"{record_date.isoformat()}的股权登记簿是空的，无法分配")
    types = {st.id: st for st in register.share_types(d.village_id)}
    codes = {t: st.code for t, st in types.items()}
    grouped = register.by_household(d.village_id, holdings)
    names = {m.id: m.name for m in registry.members_brief(d.village_id).values()}
    lines = [
        _Line(
            household_id=h.household_id,
            number=h.number,
            head_name=h.head_name or "",
            head_id_last4=h.head_id_last4,
            shares=h.shares,
            members=len(h.members),
            by_type={codes[t]: n for t, n in sorted(h.by_type.items())},
            by_member=[{"member_id": m, "name": names.get(m, ""),
                        "by_type": {codes[t]: n for t, n in sorted(bt.items())}}
                       for m, bt in sorted(h.members.items())],
        )
        for h in grouped
    ]
    comps = components_of(d)
    fixed_total = 0
    for c in comps:
        if c.kind == "equity":
            continue
        if c.kind == "fixed_per_share":
            code = types[c.share_type_id].code  # type: ignore[index]
            units = [ln.by_type.get(code, 0) for ln in lines]
        else:
            units = [ln.members for ln in lines]
        for ln, u in zip(lines, units, strict=True):
            ln.fixed.append(u * (c.per_unit_fen or 0))
        c.units = sum(units)
        c.amount_fen = c.units * (c.per_unit_fen or 0)
        fixed_total += c.amount_fen
    if fixed_total > pool:
        raise unprocessable(
            "dividend.fixed_exceeds_pool",
            f"固定分红合计 {fen_to_yuan(fixed_total)} 元，超过了分红资金 {fen_to_yuan(pool)} 元",
            fixed=fen_to_yuan(fixed_total), pool=fen_to_yuan(pool),
        )
    equity = next((c for c in comps if c.kind == "equity"), None)
    total_shares = sum(ln.shares for ln in lines)
    if equity is not None:
        if total_shares <= 0:
            raise unprocessable("dividend.empty_register", "登记簿中没有股份，无法按股分红")
        equity_pool = pool - fixed_total
        parts = _split_by_shares(equity_pool, [ln.shares for ln in lines])
        for ln, part in zip(lines, parts, strict=True):
            ln.equity = part
        equity.units, equity.amount_fen = total_shares, equity_pool

    db.session.execute(DividendLine.__table__.delete().where(DividendLine.distribution_id == d.id))
    rows = [
        {
            "distribution_id": d.id,
            "village_id": d.village_id,
            "household_id": ln.household_id,
            "household_number": ln.number,
            "head_name": ln.head_name,
            "head_id_last4": ln.head_id_last4,
            "shares": ln.shares,
            "members": ln.members,
            "detail": _DETAIL_JSON({"by_type": ln.by_type, "by_member": ln.by_member, "fixed": ln.fixed,
                                    "equity": ln.equity}),
            "amount_fen": ln.amount,
        }
        for ln in lines
    ]
    _insert_lines(rows)
    reg_hash = register.register_hash(d.village_id, record_date, holdings)
    d.record_date, d.register_hash, d.status = record_date, reg_hash, "computed"
    d.distributable_fen = distributable
    d.pool_fen = pool
    d.paid_out_fen = sum(ln.amount for ln in lines)
    d.total_shares = total_shares
    d.households = sum(1 for ln in lines if ln.household_id is not None)
    d.computed_at = utcnow()
    db.session.flush()
    audit.record("dividend.compute", "distribution", d.id, actor=actor, village_id=d.village_id,
                 after={"record_date": record_date.isoformat(), "register_hash": d.register_hash,
                        "pool_fen": pool, "lines": len(lines)})
    return d


def verify_register(d: Distribution) -> bool:
    """Does the register at the record date still hash to what the computation froze?"""
    if d.record_date is None or d.register_hash is None:
        return False
    holdings = register.register_at(d.village_id, d.record_date)
    return register.register_hash(d.village_id, d.record_date, holdings) == d.register_hash


@dataclass
class SplitPreview:
    """What a plan for ``year`` would split, before it exists: the distributable income and each bucket's amount."""

    year: int
    base_fen: int  # 可分配收益 less what other plans take
    excluded_fen: int
    distributable_fen: int
    buckets: list[BucketInput]  # in order
    amounts: list[int]  # fen per bucket (all zero when there is nothing to distribute)

    @property
    def dividend_fen(self) -> int:
        return sum(a for b, a in zip(self.buckets, self.amounts, strict=True) if b.kind == "dividend")


def split_preview(village_id: int, year: int, excluded_fen: int = 0, *, buckets: list[BucketInput] | None = None
                  ) -> SplitPreview:
    """The village's buckets (or ``buckets``) applied to ``year``'s distributable income as the computation will
    apply them (largest remainder, so they sum exactly): what the plan's form shows while it is being written."""
    if excluded_fen < 0:
        raise unprocessable("dividend.excluded_invalid", "扣除金额不能为负")
    if year > today().year:
        raise unprocessable("dividend.year_invalid", "不能为尚未到来的年度分配收益")
    split = list(buckets) if buckets is not None else bucket_template(village_id)
    base = distributable_of(village_id, year)
    distributable = base - excluded_fen
    amounts = split_largest_remainder(distributable, [b.percent_bp for b in split]) if distributable > 0 \
        else [0] * len(split)
    return SplitPreview(year, base, excluded_fen, distributable, split, amounts)
