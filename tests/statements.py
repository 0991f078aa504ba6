"""Counting the SQL statements of one request, as the statement-count tests do everywhere."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from backend.core.db import db


def cold_get(app: Flask, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    """(the response, the SQL statements it ran, whitespace folded) of one GET in an app context of its own: a cold
    session, as each request has in production (the test's session would answer some look-ups from its identity
    map)."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        with app.app_context():
            r = app.test_client().get(path, headers=headers)
            db.session.remove()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    return r, seen
