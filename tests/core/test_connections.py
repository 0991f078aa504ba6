"""backend/core/connections.py: a GET's reads open no transaction, a GET that writes or locks does it in one whole
transaction, every other request keeps its transaction, and a pooled connection the server closed is replaced
before a request can fail on it — with no round trip for any of it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, jsonify
from psycopg import pq
from sqlalchemy import create_engine, event, text

from backend import create_app
from backend.core.connections import install_connection_rules, plain_read
from backend.core.db import db
from tests.factories import Factory

API = "/api/v1"
IDLE = pq.TransactionStatus.IDLE
INTRANS = pq.TransactionStatus.INTRANS
PROBE = "conn_rules_probe"


@pytest.mark.parametrize(("sql", "read"), [
    ("SELECT people.id FROM people WHERE people.id = %(id)s", True),
    ("  \n select 1", True),
    ("SELECT id FROM ledger_vouchers WHERE id = 1 FOR UPDATE", False),
    ("SELECT id FROM ledger_vouchers WHERE id = 1 FOR NO KEY UPDATE", False),
    ("SELECT id FROM t FOR SHARE", False),
    ("SELECT pg_advisory_xact_lock(1, 2)", False),
    ("SELECT nextval('people_id_seq')", False),
    ("SELECT * INTO copy FROM people", False),
    ("WITH x AS (UPDATE people SET name = 'a' RETURNING id) SELECT id FROM x", False),  # WITH may hide a write
    ("INSERT INTO people (name) VALUES ('a')", False),
    ("UPDATE people SET name = 'a'", False),
    ("DELETE FROM people", False),
    ("SAVEPOINT sa_savepoint_1", False),
    ("SET LOCAL statement_timeout = 10", False),
])
def test_plain_read_knows_a_read_from_anything_else(sql: str, read: bool) -> None:
    assert plain_read(sql) is read


def test_sqlite_gets_nothing(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert install_connection_rules(engine, look_before_use=True) is False


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def probe_app(app: Flask, database_url: str, postgres_only: None) -> Iterator[tuple[Flask, list[tuple[str, Any]]]]:
    """A second app on the test database with a few routes that read, write and lock a table of their own; every
    statement is noted with the connection's transaction status right after it ran."""
    seen: list[tuple[str, Any]] = []
    papp = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                       "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})

    def ids() -> list[int]:
        return list(db.session.execute(text(f"SELECT id FROM {PROBE} ORDER BY id")).scalars())

    @papp.route("/probe", methods=["GET", "POST"])
    def read() -> Any:
        ids()
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        return jsonify(pid=pid, ids=ids())

    @papp.get("/probe/write")
    def write() -> Any:
        ids()
        db.session.execute(text(f"INSERT INTO {PROBE} (id) VALUES (1)"))
        ids()
        db.session.commit()
        return jsonify(ids=ids())

    @papp.get("/probe/write-twice")
    def write_twice() -> Any:
        ids()
        db.session.execute(text(f"INSERT INTO {PROBE} (id) VALUES (2)"))
        db.session.execute(text(f"INSERT INTO {PROBE} (id) VALUES (2)"))  # the same key: fails
        db.session.commit()
        return jsonify(ids=ids())

    @papp.get("/probe/lock")
    def lock() -> Any:
        db.session.execute(text(f"SELECT id FROM {PROBE} WHERE id = 7 FOR UPDATE"))
        ids()  # a read after the lock: the lock must still be held
        with other.connect() as c:  # another session, outside any request
            try:
                c.execute(text(f"SELECT id FROM {PROBE} WHERE id = 7 FOR UPDATE NOWAIT"))
                held = False
            except Exception:
                held = True
            c.rollback()
        db.session.commit()
        return jsonify(held=held)

    other = create_engine(database_url)
    with papp.app_context():
        engine = db.engine
        with engine.begin() as c:
            c.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
            c.execute(text(f"CREATE TABLE {PROBE} (id integer PRIMARY KEY)"))

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append((statement.lstrip().split()[0].upper(), conn.connection.dbapi_connection.info.transaction_status))

    event.listen(engine, "after_cursor_execute", note)
    try:
        yield papp, seen
    finally:
        event.remove(engine, "after_cursor_execute", note)
        with papp.app_context():
            with engine.begin() as c:
                c.execute(text(f"DROP TABLE IF EXISTS {PROBE}"))
            engine.dispose()
        other.dispose()


