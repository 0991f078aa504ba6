"""Distributions: the plan (buckets and dividend components), computing the list from the frozen register,
publishing it behind a resolved decision, objections, the payout and its vouchers.

Life of a distribution: ``draft`` → ``computed`` (may be recomputed) → ``published`` (sealed, 公示 open) →
``paying`` (publicity over, objections answered, the distribution voucher posted) → ``paid`` (every line paid).
``cancelled`` is possible until the first household is paid; a published list stays sealed in the chain.

Money rules: the buckets split the distributable income by their percentages with the largest-remainder
method, so they sum to it exactly. Fixed dividends are exact (per share of a type, or per shareholding member);
the equity dividend is what the dividend pool has left, split across households pro rata to their shares with
the largest-remainder method, so the lines sum exactly to the pool and no household is a fen or more away from
its exact share. Refused: a plan on no or negative distributable income (亏空分配), fixed dividends above the
pool, a reserve below the charter's minimum.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, TypeVar

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from backend.core import audit, objections
from backend.core.clock import to_iso, today, utcnow
from backend.core.db import db
from backend.core.errors import AppError, conflict, not_found, unprocessable
from backend.core.identity import mask_name
from backend.core.money import fen_to_yuan, split_largest_remainder
from backend.core.permissions import Principal
from backend.core.seal import Seal, seal
from backend.core.xlsx import text_only
from backend.decisions.pipeline import refs as decisions
from backend.dividends.models import (
    BucketTemplate,
    Distribution,
    DistributionBucket,
    DividendComponent,
    DividendLine,
    DividendObjection,
    DividendPayment,
    PaymentBatch,
)
from backend.dividends.shares import service as register
from backend.ledger import service as ledger
from backend.ledger.reports import service as ledger_reports
from backend.registry import service as registry
from backend.registry import settings
from backend.registry.models import Village

PUBLICITY_DAYS = settings.declare("dividends.publicity_days", "分红名单公示天数", 7, 1, 60, "天")
MIN_RETAIN = settings.declare(
    "dividends.min_retain_percent", "提取公积公益金等留存的最低比例（章程规定）", 30, 0, 100, "%"
)
# bodies whose resolution may approve a 收益分配方案 (农村集体经济组织法 第26、28条)
APPROVING_BODIES = ("members_assembly", "members_rep_assembly")
DISTRIBUTION_ACCOUNT = "322002"  # 收益分配—各项分配
PAYABLE_ACCOUNT = "211"  # 应付款 (应付收益)
RESERVE_ACCOUNT = "311"  # 公积公益金: where the collective's own dividend goes
UNDISTRIBUTED_ACCOUNT = "322001"  # 未分配收益: a retained bucket there needs no entry
PAY_ACCOUNTS = {"bank": "102", "cash": "101"}
STATUS_LABELS = {
    "draft": "草稿",
    "computed": "已试算",
    "published": "公示中",
    "paying": "发放中",
    "paid": "已发放",
    "cancelled": "已作废",
}
COMPONENT_LABELS = {"fixed_per_share": "固定分红（每股）", "fixed_per_member": "固定分红（每人）",
                    "equity": "按股分红"}
DEFAULT_BUCKETS = (
    ("公积公益金", "retain", 3000, "弥补亏损、扩大生产、公益事业", RESERVE_ACCOUNT),
    ("股金分红", "dividend", 7000, "按股分配给成员", None),
)


# ---------------------------------------------------------------- inputs


@dataclass
class BucketInput:
    name: str
    kind: str
    percent_bp: int
    purpose: str | None = None
    account_code: str | None = None


@dataclass
class ComponentInput:
    kind: str
    label: str | None = None
    share_type_id: int | None = None
    per_unit_fen: int | None = None


@dataclass
class DistributionInput:
    year: int
    title: str
    components: Sequence[ComponentInput]
    buckets: Sequence[BucketInput] | None = None  # None: the village's template
    excluded_fen: int = 0
    excluded_note: str | None = None
    dividend_total_fen: int | None = None  # 分红总额 decided by the meeting (≤ the dividend buckets)


# ---------------------------------------------------------------- the village's standing split


def bucket_template(village_id: int) -> list[BucketInput]:
    rows = db.session.execute(
        select(BucketTemplate).where(BucketTemplate.village_id == village_id).order_by(BucketTemplate.seq)
    ).scalars().all()
    if not rows:
        return [BucketInput(*b) for b in DEFAULT_BUCKETS]
    return [BucketInput(r.name, r.kind, r.percent_bp, r.purpose, r.account_code) for r in rows]


def _check_buckets(village: Village, buckets: Sequence[BucketInput]) -> None:
    if not buckets:
        raise unprocessable("dividend.buckets_invalid", "至少要有一项分配")
    names = [b.name.strip() for b in buckets]
    if len(set(names)) != len(names) or not all(names):
        raise unprocessable("dividend.buckets_invalid", "各项分配的名称不能为空，也不能重复")
    total = sum(b.percent_bp for b in buckets)
    if total != 10000:
        raise unprocessable("dividend.buckets_total", f"各项分配的比例合计应为 100%，现在是 {_percent(total)}",
                            total=_percent(total))
    retained = sum(b.percent_bp for b in buckets if b.kind == "retain")
    minimum = settings.get(village, MIN_RETAIN.key) * 100
    if retained < minimum:
        raise unprocessable("dividend.reserve_too_low",
                            f"按章程至少应提取 {_percent(minimum)} 作为公积公益金等留存，现在只有 {_percent(retained)}",
                            minimum=_percent(minimum))
    if not any(b.kind == "dividend" for b in buckets):
        raise unprocessable("dividend.no_dividend_bucket", "分配方案中没有用于成员分红的一项")
    for b in buckets:
        if b.kind == "retain" and not b.account_code:
            raise unprocessable("dividend.bucket_account", f"留存项“{b.name}”须写明记入的会计科目")


def _percent(bp: int) -> str:
    whole, frac = divmod(bp, 100)
    return f"{whole}%" if not frac else f"{whole}.{frac:02d}".rstrip("0") + "%"


def set_bucket_template(village: Village, buckets: Sequence[BucketInput], *, actor: Principal | None) -> None:
    _check_buckets(village, buckets)
    before = [b.__dict__ for b in bucket_template(village.id)]
    db.session.execute(BucketTemplate.__table__.delete().where(BucketTemplate.village_id == village.id))
    db.session.add_all(BucketTemplate(village_id=village.id, seq=i, name=b.name.strip(), kind=b.kind,
                                      percent_bp=b.percent_bp, purpose=b.purpose, account_code=b.account_code)
                       for i, b in enumerate(buckets, start=1))
    db.session.flush()
    audit.record("dividend.template", "village", village.id, actor=actor, village_id=village.id,
                 before={"buckets": before}, after={"buckets": [b.__dict__ for b in buckets]})


# ---------------------------------------------------------------- plans


def get_distribution(distribution_id: int) -> Distribution:
    d = db.session.get(Distribution, distribution_id)
    if d is None:
        raise not_found("dividend.not_found", "找不到该分配方案")
    return d


def _lock(d: Distribution) -> Distribution:
    db.session.execute(select(Distribution.id).where(Distribution.id == d.id).with_for_update())
    db.session.refresh(d)
    return d


def buckets_of(d: Distribution) -> list[DistributionBucket]:
    return list(db.session.execute(
        select(DistributionBucket).where(DistributionBucket.distribution_id == d.id).order_by(DistributionBucket.seq)
    ).scalars())


def components_of(d: Distribution) -> list[DividendComponent]:
    return list(db.session.execute(
        select(DividendComponent).where(DividendComponent.distribution_id == d.id).order_by(DividendComponent.seq)
    ).scalars())


def components_by_distribution(distribution_ids: Sequence[int]) -> dict[int, list[DividendComponent]]:
    """Distribution id → its components in order, for many distributions in one query (a list page)."""
    out: dict[int, list[DividendComponent]] = {i: [] for i in distribution_ids}
    if out:
        for c in db.session.execute(
            select(DividendComponent).where(DividendComponent.distribution_id.in_(list(out)))
            .order_by(DividendComponent.distribution_id, DividendComponent.seq)
        ).scalars():
            out[c.distribution_id].append(c)
    return out


def _check_components(village: Village, comps: Sequence[ComponentInput]) -> None:
    if not comps:
        raise unprocessable("dividend.components_invalid", "请至少设置一种分红方式（固定分红或按股分红）")
    if sum(1 for c in comps if c.kind == "equity") > 1:
        raise unprocessable("dividend.components_invalid", "按股分红只能设置一项")
    types = {st.id: st for st in register.share_types(village.id)}
    for i, c in enumerate(comps, start=1):
        if c.kind == "equity":
            if c.per_unit_fen is not None or c.share_type_id is not None:
                raise unprocessable("dividend.components_invalid",
                                    f"第{i}项：按股分红按全部股份分配剩余资金，不填单价和股份类型")
            continue
        if not c.per_unit_fen or c.per_unit_fen <= 0:
            raise unprocessable("dividend.components_invalid", f"第{i}项：固定分红须填写大于零的金额")
        if c.kind == "fixed_per_share":
            st = types.get(c.share_type_id or 0)
            if st is None:
                raise unprocessable("dividend.components_invalid", f"第{i}项：股份类型不属于本村")
        elif c.share_type_id is not None:
            raise unprocessable("dividend.components_invalid", f"第{i}项：每人固定分红不按股份类型计算")


def create_distribution(village: Village, data: DistributionInput, *, actor: Principal | None) -> Distribution:
    buckets = list(data.buckets) if data.buckets is not None else bucket_template(village.id)
    _check_buckets(village, buckets)
    _check_components(village, data.components)
    if data.dividend_total_fen is not None and data.dividend_total_fen <= 0:
        raise unprocessable("dividend.total_invalid", "分红总额应大于零")
    if data.excluded_fen < 0:
        raise unprocessable("dividend.excluded_invalid", "扣除金额不能为负")
    if data.excluded_fen and not (data.excluded_note or "").strip():
        raise unprocessable("dividend.excluded_note", "请说明从可分配收益中扣除的款项（如征地补偿费）")
    if data.year > today().year:
        raise unprocessable("dividend.year_invalid", "不能为尚未到来的年度分配收益")
    live = db.session.execute(
        select(Distribution.id).where(Distribution.village_id == village.id, Distribution.year == data.year,
                                      Distribution.status != "cancelled")
    ).first()
    if live:
        raise conflict("dividend.year_taken", f"{data.year}年度已有收益分配方案；如须重做请先作废原方案")
    d = Distribution(village_id=village.id, year=data.year, title=data.title.strip(), status="draft",
                     excluded_fen=data.excluded_fen, excluded_note=(data.excluded_note or "").strip() or None,
                     dividend_total_fen=data.dividend_total_fen, created_by_id=actor.person_id if actor else None)
    db.session.add(d)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise conflict("dividend.year_taken", f"{data.year}年度已有收益分配方案；如须重做请先作废原方案") from None
    db.session.add_all(DistributionBucket(distribution_id=d.id, seq=i, name=b.name.strip(), kind=b.kind,
                                          percent_bp=b.percent_bp, purpose=b.purpose, account_code=b.account_code)
                       for i, b in enumerate(buckets, start=1))
    db.session.add_all(DividendComponent(distribution_id=d.id, seq=i, kind=c.kind,
                                         label=(c.label or "").strip() or COMPONENT_LABELS[c.kind],
                                         share_type_id=c.share_type_id, per_unit_fen=c.per_unit_fen)
                       for i, c in enumerate(data.components, start=1))
    db.session.flush()
    audit.record("dividend.create", "distribution", d.id, actor=actor, village_id=village.id,
                 after={"year": d.year, "title": d.title, "buckets": len(buckets), "components": len(data.components)})
    return d


def cancel_distribution(d: Distribution, reason: str, *, actor: Principal | None) -> Distribution:
    _lock(d)
    if d.status in ("paying", "paid"):
        raise conflict("dividend.cannot_cancel", "已开始发放的分配方案不能作废")
    if d.status == "cancelled":
        raise conflict("dividend.cancelled", "该分配方案已作废")
    before = d.status
    d.status, d.cancelled_reason = "cancelled", reason.strip()
    db.session.flush()
    audit.record("dividend.cancel", "distribution", d.id, actor=actor, village_id=d.village_id,
                 before={"status": before}, after={"status": "cancelled", "reason": d.cancelled_reason})
    return d


# ---------------------------------------------------------------- computing


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
    st = ledger_reports.income_statement(village_id, ledger_reports.year_span(year))
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
def compute(d: Distribution, record_date: date, *, actor: Principal | None) -> Distribution:
    """Freeze the register at ``record_date`` and compute every household's line (replacing a previous preview)."""
    _lock(d)
    if d.status not in ("draft", "computed"):
        raise conflict("dividend.not_editable", f"分配方案{STATUS_LABELS[d.status]}，不能重新计算")
    if record_date > today():
        raise unprocessable("dividend.record_date", "股权登记日不能晚于今天")
    if record_date < date(d.year, 1, 1):
        raise unprocessable("dividend.record_date", f"股权登记日不能早于{d.year}年1月1日")
    village = registry.get_village(d.village_id)
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
    audit.record("dividend.compute", "distribution", d.id, actor=actor, village_id=village.id,
                 after={"record_date": record_date.isoformat(), "register_hash": d.register_hash,
                        "pool_fen": pool, "lines": len(lines)})
    return d


