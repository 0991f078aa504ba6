"""A decision under 四议两公开: creating it (its stages copied from the template in force), ending it with a reason,
and reading it — the list, the detail with its stages, 公示, objections and votes, and :func:`get_ref`, the read
other domains rest on (the ledger's large-expense rule, disclosures, dividends, land contracts).

Recording the stages themselves is in :mod:`~backend.decisions.pipeline.meetings`,
:mod:`~backend.decisions.pipeline.publicity`, :mod:`~backend.decisions.pipeline.result` and
:mod:`~backend.decisions.pipeline.settling` (a stage decided by a vote).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select

from backend import registry
from backend.core import audit
from backend.core import objections as shared
from backend.core.clock import to_iso, today, utcnow
from backend.core.db import db
from backend.core.errors import unprocessable
from backend.core.money import fen_to_yuan
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.core.tenancy import find_in_village
from backend.decisions import rules
from backend.decisions.pipeline import stages
from backend.decisions.pipeline.models import ORIGINS, Decision, DecisionStage, DecisionVoucher
from backend.decisions.pipeline.publicity import SeenObjection, objections_seen
from backend.decisions.pipeline.templates import (
    CATEGORIES,
    CATEGORY_MATTER,
    DEFAULT_BODY,
    RESOLUTION_BODIES,
    TEMPLATES,
    template_for,
)
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Vote

# ------------------------------------------------------------------ create and end


@dataclass
class DecisionInput:
    title: str
    category: str
    origin: str
    amount_fen: int | None = None
    description: str | None = None
    decision_body: str | None = None
    special_matter: str | None = None


def create_decision(village_id: int, data: DecisionInput, *, actor: Principal | None) -> Decision:
    if data.category not in CATEGORIES:
        raise unprocessable("decision.category", f"事项类别应为以下之一：{'、'.join(CATEGORIES.values())}")
    if data.origin not in ORIGINS:
        raise unprocessable("decision.origin", f"动议事由应为以下之一：{'、'.join(ORIGINS)}")
    matter = data.special_matter or CATEGORY_MATTER.get(data.category)
    body = data.decision_body or DEFAULT_BODY.get(data.category, "representatives_meeting")
    if body not in RESOLUTION_BODIES:
        labels = "、".join(rules.BODIES[b].label for b in RESOLUTION_BODIES)
        raise unprocessable("decision.body", f"决议机构应为以下之一：{labels}")
    if matter is not None:
        if matter not in rules.MATTERS:
            raise unprocessable("decision.matter", f"不认识的特别事项：{matter}")
        m = rules.MATTERS[matter]
        if body not in m.bodies:
            allowed = "、".join(rules.BODIES[b].label for b in m.bodies if b in RESOLUTION_BODIES)
            raise unprocessable("decision.body", f"“{m.label}”须由{allowed}决议")
    variant = template_for(village_id)
    d = Decision(village_id=village_id, title=data.title, category=data.category, amount_fen=data.amount_fen,
                 origin=data.origin, description=data.description, special_matter=matter, decision_body=body,
                 variant=variant, status="in_progress", created_by_id=actor.person_id if actor else None,
                 updated_at=utcnow())
    db.session.add(d)
    db.session.flush()
    for seq, t in enumerate(TEMPLATES[variant], start=1):
        db.session.add(DecisionStage(village_id=village_id, decision_id=d.id, seq=seq, stage=t.stage, kind=t.kind,
                                     body=t.body or (body if t.kind == "meeting" else None),
                                     permission=t.permission, note=t.note or None, status="pending"))
    d.current_stage = TEMPLATES[variant][0].stage
    db.session.flush()
    audit.record("decision.create", "decision", d.id, actor=actor, village_id=village_id,
                 after={"title": d.title, "category": d.category, "origin": d.origin, "amount_fen": d.amount_fen,
                        "variant": variant, "decision_body": body, "special_matter": matter})
    return d


def end_decision(decision: Decision, reason: str, *, actor: Principal | None) -> Decision:
    """End (fail) a decision with a reason: it stays visible with its stages as they were."""
    decision = stages.lock(decision)
    stages.check_open(decision)
    before = {"status": decision.status, "stage": decision.current_stage}
    stage = stages.current(decision)
    if stage is not None and stage.status == "open":
        stage.status = "failed"
        stage.reason = reason
    stages.fail(decision, reason, today())
    db.session.flush()
    audit.record("decision.end", "decision", decision.id, actor=actor, village_id=decision.village_id,
                 before=before, after={"status": "failed", "reason": reason})
    return decision


# ------------------------------------------------------------------ what other domains read


@dataclass(frozen=True)
class DecisionRef:
    """A decision as the ledger, disclosures, dividends and land contracts cite it."""

    id: int
    village_id: int
    title: str
    amount_fen: int | None
    resolved_on: date | None
    resolved: bool
    body: str | None = None  # the body that resolved it (rules.BODIES key); None when recorded outside the app


def _ref(d: Any) -> DecisionRef:
    """A decision (or a row of its columns) as a :class:`DecisionRef`."""
    return DecisionRef(d.id, d.village_id, d.title, d.amount_fen, d.resolved_on, d.status in ("resolved", "done"),
                       d.decision_body)


def get_ref(village_id: int, decision_id: int) -> DecisionRef | None:
    """The decision ``decision_id`` of ``village_id`` (None if it does not exist there). A decision the session
    holds already is answered without a statement; for several decisions read :func:`refs_of` once."""
    d = find_in_village(Decision, decision_id, village_id)
    return None if d is None else _ref(d)


def refs_of(village_id: int, decision_ids: Iterable[int | None]) -> dict[int, DecisionRef]:
    """decision id → :class:`DecisionRef` for those of ``decision_ids`` that are decisions of ``village_id``, in one
    statement of the few columns a reference needs (an id of another village, or of none, is left out)."""
    ids = sorted({i for i in decision_ids if i is not None})
    if not ids:
        return {}
    rows = db.session.execute(select(
        Decision.id, Decision.village_id, Decision.title, Decision.amount_fen, Decision.resolved_on, Decision.status,
        Decision.decision_body).where(Decision.village_id == village_id, Decision.id.in_(ids))).all()
    return {r.id: _ref(r) for r in rows}


def decisions_of(village_ids: list[int]) -> list[Decision]:
    """Every decision of these villages (one query), newest first."""
    if not village_ids:
        return []
    return list(db.session.execute(
        select(Decision).where(Decision.village_id.in_(village_ids)).order_by(Decision.id.desc())
    ).scalars())


# ------------------------------------------------------------------ views


# the columns of a decision's summary (the list's item): the list reads only these
SUMMARY_COLUMNS = (Decision.id, Decision.title, Decision.current_stage, Decision.status, Decision.updated_at,
                   Decision.created_at, Decision.category, Decision.origin, Decision.amount_fen, Decision.resolved_on)


def list_stmt(village_id: int, status: str | None = None) -> Any:
    """The village's decisions, newest first, as rows of :data:`SUMMARY_COLUMNS` (for :func:`summary_view`)."""
    stmt = select(*SUMMARY_COLUMNS).where(Decision.village_id == village_id)
    if status:
        stmt = stmt.where(Decision.status == status)
    return stmt.order_by(Decision.id.desc())


