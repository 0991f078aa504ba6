"""Counting the SQL statements of one request, as the statement-count tests do everywhere."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from backend.core.db import db


@contextmanager
def counted() -> Iterator[list[str]]:
    """The statements that reach the database cursor meanwhile (as sent, whitespace and all)."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def cold_get(app: Flask, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    """(the response, the SQL statements it ran, whitespace folded) of one GET in an app context of its own: a cold
    session, as each request has in production (the test's session would answer some look-ups from its identity
    map)."""
    with counted() as seen, app.app_context():
        r = app.test_client().get(path, headers=headers)
        db.session.remove()
    return r, [" ".join(s.split()) for s in seen]
