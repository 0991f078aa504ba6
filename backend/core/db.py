"""The SQLAlchemy handle every domain's models share, and a few column helpers."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import BigInteger, DateTime, Integer, MetaData, TypeDecorator, any_, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import ColumnElement

# Stable constraint names so that Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)

# An integer primary key that is BIGINT on PostgreSQL and INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use core.clock.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def in_values(col: str, values: tuple[str, ...]) -> str:
    """A CHECK constraint's text: ``col`` is one of ``values`` (``kind IN ('a', 'b')``)."""
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


def in_ids(column: Any, ids: Iterable[Any]) -> ColumnElement[bool]:
    """``column IN ids`` for a list of ids of any length. On PostgreSQL ``column = ANY(:ids)`` with one array
    parameter: the same SQL text for 3 ids or 300, so SQLAlchemy compiles it once and the server prepares and plans
    it once, where an ``IN (…)`` list is a new statement for each length, rendered parameter by parameter (a decision
    with 175 names spent 4 ms there). SQLite has no arrays: the ``IN`` list."""
    values = list(ids)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(BigInteger())))
    return column.in_(values)
