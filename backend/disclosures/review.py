"""Review and publication of a 财务公开: the village supervision committee (村务监督委员会) signs off or returns a
draft (民主理财), and an approved disclosure is published with a seal.

- the person who drafted a disclosure cannot approve (or return) it, whatever roles they hold;
- only an approved disclosure is published; publishing seals the frozen content, the names and the time into the
  village's seal chain (:func:`sealed_payload`: anyone can recompute the seal from it); a published disclosure
  never changes;
- one published disclosure per village and period, errata aside.

Reviewers read a disclosure with each line's vouchers (:func:`with_vouchers`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import ledger
from backend.core import audit
from backend.core.clock import to_iso, utcnow
from backend.core.db import db
from backend.core.errors import conflict, forbidden, not_found
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.seal import seal
from backend.disclosures.models import Disclosure


def lock_disclosure(d: Disclosure) -> None:
    """Lock ``d``'s row for a change of state and read it afresh, so that two reviewers or publishers act one after
    the other (PostgreSQL; SQLite serialises writers anyway)."""
    locked = db.session.execute(
        select(Disclosure).where(Disclosure.id == d.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if locked is None:
        raise not_found("disclosure.not_found", "找不到该财务公开")


def sealed_payload(d: Disclosure) -> dict[str, Any]:
    """What publishing seals, rebuilt from the row: anyone can recompute the seal from it."""
    c = d.content_data()
    corrects = None
    if d.corrects_id is not None:
        original = db.session.get(Disclosure, d.corrects_id)
        assert original is not None and original.seal is not None
        corrects = {"id": original.id, "seal": original.seal.hash}
    return {
        "kind": "disclosure",
        "id": d.id,
        "village": c["village"],
        "period": d.period,
        "title": d.title,
        "lines": c["lines"],
        "income_total": c["income_total"],
        "expense_total": c["expense_total"],
        "by_category": c["by_category"],
        "large_items": c["large_items"],
        "large_expense_threshold": c["large_expense_threshold"],
        "prepared_by": d.prepared_by_name,
        "approved_by": d.approved_by_name,
        "published_at": to_iso(d.published_at),
        "corrects": corrects,
        "erratum_reason": d.erratum_reason,
    }


def _not_the_drafter(d: Disclosure, actor: Principal) -> None:
    if d.prepared_by_id is not None and d.prepared_by_id == actor.person_id:
        raise forbidden("disclosure.same_person", "编制人不能审核自己编制的财务公开，请由其他监督委员审核")


def approve(d: Disclosure, *, actor: Principal) -> Disclosure:
    """The supervision committee signs off (民主理财): the content is true and complete."""
    lock_disclosure(d)
    if d.status == "published":
        raise conflict("disclosure.published", "这份财务公开已经公开，不能再审核")
    if d.status == "approved":
        raise conflict("disclosure.already_approved", "这份财务公开已经审核通过")
    if d.status == "returned":
        raise conflict("disclosure.returned", "这份财务公开已被退回，请会计重新编制后再审核")
    _not_the_drafter(d, actor)
    d.status = "approved"
    d.approved_by_id, d.approved_by_name, d.approved_at = actor.person_id, actor.name, utcnow()
    db.session.flush()
    audit.record("disclosure.approve", "disclosure", d.id, actor=actor, village_id=d.village_id,
                 before={"status": "draft"}, after={"status": "approved"})
    return d


def return_disclosure(d: Disclosure, reason: str, *, actor: Principal) -> Disclosure:
    """Send it back to the accountant with the reason (also after approving, until it is published)."""
    lock_disclosure(d)
    if d.status == "published":
        raise conflict("disclosure.published", "这份财务公开已经公开，不能退回；如有错误请发布更正")
    if d.status == "returned":
        raise conflict("disclosure.returned", "这份财务公开已经退回，正在等待重新编制")
    _not_the_drafter(d, actor)
    before = d.status
    d.status, d.return_reason, d.returned_by_id = "returned", reason, actor.person_id
    d.approved_by_id = d.approved_by_name = d.approved_at = None
    db.session.flush()
    audit.record("disclosure.return", "disclosure", d.id, actor=actor, village_id=d.village_id,
                 before={"status": before}, after={"status": "returned", "reason": reason})
    return d


def publish(d: Disclosure, *, actor: Principal | None) -> Disclosure:
    """Seal the approved disclosure into the village's chain and make it visible to the village."""
    lock_disclosure(d)
    if d.status == "published":
        raise conflict("disclosure.published", "这份财务公开已经公开过了")
    if d.status != "approved":
        raise conflict("disclosure.not_approved", "须经村务监督委员会审核通过后才能公开")
    if d.corrects_id is None:
        other = db.session.execute(
            select(Disclosure.id).where(
                Disclosure.village_id == d.village_id,
                Disclosure.period == d.period,
                Disclosure.status == "published",
                Disclosure.corrects_id.is_(None),
            )
        ).scalar_one_or_none()
        if other is not None:
            raise conflict("disclosure.period_published", f"{d.period} 已有公开的财务公开，如需修改请发布更正",
                           disclosure_id=other)
    d.published_at = utcnow().replace(microsecond=0)
    d.published_by_id = actor.person_id if actor else None
    s = seal(d.village_id, "disclosure", d.id, sealed_payload(d))
    d.seal_id, d.status = s.id, "published"
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:
        raise conflict("disclosure.period_published", f"{d.period} 已有公开的财务公开，如需修改请发布更正") from exc
    audit.record("disclosure.publish", "disclosure", d.id, actor=actor, village_id=d.village_id,
                 before={"status": "approved"}, after={"status": "published", "seal": s.hash, "seq": s.seq})
    return d


def with_vouchers(d: Disclosure, view: dict[str, Any]) -> dict[str, Any]:
    """``view`` (a disclosure's detail) with each line's vouchers, as the supervision committee checks them before
    signing off: the posted voucher the line's number names (one query for all lines; a line whose voucher cannot be
    found, which a posted book does not allow, has none)."""
    found = ledger.vouchers_by_number(d.village_id, {ln["voucher_no"] for ln in view["lines"]})
    lines = []
    for ln in view["lines"]:
        v = found.get(ln["voucher_no"])
        vouchers = [] if v is None else [{"id": v.id, "number": v.number, "date": v.on.isoformat(),
                                          "summary": v.summary, "amount": fen_to_yuan(v.total_fen)}]
        lines.append({**ln, "vouchers": vouchers})
    return {**view, "lines": lines}
