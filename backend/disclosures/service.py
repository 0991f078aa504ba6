"""财务公开: draft from the closed books → supervision committee approves (or returns) → publish with a seal.

Rules enforced here and, where a database can, there too (see disclosure_models.py):
- only a period (``YYYY-MM`` or ``YYYY-Qn``) whose months are all closed can be disclosed, so the figures cannot
  move under it; the content is frozen when drafted, and drafting again refreshes it until it is approved;
- the person who drafted a disclosure cannot approve (or return) it, whatever roles they hold;
- only an approved disclosure is published; publishing seals the frozen content, the names and the time into the
  village's seal chain; a published disclosure never changes — an erratum is a new disclosure that cites it;
- one published disclosure per village and period, errata aside;
- villagers ask about a published line; the village answers within ``ledger.question_answer_days`` days.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from backend.core import audit
from backend.core.clock import to_iso, today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, forbidden, not_found, unprocessable
from backend.core.money import fen_to_yuan, yuan_to_fen
from backend.core.permissions import Principal
from backend.core.seal import Seal, seal
from backend.decisions.pipeline import refs as decisions
from backend.disclosures.models import Disclosure, DisclosureQuestion
from backend.disclosures.printing import DisclosureDoc, DisclosureLine, LargeItem
from backend.ledger import service as ledger
from backend.ledger.chart import EXPENSE_CATEGORIES, INCOME_CATEGORIES
from backend.ledger.models import Voucher, VoucherLine
from backend.registry import service as registry
from backend.registry import settings
from backend.registry.models import Person, Village

PERIOD_RE = re.compile(r"^(\d{4})-(?:(0[1-9]|1[0-2])|Q([1-4]))\Z", re.ASCII)
UNCATEGORISED = "未分类"
_QUARTER_NAMES = "一二三四"


# ---------------------------------------------------------------- periods


def months_of(period: str) -> list[str]:
    """``2026-03`` → [2026-03]; ``2026-Q1`` → [2026-01, 2026-02, 2026-03]; else 422."""
    m = PERIOD_RE.match(period or "")
    if not m:
        raise unprocessable(
            "disclosure.period_format", "公开期间应为月份 YYYY-MM 或季度 YYYY-Qn，如 2026-03 或 2026-Q1"
        )
    year, month, quarter = m.groups()
    if month:
        return [period]
    first = (int(quarter) - 1) * 3 + 1
    return [f"{year}-{mm:02d}" for mm in range(first, first + 3)]


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def previous_quarter(on: date) -> str:
    """The last completed quarter on a given day: 2026-05-10 → 2026-Q1; 2026-02-01 → 2025-Q4."""
    q = (on.month - 1) // 3 + 1
    return f"{on.year}-Q{q - 1}" if q > 1 else f"{on.year - 1}-Q4"


def period_label(period: str) -> str:
    months_of(period)
    if "Q" in period:
        return f"{period[:4]}年第{_QUARTER_NAMES[int(period[6]) - 1]}季度"
    return f"{period[:4]}年{int(period[5:7])}月"


def default_title(village: Village, period: str) -> str:
    return f"{village.name}{period_label(period)}财务收支公开"


# ---------------------------------------------------------------- the frozen content


def _voucher_no(v: Voucher) -> str:
    return f"{v.period}-{v.number:03d}"


def _decision(village_id: int, ref: str | None) -> dict[str, Any] | None:
    if not ref:
        return None
    d = decisions.get_ref(village_id, int(ref)) if ref.isdigit() else None
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
    order = (*INCOME_CATEGORIES, *EXPENSE_CATEGORIES)
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
    by_id = {a.id: a for a in ledger.accounts(village.id)}
    vouchers = db.session.execute(
        select(Voucher)
        .where(Voucher.village_id == village.id, Voucher.period.in_(months), Voucher.status == "posted")
        .options(selectinload(Voucher.lines).joinedload(VoucherLine.account))
        .order_by(Voucher.voucher_date, Voucher.period, Voucher.number)
    ).scalars()
    threshold = settings.get(village, ledger.LARGE_EXPENSE.key)
    lines: list[dict[str, Any]] = []
    by_cat: dict[str, list[int]] = {}
    large: list[dict[str, Any]] = []
    income = expense = 0
    for v in vouchers:
        for ln in v.lines:
            acc = by_id[ln.account_id]
            if acc.klass not in ("income", "expense"):
                continue
            is_income = acc.klass == "income"
            amount = ln.credit_fen - ln.debit_fen if is_income else ln.debit_fen - ln.credit_fen
            category = ledger.category_of(acc, by_id) or UNCATEGORISED
            totals = by_cat.setdefault(category, [0, 0])
            totals[0 if is_income else 1] += amount
            if is_income:
                income += amount
            else:
                expense += amount
            lines.append(
                {
                    "line_no": len(lines) + 1,
                    "date": v.voucher_date.isoformat(),
                    "voucher_no": _voucher_no(v),
                    "summary": ln.summary or v.summary,
                    "account": f"{acc.code} {acc.name}",
                    "category": category,
                    "income": fen_to_yuan(amount if is_income else 0),
                    "expense": fen_to_yuan(0 if is_income else amount),
                }
            )
        spent = ledger.expense_total(v)
        if v.reverses_id is None and spent > threshold:
            large.append(
                {
                    "date": v.voucher_date.isoformat(),
                    "voucher_no": _voucher_no(v),
                    "summary": v.summary,
                    "amount": fen_to_yuan(spent),
                    "decision": _decision(village.id, v.decision_ref),
                }
            )
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
        "large_expense_threshold": fen_to_yuan(threshold),
    }
    return Snapshot(content, income, expense)


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


# ---------------------------------------------------------------- review and publication


def _not_the_drafter(d: Disclosure, actor: Principal) -> None:
    if d.prepared_by_id is not None and d.prepared_by_id == actor.person_id:
        raise forbidden("disclosure.same_person", "编制人不能审核自己编制的财务公开，请由其他监督委员审核")


def approve(d: Disclosure, *, actor: Principal) -> Disclosure:
    """The supervision committee signs off (民主理财): the content is true and complete."""
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


# ---------------------------------------------------------------- reading


def get_disclosure(disclosure_id: int, *, lock: bool = False) -> Disclosure:
    """The disclosure (404 if none); ``lock`` for a change of state: the row is locked and read afresh, so two
    reviewers or publishers act one after the other (PostgreSQL; SQLite serialises writers anyway)."""
    stmt = select(Disclosure).where(Disclosure.id == disclosure_id).options(selectinload(Disclosure.seal))
    if lock:
        stmt = stmt.with_for_update(of=Disclosure).execution_options(populate_existing=True)
    d = db.session.execute(stmt).scalar_one_or_none()
    if d is None:
        raise not_found("disclosure.not_found", "找不到该财务公开")
    return d


def published_query(village_id: int) -> Any:
    """The village's published disclosures, newest first, with their seals' hashes (not their sealed texts)."""
    return (
        select(Disclosure)
        .where(Disclosure.village_id == village_id, Disclosure.status == "published")
        .options(selectinload(Disclosure.seal).load_only(Seal.hash, Seal.prev_hash))
        .order_by(Disclosure.published_at.desc(), Disclosure.id.desc())
    )


def all_query(village_id: int, status: str | None = None) -> Any:
    stmt = select(Disclosure).where(Disclosure.village_id == village_id).options(selectinload(Disclosure.seal))
    if status:
        stmt = stmt.where(Disclosure.status == status)
    return stmt.order_by(Disclosure.period.desc(), Disclosure.id.desc())


def corrected_by(d: Disclosure) -> int | None:
    """The published erratum that corrects ``d``, if any."""
    return db.session.execute(
        select(Disclosure.id).where(Disclosure.corrects_id == d.id, Disclosure.status == "published")
    ).scalar_one_or_none()


def _mask(name: str | None) -> str | None:
    if not name:
        return name
    return name[0] + "*" * (len(name) - 1)


def question_dict(q: DisclosureQuestion, asker: str | None, answerer: str | None, on: date) -> dict[str, Any]:
    return {
        "id": q.id,
        "disclosure_id": q.disclosure_id,
        "line_no": q.line_no,
        "text": q.text,
        "asked_by": _mask(asker),
        "asked_at": q.asked_at,
        "due_on": q.due_on,
        "overdue": q.answered_at is None and on > q.due_on,
        "answer": q.answer,
        "answered_by": answerer,
        "answered_at": q.answered_at,
    }


def _questions_stmt() -> Any:
    asker = aliased(Person)
    answerer = aliased(Person)
    return (
        select(DisclosureQuestion, asker.name, answerer.name)
        .join(asker, asker.id == DisclosureQuestion.asked_by_id)
        .outerjoin(answerer, answerer.id == DisclosureQuestion.answered_by_id)
        .where(DisclosureQuestion.disclosure_id.in_(bindparam("disclosure_ids", expanding=True)))
        .order_by(DisclosureQuestion.id)
    )


_QUESTIONS = _questions_stmt()  # built once: readers of a disclosure run it on every view


def questions_of(disclosure_ids: Sequence[int]) -> list[dict[str, Any]]:
    if not disclosure_ids:
        return []
    rows = db.session.execute(_QUESTIONS, {"disclosure_ids": list(disclosure_ids)}).all()
    on = today()
    return [question_dict(q, a, b, on) for q, a, b in rows]


# the fields of a published disclosure's detail that its seal fixes for ever (the rest: see open_fields)
SEALED_FIELDS = ("village", "income_total", "expense_total", "lines", "by_category", "large_items",
                 "large_expense_threshold", "seal", "prev_seal", "sealed_content")
_seals, _disclosures = Seal.__table__.c, Disclosure.__table__.c
_SEAL_HEAD = select(
    _seals.hash,
    _seals.prev_hash,
    select(_disclosures.id)
    .where(_disclosures.corrects_id == bindparam("disclosure_id"), _disclosures.status == "published")
    .scalar_subquery(),
).where(_seals.id == bindparam("seal_id"))
_SEALED_TEXT = select(_seals.canonical).where(_seals.id == bindparam("seal_id"))


def seal_head(d: Disclosure) -> tuple[str, str, int | None]:
    """(seal hash, previous seal hash, the published erratum that corrects it) of a published disclosure, in one
    small statement: the hash names the sealed content, so a reader can reuse what it made of that content."""
    h, prev, corrected = db.session.execute(_SEAL_HEAD, {"seal_id": d.seal_id, "disclosure_id": d.id}).one()
    return h, prev, corrected


def sealed_fields(seal_id: int, seal_hash: str, prev_hash: str) -> dict[str, Any]:
    """The ``SEALED_FIELDS`` of a published disclosure, from the sealed text itself (what was published is what is
    shown: ``sealed_payload`` copied them from the frozen content)."""
    canonical = db.session.execute(_SEALED_TEXT, {"seal_id": seal_id}).scalar_one()
    return _sealed_view(json.loads(canonical), seal_hash, prev_hash, canonical)


def _sealed_view(c: dict[str, Any], seal_hash: str | None, prev_hash: str | None,
                 canonical: str | None) -> dict[str, Any]:
    """The ``SEALED_FIELDS`` from a disclosure's content ``c`` and its seal (None while it is a draft)."""
    return {
        "village": c["village"],
        "income_total": c["income_total"],
        "expense_total": c["expense_total"],
        "lines": c["lines"],
        "by_category": c["by_category"],
        "large_items": c["large_items"],
        "large_expense_threshold": c["large_expense_threshold"],
        "seal": seal_hash,
        "prev_seal": prev_hash,
        "sealed_content": canonical,
    }


