"""What a request reads of the registry once: every setting of a village and its township comes in one statement,
kept for that request only (a write in the request forgets it; outside a request, the worker and the command line,
each read goes to the database); a village looked up twice in one request is one statement."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event

from backend.core.db import db
from backend.registry import settings
from backend.registry.places import get_village
from tests.factories import Factory

KEYS = ("jobs.min_age", "jobs.publicity_days", "assets.idle_days")


def _settings_statements(fn: Any, table: str = "settings") -> tuple[Any, int]:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if f"FROM {table}" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        return fn(), len(seen)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def test_a_request_reads_the_settings_once_and_sees_its_own_write(app: Flask, make: Factory) -> None:
    village = make.village()
    other = make.village("XZ02", "新竹村")
    settings.put(KEYS[0], 18, actor=None, township=village.township)
    settings.put(KEYS[1], 12, actor=None, village=village)
    db.session.commit()
    with app.test_request_context("/"):
        values, statements = _settings_statements(
            lambda: [settings.get(village, k) for k in KEYS + KEYS])
        assert values[:3] == [18, 12, settings.SPECS[KEYS[2]].default] and values[3:] == values[:3]
        assert statements == 1
        # another village of the same township: its own read (its own rows), the township's value the same
        assert _settings_statements(lambda: settings.get(other, KEYS[0]))[1] == 1
        # a write in the request: the next read sees it
        settings.put(KEYS[1], 3, actor=None, village=village)
        value, statements = _settings_statements(lambda: settings.get(village, KEYS[1]))
        assert value == 3 and statements == 1
        db.session.rollback()


def test_outside_a_request_every_read_goes_to_the_database(app: Flask, make: Factory) -> None:
    village = make.village()
    db.session.commit()
    before, statements = _settings_statements(lambda: settings.get(village, KEYS[0]))
    assert statements == 1
    settings.put(KEYS[0], before + 1, actor=None, village=village)
    db.session.commit()
    assert settings.get(village, KEYS[0]) == before + 1
    assert _settings_statements(lambda: settings.get(village, KEYS[0]))[1] == 1


def test_two_requests_do_not_share_what_they_read(app: Flask, make: Factory) -> None:
    village = make.village()
    db.session.commit()
    with app.test_request_context("/"):
        first = settings.get(village, KEYS[0])
    settings.put(KEYS[0], first + 2, actor=None, village=village)  # written outside that request
    db.session.commit()
    with app.test_request_context("/"):
        assert settings.get(village, KEYS[0]) == first + 2


def test_a_village_looked_up_twice_in_a_request_is_one_statement(app: Flask, make: Factory) -> None:
    """The identity map holds rows weakly: without the request keeping it, the second look-up is a statement."""
    village_id = make.village().id
    db.session.commit()
    db.session.expunge_all()
    with app.test_request_context("/"):
        names, statements = _settings_statements(
            lambda: [get_village(village_id).name for _ in range(3)], table="villages")
        assert names == ["临江村"] * 3 and statements == 1
    db.session.expunge_all()
    with app.test_request_context("/"):  # a new request reads it again
        assert _settings_statements(lambda: get_village(village_id).name, table="villages")[1] == 1
