"""How a distribution reads: the plan to staff and to the village, a line of the list to staff, and a household's
own dividends and statements (docs/api.md ``GET /me/dividends``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, select

from backend import decisions
from backend.core import objections
from backend.core.clock import to_iso, today
from backend.core.db import db
from backend.core.errors import not_found
from backend.core.money import fen_to_yuan
from backend.core.seal import Seal
from backend.core.shared_pages import shared_read
from backend.dividends.models import Distribution, DividendComponent, DividendLine
from backend.dividends.payout import payment_summary
from backend.dividends.plans import (
    STATUS_LABELS,
    ComponentRow,
    buckets_of,
    carried_forward,
    component_view,
    components_by_distribution,
    components_of,
    declaration_per_share,
    per_share_exact,
    per_share_text,
    percent_text,
    shared_components,
)
from backend.dividends.publishing import objections_of, seal_heads
from backend.dividends.shares import service as register


def distribution_view(d: Distribution, *, staff: bool, person_id: int | None = None) -> dict[str, Any]:
    """The plan as ``staff`` or a villager (``person_id``) sees it: a villager sees the objections' counts and
    their own objections only (``objections`` keeps its place in the contract, holding just theirs)."""
    s = seal_heads([d]).get(d.id)
    ref = decisions.get_ref(d.village_id, d.decision_id) if d.decision_id else None
    out: dict[str, Any] = {
        "id": d.id,
        "village_id": d.village_id,
        "year": d.year,
        "title": d.title,
        "status": d.status,
        "status_label": STATUS_LABELS[d.status],
        "decision_id": d.decision_id,
        "decision_title": ref.title if ref else None,
        "decision_resolved_on": ref.resolved_on if ref else None,
        "record_date": d.record_date,
        "register_hash": d.register_hash,
        "distributable": fen_to_yuan(d.distributable_fen) if d.distributable_fen is not None else None,
        "excluded": fen_to_yuan(d.excluded_fen),
        "excluded_note": d.excluded_note,
        "dividend_total": fen_to_yuan(d.dividend_total_fen) if d.dividend_total_fen is not None else None,
        "pool": fen_to_yuan(d.pool_fen) if d.pool_fen is not None else None,
        "carried_forward": carried_forward(d),
        "total": fen_to_yuan(d.paid_out_fen) if d.paid_out_fen is not None else None,
        "total_shares": d.total_shares,
        "households": d.households,
        "per_share": declaration_per_share(d),
        "buckets": [{"name": b.name, "kind": b.kind, "percent": percent_text(b.percent_bp), "percent_bp": b.percent_bp,
                     "purpose": b.purpose, "account_code": b.account_code,
                     "amount": fen_to_yuan(b.amount_fen) if b.amount_fen is not None else None}
                    for b in buckets_of(d)],
        "components": [component_view(c) for c in components_of(d)],
        "published_at": to_iso(d.published_at),
        "publicity_until": d.publicity_until,
        "seal": s[0] if s else None,
        "prev_seal": s[1] if s else None,
        "paid_at": to_iso(d.paid_at),
    }
    out.update(objections.public(objections_of(d) if d.published_at else [], staff=staff, person_id=person_id))
    if staff:
        out.update(payment_summary(d))
        out["accrual_voucher_id"] = d.accrual_voucher_id
        out["cancelled_reason"] = d.cancelled_reason
    return out


def distribution_items(ds: Sequence[Distribution]) -> list[dict[str, Any]]:
    """A page of plans as the list shows them (``DistributionItemSchema``): the few fields of each, with its
    per-share amount and seal read once for the whole page."""
    comps = components_by_distribution([d.id for d in ds])
    seals = seal_heads(ds)
    return [{"id": d.id, "year": d.year, "title": d.title, "status": d.status, "status_label": STATUS_LABELS[d.status],
             "total": fen_to_yuan(d.paid_out_fen) if d.paid_out_fen is not None else None,
             "per_share": declaration_per_share(d, comps[d.id]), "published_at": to_iso(d.published_at),
             "seal": s[0] if (s := seals.get(d.id)) else None}
            for d in ds]


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
                     comps: Sequence[DividendComponent | ComponentRow] | None = None) -> dict[str, Any]:
    return {
        "declaration": {"id": d.id, "year": d.year, "title": d.title, "per_share": declaration_per_share(d, comps)},
        "household_shares": ln.shares,
        "amount": fen_to_yuan(ln.amount_fen),
        "status": "paid" if ln.paid_at is not None else "announced",
        "paid_at": to_iso(ln.paid_at),
        "paid_on": ln.paid_on,
    }


def statement(d: Distribution, ln: DividendLine, person_id: int | None = None, *,
              seal: str | None = None) -> dict[str, Any]:
    """One household's statement of one distribution: shares by type (and by member), what each kind of dividend
    gives per share, the total, and when it was paid; while the list is posted (公示) whether one may object, and
    the objections' counts with the reader's own. ``seal``: the hash of the list's seal (read with the plan)."""
    detail = json.loads(ln.detail)
    share_types = _share_types(d.village_id)
    types = {code: name for _, code, name in share_types}
    codes = {tid: code for tid, code, _ in share_types}
    comps = shared_components((d.id,))[d.id]
    parts = []
    fixed_iter = iter(detail["fixed"])
    for c in comps:
        amount = detail["equity"] if c.kind == "equity" else next(fixed_iter)
        if c.kind == "fixed_per_share":
            units = detail["by_type"].get(codes.get(c.share_type_id), 0)
        elif c.kind == "fixed_per_member":
            units = ln.members
        else:
            units = ln.shares
        parts.append({"kind": c.kind, "label": c.label, "per_share": per_share_text(c),
                      "per_share_exact": per_share_exact(c), "units": units, "amount": fen_to_yuan(amount)})
    return {
        "declaration": {"id": d.id, "year": d.year, "title": d.title, "per_share": declaration_per_share(d, comps),
                        "record_date": d.record_date, "decision_id": d.decision_id,
                        "seal": seal},
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
        "publicity_until": d.publicity_until,
        "in_publicity": d.status == "published" and d.publicity_until is not None and today() <= d.publicity_until,
        **{k: v for k, v in objections.public(objections_of(d), staff=False, person_id=person_id).items()
           if k != "objections"},
    }


