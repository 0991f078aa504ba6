"""Objections raised while something is publicly posted (公示) and the answers they get: the part every domain
shares (a dividend list, a job's selected list). Each domain keeps its own table, with what it is an objection to;
the columns, the answering and the public view are here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import fields
from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from backend.core import audit
from backend.core.clock import to_iso, utcnow
from backend.core.db import UTCDateTime, db
from backend.core.errors import conflict
from backend.core.identity import mask_name
from backend.core.permissions import Principal
from backend.core.schemas import BaseSchema

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