def open_fields(d: Disclosure, corrected: int | None) -> dict[str, Any]:
    """The fields of a disclosure's detail outside ``SEALED_FIELDS``: its state, names, times, the erratum that
    corrects it (``corrected``), and the villagers' questions, which keep coming after publication."""
    return {
        "id": d.id,
        "village_id": d.village_id,
        "period": d.period,
        "title": d.title,
        "status": d.status,
        "drafted_at": d.drafted_at,
        "approved_at": d.approved_at,
        "published_at": d.published_at,
        "prepared_by": d.prepared_by_name,
        "approved_by": d.approved_by_name,
        "return_reason": d.return_reason if d.status != "published" else None,
        "corrects_id": d.corrects_id,
        "corrected_by": corrected,
        "erratum_reason": d.erratum_reason,
        "questions": questions_of([d.id]) if d.status == "published" else [],
    }


def detail(d: Disclosure) -> dict[str, Any]:
    """Everything a reader of one disclosure sees (the contract's fields and more)."""
    c = d.content_data()
    s = d.seal
    return {**open_fields(d, corrected_by(d)),
            **_sealed_view(c, s.hash if s else None, s.prev_hash if s else None, s.canonical if s else None)}


def detail_url(base: str, disclosure_id: int) -> str:
    """Where the QR code on the paper leads: the mini-program page of this disclosure."""
    return f"{base}{'&' if '?' in base else '?'}id={disclosure_id}"


