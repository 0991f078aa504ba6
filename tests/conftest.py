"""Shared fixtures. The suite runs on SQLite by default, on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the Alembic migrations (not ``create_all``), so every run also proves the
migrations. Each test starts from empty tables. WeChat is the local stand-in over real HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from sqlalchemy import text

from backend import create_app
from backend.core import audit, clock
from backend.core.db import db
from backend.extensions import api
from backend.ledger import guards
from backend.wechat.client import clear_gateway_cache
from backend.wechat.standin import StandIn
from tests.factories import Factory

# Hypothesis' per-example deadline is a timed test: on a loaded machine (two pytest workers beside PostgreSQL) a
# correct example can take over 200 ms. What a property test checks is the property, so no deadline.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SQLite in the session's temporary folder (a worker of pytest-xdist has its own), or TEST_DATABASE_URL. Under
    pytest-xdist (``scripts/test`` runs the whole suite on two workers) each worker gets a database of its own on
    that server, ``<name>_gw0``…, created here and dropped afterwards."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not _is_postgres(url):
        yield url
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()


_API_KEYS = ("_app", "config", "spec", "ma_plugin", "flask_plugin")
_API_STATE: dict[str, Any] = {}


@pytest.fixture(scope="session")
def app(database_url: str, standin: StandIn) -> Iterator[Flask]:
    from flask_migrate import upgrade

    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WECHAT_API_BASE_URL": standin.base_url,
            "WECHAT_APPID": "wx-demo-appid",
            "WECHAT_SECRET": "demo-secret",
            "WECHAT_TIMEOUT": 2.0,
            "REDIS_URL": None,
            # every test logs in from 127.0.0.1: tests/security/test_rate_limits.py builds apps with the limits on
            "RATELIMIT_ENABLED": False,
        }
    )
    # create_app binds flask-smorest's module-level Api to the newest app: a test that builds another one (a second
    # host, an app with other settings) gets it put back to this one afterwards (_context)
    _API_STATE.update({k: api.__dict__[k] for k in _API_KEYS if k in api.__dict__})
    with application.app_context():
        if _is_postgres(database_url):
            # a fresh schema each session: the migrations build it from nothing
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        if _is_postgres(database_url):
            _keep_insertion_order()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()
    clear_gateway_cache()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        _empty_postgres(tables)
    else:  # SQLite: DELETE fires the ledger's and the audit log's guard triggers, so lift them while emptying
        for statement in (*guards.drop_statements("sqlite"), *audit.guard_drop_statements("sqlite")):
            db.session.execute(text(statement))
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
        for statement in (*guards.create_statements("sqlite"), *audit.guard_create_statements("sqlite")):
            db.session.execute(text(statement))
    db.session.commit()


def _keep_insertion_order() -> None:
    """Tests are emptied by DELETE (below), and a table autovacuum has swept reuses the freed room, so a read without
    ORDER BY could come back in another order than the rows were written — which TRUNCATE's fresh tables never did.
    Without autovacuum on the test database's tables, freed room is only reclaimed by the periodic TRUNCATE."""
    names = db.session.execute(text(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()")).scalars().all()
    for name in names:
        db.session.execute(text(f"ALTER TABLE {name} SET (autovacuum_enabled = false)"))
    db.session.commit()


_SEQUENCES: list[str] = []
_EMPTIED = [0]
TRUNCATE_EVERY = 200  # tests between full TRUNCATEs, which drop the rows DELETE left dead (no autovacuum here)


def _empty_postgres(tables: list[str]) -> None:
    """Empty what a test wrote. TRUNCATE of all 70 tables costs ~0.14 s a test (a new file per table); a test
    writes to a handful, so find those (one query) and DELETE their rows with triggers off (replication role
    ``replica``: no foreign-key, guard or notify trigger fires), then restart every id sequence as TRUNCATE's
    RESTART IDENTITY did (an insert that was rolled back advances a sequence of a table left empty). A role that
    may not set the replication role falls back to TRUNCATE."""
    if not _SEQUENCES:
        _SEQUENCES.extend(
            row[0] for row in db.session.execute(text(
                "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
            ))
        )
    _EMPTIED[0] += 1
    if _EMPTIED[0] % TRUNCATE_EVERY == 0:
        db.session.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
        return
    probe = " UNION ALL ".join(f"(SELECT '{name}' FROM {name} LIMIT 1)" for name in tables)
    dirty = [row[0] for row in db.session.execute(text(probe))]
    if dirty:
        try:
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        except Exception:  # not a superuser: the slow, always-permitted way
            db.session.rollback()
            db.session.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            return
        for name in dirty:
            db.session.execute(text(f"DELETE FROM {name}"))
    db.session.execute(text("SELECT setval(s, 1, false) FROM unnest(CAST(:s AS text[])) AS s"), {"s": _SEQUENCES})


@pytest.fixture(autouse=True)
def _context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tests that use the app get an app context and empty tables afterwards."""
    if "app" not in request.fixturenames:
        yield
        return
    application: Flask = request.getfixturevalue("app")
    with application.app_context():
        try:
            yield
        finally:
            db.session.rollback()
            _empty_tables()
            db.session.remove()
            clock.set_now(None)
            api.__dict__.update(_API_STATE)


@pytest.fixture
def wechat(standin: StandIn) -> Iterator[StandIn]:
    """The session's WeChat stand-in with its consents, messages and faults forgotten, and its faults cleared after."""
    standin.reset()
    yield standin
    standin.clear_faults()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make(app: Flask) -> Factory:
    return Factory()


@pytest.fixture
def now() -> Iterator[list[datetime]]:
    """A movable clock: ``now[0] = ...`` sets the time the code sees."""
    holder = [clock.utcnow()]
    clock.set_now(lambda: holder[0])
    yield holder
    clock.set_now(None)


@pytest.fixture
def postgres_only(database_url: str) -> None:
    if not _is_postgres(database_url):
        pytest.skip("needs PostgreSQL (row locks, real concurrency): run with TEST_DATABASE_URL")