def verify_register(d: Distribution) -> bool:
    """Does the register at the record date still hash to what the computation froze?"""
    if d.record_date is None or d.register_hash is None:
        return False
    holdings = register.register_at(d.village_id, d.record_date)
    return register.register_hash(d.village_id, d.record_date, holdings) == d.register_hash


# ---------------------------------------------------------------- publishing


def _decision_ok(d: Distribution, decision_id: int) -> decisions.DecisionRef:
    ref = decisions.get_ref(d.village_id, decision_id)
    if ref is None:
        raise unprocessable("dividend.decision_unknown", "找不到所依据的决议（须是本村的决议）")
    if not ref.resolved or ref.resolved_on is None:
        raise AppError(409, "dividend.decision_not_resolved", f"决议“{ref.title}”尚未通过，分配方案不能公布")
    if ref.body not in APPROVING_BODIES:
        raise AppError(409, "dividend.decision_body",
                       "收益分配方案须经成员大会或成员代表大会表决通过，所注明的决议不是这两种会议作出的")
    if ref.resolved_on > today():
        raise AppError(409, "dividend.decision_not_resolved", "决议日期晚于今天，不能据此公布")
    return ref


def _check_reserve_accounts(d: Distribution) -> None:
    """Publication is final: every retained bucket the payout voucher credits must be a usable (active, leaf)
    account of the village's chart, or the sealed list could never be paid out."""
    accs = ledger.accounts(d.village_id)
    parents = {a.parent_id for a in accs if a.parent_id is not None}
    usable = {a.code for a in accs if a.active and a.id not in parents}
    for b in buckets_of(d):
        if b.kind == "retain" and b.amount_fen and b.account_code not in (UNDISTRIBUTED_ACCOUNT, *usable):
            raise unprocessable("dividend.bucket_account",
                                f"留存项“{b.name}”记入的科目 {b.account_code} 不存在、已停用或有明细科目，"
                                "请作废本方案后重新制定", bucket=b.name, account_code=b.account_code)