def export_doc(d: Disclosure, url: str) -> DisclosureDoc:
    """The printable document, from the sealed text itself (what was published is what is printed)."""
    if d.status != "published" or d.seal is None:
        raise conflict("disclosure.not_published", "只能导出已经公开的财务公开")
    sealed = json.loads(d.seal.canonical)
    village = registry.get_village(d.village_id)

    def _ref(decision: dict[str, Any] | None) -> str | None:
        return f"第{decision['ref']}号决议" if decision and decision.get("ref") else None

    return DisclosureDoc(
        village_name=sealed["village"]["name"],
        township_name=registry.get_township(village.township_id).name,
        title=sealed["title"],
        period=sealed["period"],
        published_at=d.published_at,
        approved_by=sealed["approved_by"],
        prepared_by=sealed["prepared_by"],
        lines=[
            DisclosureLine(
                date.fromisoformat(ln["date"]),
                ln["voucher_no"],
                ln["summary"],
                ln["category"],
                yuan_to_fen(ln["income"]),
                yuan_to_fen(ln["expense"]),
            )
            for ln in sealed["lines"]
        ],
        large_items=[
            LargeItem(
                date.fromisoformat(it["date"]),
                it["summary"],
                yuan_to_fen(it["amount"]),
                (it["decision"] or {}).get("title"),
                _ref(it["decision"]),
            )
            for it in sealed["large_items"]
        ],
        income_total_fen=yuan_to_fen(sealed["income_total"]),
        expense_total_fen=yuan_to_fen(sealed["expense_total"]),
        by_category=[
            (c["category"], yuan_to_fen(c["income"]), yuan_to_fen(c["expense"])) for c in sealed["by_category"]
        ],
        seal_hash=d.seal.hash,
        prev_seal_hash=d.seal.prev_hash or None,
        url=url,
    )


