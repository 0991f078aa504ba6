"""Publishing a computed list behind a resolved decision, its seal, and the objections raised during the 公示.

A 收益分配方案 is approved by the members' assembly or the members' representatives' assembly (农村集体经济组织法
第26、28条); the list is published only on such a resolution, then sealed (SHA-256 over its canonical JSON, chained to
the village's previous seal) and shown for the publicity period. The board shows 户号, the head's masked name,
shares and amount; never an ID number, a phone number or a member's name.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from backend import decisions, ledger, notices, registry
from backend.core import audit, objections
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, not_found, unprocessable
from backend.core.identity import mask_name
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.seal import Seal, seal
from backend.dividends import pushes
from backend.dividends.computing import verify_register
from backend.dividends.models import Distribution, DividendLine, DividendObjection
from backend.dividends.plans import (
    APPROVING_BODIES,
    STATUS_LABELS,
    UNDISTRIBUTED_ACCOUNT,
    approving_decision,
    buckets_of,
    carried_forward,
    component_view,
    components_of,
    lock_distribution,
    percent_text,
)

PUBLICITY_DAYS = registry.settings.declare("dividends.publicity_days", "分红名单公示天数", 7, 1, 60, "天")


# ---------------------------------------------------------------- publishing


def _decision_ok(d: Distribution, decision_id: int) -> decisions.DecisionRef:
    return approving_decision(d.village_id, decision_id)


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


def publish(d: Distribution, decision_id: int | None, *, actor: Principal | None) -> Distribution:
    """Publish on ``decision_id``, or on the decision the plan was drafted with when none is given."""
    lock_distribution(d)
    if d.status != "computed":
        raise conflict("dividend.not_computed", "请先计算分红名单，核对无误后再公布" if d.status == "draft"
                       else f"分配方案{STATUS_LABELS[d.status]}，不能再公布")
    decision_id = decision_id if decision_id is not None else d.decision_id
    if decision_id is None:
        raise unprocessable("dividend.decision_required", "请选择通过本方案的成员（代表）大会决议",
                            fields={"decision_id": "请选择通过本方案的决议"})
    _decision_ok(d, decision_id)
    if not verify_register(d):
        raise conflict("dividend.register_changed", "股权登记簿与计算时不一致，请重新计算")
    _check_reserve_accounts(d)
    d.decision_id = decision_id
    d.published_at = utcnow()
    village = registry.get_village(d.village_id)
    d.publicity_until = today() + timedelta(days=registry.settings.get(village, PUBLICITY_DAYS.key) - 1)
    s = seal(d.village_id, "dividend_list", d.id, public_payload(d))
    d.seal_id = s.id
    d.status = "published"
    db.session.flush()
    audit.record("dividend.publish", "distribution", d.id, actor=actor, village_id=d.village_id,
                 after={"decision_id": decision_id, "seal": s.hash, "publicity_until": d.publicity_until.isoformat()})
    pushes.queue_published(d)  # each household on the list is told, in this transaction
    return d


_SORTS = {"household_number": DividendLine.household_number, "head_name": DividendLine.head_name,
          "shares": DividendLine.shares, "amount": DividendLine.amount_fen}


def lines_stmt(d: Distribution, sort: str = "household_number") -> Any:
    """The list, the collective's own line last; ``sort``: a column of ``_SORTS``, ``-`` before it for descending
    (ties by 户号)."""
    col = _SORTS[sort.lstrip("-")]
    order = col.desc() if sort.startswith("-") else col.asc()
    return (select(DividendLine).where(DividendLine.distribution_id == d.id)
            .order_by(DividendLine.household_id.is_(None), order, DividendLine.household_number))


def public_line(ln: DividendLine) -> dict[str, Any]:
    """What the board shows: 户号, the head's name masked, shares, amount — never an ID number (not even its last
    four: the 户号 tells namesakes apart), a phone number or a member's name."""
    detail = json.loads(ln.detail)
    return {
        "household_number": ln.household_number,
        "head_name": ln.head_name if ln.household_id is None else mask_name(ln.head_name),
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
        "buckets": [{"name": b.name, "kind": b.kind, "percent": percent_text(b.percent_bp),
                     "amount": fen_to_yuan(b.amount_fen or 0)} for b in buckets_of(d)],
        "components": [component_view(c) for c in components_of(d)],
        "pool": fen_to_yuan(d.pool_fen or 0),
        "carried_forward": carried_forward(d),
        "total": fen_to_yuan(d.paid_out_fen or 0),
        "lines": [public_line(ln) for ln in lines],
    }


