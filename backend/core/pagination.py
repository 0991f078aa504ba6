"""The list envelope of the contract: ``{"items", "total", "page", "page_size"}``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from marshmallow import fields
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from backend.core.schemas import BaseSchema, range_

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageArgs(BaseSchema):
    page = fields.Integer(load_default=1, validate=range_(min=1, max=100_000))
    page_size = fields.Integer(load_default=DEFAULT_PAGE_SIZE, validate=range_(min=1, max=MAX_PAGE_SIZE))


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    page_size: int

    def envelope(self, items: list[Any] | None = None) -> dict[str, Any]:
        """The contract's envelope, for a response schema made by :func:`page_schema` to dump."""
        return {
            "items": self.items if items is None else items,
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
        }


def paginate(session: Session, stmt: Select[Any], page: int, page_size: int, *, scalars: bool = True) -> Page:
    """Run ``stmt`` for one page (it must carry an ORDER BY) and count the whole.

    A page that comes back short is the last one: the total is what came before it and what it holds, with no
    count statement (most villagers' lists fit on their first page). A full page, or an empty one past the first,
    is counted."""
    offset = (page - 1) * page_size
    rows = session.execute(stmt.limit(page_size).offset(offset))
    items = list(rows.scalars()) if scalars else list(rows)
    if len(items) < page_size and (items or page == 1):
        total = offset + len(items)
    else:
        total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    return Page(items=items, total=total, page=page, page_size=page_size)


_page_schemas: dict[type[BaseSchema], type[BaseSchema]] = {}
_page_names: dict[str, type[BaseSchema]] = {}


def page_schema(item_schema: type[BaseSchema]) -> type[BaseSchema]:
    """An envelope schema for the OpenAPI spec, one per item schema (two item schemas of one name refuse)."""
    if item_schema in _page_schemas:
        return _page_schemas[item_schema]
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    if name in _page_names:
        raise ValueError(f"{name}: another item schema named {item_schema.__name__} already has a page schema")
    envelope = type(
        name,
        (BaseSchema,),
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "total": fields.Integer(required=True),
            "page": fields.Integer(required=True),
            "page_size": fields.Integer(required=True),
        },
    )
    _page_schemas[item_schema] = _page_names[name] = envelope
    return envelope