# ---------------------------------------------------------------- questions from villagers


def ask(d: Disclosure, line_no: int, text: str, *, actor: Principal) -> DisclosureQuestion:
    """A villager's question on one published line; the answer is due in ``ledger.question_answer_days`` days."""
    if d.status != "published":
        raise conflict("disclosure.not_published", "只能对已经公开的财务公开提问")
    n = len(d.content_data()["lines"])
    if not 1 <= line_no <= n:
        raise unprocessable("disclosure.line_unknown", f"第{line_no}行不存在，本次公开共{n}行", lines=n)
    village = registry.get_village(d.village_id)
    days = settings.get(village, ledger.QUESTION_DAYS.key)
    q = DisclosureQuestion(
        village_id=d.village_id,
        disclosure_id=d.id,
        line_no=line_no,
        text=text,
        asked_by_id=actor.person_id,
        asked_at=utcnow(),
        due_on=today() + timedelta(days=days),
    )
    db.session.add(q)
    db.session.flush()
    audit.record("disclosure.question", "disclosure_question", q.id, actor=actor, village_id=d.village_id,
                 after={"disclosure_id": d.id, "line_no": line_no, "due_on": q.due_on.isoformat()})
    return q


def get_question(question_id: int, *, lock: bool = False) -> DisclosureQuestion:
    stmt = select(DisclosureQuestion).where(DisclosureQuestion.id == question_id)
    if lock:  # one answer: a second answerer waits, then sees the first answer
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    q = db.session.execute(stmt).scalar_one_or_none()
    if q is None:
        raise not_found("disclosure.question_not_found", "找不到该提问")
    return q


