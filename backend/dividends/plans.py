"""The plan of a distribution: the village's standing split (buckets), a year's plan with its buckets and dividend
components, cancelling it, and how its figures read (percentages, per-share amounts, what is carried forward).

The split's rules (农村集体经济组织法 第26、28条 and the village's charter): the buckets add up to 100%, the
retained buckets reach the charter's minimum, at least one bucket pays members; a retained bucket names the account
it is booked to. Fixed dividends are per share of a type or per shareholding member; at most one equity dividend
takes what the pool has left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from fractions import Fraction
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import decisions, registry
from backend.core import audit
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import AppError, conflict, not_found, unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.dividends.models import BucketTemplate, Distribution, DistributionBucket, DividendComponent
from backend.dividends.shares import service as register
from backend.registry import Village

MIN_RETAIN = registry.settings.declare(
    "dividends.min_retain_percent", "提取公积公益金等留存的最低比例（章程规定）", 30, 0, 100, "%"
)
RESERVE_ACCOUNT = "311"  # 公积公益金: where the collective's own dividend goes
UNDISTRIBUTED_ACCOUNT = "322001"  # 未分配收益: a retained bucket there needs no entry
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
# bodies whose resolution may approve a 收益分配方案 (农村集体经济组织法 第26、28条)
APPROVING_BODIES = ("members_assembly", "members_rep_assembly")
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
    record_date: date | None = None  # 股权登记日 the plan states (the computation may still be given another)
    decision_id: int | None = None  # the approving decision, when it is already resolved


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
        raise unprocessable("dividend.buckets_total", f"各项分配的比例合计应为 100%，现在是 {percent_text(total)}",
                            total=percent_text(total))
    retained = sum(b.percent_bp for b in buckets if b.kind == "retain")
    minimum = registry.settings.get(village, MIN_RETAIN.key) * 100
    if retained < minimum:
        raise unprocessable(
            "dividend.reserve_too_low",
            f"按章程至少应提取 {percent_text(minimum)} 作为公积公益金等留存，现在只有 {percent_text(retained)}",
            minimum=percent_text(minimum),
        )
    if not any(b.kind == "dividend" for b in buckets):
        raise unprocessable("dividend.no_dividend_bucket", "分配方案中没有用于成员分红的一项")
    for b in buckets:
        if b.kind == "retain" and not b.account_code:
            raise unprocessable("dividend.bucket_account", f"留存项“{b.name}”须写明记入的会计科目")


def percent_text(bp: int) -> str:
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


def template_view(village: Village) -> dict[str, Any]:
    return {
        "buckets": [{"name": b.name, "kind": b.kind, "percent": percent_text(b.percent_bp),
                     "percent_bp": b.percent_bp, "purpose": b.purpose, "account_code": b.account_code}
                    for b in bucket_template(village.id)],
        "min_retain_percent": registry.settings.get(village, MIN_RETAIN.key),
    }


# ---------------------------------------------------------------- plans


def approving_decision(village_id: int, decision_id: int) -> decisions.DecisionRef:
    """The village's resolved decision of a 成员大会 or 成员代表大会 that a plan rests on, or the refusal saying why
    it cannot."""
    ref = decisions.get_ref(village_id, decision_id)
    if ref is None:
        raise unprocessable("dividend.decision_unknown", "找不到所依据的决议（须是本村的决议）",
                            fields={"decision_id": "找不到该决议"})
    if not ref.resolved or ref.resolved_on is None:
        raise AppError(409, "dividend.decision_not_resolved", f"决议“{ref.title}”尚未通过，分配方案不能公布")
    if ref.body not in APPROVING_BODIES:
        raise AppError(409, "dividend.decision_body",
                       "收益分配方案须经成员大会或成员代表大会表决通过，所注明的决议不是这两种会议作出的")
    if ref.resolved_on > today():
        raise AppError(409, "dividend.decision_not_resolved", "决议日期晚于今天，不能据此公布")
    return ref


def check_record_date(year: int, record_date: date) -> None:
    if record_date > today():
        raise unprocessable("dividend.record_date", "股权登记日不能晚于今天", fields={"record_date": "不能晚于今天"})
    if record_date < date(year, 1, 1):
        raise unprocessable("dividend.record_date", f"股权登记日不能早于{year}年1月1日",
                            fields={"record_date": f"不能早于{year}年1月1日"})


def get_distribution(distribution_id: int) -> Distribution:
    d = db.session.get(Distribution, distribution_id)
    if d is None:
        raise not_found("dividend.not_found", "找不到该分配方案")
    return d


def lock_distribution(d: Distribution) -> Distribution:
    db.session.execute(select(Distribution.id).where(Distribution.id == d.id).with_for_update())
    db.session.refresh(d)
    return d


def buckets_of(d: Distribution) -> list[DistributionBucket]:
    return list(db.session.execute(
        select(DistributionBucket).where(DistributionBucket.distribution_id == d.id).order_by(DistributionBucket.seq)
    ).scalars())


@dataclass(frozen=True)
class ComponentRow:
    """A component as a household's pages read it (the same attributes as the record)."""

    id: int
    distribution_id: int
    seq: int
    kind: str
    label: str
    share_type_id: int | None
    per_unit_fen: int | None
    units: int | None
    amount_fen: int | None


