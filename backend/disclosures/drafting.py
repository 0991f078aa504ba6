"""Drafting a 财务公开 from the closed books, and drafting an erratum of a published one.

- only a period (``YYYY-MM`` or ``YYYY-Qn``) whose months are all closed can be disclosed, so the figures cannot
  move under it; the content is frozen when drafted (:func:`snapshot`), and drafting again refreshes it until it
  is approved;
- one published disclosure per village and period, errata aside: a published period is corrected by an erratum,
  a new disclosure that cites it and goes through the same review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import ledger, registry
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.errors import conflict
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.decisions import get_ref
from backend.disclosures.models import Disclosure
from backend.disclosures.periods import months_of, period_label
from backend.disclosures.review import lock_disclosure
from backend.registry import Village

UNCATEGORISED = "未分类"


def default_title(village: Village, period: str) -> str:
    return f"{village.name}{period_label(period)}财务收支公开"


# ---------------------------------------------------------------- the frozen content


def _decision(village_id: int, ref: str | None) -> dict[str, Any] | None:
    """The decision a large expense cites, as the disclosure shows it (its number alone when it is not found)."""
    if not ref:
        return None
    d = get_ref(village_id, int(ref)) if ref.isascii() and ref.isdigit() else None
    if d is None:
        return {"id": None, "ref": ref, "title": None, "resolved_on": None, "amount": None}
    return {
        "id": d.id,
        "ref": ref,
        "title": d.title,
        "resolved_on": d.resolved_on.isoformat() if d.resolved_on else None,
        "amount": fen_to_yuan(d.amount_fen) if d.amount_fen is not None else None,
    }


def _category_order(name: str) -> tuple[int, str]:
    order = (*ledger.INCOME_CATEGORIES, *ledger.EXPENSE_CATEGORIES)
    return (order.index(name), "") if name in order else (len(order), name)


@dataclass(frozen=True)
class Snapshot:
    content: dict[str, Any]
    income_fen: int
    expense_fen: int


def snapshot(village: Village, period: str) -> Snapshot:
    """Every income and expense line of the period's posted vouchers, totals, categories, large items.

    Income is the credit-side movement of an income-class account, expense the debit-side movement of an
    expense-class account; a reversal therefore shows as a negative line. 409 unless every month is closed.
    """
    months = months_of(period)
    closed = set(ledger.closed_periods(village.id))
    open_months = [m for m in months if m not in closed]
    if open_months:
        raise conflict(
            "disclosure.period_open",
            f"{'、'.join(open_months)} 尚未结账，结账后才能编制财务公开",
            open_months=open_months,
        )
    books = ledger.income_and_expense(village, months)
    lines: list[dict[str, Any]] = []
    by_cat: dict[str, list[int]] = {}
    income = expense = 0
    for ln in books.lines:
        category = ln.category or UNCATEGORISED
        by_cat.setdefault(category, [0, 0])[0 if ln.income else 1] += ln.amount_fen
        if ln.income:
            income += ln.amount_fen
        else:
            expense += ln.amount_fen
        lines.append(
            {
                "line_no": len(lines) + 1,
                "date": ln.on.isoformat(),
                "voucher_no": ln.voucher_no,
                "summary": ln.summary,
                "account": ln.account,
                "category": category,
                "income": fen_to_yuan(ln.amount_fen if ln.income else 0),
                "expense": fen_to_yuan(0 if ln.income else ln.amount_fen),
            }
        )
    large = [
        {
            "date": item.on.isoformat(),
            "voucher_no": item.voucher_no,
            "summary": item.summary,
            "amount": fen_to_yuan(item.spent_fen),
            "decision": _decision(village.id, item.decision_ref),
        }
        for item in books.large_expenses
    ]
    content = {
        "village": {"code": village.code, "name": village.name},
        "lines": lines,
        "income_total": fen_to_yuan(income),
        "expense_total": fen_to_yuan(expense),
        "by_category": [
            {"category": c, "income": fen_to_yuan(t[0]), "expense": fen_to_yuan(t[1])}
            for c, t in sorted(by_cat.items(), key=lambda kv: _category_order(kv[0]))
        ],
        "large_items": large,
        "large_expense_threshold": fen_to_yuan(books.threshold_fen),
    }
    return Snapshot(content, income, expense)


# ---------------------------------------------------------------- drafting


def _state(d: Disclosure) -> dict[str, Any]:
    return {"status": d.status, "period": d.period, "income_total_fen": d.income_total_fen,
            "expense_total_fen": d.expense_total_fen}


def _fill(d: Disclosure, snap: Snapshot, actor: Principal | None) -> None:
    d.content = json.dumps(snap.content, ensure_ascii=False, sort_keys=True)
    d.income_total_fen, d.expense_total_fen = snap.income_fen, snap.expense_fen
    d.prepared_by_id = actor.person_id if actor else None
    d.prepared_by_name = actor.name if actor else None
    d.drafted_at = utcnow()
    d.status = "draft"


def _refuse_refresh(d: Disclosure) -> None:
    if d.status == "published":
        raise conflict(
            "disclosure.published", "这份财务公开已经公开，不能再修改；如有错误请发布更正", disclosure_id=d.id
        )
    if d.status == "approved":
        raise conflict(
            "disclosure.approved",
            "这份财务公开已经审核通过，不能重新生成；如需修改请监督委员会先退回",
            disclosure_id=d.id,
        )


def _insert(d: Disclosure) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(d)
            db.session.flush()
    except IntegrityError as exc:
        raise conflict("disclosure.busy", "这一期的财务公开正在由别人编制，请刷新后重试") from exc


def draft_disclosure(
    village: Village, period: str, title: str | None, *, actor: Principal | None
) -> tuple[Disclosure, bool]:
    """Draft the period's disclosure, or refresh the draft in the works; returns it and whether it is new."""
    months_of(period)
    published = db.session.execute(
        select(Disclosure.id).where(
            Disclosure.village_id == village.id,
            Disclosure.period == period,
            Disclosure.status == "published",
            Disclosure.corrects_id.is_(None),
        )
    ).scalar_one_or_none()
    if published is not None:
        raise conflict(
            "disclosure.published",
            f"{period} 的财务公开已经公开，不能重新编制；如有错误请发布更正",
            disclosure_id=published,
        )
    current = db.session.execute(
        select(Disclosure)
        .where(
            Disclosure.village_id == village.id,
            Disclosure.period == period,
            Disclosure.status != "published",
            Disclosure.corrects_id.is_(None),
        )
        .with_for_update()
    ).scalar_one_or_none()
    if current is not None:
        _refuse_refresh(current)
    snap = snapshot(village, period)
    if current is not None:
        before = _state(current)
        _fill(current, snap, actor)
        if title:
            current.title = title
        db.session.flush()
        audit.record("disclosure.redraft", "disclosure", current.id, actor=actor, village_id=village.id,
                     before=before, after=_state(current))
        return current, False
    d = Disclosure(village_id=village.id, period=period, title=title or default_title(village, period))
    _fill(d, snap, actor)
    _insert(d)
    audit.record("disclosure.draft", "disclosure", d.id, actor=actor, village_id=village.id, after=_state(d))
    return d, True