def publish(d: Distribution, decision_id: int, *, actor: Principal | None) -> Distribution:
    _lock(d)
    if d.status != "computed":
        raise conflict("dividend.not_computed", "请先计算分红名单，核对无误后再公布" if d.status == "draft"
                       else f"分配方案{STATUS_LABELS[d.status]}，不能再公布")
    _decision_ok(d, decision_id)
    if not verify_register(d):
        raise conflict("dividend.register_changed", "股权登记簿与计算时不一致，请重新计算")
    _check_reserve_accounts(d)
    d.decision_id = decision_id
    d.published_at = utcnow()
    village = registry.get_village(d.village_id)
    d.publicity_until = today() + timedelta(days=settings.get(village, PUBLICITY_DAYS.key) - 1)
    s = seal(d.village_id, "dividend_list", d.id, public_payload(d))
    d.seal_id = s.id
    d.status = "published"
    db.session.flush()
    audit.record("dividend.publish", "distribution", d.id, actor=actor, village_id=d.village_id,
                 after={"decision_id": decision_id, "seal": s.hash, "publicity_until": d.publicity_until.isoformat()})
    return d


def lines_stmt(d: Distribution) -> Any:
    return (select(DividendLine).where(DividendLine.distribution_id == d.id)
            .order_by(DividendLine.household_id.is_(None), DividendLine.household_number))


