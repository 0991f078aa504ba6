"""A village's public pages, kept once for everyone who sees them alike (``@shared_page``).

Why: a crowd of villagers opening the mini-program reads, for a good half of its requests, pages that are the same
for every one of them — the village's disclosures, its accounts for the year, its assets, contracts, projects and
decisions — and each was built anew for each of them (2–9 statements, the ORM and the schema). The
per-token cache removed in issue 22 could not share them. These pages depend on the village's data, the day, the
page's address and what the reader may see (their grants), never on who the reader is: a page built for one reader is
kept and given to every reader who sees the village the same way, until a write changes anything.

What decides freshness: one **page version** for the whole database, in the database — a sequence on PostgreSQL
(``page_version``: no lock, no transaction), a one-row table on SQLite. Every transaction that wrote anything but
the few tables no shared page reads (:data:`PRIVATE_TABLES`: tokens, log-in tickets, idempotency keys, read
receipts, the audit log, consents and the push outbox) advances it right after it commits, before its connection
goes back to the pool (:func:`install_page_versions`; a rolled-back transaction advances nothing). A shared page is
kept under the version read at the start of its request, and given out only while the version is unchanged. The
version comes on the primary with the token's own statement (:func:`page_version_column`; backend/auth), so every
host sees another host's write on its next request and a kept page costs that one statement and nothing more; each
process keeps its own pages, nothing is shared between hosts but the version.

What the reader must not notice:

- a write is seen by the writer's next read, and by everyone's: the version moves before the writer's request
  answers. Between a commit and its version's advance (the same thread, a fraction of a millisecond) a reader may
  still get the page of just before the write — as a read that started a moment earlier would have;
- pages are kept at most ``PAGE_CACHE_SECONDS`` (60 by default; 0 turns the cache off): what changed the data
  without advancing the version (a process killed between its commit and the advance, a hand-made change in psql)
  is seen within that time; a restore moves the version past every kept page (backend/ops/backup.py);
- a page is kept per address (query included), per day (pages that count days to a deadline or show what is
  current), and per audience: the reader's grants (role, villages, township), home village, township and whether
  they are a member. A staff member's page (more fields) is never given to a villager. Never kept: answers other
  than 200, a request whose view wrote anything, a body over 1 MB, and any view not marked;
- ``@shared_page`` goes below ``@requires`` (the permission is checked on every request, kept page or not) and above
  the schema decorators (the body kept is the one sent). A view is marked only when its answer depends on nothing
  of the reader but the audience: tests/core/test_shared_pages.py compares every marked page across the demo's
  readers of one audience, and proves no marked view reads a private table.

Per process: at most ``PAGE_CACHE_MB`` (64) megabytes of pages; the least recently used go first.

**Shared reads** (``@shared_read``): the other half of the crowd's requests are personal pages (a villager's home,
a notice with its read mark, a decision with their own objections), which no page store can share; but parts of them
are the same for every reader — the names of people and places, the caller's village and township, the village's
newest disclosure. A function marked ``@shared_read`` keeps its value per arguments and per day under the same page
version, with the same freshness: a write anywhere but the private tables forgets it on every host at the next
request. Its value is given to every reader, so it must be immutable (tuples, frozen dataclasses, read-only
mappings; a test checks every marked function's value) and depend on nothing but its arguments and the data. A read
is kept only in a GET or HEAD that has written nothing (a request's own write is seen by its own reads, never kept
for others), outside a replica's view (a lagging replica's value is not kept under the primary's version), and only
once the request knows the version (from the token's statement: a request without a token reads straight through).
At most ``PAGE_CACHE_READS`` (100,000) entries per process, a value counting one plus its items (a mapping of 175
names weighs 176: a few megabytes in all); the least recently used go first.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, has_request_context, request
from sqlalchemy import BigInteger, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from backend.core.clock import today
from backend.core.connections import plain_read
from backend.core.db import db
from backend.core.permissions import Grant, Principal, current_principal
from backend.core.replica import routed

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "shared_pages"
MARK = "_shared_page"  # set on a marked view (tests find the marked routes by it)
# tables no shared page reads: a write to them alone leaves the page version where it is (a log-in, a notice marked
# read). tests/core/test_shared_pages.py proves no marked view reads any of them.
PRIVATE_TABLES = frozenset({
    "api_tokens", "bind_tickets", "console_tickets", "wechat_accounts", "idempotent_requests", "notice_reads",
    "audit_log", "push_consents", "push_outbox",
})
_WRITTEN_TABLE = re.compile(r"^\s*(?:insert\s+into|update|delete\s+from)\s+\"?(\w+)", re.IGNORECASE)
_WROTE = "sunshine.page_wrote"  # the connection's open transaction wrote a shared table
_COMMITTED = "sunshine.page_committed"  # …and committed: advance the version when the connection is returned
# per request, in its WSGI environ (not flask.g: an app context, and so g, can outlive a request — a test's does)
_ENV_WROTE = "sunshine.page_wrote"  # this request wrote something (its answer is not kept)
_ENV_VERSION = "sunshine.page_version"  # the page version the request's token statement read
MAX_PAGE_BYTES = 1024 * 1024  # a larger answer is not kept (a register of thousands of rows: rare, and big)

PG_READ = "SELECT last_value FROM page_version"
PG_ADVANCE = "SELECT nextval('page_version')"
SQLITE_READ = "SELECT n FROM page_version WHERE id = 1"
SQLITE_ADVANCE = "UPDATE page_version SET n = n + 1 WHERE id = 1"
SQLITE_ATTEMPTS = 3


def writes_shared(statement: str) -> bool:
    """A statement that may change what a shared page shows: anything not a plain read, except a write whose table
    is private."""
    if plain_read(statement):
        return False
    m = _WRITTEN_TABLE.match(statement)
    return not (m and m.group(1).lower() in PRIVATE_TABLES)


# ---------------------------------------------------------------- the version


def _advance(dbapi_connection: Any, postgres: bool) -> None:
    """Advance the page version on a connection just returned to the pool (its transaction is over). Never leaves
    the connection inside a transaction, whatever happens."""
    if postgres:
        before = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # nextval is not transactional: no BEGIN, no COMMIT
        try:
            dbapi_connection.execute(PG_ADVANCE)
        finally:
            dbapi_connection.autocommit = before
        return
    # SQLite: take the write lock first (BEGIN IMMEDIATE waits for it, busy_timeout). A deferred transaction would
    # read first and then ask for the lock, and SQLite refuses that at once when another connection committed in
    # between (SQLITE_BUSY_SNAPSHOT); a connection left inside that failed transaction would read its old snapshot,
    # old version and old rows, in every later request.
    for attempt in range(SQLITE_ATTEMPTS):
        try:
            dbapi_connection.execute("BEGIN IMMEDIATE")
            dbapi_connection.execute(SQLITE_ADVANCE)
            dbapi_connection.commit()
            return
        except Exception:
            dbapi_connection.rollback()
            if attempt == SQLITE_ATTEMPTS - 1:
                raise


def install_page_versions(engine: Engine, forget: Callable[[], None] | None = None) -> None:
    """Every transaction of ``engine`` that wrote a shared table advances the page version once it has committed.
    Installed on every app's engine, whether or not its own cache is on: another host's may be. Should the advance
    fail (the database gone at that moment), ``forget`` empties this process's pages: other hosts' are fresh again
    within ``PAGE_CACHE_SECONDS``."""
    if getattr(engine, "_sunshine_page_versions", False):
        return
    engine._sunshine_page_versions = True  # type: ignore[attr-defined]
    postgres = engine.dialect.name == "postgresql"

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if plain_read(statement):
            return
        if has_request_context():
            request.environ[_ENV_WROTE] = True
        if writes_shared(statement):
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _note_commit(conn: Any) -> None:
        if not conn.invalidated and conn.info.pop(_WROTE, False):
            conn.info[_COMMITTED] = True

    @event.listens_for(engine, "rollback")
    def _note_rollback(conn: Any) -> None:
        if conn.invalidated:  # lost with its connection (asking for .info would try to reconnect)
            return
        conn.info.pop(_WROTE, None)

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        record.info.pop(_WROTE, None)  # not committed: the reset rolled it back
        if not record.info.pop(_COMMITTED, False) or dbapi_connection is None:
            return
        try:
            _advance(dbapi_connection, postgres)
        except Exception as exc:  # the pages are kept at most PAGE_CACHE_SECONDS: they are fresh again by then
            log.warning("shared pages: could not advance the page version after a write: %s", exc)
            if forget is not None:
                forget()


class PageVersionColumn(FunctionElement[int]):
    """The page version as a column of another statement: the token's statement carries it (backend/auth), so a
    kept page costs no statement of its own. A function element with no arguments: SQLAlchemy keeps the statement
    compiled (a bare ColumnElement would have no cache key, and the token's statement would be compiled anew on every
    request)."""

    type = BigInteger()
    name = "page_version"
    inherit_cache = True


@compiles(PageVersionColumn, "postgresql")
def _version_on_postgres(element: PageVersionColumn, compiler: Any, **kw: Any) -> str:
    return f"({PG_READ})"


@compiles(PageVersionColumn)
def _version_elsewhere(element: PageVersionColumn, compiler: Any, **kw: Any) -> str:
    return f"({SQLITE_READ})"


def page_version_column() -> ColumnElement[int]:
    return PageVersionColumn().label("page_version")


def note_version(version: int | None) -> None:
    """What the request's token statement read: its shared pages use it instead of reading it again."""
    if version is not None and has_request_context():
        request.environ[_ENV_VERSION] = int(version)