def test_a_get_reads_with_no_transaction_open(probe_app: Any) -> None:
    papp, seen = probe_app
    r = papp.test_client().get("/probe")
    assert r.status_code == 200
    assert [s for s in seen if s[0] == "SELECT"] and all(status == IDLE for _, status in seen), seen


def test_a_post_reads_inside_its_transaction_as_before(probe_app: Any) -> None:
    papp, seen = probe_app
    assert papp.test_client().post("/probe").status_code == 200
    assert seen and all(status == INTRANS for _, status in seen), seen


def test_a_get_that_writes_does_it_in_a_transaction_from_its_first_write(probe_app: Any) -> None:
    papp, seen = probe_app
    r = papp.test_client().get("/probe/write")
    assert r.status_code == 200 and r.json == {"ids": [1]}
    assert [s for s, _ in seen] == ["SELECT", "INSERT", "SELECT", "SELECT"]
    assert [status for _, status in seen] == [IDLE, INTRANS, INTRANS, IDLE]  # the read before, in, then after commit


def test_a_get_whose_second_write_fails_keeps_nothing_of_the_first(probe_app: Any) -> None:
    papp, _ = probe_app
    client = papp.test_client()
    r = client.get("/probe/write-twice")
    assert r.status_code >= 400
    assert client.get("/probe").json["ids"] == []  # the first INSERT was rolled back with the second


def test_a_lock_taken_in_a_get_is_held_until_the_request_ends(probe_app: Any) -> None:
    papp, seen = probe_app
    with papp.app_context(), db.engine.begin() as c:
        c.execute(text(f"INSERT INTO {PROBE} (id) VALUES (7)"))
    seen.clear()
    r = papp.test_client().get("/probe/lock")
    assert r.status_code == 200 and r.json == {"held": True}
    assert seen[0] == ("SELECT", INTRANS)  # the FOR UPDATE opened the transaction


def test_a_connection_used_outside_a_request_after_a_get_is_in_a_transaction(probe_app: Any) -> None:
    papp, _ = probe_app
    assert papp.test_client().get("/probe").status_code == 200
    with papp.app_context():
        with db.engine.connect() as c:  # the same pooled connection the GET used
            c.execute(text(f"INSERT INTO {PROBE} (id) VALUES (3)"))
            assert c.connection.dbapi_connection.info.transaction_status == INTRANS
            c.rollback()
        with db.engine.connect() as c:
            assert list(c.execute(text(f"SELECT id FROM {PROBE}")).scalars()) == []


def test_a_real_villager_read_opens_no_transaction(probe_app: Any, make: Factory) -> None:
    papp, seen = probe_app
    v = make.village()
    person = make.member(v)
    r = papp.test_client().get(f"{API}/me", headers=make.headers(person))
    assert r.status_code == 200, r.json
    assert len(seen) >= 2 and all(status == IDLE for _, status in seen), seen


def _terminate(pid: int, database_url: str) -> None:
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            assert c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
            deadline = time.monotonic() + 5
            while c.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                            {"pid": pid}).scalar_one():
                assert time.monotonic() < deadline
                time.sleep(0.01)
    finally:
        admin.dispose()
    time.sleep(0.05)  # the server's last message reaches the pooled socket


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(probe_app: Any,
                                                                                database_url: str) -> None:
    papp, _ = probe_app
    client = papp.test_client()
    first = client.get("/probe").json["pid"]
    _terminate(first, database_url)
    r = client.get("/probe")
    assert r.status_code == 200, r.json
    assert r.json["pid"] != first


def test_without_the_look_the_first_request_after_a_termination_fails(app: Flask, database_url: str,
                                                                      postgres_only: None) -> None:
    """DB_POOL_PRE_PING=0: what the look saves — the request meets the dead connection and answers 503."""
    papp = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                       "DB_POOL_PRE_PING": False, "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})

    @papp.get("/probe")
    def read() -> Any:
        return jsonify(pid=db.session.execute(text("SELECT pg_backend_pid()")).scalar_one())

    client = papp.test_client()
    try:
        first = client.get("/probe").json["pid"]
        _terminate(first, database_url)
        assert client.get("/probe").status_code == 503
        again = client.get("/probe")
        assert again.status_code == 200 and again.json["pid"] != first
    finally:
        with papp.app_context():
            db.engine.dispose()
