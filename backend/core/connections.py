"""What a pooled PostgreSQL connection does when a request takes it: a look that it is still alive, and reads that
open no transaction.

Why: the leanest read of the API (``/me``: the token's statement and its own) used to cost five round trips to the
server — the pool's ping (``SELECT 1``), the ``BEGIN`` psycopg sends before the first statement, the two statements
and the ``ROLLBACK`` that returns the connection to the pool. Three of them did no work. Under a crowd each is a
wake-up of a gunicorn thread and of a PostgreSQL backend (bench/README.md "A crowd").

- **The look before use** (``DB_POOL_PRE_PING``, on by default) replaces SQLAlchemy's ``pool_pre_ping`` round trip.
  A connection the server has closed (restarted, crashed, ``pg_terminate_backend``, an idle timeout, a proxy or a
  failover cutting it) has its socket readable: the server's last message and the end of the stream wait there.
  An idle pooled connection is never sent anything else (the API does not ``LISTEN``), so a readable socket — or a
  connection libpq already knows is broken — is discarded and the pool opens a fresh one
  (``DisconnectionError``: SQLAlchemy's pool retries the checkout). A ``poll()`` with no wait: no round trip. What
  it cannot see, a server gone without a word (a host that lost its power, a cable), a round trip would not see
  either: it would wait for TCP to give up.
- **Reads in autocommit.** A GET or HEAD request takes its connection in autocommit: its reads run as they would
  inside a transaction under READ COMMITTED, PostgreSQL's default and the one the API uses (each statement sees
  what was committed when it started), without the ``BEGIN`` and the ``ROLLBACK``. The first statement that is not
  a plain read — a write, ``SELECT … FOR UPDATE``, an advisory lock, a savepoint, anything not known to be a
  read — turns autocommit off before it runs: it and everything after it in the request are one transaction that
  commits or rolls back whole, as before. So a GET that writes is exactly as safe as it was; only locks a GET would
  take before its first write would be lost, and taking a lock is itself such a statement. Every other use (POST,
  PUT, PATCH, DELETE, the workers, the commands, the tests' own sessions) gets its connection as before, in a
  transaction.

SQLite is embedded: no round trip to save, and its driver's transactions work differently; nothing is installed
there. The replica's engine already runs in autocommit (core/replica.py): it gets the look only.
"""

from __future__ import annotations

import functools
import select
from typing import Any

from flask import has_request_context, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

READ_METHODS = frozenset({"GET", "HEAD"})
# text in a SELECT that makes it more than a read: it locks, advances a sequence, takes an advisory lock, writes
# into a table, notifies (a standby refuses all of them; core/replica.py)
NOT_A_PLAIN_READ = ("for update", "for share", "for no key", "for key share", "nextval", "setval", "pg_advisory",
                    "txid_current", "pg_current_xact_id", "pg_notify", "into ")
_OURS = "sunshine.read_autocommit"  # the pool record's note: this checkout put the connection in autocommit
_INSTALLED = "sunshine.connection_rules"


@functools.lru_cache(maxsize=4096)  # the app's statements are a few hundred texts: each is looked at once
def plain_read(sql: str) -> bool:
    """``sql`` is a SELECT that only reads (``WITH`` may hide a write: not known to be a read)."""
    head = sql.lstrip()[:6].lower()
    if head != "select":
        return False
    low = sql.lower()
    return not any(word in low for word in NOT_A_PLAIN_READ)


def closed_by_server(dbapi_connection: Any) -> bool:
    """The server has closed this idle connection, or libpq knows it is broken (no round trip)."""
    from psycopg import pq

    pgconn = dbapi_connection.pgconn
    if pgconn.status != pq.ConnStatus.OK or dbapi_connection.closed:
        return True
    try:
        fd = pgconn.socket
    except Exception:  # psycopg raises when the connection has no socket any more
        return True
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _reading_request() -> bool:
    return has_request_context() and request.method in READ_METHODS


def install_connection_rules(engine: Engine, *, look_before_use: bool, reads_in_autocommit: bool = True) -> bool:
    """Install the look and the autocommit reads on ``engine``'s pool (PostgreSQL through psycopg only; once per
    engine). Returns whether anything was installed."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return False
    if getattr(engine, _INSTALLED, False):
        return True
    setattr(engine, _INSTALLED, True)

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if look_before_use and closed_by_server(dbapi_connection):
            raise exc.DisconnectionError("PostgreSQL closed this pooled connection")  # the pool opens another
        if not reads_in_autocommit:
            return
        want = _reading_request()
        if dbapi_connection.autocommit != want:
            try:
                dbapi_connection.autocommit = want  # idle between checkouts: allowed, and no round trip
            except Exception:  # left inside a transaction: leave it as it is (its reset will end it)
                want = False
        record.info[_OURS] = want

    if reads_in_autocommit:
        @event.listens_for(engine, "before_cursor_execute")
        def _before_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                              executemany: bool) -> None:
            fairy = conn.connection
            if not fairy.info.get(_OURS) or plain_read(statement):
                return
            fairy.info[_OURS] = False
            fairy.dbapi_connection.autocommit = False  # this statement opens the transaction the rest shares

    return True
