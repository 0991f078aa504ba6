"""What readers of 财务公开 see: the village's published disclosures, the staff's list with drafts, one disclosure's
detail (its sealed part read from the seal itself), the printable document, and the township's view of who has
published and which questions are overdue.

A published disclosure is what its seal fixes: the detail and the printed document are read from the sealed text,
so what was published is what is shown and printed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from backend import registry
from backend.core.clock import today
from backend.core.db import db
from backend.core.errors import conflict, not_found
from backend.core.money import yuan_to_fen
from backend.core.pagination import Page, paginate
from backend.core.permissions import Principal
from backend.core.printing.figures import short_code
from backend.core.seal import Seal
from backend.core.shared_pages import shared_read
from backend.disclosures.models import Disclosure, DisclosureQuestion
from backend.disclosures.periods import covering, months_of, previous_quarter
from backend.disclosures.printing.document import DisclosureDoc, DisclosureLine, LargeItem
from backend.disclosures.questions import shared_questions


def readable(d: Disclosure, p: Principal) -> Disclosure:
    """``d`` if ``p`` may read it: a published one for its village, a draft for the village's book-keepers; else the
    404 of a disclosure that does not exist."""
    if d.status != "published" and not p.can("ledger.read", village_id=d.village_id):
        raise not_found("disclosure.not_found", "找不到该财务公开")
    return d


def published_query(village_id: int) -> Select[tuple[Disclosure]]:
    """The village's published disclosures, newest first, with their seals' hashes (not their sealed texts)."""
    return (
        select(Disclosure)
        .where(Disclosure.village_id == village_id, Disclosure.status == "published")
        .options(joinedload(Disclosure.seal).load_only(Seal.hash, Seal.prev_hash))  # many-to-one: the same statement
        .order_by(Disclosure.published_at.desc(), Disclosure.id.desc())
    )


def published_page(village_id: int, page: int, page_size: int) -> Page:
    return paginate(db.session, published_query(village_id), page, page_size)


def latest_published(village_id: int) -> Disclosure | None:
    """The village's newest published disclosure, if any."""
    return db.session.execute(published_query(village_id).limit(1)).scalars().first()


def all_query(village_id: int, status: str | None = None) -> Select[tuple[Disclosure]]:
    # the list shows each seal's hash: not its sealed text (the whole disclosure, tens of kB each)
    stmt = (select(Disclosure).where(Disclosure.village_id == village_id)
            .options(joinedload(Disclosure.seal).load_only(Seal.hash)))
    if status:
        stmt = stmt.where(Disclosure.status == status)
    return stmt.order_by(Disclosure.period.desc(), Disclosure.id.desc())


def all_page(village_id: int, status: str | None, page: int, page_size: int) -> Page:
    """Every disclosure of the village (drafts, returned, approved, published), newest period first."""
    return paginate(db.session, all_query(village_id, status), page, page_size)


def corrected_by(d: Disclosure) -> int | None:
    """The published erratum that corrects ``d``, if any."""
    return db.session.execute(
        select(Disclosure.id).where(Disclosure.corrects_id == d.id, Disclosure.status == "published")
    ).scalar_one_or_none()


# the fields of a published disclosure's detail that its seal fixes for ever (the rest: see open_fields)
SEALED_FIELDS = ("village", "income_total", "expense_total", "lines", "by_category", "large_items",
                 "large_expense_threshold", "seal", "prev_seal", "sealed_content", "seal_short_code")
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
    small statement (none while the data is unchanged: the same for every reader): the hash names the sealed
    content, so a reader can reuse what it made of that content."""
    return _seal_head(d.seal_id, d.id)


@shared_read
def _seal_head(seal_id: int, disclosure_id: int) -> tuple[str, str, int | None]:
    h, prev, corrected = db.session.execute(_SEAL_HEAD, {"seal_id": seal_id, "disclosure_id": disclosure_id}).one()
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
        # what the paper prints large (core.printing's short code), so the two can be compared at a glance
        "seal_short_code": short_code(seal_hash) if seal_hash else None,
    }


def open_fields(d: Disclosure, corrected: int | None, reader: Principal | None = None) -> dict[str, Any]:
    """The fields of a disclosure's detail outside ``SEALED_FIELDS``: its state, names, times, the erratum that
    corrects it (``corrected``), and the villagers' questions, which keep coming after publication: all of them for
    those who answer (``disclosure.answer``; no ``reader``: the staff's own views) and for the supervision
    committee, who sign the disclosure off and watch that every question is answered (``disclosure.approve``); the
    counts and their own questions for a villager (questions are public in count, private in author)."""
    qs = list(shared_questions(d.id)) if d.status == "published" else []
    staff = reader is None or any(reader.can(perm, village_id=d.village_id)
                                  for perm in ("disclosure.answer", "disclosure.approve"))
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
        "questions": qs if staff else [q for q in qs if reader is not None and reader.person_id is not None
                                       and q["asked_by_id"] == reader.person_id],
        "question_counts": {"count": len(qs), "answered": sum(1 for q in qs if q["answered_at"] is not None),
                            "overdue": sum(1 for q in qs if q["overdue"])},
    }


def detail(d: Disclosure, reader: Principal | None = None) -> dict[str, Any]:
    """Everything a reader of one disclosure sees (the fields of docs/api.md and more)."""
    c = d.content_data()
    s = d.seal
    return {**open_fields(d, corrected_by(d), reader),
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


# ---------------------------------------------------------------- the township's view


def _published_rows(village_ids: Sequence[int], period: str) -> Sequence[Row[Any]]:
    """The published disclosures of these villages that cover ``period`` or one of its months, oldest first."""
    wanted = {*covering(period), *months_of(period)}
    return db.session.execute(
        select(Disclosure.village_id, Disclosure.id, Disclosure.period, Disclosure.title, Disclosure.published_at)
        .where(Disclosure.village_id.in_(list(village_ids)), Disclosure.status == "published",
               Disclosure.period.in_(wanted))
        .order_by(Disclosure.published_at, Disclosure.id)
    ).all()


def _covers(periods: set[str], period: str) -> bool:
    """Whether disclosures of ``periods`` publish ``period``: one covering it, or every one of its months."""
    return bool(periods & set(covering(period))) or all(m in periods for m in months_of(period))


def published_villages(village_ids: Sequence[int], period: str) -> set[int]:
    """Those of ``village_ids`` that have published ``period`` (as :func:`township_status` says), in one query."""
    periods: dict[int, set[str]] = {}
    for row in _published_rows(village_ids, period):
        periods.setdefault(row.village_id, set()).add(row.period)
    return {vid for vid, ps in periods.items() if _covers(ps, period)}


def township_status(township_id: int, period: str | None) -> dict[str, Any]:
    """Per village of the township: is ``period`` (default: the last completed quarter) published, and how many
    questions are open and past their due date (those are listed)."""
    period = period or previous_quarter(today())
    villages = registry.villages_of_township(township_id)
    ids = [v.id for v in villages]
    published = _published_rows(ids, period)
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
        covered = _covers({row.period for row in mine}, period)
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
