"""A time limit on every database statement (``DB_STATEMENT_TIMEOUT_MS``, 30 s by default; 0 turns it off).

Why: one slow query (a township's report over ten years, a search with no index to use) must not hold a gunicorn
thread and a pooled connection for minutes while the villagers' requests queue behind it. A statement past the
limit is stopped by the database; the request answers 503 ``server.query_timeout`` (core/errors.py), its transaction
is rolled back and the thread and the connection serve the next request.

- PostgreSQL: the server's own ``statement_timeout``, set for every connection of the pool at connect time (the
  ``options`` startup parameter; :func:`postgres_options`). ``idle_in_transaction_session_timeout`` is set to ten
  times the limit (at least five minutes): a connection left idle inside an open transaction (a thread stuck on
  something else while holding row locks) is closed by the server instead of blocking writers for ever. It is
  generous on purpose: a request may build a large .xlsx or PDF, or a push worker wait on WeChat, between two
  statements of one transaction, and losing the connection there would fail work that was going well.
- SQLite has no such setting. Every connection is made by :func:`sqlite_connection_factory`'s class: each
  ``execute`` notes when the statement must end, and a progress handler, called by SQLite every
  :data:`PROGRESS_STEPS` virtual-machine instructions, stops it once that moment is past (``sqlite3.OperationalError:
  interrupted``). The time counts from the ``execute``, so it covers the fetching of the rows too (SQLAlchemy fetches
  them right away). Waiting for another writer's lock is bounded by ``busy_timeout`` instead (extensions.py).
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import Any

PROGRESS_STEPS = 1000  # SQLite VM instructions between two looks at the clock (a few microseconds of work)
IDLE_IN_TRANSACTION_MIN_MS = 300_000
IDLE_IN_TRANSACTION_TIMES = 10
QUERY_CANCELED_SQLSTATE = "57014"  # PostgreSQL: canceling statement due to statement timeout (or a cancel request)


def postgres_options(timeout_ms: int) -> str | None:
    """The ``options`` startup parameter that puts the limit on a PostgreSQL connection; None when it is off."""
    if timeout_ms <= 0:
        return None
    idle = max(IDLE_IN_TRANSACTION_TIMES * timeout_ms, IDLE_IN_TRANSACTION_MIN_MS)
    return f"-c statement_timeout={timeout_ms} -c idle_in_transaction_session_timeout={idle}"


def sqlite_connection_factory(timeout_ms: int) -> type[sqlite3.Connection]:
    """A ``sqlite3.Connection`` class whose statements stop after ``timeout_ms`` (pass it as ``factory`` to
    ``sqlite3.connect``, i.e. in SQLAlchemy's ``connect_args``)."""
    limit = timeout_ms / 1000

    class TimedCursor(sqlite3.Cursor):
        def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
            self.connection._deadline[0] = time.monotonic() + limit  # type: ignore[attr-defined]
            return super().execute(sql, parameters)

        def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
            self.connection._deadline[0] = time.monotonic() + limit  # type: ignore[attr-defined]
            return super().executemany(sql, parameters)

        def executescript(self, script: str, /) -> sqlite3.Cursor:
            self.connection._deadline[0] = time.monotonic() + limit  # type: ignore[attr-defined]
            return super().executescript(script)

    class TimedConnection(sqlite3.Connection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            deadline = [math.inf]  # a list, not an attribute read through self: the handler holds no cycle
            self._deadline = deadline
            self.set_progress_handler(lambda: time.monotonic() > deadline[0], PROGRESS_STEPS)

        def cursor(self, factory: Any = TimedCursor) -> Any:  # Connection.execute() comes through here too
            return super().cursor(factory)

    return TimedConnection


def is_statement_timeout(orig: BaseException | None) -> bool:
    """The driver's exception says the statement was stopped by the time limit."""
    if orig is None:
        return False
    if getattr(orig, "sqlstate", None) == QUERY_CANCELED_SQLSTATE:
        return True
    return isinstance(orig, sqlite3.OperationalError) and str(orig) == "interrupted"
