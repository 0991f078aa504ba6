"""The decisions service interface other domains use (the ledger's large-expense rule, dividends).

Issue 4 adds the pipeline (stages, meetings, 公示, votes) in ``pipeline.py``; these functions keep their
signatures. A decision recorded with :func:`record_resolved` has no stages (it was decided outside the app).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.pipeline.models import Decision


@dataclass(frozen=True)
class DecisionRef:
    id: int
    village_id: int
    title: str
    amount_fen: int | None
    resolved_on: date | None
    resolved: bool
    body: str | None = None  # the body that resolved it (rules.BODIES key); None when recorded outside the app


def get_ref(village_id: int, decision_id: int) -> DecisionRef | None:
    """The decision ``decision_id`` of ``village_id`` (None if it does not exist there)."""
    d = db.session.get(Decision, decision_id)
    if d is None or d.village_id != village_id:
        return None
    return DecisionRef(d.id, d.village_id, d.title, d.amount_fen, d.resolved_on, d.status in ("resolved", "done"),
                       d.decision_body)


def record_resolved(village_id: int, title: str, category: str, amount_fen: int | None, resolved_on: date) -> Decision:
    """A decision already resolved outside the app (paper records, demo data) — issue 4 replaces its use."""
    d = Decision(
        village_id=village_id,
        title=title,
        category=category,
        amount_fen=amount_fen,
        status="resolved",
        resolved_on=resolved_on,
        updated_at=utcnow(),
    )
    db.session.add(d)
    db.session.flush()
    return d