def answer(q: DisclosureQuestion, text: str, *, actor: Principal) -> DisclosureQuestion:
    if q.answered_at is not None:
        raise conflict("disclosure.question_answered", "这个提问已经答复过了")
    q.answer, q.answered_by_id, q.answered_at = text, actor.person_id, utcnow()
    db.session.flush()
    audit.record("disclosure.answer", "disclosure_question", q.id, actor=actor, village_id=q.village_id,
                 after={"disclosure_id": q.disclosure_id, "late": today() > q.due_on})
    return q


def question_view(q: DisclosureQuestion) -> dict[str, Any]:
    asker = db.session.get(Person, q.asked_by_id)
    answerer = db.session.get(Person, q.answered_by_id) if q.answered_by_id else None
    return question_dict(q, asker.name if asker else None, answerer.name if answerer else None, today())


# ---------------------------------------------------------------- the township's view


def _covering(period: str) -> list[str]:
    """Periods whose single publication covers ``period``: itself, and for a month its quarter."""
    months_of(period)
    return [period] if "Q" in period else [period, quarter_of(period)]


def township_status(township_id: int, period: str | None) -> dict[str, Any]:
    """Per village of the township: is ``period`` (default: the last completed quarter) published, and how many
    questions are open and past their due date (those are listed)."""
    period = period or previous_quarter(today())
    months = months_of(period)
    villages = registry.villages_of_township(township_id)
    ids = [v.id for v in villages]
    wanted = {*_covering(period), *months}
    published = db.session.execute(
        select(Disclosure.village_id, Disclosure.id, Disclosure.period, Disclosure.title, Disclosure.published_at)
        .where(Disclosure.village_id.in_(ids), Disclosure.status == "published", Disclosure.period.in_(wanted))
        .order_by(Disclosure.published_at, Disclosure.id)
    ).all()
    on = today()
    counts = dict(
        db.session.execute(
            select(DisclosureQuestion.village_id, func.count())
            .where(DisclosureQuestion.village_id.in_(ids), DisclosureQuestion.answered_at.is_(None))
            .group_by(DisclosureQuestion.village_id)
        ).all()
    )
    overdue_rows = db.session.execute(
        select(DisclosureQuestion)
        .where(
            DisclosureQuestion.village_id.in_(ids),
            DisclosureQuestion.answered_at.is_(None),
            DisclosureQuestion.due_on < on,
        )
        .order_by(DisclosureQuestion.due_on, DisclosureQuestion.id)
    ).scalars()
    overdue: dict[int, list[dict[str, Any]]] = {}
    for q in overdue_rows:
        overdue.setdefault(q.village_id, []).append(
            {"id": q.id, "disclosure_id": q.disclosure_id, "line_no": q.line_no, "text": q.text,
             "asked_at": q.asked_at, "due_on": q.due_on, "days_overdue": (on - q.due_on).days}
        )
    out = []
    for v in villages:
        mine = [row for row in published if row.village_id == v.id]
        periods = {row.period for row in mine}
        covered = bool(periods & set(_covering(period))) or all(m in periods for m in months)
        out.append(
            {
                "village_id": v.id,
                "village_code": v.code,
                "village_name": v.name,
                "published": covered,
                "disclosures": [
                    {"id": row.id, "period": row.period, "title": row.title, "published_at": row.published_at}
                    for row in mine
                ],
                "open_questions": int(counts.get(v.id, 0)),
                "overdue_questions": len(overdue.get(v.id, [])),
                "overdue": overdue.get(v.id, []),
            }
        )
    return {
        "township_id": township_id,
        "period": period,
        "unpublished": sum(1 for row in out if not row["published"]),
        "villages": out,
    }


__all__ = [
    "answer",
    "approve",
    "ask",
    "detail",
    "detail_url",
    "draft_disclosure",
    "draft_erratum",
    "export_doc",
    "publish",
    "return_disclosure",
    "sealed_payload",
    "snapshot",
    "township_status",
]