@shared_read
def _share_types(village_id: int) -> tuple[tuple[int, str, str], ...]:
    """(id, code, name) of the village's share types (the same for every reader)."""
    return tuple((st.id, st.code, st.name) for st in register.share_types(village_id))


def my_dividends(household_id: int | None, page: int, page_size: int) -> dict[str, Any]:
    """A page of the household's dividends, newest first; none for a person without a household."""
    rows = household_lines(household_id) if household_id else []
    start = (page - 1) * page_size
    shown = rows[start : start + page_size]
    comps = shared_components(tuple(d.id for d, _ in shown))  # one query for the page, not one each; kept
    items = [my_dividend_item(d, ln, comps[d.id]) for d, ln in shown]
    return {"items": items, "total": len(rows), "page": page, "page_size": page_size}


def my_statement(distribution_id: int, household_id: int | None, person_id: int | None = None) -> dict[str, Any]:
    """The household's statement of a published distribution; 404 for a plan not published or without its line."""
    row = None if household_id is None else db.session.execute(  # the plan, the line and the seal's hash at once
        select(Distribution, DividendLine, Seal.hash).outerjoin(DividendLine, and_(
            DividendLine.distribution_id == Distribution.id, DividendLine.household_id == household_id))
        .outerjoin(Seal, Seal.id == Distribution.seal_id)
        .where(Distribution.id == distribution_id)).first()
    d, ln, seal = row if row is not None else (None, None, None)
    if d is None or household_id is None or d.status not in ("published", "paying", "paid"):
        raise not_found("dividend.not_found", "找不到该分配方案")
    if ln is None:
        raise not_found("dividend.no_line", "这次分配中没有您家的分红")
    return statement(d, ln, person_id, seal=seal)
