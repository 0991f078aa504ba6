"""Objections raised while something is publicly posted (公示) and the answers they get: the part every domain
shares (a dividend list, a job's selected list). Each domain keeps its own table, with what it is an objection to,
and its rule for when one may be raised; the columns, the answering, the public view and the two endpoints (raise
one, answer one) are here, built for a domain by :func:`add_routes` from its :class:`ObjectionRoutes`.

Every objection has an answer deadline, ``due_on`` = the China date it was raised + the village setting
``objections.answer_days`` (:data:`ANSWER_DAYS`, declared by each domain that raises objections, the same spec),
like a villager's question on a 财务公开; unanswered after that day it is overdue and the township sees it.

Objections are public in **count**, private in **author**: a villager reading a record sees how many were raised,
answered and overdue (:func:`counts`) and their own objections in full (:func:`mine`), never another villager's
name or text; staff who manage the domain see them all, with names (:func:`view` with ``staff=True``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from marshmallow import fields
from sqlalchemy import Date, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from backend.core import audit, schemas
from backend.core.clock import to_iso, today, utcnow
from backend.core.db import UTCDateTime, db
from backend.core.errors import conflict, unprocessable
from backend.core.idempotency import idempotent
from backend.core.identity import mask_name
from backend.core.permissions import Principal, require_login, requires
from backend.core.schemas import BaseSchema, length

if TYPE_CHECKING:
    from flask_smorest import Blueprint

ANSWERED_CHECK = "(answer IS NULL) = (answered_at IS NULL)"  # name it "answered" in the table's __table_args__

# the village setting every domain's objections are answered within: registry.settings.declare(*ANSWER_DAYS) — the
# default is the one of a question on a 财务公开 (ledger.question_answer_days)
ANSWER_DAYS = ("objections.answer_days", "村民对公示提出异议的答复期限", 7, 1, 60, "天")
ANSWER_DAYS_KEY = ANSWER_DAYS[0]
TEXT_MAX = 500  # what a villager may write in one objection


def text_of(text: str) -> str:
    """The objection's words, trimmed; 422 ``objection.empty`` when nothing is left (the routes' schema refuses a blank
    text first; this guards the services' other callers)."""
    text = text.strip()
    if not text:
        raise unprocessable("objection.empty", "请写下异议的内容")
    return text


def due_on(raised_on: date, days: int) -> date:
    """The last day the answer is on time: ``days`` days after the (China) date it was raised."""
    return raised_on + timedelta(days=days)


def is_overdue(o: Any, on: date | None = None) -> bool:
    """Unanswered and past its due date (due today is not overdue yet)."""
    return o.answered_at is None and (on or today()) > o.due_on


def counts(objs: Any, on: date | None = None) -> dict[str, int]:
    """What everyone may know of a record's objections: how many, how many answered, how many overdue."""
    on = on or today()
    objs = list(objs)
    return {"count": len(objs), "answered": sum(1 for o in objs if o.answered_at is not None),
            "overdue": sum(1 for o in objs if is_overdue(o, on))}


def mine(objs: Any, person_id: int | None, on: date | None = None) -> list[dict[str, Any]]:
    """The caller's own objections among ``objs``, in full (no name: they are theirs)."""
    if person_id is None:
        return []
    on = on or today()
    return [{"id": o.id, "text": o.text, "raised_at": to_iso(_raised_at(o)), "due_on": o.due_on.isoformat(),
             "answer": o.answer, "answered_at": to_iso(o.answered_at), "overdue": is_overdue(o, on)}
            for o in objs if _raiser(o) == person_id]


def _raiser(o: Any) -> int | None:
    return getattr(o, "raised_by_id", None) if hasattr(o, "raised_by_id") else getattr(o, "raised_by_person_id", None)


def _raised_at(o: Any) -> datetime:
    return getattr(o, "raised_at", None) or o.created_at


class ObjectionMixin:
    """Who objected (their name kept as it was), what, when; the answer, who gave it and when."""

    raised_by_name: Mapped[str] = mapped_column(String(40), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)  # see ANSWER_DAYS

    @declared_attr
    def raised_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("people.id"), nullable=True)

    @declared_attr
    def answered_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("people.id"), nullable=True)


def answer(o: Any, text: str, *, actor: Principal | None, action: str, object_type: str, code: str) -> Any:
    """Record the answer to ``o`` once (409 ``<code>`` if it was answered meanwhile), audited as ``action``."""
    model = type(o)
    db.session.execute(select(model.id).where(model.id == o.id).with_for_update())
    db.session.refresh(o)
    if o.answer is not None:
        raise conflict(code, "该异议已经答复")
    o.answer, o.answered_at = text.strip(), utcnow()
    o.answered_by_id = actor.person_id if actor else None
    db.session.flush()
    audit.record(action, object_type, o.id, actor=actor, village_id=o.village_id)
    return o


def view(o: Any, *, staff: bool) -> dict[str, Any]:
    """The objection as staff see it (the objector's name in full); anyone else gets the name masked — but a
    villager's read shows only their own objections (:func:`visible`), so that is their own name."""
    return {
        "id": o.id,
        "raised_by": o.raised_by_name if staff else mask_name(o.raised_by_name),
        "text": o.text,
        "raised_at": to_iso(o.raised_at),
        "due_on": o.due_on.isoformat(),
        "overdue": is_overdue(o),
        "answer": o.answer,
        "answered_at": to_iso(o.answered_at),
    }