def public_line(ln: DividendLine) -> dict[str, Any]:
    """What the board shows: 户号, the head's name and ID masked, shares, amount (no member names)."""
    detail = json.loads(ln.detail)
    return {
        "household_number": ln.household_number,
        "head_name": ln.head_name if ln.household_id is None else mask_name(ln.head_name),
        "head_id": None if ln.head_id_last4 is None else "*" * 14 + ln.head_id_last4,
        "members": ln.members,
        "shares": ln.shares,
        "shares_by_type": detail["by_type"],
        "amount": fen_to_yuan(ln.amount_fen),
    }


def public_payload(d: Distribution) -> dict[str, Any]:
    """The sealed record: the plan, its figures and the masked list, as published."""
    lines = db.session.execute(lines_stmt(d)).scalars().all()
    return {
        "distribution_id": d.id,
        "village_id": d.village_id,
        "year": d.year,
        "title": d.title,
        "decision_id": d.decision_id,
        "record_date": d.record_date.isoformat() if d.record_date else None,
        "register_hash": d.register_hash,
        "distributable": fen_to_yuan(d.distributable_fen or 0),
        "excluded": fen_to_yuan(d.excluded_fen),
        "buckets": [{"name": b.name, "kind": b.kind, "percent": _percent(b.percent_bp),
                     "amount": fen_to_yuan(b.amount_fen or 0)} for b in buckets_of(d)],
        "components": [component_view(c) for c in components_of(d)],
        "pool": fen_to_yuan(d.pool_fen or 0),
        "carried_forward": _carried(d),
        "total": fen_to_yuan(d.paid_out_fen or 0),
        "lines": [public_line(ln) for ln in lines],
    }


def seal_of(d: Distribution) -> Seal | None:
    return db.session.get(Seal, d.seal_id) if d.seal_id else None


# ---------------------------------------------------------------- objections during 公示


def raise_objection(d: Distribution, text: str, *, actor: Principal) -> DividendObjection:
    if d.status != "published" or d.publicity_until is None or today() > d.publicity_until:
        raise conflict("dividend.not_in_publicity", "现在不在公示期内，不能提出异议")
    o = DividendObjection(distribution_id=d.id, village_id=d.village_id, household_id=actor.household_id
                          if actor.village_id == d.village_id else None, raised_by_id=actor.person_id,
                          raised_by_name=actor.name, text=text.strip())
    db.session.add(o)
    db.session.flush()
    audit.record("dividend.objection", "dividend_objection", o.id, actor=actor, village_id=d.village_id,
                 after={"distribution_id": d.id})
    return o


def get_objection(objection_id: int) -> DividendObjection:
    o = db.session.get(DividendObjection, objection_id)
    if o is None:
        raise not_found("dividend.objection_not_found", "找不到该异议")
    return o


def answer_objection(o: DividendObjection, answer: str, *, actor: Principal | None) -> DividendObjection:
    return objections.answer(o, answer, actor=actor, action="dividend.objection_answer",
                             object_type="dividend_objection", code="dividend.objection_answered")


def objections_of(d: Distribution) -> list[DividendObjection]:
    return list(db.session.execute(
        select(DividendObjection).where(DividendObjection.distribution_id == d.id).order_by(DividendObjection.id)
    ).scalars())


# ---------------------------------------------------------------- payout


