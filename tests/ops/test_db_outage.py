"""The database gone in the middle of a money write: the client gets 503 in the one error shape with the Chinese
message, nothing of the write stays, /readyz says 503 while it is gone, and once it is back the same app serves
again without a restart (the pool pings and replaces dead connections).

PostgreSQL cannot be stopped here (the server is shared), so a TCP proxy stands between the app and the server;
cutting it closes every connection and refuses new ones, as a stopped or crashed server does. SQLite is embedded:
there is no server to lose, so its fault is a write lock held by someone else (another process, a restore, a shell)
for longer than the busy timeout; root on this machine can read any file, so "file unreadable" is not a fault that
can be staged here."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from backend import create_app
from backend.config import engine_options
from backend.core.audit import AuditEntry
from backend.core.db import db
from backend.land.models import RentAllocation, RentDue, RentPayment
from backend.ledger.models import Voucher, VoucherLine
from tests.factories import Factory
from tests.ops.conftest import RentBooks, TcpProxy, build_rent_books

API = "/api/v1"
UNAVAILABLE = {"error": {"code": "server.unavailable", "message": "系统暂时不可用，请稍后再试", "details": {}}}
READYZ_DOWN = {"error": {"code": "server.unavailable", "message": "数据库暂时不可用", "details": {}}}


def _written() -> tuple[int, int, int, int, int, int]:
    """Everything a rent payment writes, read directly (not through the proxy)."""
    db.session.expire_all()

    def count(model: Any, *where: Any) -> int:
        return db.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

    paid = db.session.execute(select(func.coalesce(func.sum(RentDue.paid_fen), 0))).scalar_one()
    return (count(RentPayment), count(RentAllocation), count(Voucher), count(VoucherLine), int(paid),
            count(AuditEntry, AuditEntry.action == "land.rent_payment"))


@pytest.fixture
def march(now: list[datetime]) -> list[datetime]:
    now[0] = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
    return now


@pytest.fixture
def books(make: Factory, march: Any) -> RentBooks:
    return build_rent_books(make, date(2026, 3, 1), date(2026, 3, 3))


@pytest.fixture
def proxied(app: Flask, database_url: str, postgres_only: None) -> Iterator[tuple[Flask, TcpProxy]]:
    """A second app on the same database, reached through the proxy."""
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    papp = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False),
        "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"],
        "REDIS_URL": None,
    })
    try:
        yield papp, proxy
    finally:
        proxy.cut()
        with papp.app_context():
            db.engine.dispose()


def _pay(client: Any, books: RentBooks, headers: dict[str, str], key: str, amount: str = "3000.00") -> Any:
    return client.post(f"{API}/land-contracts/{books.contract_ids[0]}/payments",
                       headers={**headers, "Idempotency-Key": key},
                       json={"due_id": books.due_ids[0], "amount": amount, "paid_on": books.paid_on.isoformat()})


@pytest.mark.parametrize("cut_before", [
    "INSERT INTO land_rent_allocations",  # the payment row is sent, its split to households not yet
    "INSERT INTO ledger_voucher_lines",  # the receipt voucher is numbered, its lines not yet sent
    "COMMIT",  # everything is sent; the commit never arrives
])
def test_postgres_gone_mid_payment_is_503_leaves_nothing_and_recovers_without_restart(
        make, books, proxied, cut_before):
    papp, proxy = proxied
    headers = make.headers(books.accountant)
    client = papp.test_client()
    assert client.get("/readyz").status_code == 200  # the pool holds a live connection through the proxy
    before = _written()

    statements: list[str] = []
    cut_at: list[float] = []
    target, _, nth = cut_before.partition("#")

    def cut() -> None:
        if not cut_at:
            cut_at.append(time.monotonic())
            proxy.cut()

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lstrip())
        if statements[-1].startswith(target) and sum(s.startswith(target) for s in statements) == int(nth or 1):
            cut()

    def on_commit(conn: Any) -> None:
        if target == "COMMIT":
            cut()

    with papp.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "commit", on_commit)
    try:
        started = time.monotonic()
        r = _pay(client, books, headers, "bank-0303")
        answered = time.monotonic() - started
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "commit", on_commit)

    assert cut_at, (f"the write never reached {cut_before}", r.status_code)
    assert any(s.startswith("INSERT INTO land_rent_payments") for s in statements)  # the write had begun
    assert r.status_code == 503 and r.json == UNAVAILABLE, r.json
    assert answered < 5, answered
    assert _written() == before  # nothing of the payment: no payment, allocation, voucher, line, paid amount, audit

    # while it is gone: the probe and every other request say 503 at once (refused, not hanging)
    started = time.monotonic()
    probe = client.get("/readyz")
    assert probe.status_code == 503 and probe.json == READYZ_DOWN
    listed = client.get(f"{API}/land-contracts/{books.contract_ids[0]}/payments", headers=headers)
    assert listed.status_code == 503 and listed.json == UNAVAILABLE
    assert time.monotonic() - started < 5

    # back: the same app, no restart; the retry with the same key is a new payment (nothing of the first stayed)
    proxy.restore()
    assert client.get("/readyz").status_code == 200
    again = _pay(client, books, headers, "bank-0303")
    assert again.status_code == 201 and again.json["replayed"] is False, again.json
    assert _written() == (1, 1, 1, 2, 3000_00, 1)  # the receipt; the households' payout comes later
    assert _pay(client, books, headers, "bank-0303").status_code == 200  # and a further retry replays


def test_postgres_down_before_the_request_is_503_and_every_pooled_connection_is_replaced(make, books, proxied):
    """Several pooled connections die at once (a restarted server): each request after the return gets a fresh
    connection, none fails on a dead one."""
    papp, proxy = proxied
    headers = make.headers(books.accountant)
    client = papp.test_client()
    url = f"{API}/land-contracts/{books.contract_ids[0]}/payments"
    with papp.app_context():
        conns = [db.engine.connect() for _ in range(4)]  # fill the pool with four live connections
        for c in conns:
            c.close()
    assert proxy.open_connections >= 4
    proxy.cut()
    assert client.get(url, headers=headers).json == UNAVAILABLE
    assert _pay(client, books, headers, "k1").status_code == 503
    proxy.restore()
    for _ in range(6):
        r = client.get(url, headers=headers)
        assert r.status_code == 200, r.json
    assert _pay(client, books, headers, "k1").status_code == 201
    assert _written()[0] == 1


def test_without_pre_ping_one_request_fails_after_a_restart_and_the_rest_recover(app, make, books, database_url,
                                                                                 postgres_only):
    """DB_POOL_PRE_PING=0 saves a look at the socket per request; what it costs: after the server comes back, the first
    request meets a dead pooled connection and gets 503 — and SQLAlchemy then discards the whole pool, so the
    next requests get fresh connections."""
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    papp = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": proxied_url, "REDIS_URL": None,
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options(proxied_url), "DB_POOL_PRE_PING": False,
        "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"],
    })
    try:
        headers = make.headers(books.accountant)
        client = papp.test_client()
        path = f"{API}/land-contracts/{books.contract_ids[0]}/payments"
        with papp.app_context():
            conns = [db.engine.connect() for _ in range(4)]
            for c in conns:
                c.close()
        assert client.get(path, headers=headers).status_code == 200
        proxy.cut()
        proxy.restore()
        assert client.get(path, headers=headers).json == UNAVAILABLE  # a dead connection, found by using it
        for _ in range(6):
            assert client.get(path, headers=headers).status_code == 200
        assert _pay(client, books, headers, "k-after").status_code == 201
    finally:
        proxy.cut()
        with papp.app_context():
            db.engine.dispose()


# ---------------------------------------------------------------- SQLite: the write lock held elsewhere


def test_sqlite_locked_by_another_writer_is_503_within_the_busy_timeout_and_recovers(app, make, books, database_url):
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite's fault (a write lock held by another process); PostgreSQL has its own tests above")
    headers = make.headers(books.accountant)
    client = app.test_client()
    before = _written()
    busy_ms = 300

    def short_wait(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        dbapi_conn.execute(f"PRAGMA busy_timeout={busy_ms}")  # 15 s in production; short here

    engine = db.engine
    event.listen(engine, "checkout", short_wait)
    db.session.remove()  # the test client's request shares this app context: give it a fresh checkout
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock (a shell, a long import, a restore)
        started = time.monotonic()
        r = _pay(client, books, headers, "bank-0303")
        answered = time.monotonic() - started
        assert r.status_code == 503 and r.json == UNAVAILABLE, r.json
        assert busy_ms / 1000 <= answered < busy_ms / 1000 + 2, answered
        db.session.rollback()
        probe = client.get("/readyz")  # WAL: reads go on while someone writes
        assert probe.status_code == 200
        other.execute("ROLLBACK")
        assert _written() == before
        again = _pay(client, books, headers, "bank-0303")
        assert again.status_code == 201 and again.json["replayed"] is False, again.json
        assert _written() == (1, 1, 1, 2, 3000_00, 1)  # the receipt; the households' payout comes later
    finally:
        other.close()
        event.remove(engine, "checkout", short_wait)