def version_past_now() -> None:
    """Move the page version past anything a running process may hold: to the time in microseconds if that is
    further (a restore brings back the version of the dump, lower than the one pages were kept under; a version
    that came back to the same number would give out a page of the data before the restore). Commits."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(
            "SELECT setval('page_version', GREATEST((SELECT last_value FROM page_version), "
            "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint))"))
    else:
        db.session.execute(text("UPDATE page_version SET n = max(n, :now) WHERE id = 1"),
                           {"now": int(time.time() * 1_000_000)})
    db.session.commit()


def read_version() -> int:
    """The page version now (on the primary; a GET's read in autocommit on PostgreSQL)."""
    sql = PG_READ if db.session.get_bind().dialect.name == "postgresql" else SQLITE_READ
    return int(db.session.execute(text(sql)).scalar_one())


# ---------------------------------------------------------------- the pages


_MISSING = object()


class KeptStore:
    """Values by key, each with the page version it was kept under, for at most ``seconds``, within ``budget`` units
    of weight (what a value weighs is the subclass's to say): the least recently used go first. Thread-safe. The
    shared pages and the shared reads are both one of these."""

    def __init__(self, seconds: float, budget: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.budget = budget
        self.clock = clock
        self._values: OrderedDict[tuple[Any, ...], tuple[int, float, Any, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def on(self) -> bool:
        return self.seconds > 0 and self.budget > 0

    @property
    def weight(self) -> int:
        """What is kept, counted as the budget counts it."""
        return self._weight

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._weight -= self._values.pop(key)[3]

    def _get(self, key: tuple[Any, ...], version: int) -> Any:
        """The value kept for ``key`` under ``version``, or ``_MISSING``."""
        with self._lock:
            kept = self._values.get(key)
            if kept is None or kept[0] != version or self.clock() - kept[1] >= self.seconds:
                if kept is not None:
                    self._drop(key)
                self.misses += 1
                return _MISSING
            self._values.move_to_end(key)
            self.hits += 1
            return kept[2]

    def _keep(self, key: tuple[Any, ...], version: int, value: Any, weight: int) -> None:
        if weight > self.budget:
            return
        with self._lock:
            if key in self._values:
                self._drop(key)
            self._values[key] = (version, self.clock(), value, weight)
            self._weight += weight
            while self._weight > self.budget:
                self._drop(next(iter(self._values)))

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._weight = 0

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]


class SharedPages(KeptStore):
    """Pages by (address, day, audience), within ``budget`` bytes of bodies; a page over ``max_page`` bytes is not
    kept."""

    def __init__(self, seconds: float, budget: int, max_page: int = MAX_PAGE_BYTES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(seconds, budget, clock)
        self.max_page = min(max_page, budget)

    @property
    def size(self) -> int:
        """Bytes of bodies kept."""
        return self.weight

    def get(self, key: tuple[Any, ...], version: int) -> Page | None:
        page = self._get(key, version)
        return None if page is _MISSING else page

    def put(self, key: tuple[Any, ...], version: int, response: Response) -> None:
        body = response.get_data()
        if len(body) <= self.max_page:
            self._keep(key, version, Page(response.status_code, body, tuple(response.headers.items())), len(body))


def audience(p: Principal) -> tuple[Any, ...]:
    """What of the reader a shared page may depend on: their grants, home village, township, and membership."""
    grants = tuple(sorted((gr.role, tuple(sorted(gr.village_ids)), gr.township_id or 0) for gr in p.grants))
    return (p.village_id or 0, p.township_id or 0, p.member_id is not None, grants)


def reader_of(seen_as: tuple[Any, ...]) -> Principal:
    """A principal who sees exactly as the :func:`audience` ``seen_as`` does (no person, no token): for a shared read
    whose value depends on nothing of the reader but their audience."""
    village_id, township_id, member, grants = seen_as
    return Principal(person_id=0, name="", member_id=-1 if member else None, village_id=village_id or None,
                     township_id=township_id or None,
                     grants=tuple(Grant(role, frozenset(vs), t or None) for role, vs, t in grants))


def shared_page(view: F) -> F:
    """Keep this view's 200 answers for every reader of the same audience (see the module's docstring). Goes
    below ``@requires`` and above the schema decorators."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        pages: SharedPages | None = current_app.extensions.get(EXTENSION)
        principal = current_principal()
        if pages is None or not pages.on or principal is None or request.method not in ("GET", "HEAD"):
            return view(*args, **kwargs)
        key = (request.full_path, today().toordinal(), audience(principal))
        version = request.environ.get(_ENV_VERSION)
        if version is None:
            version = read_version()
        page = pages.get(key, version)
        if page is not None:
            return current_app.response_class(page.body, status=page.status, headers=list(page.headers))
        request.environ[_ENV_WROTE] = False
        response = view(*args, **kwargs)
        if (isinstance(response, Response) and response.status_code == 200 and not response.direct_passthrough
                and not request.environ.get(_ENV_WROTE)):
            pages.put(key, version, response)
        return response

    setattr(wrapper, MARK, True)
    return wrapper  # type: ignore[return-value]


# ---------------------------------------------------------------- shared reads

READS_EXTENSION = "shared_reads"
SHARED_READS: list[Callable[..., Any]] = []  # every marked function, as written (tests call them)


class SharedReads(KeptStore):
    """Values by key within ``budget`` entries: a value counts one, plus one per item of a tuple or mapping (a
    decision's 175 names weigh 176)."""

    def get(self, key: tuple[Any, ...], version: int) -> Any:
        """The value kept for ``key`` under ``version``, or ``_MISSING`` (a kept value may be ``None``)."""
        return self._get(key, version)

    def put(self, key: tuple[Any, ...], version: int, value: Any) -> None:
        self._keep(key, version, value, 1 + (len(value) if isinstance(value, (tuple, Mapping)) else 0))


def _pending() -> bool:
    """The request's session holds changes not yet sent (its own reads would see them once flushed)."""
    session = db.session()
    return bool(session.new or session.deleted) or session.identity_map.check_modified()


def shared_read(fn: F) -> F:
    """Keep ``fn``'s value per arguments (hashable) and per day under the page version, for every reader (see the
    module's text). ``fn`` reads only shared tables and returns an immutable value."""
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if not has_request_context():
            return fn(*args)
        store: SharedReads | None = current_app.extensions.get(READS_EXTENSION)
        version = request.environ.get(_ENV_VERSION)
        if (store is None or not store.on or version is None or request.method not in ("GET", "HEAD")
                or request.environ.get(_ENV_WROTE) or routed() or _pending()):
            return fn(*args)
        key = (name, today().toordinal(), *args)
        value = store.get(key, version)
        if value is _MISSING:
            value = fn(*args)
            if not request.environ.get(_ENV_WROTE):
                store.put(key, version, value)
        return value

    SHARED_READS.append(fn)
    return wrapper  # type: ignore[return-value]


def install_shared_pages(app: Flask, engine: Engine) -> None:
    """The app's page store and shared reads (off with ``PAGE_CACHE_SECONDS=0``) and the version's advance on its
    engine."""
    seconds = float(app.config.get("PAGE_CACHE_SECONDS", 60))
    pages = SharedPages(seconds=seconds, budget=int(float(app.config.get("PAGE_CACHE_MB", 64)) * 1024 * 1024))
    reads = SharedReads(seconds=seconds, budget=int(app.config.get("PAGE_CACHE_READS", 100_000)))
    app.extensions[EXTENSION] = pages
    app.extensions[READS_EXTENSION] = reads

    def forget() -> None:
        pages.clear()
        reads.clear()

    install_page_versions(engine, forget=forget)


def pages_of(app: Flask) -> SharedPages | None:
    return app.extensions.get(EXTENSION)
