"""DB_STATEMENT_TIMEOUT_MS: every statement is stopped past the limit (PostgreSQL's statement_timeout; on SQLite a
progress handler, core/timeouts.py). A stopped statement answers 503 server.query_timeout in Chinese with
Retry-After, no trace; its transaction is rolled back and the next request on the same pooled connection works.
A statement under the limit is untouched; 0 turns the limit off.

Each test builds an app of its own over the suite's database with a small limit and one pooled connection, and
registers test-only routes on it: a slow statement (pg_sleep on PostgreSQL, a long recursive count on SQLite), a
write followed by the slow statement, and a quick one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify
from sqlalchemy import func, select, text

from backend import create_app
from backend.config import engine_options, from_env
from backend.core.db import db
from backend.core.timeouts import is_statement_timeout, postgres_options
from backend.registry.models import Township

MESSAGE = "查询时间过长，已停止。请缩小范围（如选择较短的时间段）后重试"
LIMIT_MS = 300


def _slow_sql(dialect: str, size: str) -> str:
    """A statement that runs far past LIMIT_MS ("long") or one that runs past it on any machine yet ends ("some")."""
    if dialect == "postgresql":
        return {"long": "SELECT pg_sleep(5)", "some": "SELECT pg_sleep(0.9)"}[size]
    rows = {"long": 200_000_000, "some": 5_000_000}[size]  # ~40 s and ~1 s of work on this machine
    return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) SELECT count(*) FROM c"


def _build(app: Flask, timeout_ms: int) -> Flask:
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = engine_options(url, timeout_ms)
    options.update(pool_size=1, max_overflow=0)  # one connection: the request after a stopped one reuses it
    built = create_app({**{k: app.config[k] for k in ("TESTING", "WECHAT_API_BASE_URL", "REDIS_URL",
                                                      "RATELIMIT_ENABLED")},
                        "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                        "DB_STATEMENT_TIMEOUT_MS": timeout_ms})
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"

    def run(size: str) -> Any:
        return jsonify(value=str(db.session.execute(text(_slow_sql(dialect, size))).scalar()))

    def write_then_run() -> Any:
        db.session.add(Township(code="TO", name="超时镇"))
        db.session.flush()
        db.session.execute(text(_slow_sql(dialect, "long")))
        db.session.commit()
        return jsonify(value="written")

    def quick() -> Any:
        setting = idle = ""
        if dialect == "postgresql":
            setting = db.session.execute(text("SHOW statement_timeout")).scalar()
            idle = db.session.execute(text("SHOW idle_in_transaction_session_timeout")).scalar()
        count = db.session.execute(text(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000) SELECT count(*) FROM c"
        )).scalar()
        return jsonify(setting=setting, idle=idle, count=count)

    built.add_url_rule("/_test/slow/<size>", "slow", run)
    built.add_url_rule("/_test/slow-write", "slow_write", write_then_run, methods=["POST"])
    built.add_url_rule("/_test/quick", "quick", quick)
    return built


@pytest.fixture
def limited(app: Flask) -> Iterator[Flask]:
    built = _build(app, LIMIT_MS)
    yield built
    with built.app_context():
        db.engine.dispose()


@pytest.fixture
def unlimited(app: Flask) -> Iterator[Flask]:
    built = _build(app, 0)
    yield built
    with built.app_context():
        db.engine.dispose()


def _assert_stopped(resp: Any) -> None:
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.get_json() == {"error": {"code": "server.query_timeout", "message": MESSAGE, "details": {}}}
    assert resp.headers["Retry-After"] == "10"
    body = resp.get_data(as_text=True)
    assert "Traceback" not in body and "SELECT" not in body and "statement" not in body


def test_a_statement_past_the_limit_is_stopped_and_the_next_request_works(limited: Flask) -> None:
    http = limited.test_client()
    _assert_stopped(http.get("/_test/slow/long"))
    # the same (only) pooled connection answers the next request: no aborted transaction is left on it
    again = http.get("/_test/quick")
    assert again.status_code == 200
    assert again.get_json()["count"] == 1000
    _assert_stopped(http.get("/_test/slow/long"))
    assert http.get("/_test/quick").status_code == 200


def test_a_stopped_write_is_rolled_back(limited: Flask) -> None:
    http = limited.test_client()
    _assert_stopped(http.post("/_test/slow-write"))
    assert http.get("/_test/quick").status_code == 200
    db.session.rollback()  # the suite's own session: a fresh look
    assert db.session.scalar(select(func.count()).select_from(Township).where(Township.code == "TO")) == 0


def test_a_statement_under_the_limit_is_untouched(limited: Flask, database_url: str) -> None:
    resp = limited.test_client().get("/_test/quick")
    assert resp.status_code == 200
    assert resp.get_json()["count"] == 1000
    if database_url.startswith("postgresql"):
        assert resp.get_json()["setting"] == f"{LIMIT_MS}ms"  # the server holds the limit of this connection
        assert resp.get_json()["idle"] == "5min"  # and closes it after five minutes idle inside a transaction


def test_zero_turns_the_limit_off(limited: Flask, unlimited: Flask, database_url: str) -> None:
    # the same statement: stopped under the limit, run to its end without one
    _assert_stopped(limited.test_client().get("/_test/slow/some"))
    resp = unlimited.test_client().get("/_test/slow/some")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    if not database_url.startswith("postgresql"):
        assert resp.get_json()["value"] == "5000000"
    quick = unlimited.test_client().get("/_test/quick").get_json()
    if database_url.startswith("postgresql"):
        assert (quick["setting"], quick["idle"]) == ("0", "0")


def test_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DB_STATEMENT_TIMEOUT_MS", "DATABASE_REPLICA_URL", "REPLICA_MAX_LAG_SECONDS", "RATELIMIT_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    settings = from_env()
    assert settings["RATELIMIT_KEY_PREFIX"] == "sunshine"
    assert settings["DB_STATEMENT_TIMEOUT_MS"] == 30_000
    assert settings["DATABASE_REPLICA_URL"] is None
    assert settings["REPLICA_MAX_LAG_SECONDS"] == 5.0
    pg = "postgresql+psycopg://u@db/app"
    assert engine_options(pg)["connect_args"]["options"] == (
        "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=300000")
    assert "options" not in engine_options(pg, 0)["connect_args"]
    assert "factory" not in engine_options("sqlite:///x.db", 0)["connect_args"]
    assert "factory" in engine_options("sqlite:///x.db", 500)["connect_args"]
    # a long limit: an open transaction may sit idle ten times as long
    assert postgres_options(60_000) == "-c statement_timeout=60000 -c idle_in_transaction_session_timeout=600000"
    assert postgres_options(0) is None
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "1500")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://reader@replica:5432/app")
    monkeypatch.setenv("REPLICA_MAX_LAG_SECONDS", "2.5")
    monkeypatch.setenv("RATELIMIT_KEY_PREFIX", "county-b")  # README's Configuration lists it: it is read
    settings = from_env()
    assert settings["RATELIMIT_KEY_PREFIX"] == "county-b"
    assert settings["DB_STATEMENT_TIMEOUT_MS"] == 1500
    assert settings["DATABASE_REPLICA_URL"] == "postgresql+psycopg://reader@replica:5432/app"
    assert settings["REPLICA_MAX_LAG_SECONDS"] == 2.5
    assert "statement_timeout=1500 " in engine_options(pg)["connect_args"]["options"]
    monkeypatch.setenv("DATABASE_REPLICA_URL", "")
    assert from_env()["DATABASE_REPLICA_URL"] is None


def test_only_a_stopped_statement_is_a_timeout() -> None:
    import sqlite3

    class Canceled(Exception):
        sqlstate = "57014"

    class Deadlock(Exception):
        sqlstate = "40P01"

    assert is_statement_timeout(Canceled())
    assert is_statement_timeout(sqlite3.OperationalError("interrupted"))
    assert not is_statement_timeout(Deadlock())
    assert not is_statement_timeout(sqlite3.OperationalError("database is locked"))
    assert not is_statement_timeout(None)


def test_migrations_run_without_the_limit(database_url: str) -> None:
    """A migration may rewrite a large table for longer than the limit: backend/migrations/env.py lifts it for its
    own connection. Every migration of an empty database runs with no limit, while the app's connections keep it."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL: on SQLite the limit lives in Python and a fresh schema is instant")
    from flask_migrate import upgrade
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    scratch = f"{url.database}_timeout_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{scratch}"')
    target = url.set(database=scratch).render_as_string(hide_password=False)
    seen: list[tuple[str, str]] = []

    def on_version_apply(ctx: Any, step: Any, heads: Any, run_args: Any) -> None:  # alembic's hook, per migration
        seen.append((ctx.connection.exec_driver_sql("SHOW statement_timeout").scalar(),
                     ctx.connection.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar()))

    try:
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": target, "DB_STATEMENT_TIMEOUT_MS": LIMIT_MS,
                          "SQLALCHEMY_ENGINE_OPTIONS": engine_options(target, LIMIT_MS),
                          "REDIS_URL": None})
        app.extensions["migrate"].configure_args["on_version_apply"] = on_version_apply
        with app.app_context():
            assert db.session.execute(text("SHOW statement_timeout")).scalar() == f"{LIMIT_MS}ms"
            db.session.rollback()
            upgrade()
            assert len(seen) >= 27 and set(seen) == {("0", "0")}, seen
            assert db.session.execute(text("SHOW statement_timeout")).scalar() == f"{LIMIT_MS}ms"  # the app's own
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        admin.dispose()


@pytest.mark.parametrize("timeout_ms", [LIMIT_MS, 0])
def test_sqlite_connections_keep_their_pragmas_under_the_limit(tmp_path: Any, timeout_ms: int) -> None:
    """The limit's connection class (core/timeouts.py) is still a sqlite3 connection: foreign keys are enforced, a
    writer waits for a lock, readers go on during a write (WAL) — with the limit and without it."""
    url = f"sqlite:///{tmp_path / 'pragmas.db'}"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "DB_STATEMENT_TIMEOUT_MS": timeout_ms,
                      "REDIS_URL": None})
    with app.app_context():
        pragmas = {name: db.session.execute(text(f"PRAGMA {name}")).scalar()
                   for name in ("foreign_keys", "busy_timeout", "journal_mode", "synchronous")}
        db.session.remove()
        db.engine.dispose()
    assert pragmas == {"foreign_keys": 1, "busy_timeout": 15000, "journal_mode": "wal", "synchronous": 1}