def summary_view(d: Any) -> dict[str, Any]:
    """A decision (or a row of :data:`SUMMARY_COLUMNS`) as the list shows it."""
    return {"id": d.id, "title": d.title, "stage": d.current_stage, "status": d.status,
            "updated_at": d.updated_at or d.created_at, "category": d.category, "origin": d.origin,
            "amount": fen_to_yuan(d.amount_fen) if d.amount_fen is not None else None, "resolved_on": d.resolved_on}


def _ratio(present: int | None, eligible: int | None) -> str | None:
    if present is None or not eligible:
        return None
    return str((Decimal(present) * 100 / Decimal(eligible)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _meeting_view(s: DecisionStage, out: dict[str, Any], names: dict[int, str]) -> None:
    if s.eligible is not None:
        quorum = None
        if s.body in rules.BODIES:
            # the body's own quorum: a village's majority base and a special matter change only the majority
            # (rules.rule_for), so no setting is read for it
            quorum = rules.evaluate(rules.BODIES[s.body], rules.Tally(
                eligible=s.eligible, present=s.present or 0, households_eligible=s.households_eligible or 0,
                households_present=s.households_present or 0)).quorum_met
        attendee_ids = json.loads(s.attendees) if s.attendees else None
        out["attendance"] = {"eligible": s.eligible, "present": s.present, "ratio": _ratio(s.present, s.eligible),
                             "quorum_met": quorum, "attendee_ids": attendee_ids}
        out["attendees"] = [{"person_id": pid, "name": names.get(pid, "")} for pid in attendee_ids or []]
    if s.status in ("passed", "failed"):
        out["result"] = {"outcome": s.status, "agree": s.agree, "oppose": s.oppose, "abstain": s.abstain,
                         "reason": s.reason, "vote_id": s.vote_id}
    out["meeting_form"] = s.meeting_form
    out["minutes"] = s.minutes
    out["township_officials"] = json.loads(s.township_officials) if s.township_officials else []
    out["attachments"] = [a if isinstance(a, dict) else {"title": a, "ref": None}
                          for a in (json.loads(s.attachments) if s.attachments else [])]


def _publicity_view(s: DecisionStage, staff: bool, person_id: int | None, out: dict[str, Any],
                    objs: Sequence[SeenObjection]) -> None:
    """A 公示 stage: its window and objections — all of them with names for staff; for a villager the counts and
    only their own (the ``objections`` list keeps its place in the contract, holding just theirs)."""
    out["held_on"] = s.start_on
    publicity = None
    if s.start_on is not None:
        publicity = {"start_on": s.start_on, "end_on": s.end_on, "channel": s.channel,
                     "supervisor_opinion": s.supervisor_opinion, "objections": [
                         {"id": o.id, "raised_on": o.raised_on, "text": o.text, "answer": o.answer,
                          "raised_by": o.raised_by if staff else None, "answered_at": o.answered_at,
                          "due_on": o.due_on, "overdue": shared.is_overdue(o)}
                         for o in shared.visible(objs, staff=staff, person_id=person_id)],
                     "objection_counts": shared.counts(objs), "my_objections": shared.mine(objs, person_id)}
    out["result"] = {"outcome": s.status if s.status in ("passed", "failed") else None, "publicity": publicity,
                     "reason": s.reason}
    if s.kind == "result":
        vouchers: list[int] = []
        if s.spent_fen is not None:  # vouchers are linked only with the result (result.record_result): none before
            vouchers = list(_vouchers_of(s.id))
        out["result"] |= {"spent": fen_to_yuan(s.spent_fen) if s.spent_fen is not None else None,
                          "accepted_on": s.accepted_on, "accepted_by": s.accepted_by,
                          "acceptance_opinion": s.acceptance_opinion, "voucher_ids": vouchers}


@shared_read
def _vouchers_of(stage_id: int) -> tuple[int, ...]:
    """The vouchers a result stage is linked with (the same for every reader)."""
    return tuple(db.session.execute(select(DecisionVoucher.voucher_id).where(DecisionVoucher.stage_id == stage_id)
                                    .order_by(DecisionVoucher.voucher_id)).scalars())


def _stage_view(s: DecisionStage, staff: bool, person_id: int | None, names: Mapping[int, str],
                objs: Mapping[int, Sequence[SeenObjection]]) -> dict[str, Any]:
    out: dict[str, Any] = {"stage": s.stage, "status": s.status, "kind": s.kind, "body": s.body,
                           "body_label": rules.BODIES[s.body].label if s.body in rules.BODIES else None,
                           "note": s.note, "held_on": s.held_on, "summary": s.summary, "attendance": None,
                           "result": None, "recorded_at": s.recorded_at,
                           "recorded_by": names.get(s.recorded_by_id) if s.recorded_by_id else None,
                           "attendees": []}
    if s.kind == "meeting":
        _meeting_view(s, out, names)
    else:
        _publicity_view(s, staff, person_id, out, objs.get(s.id, []))
    out["result"], out["attendance"] = _jsonable(out["result"]), _jsonable(out["attendance"])
    return out


def _jsonable(value: Any) -> Any:
    """Free-form parts of a view (dumped as plain dicts): dates as YYYY-MM-DD, times as ISO 8601 +08:00."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def detail_view(d: Decision, p: Principal | None, decision_votes: list[Vote] | None = None) -> dict[str, Any]:
    """The decision with its stages and votes (``decision_votes``: its votes, if the caller has read them)."""
    staff = p is not None and p.can("decisions.manage", village_id=d.village_id)
    person_id = p.person_id if p is not None else None
    vs = []
    for v in votes.votes_of(d.id) if decision_votes is None else decision_votes:
        st = votes.state(v)
        result = json.loads(v.result) if st == "closed" and v.result is not None else None
        vs.append({"id": v.id, "title": v.title, "stage": v.stage, "body": v.body, "state": st,
                   "body_label": rules.BODIES[v.body].label if v.body in rules.BODIES else v.body,
                   "by_household": v.by_household, "electorate_size": v.electorate_size,
                   "opens_at": v.opens_at, "closes_at": v.closes_at, "result": result,
                   "result_words": votes.result_words(v, result) if result else None})
    all_stages = stages.stages(d)
    # the names of every stage's recorder and attendees, and the objections of every 公示, each in one statement
    ids: set[int] = set()
    for s in all_stages:
        if s.recorded_by_id:
            ids.add(s.recorded_by_id)
        if s.kind == "meeting" and s.eligible is not None and s.attendees:
            ids.update(json.loads(s.attendees))
    names = registry.person_names(ids)
    objs = objections_seen(tuple(s.id for s in all_stages if s.kind != "meeting" and s.start_on is not None))
    return summary_view(d) | {
        "village_id": d.village_id, "description": d.description, "special_matter": d.special_matter,
        "decision_body": d.decision_body, "variant": d.variant, "failure_reason": d.failure_reason,
        "ended_on": d.ended_on, "created_at": d.created_at,
        "stages": [_stage_view(s, staff, person_id, names, objs) for s in all_stages], "votes": vs,
        "objection_window": _objection_window(d, all_stages),
    }


def _objection_window(d: Decision, all_stages: list[DecisionStage]) -> dict[str, Any] | None:
    """The 公示 a villager may object in today: the current stage while it is posted (start_on … end_on)."""
    if d.status in ("failed", "done") or not d.variant:
        return None
    s = stages.current_of(all_stages)
    if s is None or s.kind == "meeting" or s.status != "open" or s.start_on is None or s.end_on is None:
        return None
    on = today()
    return {"stage": s.stage, "start_on": s.start_on.isoformat(), "end_on": s.end_on.isoformat(),
            "open": s.start_on <= on <= s.end_on}


def stage_view(d: Decision, name: str, p: Principal | None) -> dict[str, Any]:
    """The detail view's entry of the stage ``name``."""
    return next(s for s in detail_view(d, p)["stages"] if s["stage"] == name)