_COMPONENT_COLUMNS = [getattr(DividendComponent, f.name) for f in fields(ComponentRow)]


@shared_read
def shared_components(distribution_ids: tuple[int, ...]) -> Mapping[int, tuple[ComponentRow, ...]]:
    """Distribution id → its components in order, in one query, kept for every reader while the data is unchanged
    (a household's pages: a plan's components are the same whoever reads them)."""
    out: dict[int, list[ComponentRow]] = {i: [] for i in distribution_ids}
    if out:
        for row in db.session.execute(_components_stmt(list(out), *_COMPONENT_COLUMNS)):
            out[row.distribution_id].append(ComponentRow(*row))
    return MappingProxyType({k: tuple(v) for k, v in out.items()})


def components_of(d: Distribution) -> list[DividendComponent]:
    return components_by_distribution([d.id])[d.id]


def components_by_distribution(distribution_ids: Sequence[int]) -> dict[int, list[DividendComponent]]:
    """Distribution id → its components in order, for many distributions in one query (a list page)."""
    out: dict[int, list[DividendComponent]] = {i: [] for i in distribution_ids}
    if out:
        for c in db.session.execute(_components_stmt(list(out))).scalars():
            out[c.distribution_id].append(c)
    return out


def _components_stmt(distribution_ids: list[int], *what: Any) -> Any:
    """The components of these distributions in order: the records, or the columns ``what``."""
    return ((select(*what) if what else select(DividendComponent))
            .where(DividendComponent.distribution_id.in_(distribution_ids))
            .order_by(DividendComponent.distribution_id, DividendComponent.seq))


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
    if data.record_date is not None:
        check_record_date(data.year, data.record_date)
    if data.decision_id is not None:
        approving_decision(village.id, data.decision_id)
    live = db.session.execute(
        select(Distribution.id).where(Distribution.village_id == village.id, Distribution.year == data.year,
                                      Distribution.status != "cancelled")
    ).first()
    if live:
        raise conflict("dividend.year_taken", f"{data.year}年度已有收益分配方案；如须重做请先作废原方案")
    d = Distribution(village_id=village.id, year=data.year, title=data.title.strip(), status="draft",
                     excluded_fen=data.excluded_fen, excluded_note=(data.excluded_note or "").strip() or None,
                     dividend_total_fen=data.dividend_total_fen, record_date=data.record_date,
                     decision_id=data.decision_id, created_by_id=actor.person_id if actor else None)
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
    lock_distribution(d)
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


def list_stmt(village_id: int, *, published_only: bool) -> Any:
    stmt = select(Distribution).where(Distribution.village_id == village_id)
    if published_only:
        stmt = stmt.where(Distribution.status.in_(("published", "paying", "paid")))
    return stmt.order_by(Distribution.year.desc(), Distribution.id.desc())


# ---------------------------------------------------------------- how the figures read


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


def declaration_per_share(d: Distribution,
                          comps: Sequence[DividendComponent | ComponentRow] | None = None) -> str | None:
    """The per-share amount a declaration shows; ``comps``: its components when the caller has them already."""
    comps = components_of(d) if comps is None else comps
    equity = next((c for c in comps if c.kind == "equity"), None)
    if equity is not None:
        return per_share_text(equity)
    per_share = [c for c in comps if c.kind == "fixed_per_share"]
    return per_share_text(per_share[0]) if len(per_share) == 1 else None


def carried_forward(d: Distribution) -> str | None:
    """What the dividend buckets allowed but the lines do not pay out: stays in 未分配收益. That is what the meeting
    kept below the buckets (分红总额) and, with fixed dividends only, what they leave of the pool."""
    if d.pool_fen is None:
        return None
    allowed = sum(b.amount_fen or 0 for b in buckets_of(d) if b.kind == "dividend")
    return fen_to_yuan(allowed - (d.paid_out_fen if d.paid_out_fen is not None else d.pool_fen))
