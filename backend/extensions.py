"""Extension singletons, created once and initialised in ``create_app``."""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation
from typing import Any

from apispec.ext.marshmallow import MarshmallowPlugin
from flask_migrate import Migrate
from flask_smorest import Api as _Api
from marshmallow import fields
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.core.db import db
from backend.core.ratelimit import limiter
from backend.core.schemas import BaseSchema

migrate = Migrate(render_as_batch=True, compare_type=True)


class ErrorDetailSchema(BaseSchema):
    code = fields.String(required=True, metadata={"example": "vote.closed"})
    message = fields.String(required=True, metadata={"example": "投票已结束"})
    details = fields.Dict(load_default=dict)


class ErrorSchema(BaseSchema):
    """The one error shape of the API."""

    error = fields.Nested(ErrorDetailSchema, required=True)


def _numeric_bounds(self: Any, field: fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """The range of a ``fields.Decimal(as_string=True)`` reaches the spec serialised by the field, as strings
    ("0.00"): an invalid schema that clients and schemathesis cannot use. Write numbers."""
    out: dict[str, Any] = {}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = ret.get(key)
        if isinstance(value, str | Decimal) and not isinstance(value, bool):
            try:
                number = Decimal(value)
            except InvalidOperation:
                continue
            out[key] = int(number) if number == number.to_integral_value() else float(number)
    return out


class _MarshmallowPlugin(MarshmallowPlugin):
    def init_spec(self, spec: Any) -> None:
        super().init_spec(spec)
        self.converter.add_attribute_function(_numeric_bounds)  # type: ignore[union-attr]


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Any, *, spec_kwargs: dict[str, Any] | None = None) -> None:
        spec_kwargs = dict(spec_kwargs or {})
        spec_kwargs.setdefault("marshmallow_plugin", _MarshmallowPlugin())  # one per application, like the spec
        super().init_app(app, spec_kwargs=spec_kwargs)


api = Api()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, allow readers during a write (WAL), wait for locks instead of failing."""
    if not isinstance(dbapi_connection, sqlite3.Connection):  # the statement limit's subclass (core/timeouts) too
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


@event.listens_for(Engine, "savepoint")
def _sqlite_savepoint_inside_a_transaction(conn: Any, name: str) -> None:
    """SQLite: a SAVEPOINT outside a transaction *starts* one, and its RELEASE then commits it. Python's sqlite3 opens
    its implicit transaction only before INSERT/UPDATE/DELETE, so a service whose first write is a savepoint
    (``begin_nested()``) had its row committed on RELEASE, before the route decided to commit or roll back — a refused
    request could leave half its work. Open the real transaction first; the savepoint then nests inside it and the
    route's commit or rollback covers everything, as on PostgreSQL."""
    if conn.dialect.name != "sqlite":
        return
    raw = conn.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        raw.execute("BEGIN")


__all__ = ["api", "db", "limiter", "migrate"]