def seal_heads(ds: Sequence[Distribution]) -> dict[int, tuple[str, str | None]]:
    """distribution id → its seal's (hash, previous hash), for the sealed ones, in one query of those two columns at
    most: the sealed text itself (the whole list) is never read where only the hashes are shown."""
    wanted = {d.seal_id for d in ds if d.seal_id}
    if not wanted:
        return {}
    heads = {i: (h, prev) for i, h, prev in db.session.execute(
        select(Seal.id, Seal.hash, Seal.prev_hash).where(Seal.id.in_(sorted(wanted))))}
    return {d.id: heads[d.seal_id] for d in ds if d.seal_id and d.seal_id in heads}


# ---------------------------------------------------------------- objections during 公示


ANSWER_DAYS = registry.settings.declare(*objections.ANSWER_DAYS)
ANSWER_PUSH = "answer_dividend"  # the outbox's kind of "your objection was answered" (object: the objection)


def raise_objection(d: Distribution, text: str, *, actor: Principal) -> DividendObjection:
    """An objection to the list while it is posted (published, up to and including ``publicity_until``); the
    answer is due ``objections.answer_days`` days after today."""
    if d.status != "published" or d.publicity_until is None or today() > d.publicity_until:
        until = f"（公示期到 {d.publicity_until.isoformat()}）" if d.publicity_until else ""
        raise conflict("dividend.not_in_publicity", f"现在不在分红名单公示期内{until}，不能提出异议")
    text = objections.text_of(text)
    days = registry.settings.get(registry.get_village(d.village_id), ANSWER_DAYS.key)
    o = DividendObjection(distribution_id=d.id, village_id=d.village_id, household_id=actor.household_id
                          if actor.village_id == d.village_id else None, raised_by_id=actor.person_id,
                          raised_by_name=actor.name, text=text, due_on=objections.due_on(today(), days))
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
    """The answer, once; the villager who raised it is sent a subscribe message (``answer_dividend``)."""
    o = objections.answer(o, answer, actor=actor, action="dividend.objection_answer",
                          object_type="dividend_objection", code="dividend.objection_answered")
    if o.raised_by_id is not None:
        d = db.session.get(Distribution, o.distribution_id)
        assert d is not None and o.answered_at is not None
        notices.queue_push(ANSWER_PUSH, o.id, [o.raised_by_id], template=notices.template_for("answer"),
                           data={"thing1": notices.thing(f"对{d.title}的异议"), "thing2": notices.thing(o.answer or ""),
                                 "time3": notices.time_text(o.answered_at)},
                           page=f"pages/dividend/dividend?id={d.id}")
    return o


def overdue_objections(village_ids: list[int]) -> list[dict[str, Any]]:
    """Unanswered objections past their due date in these villages, for the township's 待办/预警 (not those of a
    list since cancelled: there is nothing left to pay out on it)."""
    if not village_ids:
        return []
    rows = db.session.execute(
        select(DividendObjection, Distribution.title)
        .join(Distribution, Distribution.id == DividendObjection.distribution_id)
        .where(DividendObjection.village_id.in_(village_ids), DividendObjection.answered_at.is_(None),
               Distribution.status != "cancelled",
               DividendObjection.due_on < today()).order_by(DividendObjection.id)).all()
    return [{"id": o.id, "village_id": o.village_id, "record_id": o.distribution_id, "title": title,
             "due_on": o.due_on} for o, title in rows]


def objections_of(d: Distribution) -> list[DividendObjection]:
    return list(db.session.execute(
        select(DividendObjection).where(DividendObjection.distribution_id == d.id).order_by(DividendObjection.id)
    ).scalars())


def objection_view(o: DividendObjection, *, staff: bool) -> dict[str, Any]:
    return objections.view(o, staff=staff)


def approving_decisions(village_id: int) -> list[decisions.DecisionRef]:
    """The village's resolved decisions a plan may be published on (成员大会 or 成员代表大会), newest first: what
    the console offers to pick by title."""
    refs = (decisions.get_ref(village_id, d.id) for d in decisions.decisions_of([village_id]))
    return [r for r in refs if r is not None and r.resolved and r.resolved_on is not None
            and r.body in APPROVING_BODIES and r.resolved_on <= today()]