def draft_erratum(
    original: Disclosure, reason: str, title: str | None, *, actor: Principal | None
) -> tuple[Disclosure, bool]:
    """A correction of a published disclosure: a new disclosure of the same period that cites it.

    It goes through the same approval; drafting it again refreshes it until it is approved.
    """
    lock_disclosure(original)
    if original.status != "published":
        raise conflict("disclosure.not_published", "只能更正已经公开的财务公开")
    village = registry.get_village(original.village_id)
    current = db.session.execute(
        select(Disclosure).where(Disclosure.corrects_id == original.id).with_for_update()
    ).scalar_one_or_none()
    if current is not None:
        if current.status == "published":
            raise conflict(
                "disclosure.already_corrected",
                "这份财务公开已经更正过；如更正仍有错误，请对更正公告再做更正",
                corrected_by=current.id,
            )
        _refuse_refresh(current)
    snap = snapshot(village, original.period)
    if current is not None:
        before = _state(current)
        _fill(current, snap, actor)
        current.erratum_reason = reason
        if title:
            current.title = title
        db.session.flush()
        audit.record("disclosure.redraft", "disclosure", current.id, actor=actor, village_id=village.id,
                     before=before, after={**_state(current), "corrects_id": original.id})
        return current, False
    d = Disclosure(
        village_id=village.id,
        period=original.period,
        title=title or f"更正：{original.title}"[:100],
        corrects_id=original.id,
        erratum_reason=reason,
    )
    _fill(d, snap, actor)
    _insert(d)
    audit.record("disclosure.erratum", "disclosure", d.id, actor=actor, village_id=village.id,
                 after={**_state(d), "corrects_id": original.id, "reason": reason})
    return d, True
