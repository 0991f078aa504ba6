"""Extension singletons, created once and initialised in ``create_app``."""

from __future__ import annotations

from typing import Any

from flask_migrate import Migrate
from flask_smorest import Api as _Api
from marshmallow import fields
from sqlalchemy import event
from sqlalchemy.engine import Engine

from backend.core.db import db
from backend.core.schemas import BaseSchema

migrate = Migrate(render_as_batch=True, compare_type=True)


class ErrorDetailSchema(BaseSchema):
    code = fields.String(required=True, metadata={"example": "vote.closed"})
    message = fields.String(required=True, metadata={"example": "投票已结束"})
    details = fields.Dict(load_default=dict)


class ErrorSchema(BaseSchema):
    """The one error shape of the API."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Api(_Api):
    ERROR_SCHEMA = ErrorSchema


api = Api()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """SQLite: enforce foreign keys, allow readers during a write (WAL), wait for locks instead of failing."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=15000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


__all__ = ["api", "db", "migrate"]
