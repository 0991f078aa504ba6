"""What a resolved decision's amount allows: the expenses posted citing a decision never add up to more than the
amount it states (exactly the amount is allowed; a decision without an amount sets no cap). What counts as spending
is :func:`backend.ledger.service.expense_of`'s rule: debits less credits to expense accounts and to capital spending
(固定资产, 在建工程, 长期待摊费用). A reversed voucher and its reversal count for nothing. Posts citing one decision
queue on a per-decision lock (PostgreSQL), so two at once cannot both fit in what remains."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, text

from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.money import fen_to_yuan
from backend.decisions import DecisionRef, decisions_of, get_ref
from backend.ledger.models import Account, Voucher, VoucherLine
from backend.registry import Village


def cited_decision(village_id: int, ref_text: str | None) -> DecisionRef | None:
    """The decision a voucher's reference names, if it names one of the village's (None otherwise, or if blank)."""
    ref_text = (ref_text or "").strip()
    # a decision number is its id: ASCII digits that fit a BIGINT ("²".isdigit() is True, int("²") fails)
    if not (ref_text.isascii() and ref_text.isdigit() and len(ref_text) <= 18):
        return None
    return get_ref(village_id, int(ref_text))


def _spending() -> ColumnElement[bool]:
    """The lines that spend (as :func:`expense_of` counts them): expense accounts and capital spending."""
    return or_(Account.klass == "expense", func.substr(Account.code, 1, 3).in_(("151", "153", "171")))


def decision_spent(village_id: int, decision_ids: Iterable[int]) -> dict[int, int]:
    """What the village's posted vouchers citing each decision spend, in fen (decisions with nothing spent are
    absent). A reversed voucher and its reversal count for nothing: the original is left out, and a reversal
    (which points to what it reverses) is never counted, whatever it cites."""
    refs = {str(i): i for i in decision_ids}
    if not refs:
        return {}
    reversed_ids = select(Voucher.reverses_id).where(
        Voucher.village_id == village_id, Voucher.reverses_id.is_not(None)
    )
    rows = db.session.execute(
        select(Voucher.decision_ref, func.sum(VoucherLine.debit_fen - VoucherLine.credit_fen))
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(
            Voucher.village_id == village_id,
            Voucher.status == "posted",
            Voucher.decision_ref.in_(list(refs)),
            Voucher.reverses_id.is_(None),
            Voucher.id.not_in(reversed_ids),
            _spending(),
        )
        .group_by(Voucher.decision_ref)
    ).all()
    return {refs[ref]: int(total or 0) for ref, total in rows if ref in refs}


def _lock_decision(decision_id: int) -> None:
    """Queue the posts citing one decision until commit (PostgreSQL; SQLite has one writer at a time), so that two
    vouchers posted at once cannot both fit in what remains of its amount."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:ns, :key)"), {"ns": 190019, "key": decision_id & 0x7FFFFFFF}
        )


def check_decision_amount(village: Village, ref: DecisionRef, spending: int) -> None:
    """422 if spending ``spending`` fen more under the decision ``ref`` takes what the village's posted vouchers
    have spent under it beyond the amount the decision states (exactly the amount is allowed; a decision without
    an amount sets no cap; a voucher that spends nothing or gives money back is never refused)."""
    if ref.amount_fen is None or spending <= 0:
        return
    _lock_decision(ref.id)
    spent = decision_spent(village.id, [ref.id]).get(ref.id, 0)
    if spent + spending <= ref.amount_fen:
        return
    remaining = max(ref.amount_fen - spent, 0)
    over = spent + spending - ref.amount_fen
    message = (
        f"决议“{ref.title}”批准的金额为 {fen_to_yuan(ref.amount_fen)} 元，已支出 {fen_to_yuan(spent)} 元，"
        f"尚余 {fen_to_yuan(remaining)} 元；本凭证支出 {fen_to_yuan(spending)} 元，超出 {fen_to_yuan(over)} 元，"
        "不能记账。超出部分须另经四议两公开决议"
    )
    raise unprocessable(
        "ledger.decision_amount_exceeded",
        message,
        decision_id=ref.id,
        title=ref.title,
        amount=fen_to_yuan(ref.amount_fen),
        spent=fen_to_yuan(spent),
        remaining=fen_to_yuan(remaining),
        voucher_amount=fen_to_yuan(spending),
        fields={"decision_ref": message},
    )


def decision_budgets(village_id: int) -> list[dict[str, Any]]:
    """The village's resolved decisions a voucher may cite, newest first, each with its amount, what the posted
    vouchers have spent under it and what remains (None when the decision states no amount)."""
    resolved = [d for d in decisions_of([village_id]) if d.status in ("resolved", "done")]
    spent = decision_spent(village_id, [d.id for d in resolved])
    out = []
    for d in resolved:
        used = spent.get(d.id, 0)
        out.append({
            "id": d.id,
            "title": d.title,
            "category": d.category,
            "resolved_on": d.resolved_on,
            "amount_fen": d.amount_fen,
            "spent_fen": used,
            "remaining_fen": None if d.amount_fen is None else d.amount_fen - used,
        })
    return out
