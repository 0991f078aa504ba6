"""Villagers' questions on a published 财务公开: a villager asks about one line; the village answers once, within
``ledger.question_answer_days`` days (a village setting); the township sees the open and the overdue ones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from sqlalchemy import bindparam, select

from backend import notices, registry
from backend.core import audit
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.errors import conflict, unprocessable
from backend.core.permissions import Principal
from backend.core.shared_pages import shared_read
from backend.disclosures.models import Disclosure, DisclosureQuestion

ANSWER_PUSH = "answer_question"  # the outbox's kind of "your question was answered" (object: the question)

# the key under which villages and townships keep their own value
QUESTION_DAYS = registry.settings.declare(
    "ledger.question_answer_days", "村民对财务公开提问的答复期限", 7, 1, 60, "天"
)


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
        "asked_by_id": q.asked_by_id,  # not in the API: who may see it in full (service.open_fields)
        "asked_at": q.asked_at,
        "due_on": q.due_on,
        "overdue": q.answered_at is None and on > q.due_on,
        "answer": q.answer,
        "answered_by": answerer,
        "answered_at": q.answered_at,
    }


_QUESTIONS = (  # built once: readers of a disclosure run it on every view
    select(
        DisclosureQuestion,
        registry.person_name_select(DisclosureQuestion.asked_by_id).scalar_subquery(),
        registry.person_name_select(DisclosureQuestion.answered_by_id).scalar_subquery(),
    )
    .where(DisclosureQuestion.disclosure_id.in_(bindparam("disclosure_ids", expanding=True)))
    .order_by(DisclosureQuestion.id)
)


def questions_of(disclosure_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The questions on these disclosures, oldest first, each with its asker's name masked."""
    if not disclosure_ids:
        return []
    rows = db.session.execute(_QUESTIONS, {"disclosure_ids": list(disclosure_ids)}).all()
    on = today()
    return [question_dict(q, a, b, on) for q, a, b in rows]


@shared_read
def shared_questions(disclosure_id: int) -> tuple[Mapping[str, Any], ...]:
    """:func:`questions_of` one disclosure, read-only, kept for every reader while the data is unchanged (each reader
    is then shown all of them or only their own; the day is part of what is kept, for ``overdue``)."""
    return tuple(MappingProxyType(q) for q in questions_of([disclosure_id]))


def ask(d: Disclosure, line_no: int, text: str, *, actor: Principal) -> DisclosureQuestion:
    """A villager's question on one published line; the answer is due in ``ledger.question_answer_days`` days."""
    if d.status != "published":
        raise conflict("disclosure.not_published", "只能对已经公开的财务公开提问")
    lines = d.content_data()["lines"]
    n = len(lines)
    numbers = {ln.get("line_no", i) for i, ln in enumerate(lines, start=1)}
    if line_no not in numbers:
        raise unprocessable("disclosure.line_unknown", f"没有第{line_no}笔，本次公开共{n}笔", lines=n)
    text = text.strip()
    if not text:
        raise unprocessable("disclosure.question_empty", "请写下要问的内容")
    days = registry.settings.get(registry.get_village(d.village_id), QUESTION_DAYS.key)
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


def answer(q: DisclosureQuestion, text: str, *, actor: Principal) -> DisclosureQuestion:
    """The village's one answer to a question; a second answerer waits on the row lock, then sees the first."""
    db.session.execute(
        select(DisclosureQuestion).where(DisclosureQuestion.id == q.id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if q.answered_at is not None:
        raise conflict("disclosure.question_answered", "这个提问已经答复过了")
    q.answer, q.answered_by_id, q.answered_at = text, actor.person_id, utcnow()
    db.session.flush()
    audit.record("disclosure.answer", "disclosure_question", q.id, actor=actor, village_id=q.village_id,
                 after={"disclosure_id": q.disclosure_id, "late": today() > q.due_on})
    if q.asked_by_id is not None:
        d = db.session.get(Disclosure, q.disclosure_id)
        title = d.title if d is not None else "财务公开"
        notices.queue_push(ANSWER_PUSH, q.id, [q.asked_by_id], template=notices.template_for("answer"),
                           data={"thing1": notices.thing(f"{title}第{q.line_no}笔的提问"),
                                 "thing2": notices.thing(text), "time3": notices.time_text(q.answered_at)},
                           page=f"pages/disclosure/disclosure?id={q.disclosure_id}")
    return q


def question_view(q: DisclosureQuestion) -> dict[str, Any]:
    names = registry.person_names([q.asked_by_id, *([q.answered_by_id] if q.answered_by_id else [])])
    return question_dict(q, names.get(q.asked_by_id), names.get(q.answered_by_id or 0), today())