def _village(d: Distribution) -> Village:
    return registry.get_village(d.village_id)


def open_payout(d: Distribution, *, actor: Principal | None) -> Distribution:
    """After the 公示: post the distribution voucher (Dr 收益分配—各项分配; Cr 公积公益金 and the other retained
    buckets' accounts, Cr 应付款 for the households), and start paying. The collective's own line is settled at
    once into 公积公益金."""
    _lock(d)
    if d.status != "published":
        raise conflict("dividend.not_published", "分配方案公示后才能开始发放" if d.status in ("draft", "computed")
                       else f"分配方案{STATUS_LABELS[d.status]}")
    if d.publicity_until is None or today() <= d.publicity_until:
        raise conflict("dividend.publicity_open",
                       f"公示期到 {d.publicity_until.isoformat() if d.publicity_until else ''} 结束，期满后才能发放")
    open_objections = sum(1 for o in objections_of(d) if o.answer is None)
    if open_objections:
        raise conflict("dividend.objections_open", f"还有 {open_objections} 条异议没有答复，答复后才能发放",
                       open=open_objections)
    lines = db.session.execute(lines_stmt(d)).scalars().all()
    households_total = sum(ln.amount_fen for ln in lines if ln.household_id is not None)
    collective = next((ln for ln in lines if ln.household_id is None), None)
    credits: dict[str, int] = {}
    for b in buckets_of(d):
        if b.kind == "retain" and b.account_code and b.account_code != UNDISTRIBUTED_ACCOUNT and b.amount_fen:
            credits[b.account_code] = credits.get(b.account_code, 0) + b.amount_fen
    if collective is not None and collective.amount_fen:
        credits[RESERVE_ACCOUNT] = credits.get(RESERVE_ACCOUNT, 0) + collective.amount_fen
    if households_total:
        credits[PAYABLE_ACCOUNT] = credits.get(PAYABLE_ACCOUNT, 0) + households_total
    total = sum(credits.values())
    if total:
        village = _village(d)
        data = ledger.VoucherInput(
            voucher_date=today(),
            summary=f"{d.title}：提取留存、分配到户",
            lines=[ledger.LineInput(DISTRIBUTION_ACCOUNT, debit_fen=total, summary=d.title)]
            + [ledger.LineInput(code, credit_fen=amt, summary=d.title) for code, amt in sorted(credits.items())],
            decision_ref=str(d.decision_id) if d.decision_id else None,
        )
        v = ledger.create_voucher(village, data, actor=actor, source="dividends")
        ledger.post_voucher(v, actor=actor)
        d.accrual_voucher_id = v.id
    if collective is not None:
        batch = PaymentBatch(distribution_id=d.id, idempotency_key=None, request_hash="collective", method="internal",
                             paid_on=today(), reference="集体股分红转入公积公益金", count=1,
                             total_fen=collective.amount_fen, voucher_id=d.accrual_voucher_id,
                             recorded_by_id=actor.person_id if actor else None)
        db.session.add(batch)
        db.session.flush()
        db.session.add(DividendPayment(distribution_id=d.id, line_id=collective.id, batch_id=batch.id,
                                       amount_fen=collective.amount_fen))
        collective.paid_on, collective.paid_at = today(), utcnow()
    d.status = "paying"
    _maybe_done(d)
    db.session.flush()
    audit.record("dividend.payout_open", "distribution", d.id, actor=actor, village_id=d.village_id,
                 after={"voucher_id": d.accrual_voucher_id, "total_fen": total})
    return d


@dataclass
class PaymentInput:
    household_ids: Sequence[int]
    method: str  # bank | cash
    paid_on: date
    reference: str | None = None


@dataclass
class PaymentResult:
    batch: PaymentBatch
    replayed: bool


