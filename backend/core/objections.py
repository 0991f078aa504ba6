"""Objections raised while something is publicly posted (公示) and the answers they get: the part every domain
shares (a dividend list, a job's selected list). Each domain keeps its own table, with what it is an objection to,
and its rule for when one may be raised; the columns, the answering, the public view and the two endpoints (raise
one, answer one) are here, built for a domain by :func:`add_routes` from its :class:`ObjectionRoutes`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marshmallow import fields
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from backend.core import audit, schemas
from backend.core.clock import to_iso, utcnow
from backend.core.db import UTCDateTime, db
from backend.core.errors import conflict
from backend.core.idempotency import idempotent
from backend.core.identity import mask_name
from backend.core.permissions import Principal, require_login, requires
from backend.core.schemas import BaseSchema, length

if TYPE_CHECKING:
    from flask_smorest import Blueprint

ANSWERED_CHECK = "(answer IS NULL) = (answered_at IS NULL)"  # name it "answered" in the table's __table_args__


class ObjectionMixin:
    """Who objected (their name kept as it was), what, when; the answer, who gave it and when."""

    raised_by_name: Mapped[str] = mapped_column(String(40), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

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
    """The objection as shown: the objector's name masked for everyone but staff."""
    return {
        "id": o.id,
        "raised_by": o.raised_by_name if staff else mask_name(o.raised_by_name),
        "text": o.text,
        "raised_at": to_iso(o.raised_at),
        "answer": o.answer,
        "answered_at": to_iso(o.answered_at),
    }


class PublicObjectionSchema(BaseSchema):
    id = fields.Integer()
    raised_by = fields.String(metadata={"description": "提出人（村民看到的是脱敏姓名）"})
    text = fields.String()
    raised_at = fields.String()
    answer = fields.String(allow_none=True)
    answered_at = fields.String(allow_none=True)


class ObjectionInSchema(BaseSchema):
    text = schemas.Text(required=True, validate=length(1, 2000))


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