def visible(objs: Any, *, staff: bool, person_id: int | None) -> list[Any]:
    """The objections a reader may see in full: all for staff, their own for anyone else."""
    return list(objs) if staff else [o for o in objs if person_id is not None and _raiser(o) == person_id]


def public(objs: Any, *, staff: bool, person_id: int | None) -> dict[str, Any]:
    """The fields every read of a record in 公示 adds: ``objections`` (the full list a reader may see — all for
    staff, their own otherwise), ``objection_counts`` and ``my_objections``."""
    objs = list(objs)
    return {"objections": [view(o, staff=staff) for o in visible(objs, staff=staff, person_id=person_id)],
            "objection_counts": counts(objs), "my_objections": mine(objs, person_id)}


class PublicObjectionSchema(BaseSchema):
    id = fields.Integer()
    raised_by = fields.String(metadata={"description": "提出人（村民看到的是脱敏姓名）"})
    text = fields.String()
    raised_at = fields.String()
    due_on = fields.String(metadata={"description": "答复期限（含当天）"})
    overdue = fields.Boolean(metadata={"description": "过了答复期限仍未答复"})
    answer = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)


class ObjectionCountsSchema(BaseSchema):
    count = fields.Integer(metadata={"description": "提出的异议条数"})
    answered = fields.Integer(metadata={"description": "已答复的条数"})
    overdue = fields.Integer(metadata={"description": "逾期未答复的条数"})


class MyObjectionSchema(BaseSchema):
    id = fields.Integer()
    text = fields.String()
    raised_at = fields.String()
    due_on = fields.String(metadata={"description": "答复期限（含当天）"})
    answer = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)
    overdue = fields.Boolean()


class ObjectionInSchema(BaseSchema):
    text = schemas.Text(required=True, validate=length(1, TEXT_MAX))


class ObjectionAnswerInSchema(BaseSchema):
    answer = schemas.Text(required=True, validate=length(1, 2000))


@dataclass(frozen=True)
class ObjectionRoutes:
    """What a domain says of its objection endpoints. Anyone who may view the village of the posted thing raises
    an objection (``POST raise_url``, body ``{"text"}``); those holding ``manage`` in its village answer one
    (``POST answer_url``, body ``{"answer"}``); both answer with the objection as staff see it. Each URL names the
    id of the row it loads (``<int:posting_id>``), which the permission check loads and places in its village."""

    subject: type[Any]  # the thing publicly posted (a row with ``village_id``)
    raise_url: str
    raise_view: tuple[str, str]  # the endpoint's name and its docstring (the API's summary)
    raise_objection: Callable[..., Any]  # (subject, text, *, actor) → objection: the domain's window and audit
    objection: type[Any]  # the domain's table (ObjectionMixin)
    answer_url: str
    answer_view: tuple[str, str]
    answer_objection: Callable[..., Any]  # (objection, answer, *, actor) → objection, through :func:`answer`
    manage: str  # the permission that answers
    shown: Callable[[Any], Any] | None = None  # the subject as the caller may see it (refuses with 404 if not)
    security: tuple[dict[str, list[str]], ...] = ({"bearer": []},)


def _url_arg(url: str) -> str:
    (arg,) = re.findall(r"<int:(\w+)>", url)
    return arg


def _named(view: Callable[..., Any], name_and_doc: tuple[str, str]) -> Callable[..., Any]:
    view.__name__ = view.__qualname__ = name_and_doc[0]
    view.__doc__ = name_and_doc[1]
    return view


def add_routes(blp: Blueprint, r: ObjectionRoutes) -> None:
    """Register ``r``'s two endpoints on the domain's blueprint (under the names ``r`` gives them)."""
    security = list(r.security)

    def raise_one(args: dict[str, Any], **loaded: Any) -> dict[str, Any]:
        (subject,) = loaded.values()
        if r.shown is not None:
            subject = r.shown(subject)
        o = r.raise_objection(subject, args["text"], actor=require_login())
        db.session.commit()
        return view(o, staff=True)

    def answer_one(args: dict[str, Any], **loaded: Any) -> dict[str, Any]:
        (o,) = loaded.values()
        o = r.answer_objection(o, args["answer"], actor=require_login())
        db.session.commit()
        return view(o, staff=True)

    raising = blp.doc(security=security)(_named(raise_one, r.raise_view))
    raising = blp.response(201, PublicObjectionSchema)(raising)
    raising = blp.arguments(ObjectionInSchema)(raising)
    raising = idempotent(raising)  # a villager's retry on a weak network raises it once (core/idempotency.py)
    raising = requires("village.view", obj=(r.subject, _url_arg(r.raise_url)))(raising)
    blp.route(r.raise_url, methods=["POST"])(raising)

    answering = blp.doc(security=security)(_named(answer_one, r.answer_view))
    answering = blp.response(200, PublicObjectionSchema)(answering)
    answering = blp.arguments(ObjectionAnswerInSchema)(answering)
    answering = requires(r.manage, obj=(r.objection, _url_arg(r.answer_url)))(answering)
    blp.route(r.answer_url, methods=["POST"])(answering)