def _request_hash(data: PaymentInput) -> str:
    # the households in any order, but a household listed twice is another request (refused, never a replay)
    text = json.dumps({"h": sorted(data.household_ids), "m": data.method, "d": data.paid_on.isoformat(),
                       "r": data.reference or ""}, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def record_payments(d: Distribution, data: PaymentInput, *, idempotency_key: str | None,
                    actor: Principal | None) -> PaymentResult:
    """Record that these households were paid, and post one voucher (Dr 应付款, Cr 银行存款 or 库存现金).

    All or nothing: a household already paid, not on the list, or listed twice refuses the whole request.
    A retry with the same ``Idempotency-Key`` and the same request returns the first result."""
    _lock(d)
    req_hash = _request_hash(data)
    if idempotency_key:
        prior = db.session.execute(
            select(PaymentBatch).where(PaymentBatch.distribution_id == d.id,
                                       PaymentBatch.idempotency_key == idempotency_key)
        ).scalar_one_or_none()
        if prior is not None:
            if prior.request_hash != req_hash:
                raise conflict("idempotency.mismatch", "该幂等键已用于另一笔不同的发放登记")
            return PaymentResult(prior, True)
    if d.status != "paying":
        raise conflict("dividend.not_paying", "请先在公示期满后开始发放" if d.status == "published"
                       else f"分配方案{STATUS_LABELS[d.status]}，不能登记发放")
    if data.method not in PAY_ACCOUNTS:
        raise unprocessable("dividend.method_invalid", "发放方式应为银行代发或现金")
    ids = list(data.household_ids)
    if not ids:
        raise unprocessable("dividend.no_households", "请选择要登记发放的农户")
    if len(set(ids)) != len(ids):
        raise unprocessable("dividend.duplicate_households", "同一户在一次登记中出现了多次")
    # not before the day the payout opened: what is owed is booked (Cr 应付款) by the distribution voucher that day
    opened = ledger.get_voucher(d.accrual_voucher_id).voucher_date if d.accrual_voucher_id else None
    if data.paid_on > today() or (d.publicity_until is not None and data.paid_on <= d.publicity_until) \
            or (opened is not None and data.paid_on < opened):
        raise unprocessable("dividend.paid_on_invalid", "发放日期应在公示期满、开始发放之后，且不晚于今天",
                            earliest=opened.isoformat() if opened else None)
    # plain rows, not ORM objects: a batch may be 10,000 households, and the lines change by a Core UPDATE below
    lines = db.session.execute(
        select(DividendLine.id, DividendLine.household_id, DividendLine.household_number, DividendLine.amount_fen,
               DividendLine.paid_at)
        .where(DividendLine.distribution_id == d.id, DividendLine.household_id.in_(ids))
    ).all()
    found = {ln.household_id for ln in lines}
    missing = [h for h in ids if h not in found]
    if missing:
        raise unprocessable("dividend.household_not_listed", f"有 {len(missing)} 户不在本次分红名单中",
                            household_ids=missing[:50])
    paid = sorted(ln.household_number for ln in lines if ln.paid_at is not None)
    if paid:
        raise conflict("dividend.already_paid", f"以下农户已经发放过，不能重复发放：{'、'.join(paid[:20])}",
                       households=paid[:50])
    total = sum(ln.amount_fen for ln in lines)
    batch = PaymentBatch(distribution_id=d.id, idempotency_key=idempotency_key, request_hash=req_hash,
                         method=data.method, paid_on=data.paid_on, reference=(data.reference or "").strip() or None,
                         count=len(lines), total_fen=total, recorded_by_id=actor.person_id if actor else None)
    try:
        with db.session.begin_nested():
            db.session.add(batch)
            db.session.flush()
            db.session.execute(insert(DividendPayment), [
                {"distribution_id": d.id, "line_id": ln.id, "batch_id": batch.id, "amount_fen": ln.amount_fen}
                for ln in lines
            ])
            now = utcnow()
            res = db.session.execute(
                update(DividendLine)
                .where(DividendLine.id.in_([ln.id for ln in lines]), DividendLine.paid_at.is_(None))
                .values(paid_on=data.paid_on, paid_at=now)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != len(lines):  # type: ignore[attr-defined]
                raise IntegrityError("paid meanwhile", None, Exception("paid meanwhile"))
    except IntegrityError:
        raise conflict("dividend.already_paid", "其中有农户刚刚已登记发放，不能重复发放；请刷新后重试") from None
    if total:
        v = ledger.create_voucher(
            _village(d),
            ledger.VoucherInput(
                voucher_date=data.paid_on,
                summary=f"{d.title}：发放分红 {len(lines)} 户" + (f"（{batch.reference}）" if batch.reference else ""),
                lines=[ledger.LineInput(PAYABLE_ACCOUNT, debit_fen=total, summary="发放分红"),
                       ledger.LineInput(PAY_ACCOUNTS[data.method], credit_fen=total, summary="发放分红")],
                decision_ref=str(d.decision_id) if d.decision_id else None,
            ),
            actor=actor,
            source="dividends",
        )
        ledger.post_voucher(v, actor=actor)
        batch.voucher_id = v.id
    _maybe_done(d)
    db.session.flush()
    audit.record("dividend.pay", "dividend_payment_batch", batch.id, actor=actor, village_id=d.village_id,
                 after={"distribution_id": d.id, "households": len(lines), "total_fen": total,
                        "method": data.method})
    return PaymentResult(batch, False)


def _maybe_done(d: Distribution) -> None:
    db.session.flush()
    unpaid = db.session.execute(
        select(func.count()).select_from(DividendLine)
        .where(DividendLine.distribution_id == d.id, DividendLine.paid_at.is_(None))
    ).scalar_one()
    if unpaid == 0 and d.status == "paying":
        d.status, d.paid_at = "paid", utcnow()


def payment_summary(d: Distribution) -> dict[str, Any]:
    paid_count, paid_total = db.session.execute(
        select(func.count(), func.coalesce(func.sum(DividendLine.amount_fen), 0))
        .where(DividendLine.distribution_id == d.id, DividendLine.paid_at.is_not(None))
    ).one()
    return {"paid_households": int(paid_count), "paid_total": fen_to_yuan(int(paid_total)),
            "unpaid_total": fen_to_yuan((d.paid_out_fen or 0) - int(paid_total))}


def bank_batch_xlsx(d: Distribution) -> tuple[bytes, int, int]:
    """The unpaid households with an amount, as a bank's batch-payment sheet (序号, 户号, 户名, 开户行, 账号, 金额);
    households without an account are listed on a second sheet. Returns (bytes, rows, missing)."""
    from openpyxl import Workbook

    if d.status != "paying":
        raise conflict("dividend.not_paying", "公示期满、开始发放后才能导出银行代发表")
    lines = db.session.execute(
        lines_stmt(d).where(DividendLine.paid_at.is_(None), DividendLine.household_id.is_not(None),
                            DividendLine.amount_fen > 0)
    ).scalars().all()
    accounts = register.payees(d.village_id)
    wb = Workbook()
    ws = wb.active
    ws.title = "银行代发"
    ws.append(["序号", "户号", "户名", "开户行", "账号", "金额（元）", "摘要"])
    ws2 = wb.create_sheet("缺少账户")
    ws2.append(["户号", "户主", "金额（元）"])
    n = missing = 0
    for ln in lines:
        acct = accounts.get(ln.household_id)  # type: ignore[arg-type]
        if acct is None:
            ws2.append([ln.household_number, ln.head_name, fen_to_yuan(ln.amount_fen)])
            missing += 1
            continue
        n += 1
        ws.append([n, ln.household_number, acct.account_name, acct.bank_name, acct.account_no,
                   fen_to_yuan(ln.amount_fen), f"{d.year}年度分红"])
    for col, width in zip("ABCDEFG", (6, 12, 12, 24, 26, 14, 16), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    text_only(wb).save(buf)
    return buf.getvalue(), n, missing


# ---------------------------------------------------------------- views


def component_view(c: DividendComponent) -> dict[str, Any]:
    return {
        "kind": c.kind,
        "label": c.label,
        "share_type_id": c.share_type_id,
        "per_unit": fen_to_yuan(c.per_unit_fen) if c.per_unit_fen is not None else None,
        "units": c.units,
        "amount": fen_to_yuan(c.amount_fen) if c.amount_fen is not None else None,
        "per_share": per_share_text(c),
    }


def per_share_text(c: DividendComponent) -> str | None:
    """The amount per share (per member) in yuan, to the fen; an equity dividend rounds half up."""
    if c.per_unit_fen is not None:
        return fen_to_yuan(c.per_unit_fen)
    if not c.units or c.amount_fen is None:
        return None
    exact = Fraction(c.amount_fen, c.units)
    return fen_to_yuan(int(exact + Fraction(1, 2)))


def per_share_exact(c: DividendComponent) -> bool:
    return c.per_unit_fen is not None or (bool(c.units) and (c.amount_fen or 0) % (c.units or 1) == 0)


def declaration_per_share(d: Distribution, comps: Sequence[DividendComponent] | None = None) -> str | None:
    """The per-share amount a declaration shows; ``comps``: its components when the caller has them already."""
    comps = components_of(d) if comps is None else comps
    equity = next((c for c in comps if c.kind == "equity"), None)
    if equity is not None:
        return per_share_text(equity)
    per_share = [c for c in comps if c.kind == "fixed_per_share"]
    return per_share_text(per_share[0]) if len(per_share) == 1 else None


def distribution_view(d: Distribution, *, staff: bool) -> dict[str, Any]:
    s = seal_of(d)
    out: dict[str, Any] = {
        "id": d.id,
        "village_id": d.village_id,
        "year": d.year,
        "title": d.title,
        "status": d.status,
        "status_label": STATUS_LABELS[d.status],
        "decision_id": d.decision_id,
        "record_date": d.record_date,
        "register_hash": d.register_hash,
        "distributable": fen_to_yuan(d.distributable_fen) if d.distributable_fen is not None else None,
        "excluded": fen_to_yuan(d.excluded_fen),
        "excluded_note": d.excluded_note,
        "dividend_total": fen_to_yuan(d.dividend_total_fen) if d.dividend_total_fen is not None else None,
        "pool": fen_to_yuan(d.pool_fen) if d.pool_fen is not None else None,
        "carried_forward": _carried(d),
        "total": fen_to_yuan(d.paid_out_fen) if d.paid_out_fen is not None else None,
        "total_shares": d.total_shares,
        "households": d.households,
        "per_share": declaration_per_share(d),
        "buckets": [{"name": b.name, "kind": b.kind, "percent": _percent(b.percent_bp), "percent_bp": b.percent_bp,
                     "purpose": b.purpose, "account_code": b.account_code,
                     "amount": fen_to_yuan(b.amount_fen) if b.amount_fen is not None else None}
                    for b in buckets_of(d)],
        "components": [component_view(c) for c in components_of(d)],
        "published_at": to_iso(d.published_at),
        "publicity_until": d.publicity_until,
        "seal": s.hash if s else None,
        "prev_seal": s.prev_hash if s else None,
        "paid_at": to_iso(d.paid_at),
        "objections": [objection_view(o, staff=staff) for o in objections_of(d)] if d.published_at else [],
    }
    if staff:
        out.update(payment_summary(d))
        out["accrual_voucher_id"] = d.accrual_voucher_id
        out["cancelled_reason"] = d.cancelled_reason
    return out


def _carried(d: Distribution) -> str | None:
    """What the dividend buckets allowed but the lines do not pay out: stays in 未分配收益. That is what the meeting
    kept below the buckets (分红总额) and, with fixed dividends only, what they leave of the pool."""
    if d.pool_fen is None:
        return None
    allowed = sum(b.amount_fen or 0 for b in buckets_of(d) if b.kind == "dividend")
    return fen_to_yuan(allowed - (d.paid_out_fen if d.paid_out_fen is not None else d.pool_fen))


def objection_view(o: DividendObjection, *, staff: bool) -> dict[str, Any]:
    return objections.view(o, staff=staff)


def staff_line(ln: DividendLine, types: dict[str, str]) -> dict[str, Any]:
    detail = json.loads(ln.detail)
    return {
        "household_id": ln.household_id,
        "household_number": ln.household_number,
        "head_name": ln.head_name,
        "members": ln.members,
        "shares": ln.shares,
        "shares_by_type": [{"code": k, "name": types.get(k, k), "shares": v} for k, v in detail["by_type"].items()],
        "by_member": detail["by_member"],
        "fixed": [fen_to_yuan(x) for x in detail["fixed"]],
        "equity": fen_to_yuan(detail["equity"]),
        "amount": fen_to_yuan(ln.amount_fen),
        "paid_on": ln.paid_on,
    }


def type_names(village_id: int) -> dict[str, str]:
    return {st.code: st.name for st in register.share_types(village_id)}


def list_stmt(village_id: int, *, published_only: bool) -> Any:
    stmt = select(Distribution).where(Distribution.village_id == village_id)
    if published_only:
        stmt = stmt.where(Distribution.status.in_(("published", "paying", "paid")))
    return stmt.order_by(Distribution.year.desc(), Distribution.id.desc())


# ---------------------------------------------------------------- a household's own view


def household_lines(household_id: int) -> list[tuple[Distribution, DividendLine]]:
    """The household's lines of published distributions, newest first."""
    rows = db.session.execute(
        select(Distribution, DividendLine)
        .join(DividendLine, DividendLine.distribution_id == Distribution.id)
        .where(DividendLine.household_id == household_id,
               Distribution.status.in_(("published", "paying", "paid")))
        .order_by(Distribution.year.desc(), Distribution.id.desc())
    ).all()
    return list(rows)


def my_dividend_item(d: Distribution, ln: DividendLine,
                     comps: Sequence[DividendComponent] | None = None) -> dict[str, Any]:
    return {
        "declaration": {"id": d.id, "year": d.year, "title": d.title, "per_share": declaration_per_share(d, comps)},
        "household_shares": ln.shares,
        "amount": fen_to_yuan(ln.amount_fen),
        "status": "paid" if ln.paid_at is not None else "announced",
        "paid_at": to_iso(ln.paid_at),
        "paid_on": ln.paid_on,
    }


def statement(d: Distribution, ln: DividendLine) -> dict[str, Any]:
    """One household's statement of one distribution: shares by type (and by member), what each kind of dividend
    gives per share, the total, and when it was paid."""
    detail = json.loads(ln.detail)
    types = type_names(d.village_id)
    comps = components_of(d)
    parts = []
    fixed_iter = iter(detail["fixed"])
    for c in comps:
        amount = detail["equity"] if c.kind == "equity" else next(fixed_iter)
        if c.kind == "fixed_per_share":
            code = next((st.code for st in register.share_types(d.village_id) if st.id == c.share_type_id), None)
            units = detail["by_type"].get(code, 0)
        elif c.kind == "fixed_per_member":
            units = ln.members
        else:
            units = ln.shares
        parts.append({"kind": c.kind, "label": c.label, "per_share": per_share_text(c),
                      "per_share_exact": per_share_exact(c), "units": units, "amount": fen_to_yuan(amount)})
    s = seal_of(d)
    return {
        "declaration": {"id": d.id, "year": d.year, "title": d.title, "per_share": declaration_per_share(d),
                        "record_date": d.record_date, "decision_id": d.decision_id, "seal": s.hash if s else None},
        "household": {"id": ln.household_id, "number": ln.household_number, "head_name": ln.head_name},
        "household_shares": ln.shares,
        "shares_by_type": [{"code": k, "name": types.get(k, k), "shares": v} for k, v in detail["by_type"].items()],
        "members": [{"name": m["name"], "shares_by_type": [{"code": k, "name": types.get(k, k), "shares": v}
                                                            for k, v in m["by_type"].items()]}
                    for m in detail["by_member"]],
        "components": parts,
        "amount": fen_to_yuan(ln.amount_fen),
        "status": "paid" if ln.paid_at is not None else "announced",
        "paid_on": ln.paid_on,
        "paid_at": to_iso(ln.paid_at),
    }


def line_of_household(d: Distribution, household_id: int) -> DividendLine | None:
    return db.session.execute(
        select(DividendLine).where(DividendLine.distribution_id == d.id, DividendLine.household_id == household_id)
    ).scalar_one_or_none()
