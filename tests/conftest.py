"""Shared fixtures. The suite runs on SQLite by default, on PostgreSQL when TEST_DATABASE_URL is set.

The schema is built by the Alembic migrations (not ``create_all``), so every run also proves the
migrations. Each test starts from empty tables. WeChat is the local stand-in over real HTTP.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from backend import create_app
from backend.core import audit, clock
from backend.core.db import db
from backend.ledger import guards
from backend.wechat.client import clear_gateway_cache
from backend.wechat.standin import StandIn
from tests.factories import Factory


def _is_postgres(url: str) -> bool:
    return url.startswith("postgresql")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def standin() -> Iterator[StandIn]:
    server = StandIn().start()
    try:
        yield server
    finally:
        server.stop()


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
    with application.app_context():
        if _is_postgres(database_url):
            # a fresh schema each session: the migrations build it from nothing
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.session.remove()
    yield application
    with application.app_context():
        db.engine.dispose()
    clear_gateway_cache()


def _empty_tables() -> None:
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
    else:  # SQLite: DELETE fires the ledger's and the audit log's guard triggers, so lift them while emptying
        for statement in (*guards.drop_statements("sqlite"), *audit.guard_drop_statements("sqlite")):
            db.session.execute(text(statement))
        for name in tables:
            db.session.execute(text(f"DELETE FROM {name}"))
        for statement in (*guards.create_statements("sqlite"), *audit.guard_create_statements("sqlite")):
            db.session.execute(text(statement))
    db.session.commit()


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
