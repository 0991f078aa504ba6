"""A villager's repeated reads answered from memory, never older than the last write.

Why: on the 2-core machine of bench/hot_paths.py a bare Flask answer costs ~0.1 ms of CPU and the cheapest answer
that touches PostgreSQL through SQLAlchemy ~1.2 ms (one ``SELECT 1``), so no view that reads the database gets near
the bare app. The villager's pages are read far more often than anything in them changes: the home screen opened
again, a disclosure read by the household after the village office posted it, the pull-to-refresh of an elderly
villager on a weak network. Those repeats are answered here without Flask, SQLAlchemy or the database.

What is kept: the 200 answers of GET views marked :func:`cached_read`, per ``Authorization`` header (one token's
answer is never given to another token: the key is a hash of the header) and path with its query string. Bodies
larger than ``RESPONSE_CACHE_MAX_BODY`` (512 KiB) are not kept; each process keeps at most ``RESPONSE_CACHE_ENTRIES``
(5,000) answers and ``RESPONSE_CACHE_BYTES`` (64 MiB) of bodies, the least recently used going first.

An answer is given from memory only while all of these hold:

1. **Nothing was written since it was made.** Every answer carries the *change stamp* read when its request came
   in; it is served only while the stamp is unchanged.

   - On this host the stamp is 8 bytes in a small file that every process serving the same database maps
     (:class:`ChangeStamp`). Every write statement and every commit through SQLAlchemy in any of them writes new
     random bytes there *before* it returns: a logout in one gunicorn worker is seen by the next request in any
     other worker. The commit is stamped again after it completes, so a read that began before a commit cannot
     keep its (older) answer.
   - Writes from other hosts or other programs (psql, a restore): on PostgreSQL a statement-level trigger on every
     table sends ``NOTIFY sunshine_changes`` with the commit (migration 0011); each process LISTENs on a connection
     of its own and stamps the file when one arrives (milliseconds). While that connection is not listening (at
     start, while the database is down or restarting) nothing is answered from memory. SQLite has no other hosts.

2. **The token is still valid**: the answer keeps the token's expiry; revoking one (logout, unbind) is a write.

3. **It is younger than ``RESPONSE_CACHE_SECONDS``** (5 s) by the app's clock: what moves with time alone (a vote
   closing, "this year", a 公示 period ending) is at most that late. A clock moved backwards makes it a miss too.

A kept answer keeps its ``ETag`` (written by core/etag.py before the answer is kept): a repeat whose
``If-None-Match`` names it is answered 304 with no body from memory, with no hashing and no Flask.

``RESPONSE_CACHE`` = ``0`` turns it off. ``RESPONSE_CACHE_STAMP_DIR`` is where the stamp files live (the system's
temporary directory by default; every process of one deployment on a host must see the same one).
``RESPONSE_CACHE_LISTEN_URL``: where the listener connects, when ``DATABASE_URL`` goes through PgBouncer in
transaction pooling mode (which accepts LISTEN and never delivers a notification); by default ``DATABASE_URL``.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import tempfile
import threading
import time
import uuid
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from flask import Flask, Response, g, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.orm import Session

from backend.core.clock import utcnow
from backend.core.etag import NOT_MODIFIED, matches, not_modified_headers

log = logging.getLogger(__name__)

CHANNEL = "sunshine_changes"
_STAMP_KEY = "sunshine.change_stamp"
_WRITE_PREFIXES = ("SELECT", "SHOW", "EXPLAIN")  # statements that change nothing; everything else stamps

F = TypeVar("F", bound=Callable[..., Any])


def cached_read(view: F) -> F:
    """Mark a GET view whose 200 answer depends only on the database, the caller's token and the clock (to within
    ``RESPONSE_CACHE_SECONDS``): it may be answered from memory. Put it right under ``@blp.route``."""
    view.cached_read = True  # type: ignore[attr-defined]
    return view


# ---------------------------------------------------------------- the change stamp


class UnsafeStampFile(OSError):
    pass


class ChangeStamp:
    """8 bytes shared through a file by every process of this host that serves one database."""

    def __init__(self, path: Path) -> None:
        # In a shared temporary directory someone else could have made the file first, to write old bytes back
        # (answers outliving a logout): a symbolic link is not followed, and the file must be ours and only ours.
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            st = os.fstat(fd)
            if st.st_uid != os.geteuid() or st.st_mode & 0o077:
                raise UnsafeStampFile(f"{path} must belong to this user and be readable by nobody else")
            if st.st_size < 8:
                os.ftruncate(fd, 8)  # two processes racing here both make it 8 bytes long
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)
        self.path = path
        self._live_pid = 0  # the process whose listener is LISTENing (PostgreSQL); SQLite: whoever asks

    @property
    def live(self) -> bool:
        """Changes made elsewhere reach this process (a forked worker does not inherit its parent's listener)."""
        return self._live_pid == os.getpid()

    @live.setter
    def live(self, value: bool) -> None:
        self._live_pid = os.getpid() if value else 0

    def read(self) -> bytes:
        return self._map[:8]

    def bump(self) -> None:
        # random, not a counter: no lock between processes, and a value never comes back
        self._map[:8] = os.urandom(8)


_stamps: dict[str, ChangeStamp] = {}
_stamps_lock = threading.Lock()
_engine_stamps: weakref.WeakKeyDictionary[Engine, ChangeStamp] = weakref.WeakKeyDictionary()


def database_key(url: str) -> str | None:
    """What identifies one database for the stamp file (None: nothing to share, e.g. SQLite in memory)."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:" or u.database.startswith("file::memory:"):
            return None
        return "sqlite:" + str(Path(u.database).resolve())
    return f"{u.get_backend_name()}:{u.host or ''}:{u.port or ''}:{u.database or ''}"


def stamp_for(url: str, directory: str | None = None) -> ChangeStamp | None:
    key = database_key(url)
    if key is None:
        return None
    with _stamps_lock:
        stamp = _stamps.get(key)
        if stamp is None:
            name = "sunshine-changes-" + hashlib.sha256(key.encode()).hexdigest()[:20]
            stamp = _stamps[key] = ChangeStamp(Path(directory or tempfile.gettempdir()) / name)
        return stamp


def watch_engine(engine: Engine, stamp: ChangeStamp) -> None:
    """Stamp on every write statement and every commit of this engine."""
    if engine in _engine_stamps:
        return
    _engine_stamps[engine] = stamp
    event.listen(engine, "after_cursor_execute", _after_execute)
    event.listen(engine, "commit", _on_commit)


def _after_execute(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    if not statement.lstrip()[:7].upper().startswith(_WRITE_PREFIXES):
        stamp = _engine_stamps.get(conn.engine)
        if stamp is not None:
            stamp.bump()


def _on_commit(conn: Connection) -> None:  # before the commit reaches the database
    stamp = _engine_stamps.get(conn.engine)
    if stamp is not None:
        stamp.bump()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:  # after it: a read that began in between keeps nothing
    try:
        engine = session.get_bind()
    except Exception:  # a session without a bind has nothing of ours
        return
    stamp = _engine_stamps.get(engine) if isinstance(engine, Engine) else None
    if stamp is not None:
        stamp.bump()


# ---------------------------------------------------------------- PostgreSQL: changes made elsewhere


class ChangeListener(threading.Thread):
    """LISTENs for the triggers' NOTIFY on a connection of its own; stamps on each one. ``stamp.live`` says
    whether it is listening; it reconnects (0.5 s, doubling to 10 s) after any failure."""

    def __init__(self, url: str, stamp: ChangeStamp, check_every: float = 5.0) -> None:
        super().__init__(name="sunshine-change-listener", daemon=True)
        u = make_url(url).set(drivername="postgresql")
        self.conninfo = u.render_as_string(hide_password=False)
        self.stamp = stamp
        self.check_every = check_every
        self.stopping = threading.Event()
        self.connected = threading.Event()
        self.settled = threading.Condition()
        self.last_settle = ""
        self.backend_pid = 0

    def settle(self, timeout: float = 10.0) -> bool:
        """Wait until every notification sent before this call has arrived here (they arrive in commit order):
        tests and benchmarks use it so that the NOTIFY of their own earlier writes does not land mid-measurement.
        False if the listener is not listening or the marker did not come back in time."""
        import psycopg

        if not self.connected.wait(timeout):
            return False
        marker = f"settle:{uuid.uuid4().hex}"
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, marker))
        with self.settled:
            return self.settled.wait_for(lambda: self.last_settle == marker, timeout)

    def run(self) -> None:
        import psycopg

        backoff = 0.5
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5, keepalives=1,
                                     keepalives_idle=5, keepalives_interval=2, keepalives_count=3) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.backend_pid = conn.info.backend_pid
                    self.stamp.bump()  # whatever was written while nobody listened
                    self.stamp.live = True
                    self.connected.set()
                    backoff = 0.5
                    while not self.stopping.is_set():
                        for note in conn.notifies(timeout=self.check_every):
                            if note.payload.startswith("settle:"):
                                with self.settled:
                                    self.last_settle = note.payload
                                    self.settled.notify_all()
                            else:
                                self.stamp.bump()
                        conn.execute("SELECT 1")  # a connection gone quiet fails here, not never
            except Exception as exc:  # the database is down or restarting: serve nothing from memory meanwhile
                if self.stamp.live:
                    log.warning("response cache off: change listener lost its connection (%s)", exc)
            self.stamp.live = False
            self.connected.clear()
            self.stamp.bump()
            self.stopping.wait(backoff)
            backoff = min(backoff * 2, 10.0)


_listeners: dict[tuple[int, str], ChangeListener] = {}


def ensure_listener(url: str, stamp: ChangeStamp) -> ChangeListener:
    """One listener per process and database (a forked gunicorn worker starts its own on its first request)."""
    key = (os.getpid(), database_key(url) or url)
    with _stamps_lock:
        listener = _listeners.get(key)
        if listener is None or not listener.is_alive():
            stamp.live = False
            listener = _listeners[key] = ChangeListener(url, stamp)
            listener.start()
        return listener


# ---------------------------------------------------------------- the answers


@dataclass(frozen=True, slots=True)
class Entry:
    stamp: bytes
    made_at: datetime
    good_until: datetime
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None = None  # the answer's validator, as core/etag.py wrote it
    not_modified: list[tuple[str, str]] | None = None  # the headers of its 304, made once when it is kept


class ResponseCache:
    """The answers one process keeps, least recently used first out."""

    def __init__(self, stamp: ChangeStamp, *, seconds: float, max_entries: int, max_bytes: int, max_body: int,
                 listen_url: str | None) -> None:
        self.stamp = stamp
        self.ttl = timedelta(seconds=seconds)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_body = max_body
        self.bytes = 0  # the bodies kept
        self.listen_url = listen_url  # PostgreSQL: the listener must be up before anything is served
        self.entries: OrderedDict[tuple[bytes, str, str], Entry] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.stores = 0

    def usable(self) -> bool:
        if self.stamp.live:
            return True
        if self.listen_url is None:
            self.stamp.live = True
            return True
        ensure_listener(self.listen_url, self.stamp)
        return False

    def get(self, key: tuple[bytes, str, str], stamp: bytes) -> Entry | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            now = utcnow()
            if entry.stamp != stamp or not entry.made_at <= now < entry.good_until:
                del self.entries[key]
                self.bytes -= len(entry.body)
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple[bytes, str, str], entry: Entry) -> None:
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.bytes -= len(old.body)
            self.entries[key] = entry
            self.bytes += len(entry.body)
            while self.entries and (len(self.entries) > self.max_entries or self.bytes > self.max_bytes):
                _, gone = self.entries.popitem(last=False)
                self.bytes -= len(gone.body)
            self.stores += 1

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.bytes = 0


def cache_key(environ: dict[str, Any], authorization: str) -> tuple[bytes, str, str]:
    digest = hashlib.blake2b(authorization.encode("utf-8", "surrogateescape"), digest_size=16).digest()
    return digest, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")


class CachedReads:
    """WSGI middleware: a GET with a token whose answer is kept and current is answered here; any other request
    goes to Flask with the change stamp it came in under."""

    def __init__(self, app: Callable[..., Iterable[bytes]], cache: ResponseCache) -> None:
        self.app = app
        self.cache = cache

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        cache = self.cache
        if environ.get("REQUEST_METHOD") == "GET" and cache.usable():
            stamp = cache.stamp.read()
            environ[_STAMP_KEY] = stamp
            authorization = environ.get("HTTP_AUTHORIZATION")
            if authorization:
                entry = cache.get(cache_key(environ, authorization), stamp)
                if entry is not None:
                    if entry.not_modified is not None and matches(environ.get("HTTP_IF_NONE_MATCH"), entry.etag):
                        start_response(NOT_MODIFIED, list(entry.not_modified))
                        return []
                    start_response(entry.status, list(entry.headers))
                    return [entry.body]
        return self.app(environ, start_response)


def install_response_cache(app: Flask) -> ResponseCache | None:
    """Wrap the app when ``RESPONSE_CACHE`` is on and the database can be shared (not SQLite in memory)."""
    if not app.config["RESPONSE_CACHE"]:
        return None
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        stamp = stamp_for(url, app.config.get("RESPONSE_CACHE_STAMP_DIR"))
    except OSError as exc:  # UnsafeStampFile, a symbolic link, a directory we may not write: serve without it
        log.error("response cache off: its stamp file cannot be used safely (%s)", exc)
        return None
    if stamp is None:
        return None
    with app.app_context():
        from backend.core.db import db

        watch_engine(db.engine, stamp)
    postgres = make_url(url).get_backend_name() == "postgresql"
    cache = ResponseCache(
        stamp,
        seconds=float(app.config["RESPONSE_CACHE_SECONDS"]),  # the defaults live in config.py, once
        max_entries=int(app.config["RESPONSE_CACHE_ENTRIES"]),
        max_bytes=int(app.config["RESPONSE_CACHE_BYTES"]),
        max_body=int(app.config["RESPONSE_CACHE_MAX_BODY"]),
        # PgBouncer in transaction pooling mode swallows LISTEN: the listener may need a direct URL of its own
        listen_url=(app.config.get("RESPONSE_CACHE_LISTEN_URL") or url) if postgres else None,
    )
    app.extensions["response_cache"] = cache
    app.wsgi_app = CachedReads(app.wsgi_app, cache)  # type: ignore[method-assign]

    @app.after_request
    def _keep(resp: Response) -> Response:
        stamp_in = request.environ.get(_STAMP_KEY)
        if stamp_in is None or resp.status_code != 200 or resp.is_streamed or "Set-Cookie" in resp.headers:
            return resp
        view = app.view_functions.get(request.endpoint or "")
        principal = getattr(g, "principal", None)
        authorization = request.headers.get("Authorization")
        if not getattr(view, "cached_read", False) or principal is None or not authorization:
            return resp
        body = resp.get_data()
        if len(body) > cache.max_body or not cache.stamp.live:
            return resp
        made_at = utcnow()
        good_until = made_at + cache.ttl
        expires = getattr(g, "token_expires_at", None)
        if expires is not None:
            good_until = min(good_until, expires)
        headers = [(k, v) for k, v in resp.headers.items()]
        etag = resp.headers.get("ETag")
        cache.put(cache_key(request.environ, authorization),
                  Entry(stamp_in, made_at, good_until, resp.status, headers, body, etag,
                        not_modified_headers(headers) if etag else None))
        return resp

    return cache


def settle(app: Flask, timeout: float = 10.0) -> bool:
    """Tests and benchmarks: on PostgreSQL, wait until the notifications of every change committed so far have
    reached this process (else one may arrive later and forget answers mid-measurement). True on SQLite."""
    cache: ResponseCache | None = app.extensions.get("response_cache")
    if cache is None or cache.listen_url is None:
        return True
    return ensure_listener(cache.listen_url, cache.stamp).settle(timeout)


def wait_until_listening(app: Flask, timeout: float = 10.0) -> bool:
    """Tests and benchmarks: start the listener now and wait until it listens (True), or give up."""
    cache: ResponseCache | None = app.extensions.get("response_cache")
    if cache is None:
        return False
    deadline = time.monotonic() + timeout
    while not cache.usable():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# ---------------------------------------------------------------- the triggers (PostgreSQL, migration 0011)

NOTIFY_FUNCTION = f"""CREATE OR REPLACE FUNCTION sunshine_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', '');  -- one per transaction: equal notifications are sent once, at commit
    RETURN NULL;
END $$"""
NOTIFY_TRIGGER = "sunshine_notify_change"


def notify_trigger(table: str) -> str:
    """The statement trigger every table carries on PostgreSQL: a migration that creates a table adds it
    (tests/core/test_response_cache.py fails for a table without it)."""
    return (f"CREATE TRIGGER {NOTIFY_TRIGGER} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION sunshine_notify_change()")
