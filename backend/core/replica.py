"""Reads that tolerate a little lag, served by a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``).

What goes where:

- A view marked :func:`replica_read` (a GET: the township's 进度表, its months, the reports, the exports, the
  warnings lists) reads from the replica while three things hold: the replica answered its last check, its lag is
  within ``REPLICA_MAX_LAG_SECONDS``, and it has replayed the caller's own last write (read-your-writes, below).
  Everything else — every other view, the log-in lookup before the view, a marked view once it writes anything
  (flush, INSERT/UPDATE/DELETE, ``FOR UPDATE``, ``session.connection()``) — goes to the primary, and a marked view
  that wrote stays on the primary for the rest of its run.
- **Read-your-writes**: a request by a person that committed a write notes the primary's WAL position
  (``pg_current_wal_flush_lsn()``, read after the request's last commit, before the answer leaves; see
  ``WRITTEN_UP_TO``) for that person — in Redis when ``REDIS_URL`` is set (every host sees it), else in the
  process — kept for ``WRITE_MEMORY_SECONDS``.
  A marked read by that person goes to the replica only once the replica's replayed position has reached it.
- **Lag**: about once a second per process (``REPLICA_CHECK_SECONDS``), never per request, one marked read checks
  the primary's WAL position and then the replica's replayed one. The replica's lag is the age of the newest check
  whose primary position it has replayed: an idle primary whose replica has replayed everything has no lag, however
  old the last replayed transaction; a replica whose replay stopped while the primary writes ages by the clock.
  Beyond the bound, marked reads go to the primary (for everyone).
- **Down**: a replica that refuses connections or fails a query sends that request back to the primary (the view
  is run once more there: it had written nothing) — no error reaches the user — and is left alone for
  ``REPLICA_RETRY_SECONDS`` before it is tried again. Going down and coming back are logged once each.
- Without ``DATABASE_REPLICA_URL`` nothing is installed: :func:`replica_read` passes straight to the view and
  ``db.session`` keeps Flask-SQLAlchemy's own session class. With it, a statement outside a marked read costs one
  context-variable look-up more, and no database round trip. SQLite has no replicas: a replica URL with a SQLite
  primary is refused at start.

The replica's engine runs in autocommit (each read its own snapshot, as READ COMMITTED does on the primary): no
BEGIN/COMMIT round trips, no transaction held open on the standby, and a session's commit never has to reach it.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import TextClause

from backend.core.connections import install_connection_rules, plain_read

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "replica"
WRITE_MEMORY_SECONDS = 300  # how long a person's last write position is kept (the lag bound is seconds)
_WROTE = "_replica_wrote"  # flask.g: the request committed a write
# Where the primary's WAL stands after a request's commits. Committed with synchronous_commit on (the default), the
# commit is flushed before COMMIT returns, so the flushed position covers it; the inserted position could run far
# ahead of anything shipped (records of other sessions that no commit has flushed yet: an idle primary may leave
# them for seconds), keeping the person on the primary for nothing. With synchronous_commit off the commit itself
# may not be flushed yet: then the inserted position.
WRITTEN_UP_TO = text("SELECT CASE WHEN current_setting('synchronous_commit') = 'off' "
                     "THEN pg_current_wal_insert_lsn() ELSE pg_current_wal_flush_lsn() END")


class ReplicaConfigError(RuntimeError):
    """DATABASE_REPLICA_URL given where it cannot work (a SQLite primary)."""


def parse_lsn(value: Any) -> int | None:
    """``'16/B374D848'`` → an integer that orders like the WAL position (None stays None)."""
    if value is None:
        return None
    high, _, low = str(value).partition("/")
    return (int(high, 16) << 32) + int(low, 16)


# ---------------------------------------------------------------- where a statement may run


def needs_primary(clause: Any) -> bool:
    """A statement that writes, locks or is not known to be a plain read (a standby refuses it or must not
    answer it)."""
    if clause is None:
        return True  # session.connection(): what it will run is unknown
    if getattr(clause, "is_dml", False):
        return True
    if getattr(clause, "_for_update_arg", None) is not None:
        return True
    if isinstance(clause, TextClause):
        return not plain_read(clause.text)
    return not getattr(clause, "is_select", False)


# ---------------------------------------------------------------- where people's last writes are remembered


class WriteMemory:
    """person → the primary's WAL position after their last write, for ``seconds``. In Redis when a client is
    given (shared by hosts; a failing Redis answers "unknown", which sends the read to the primary), and always in
    this process."""

    _KEEP_MAX = (
        "local v = tonumber(redis.call('GET', KEYS[1]) or '0') "
        "if tonumber(ARGV[1]) > v then redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2]) "
        "else redis.call('EXPIRE', KEYS[1], ARGV[2]) end return 1"
    )

    def __init__(self, redis_client: Any = None, seconds: float = WRITE_MEMORY_SECONDS, prefix: str = "replica:lsn:",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.redis = redis_client
        self.seconds = seconds
        self.prefix = prefix
        self.clock = clock
        self._local: dict[Any, tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._keep_max = redis_client.register_script(self._KEEP_MAX) if redis_client is not None else None

    def remember(self, person: Any, lsn: int) -> None:
        now = self.clock()
        with self._lock:
            old = self._local.get(person)
            if old is None or old[1] < now or old[0] < lsn:
                self._local[person] = (max(lsn, old[0]) if old and old[1] >= now else lsn, now + self.seconds)
            if len(self._local) > 10000:  # forget the expired ones now and then
                self._local = {k: v for k, v in self._local.items() if v[1] >= now}
        if self._keep_max is not None:
            try:
                self._keep_max(keys=[f"{self.prefix}{person}"], args=[lsn, max(1, int(self.seconds))])
            except Exception as exc:  # the local copy still serves this host
                log.warning("replica: could not note a write position in Redis: %s", exc)

    def position(self, person: Any) -> int | None:
        """The person's last write position still remembered, or None; ``-1`` when Redis cannot say."""
        now = self.clock()
        local = self._local.get(person)
        best = local[0] if local is not None and local[1] >= now else None
        if self.redis is None:
            return best
        try:
            raw = self.redis.get(f"{self.prefix}{person}")
        except Exception as exc:
            log.warning("replica: could not read a write position from Redis: %s", exc)
            return -1
        if raw is not None:
            shared = int(raw)
            best = shared if best is None else max(best, shared)
        return best


# ---------------------------------------------------------------- the replica's state, checked about once a second


@dataclass
class Status:
    usable: bool
    replay: int | None = None  # the replica's replayed WAL position
    lag: float | None = None  # seconds; None: unknown (treated as too far behind)
    reason: str = ""


@dataclass
class Router:
    """One application's replica: its engine, its last known state and the decisions' counts."""

    primary: Engine
    replica: Engine
    memory: WriteMemory
    max_lag: float = 5.0
    check_seconds: float = 1.0
    retry_seconds: float = 5.0
    clock: Callable[[], float] = time.monotonic
    status_: Status = field(default_factory=lambda: Status(False, reason="not checked yet"))
    checked_at: float | None = None
    down_until: float = 0.0
    down: bool = False
    samples: deque[tuple[float, int]] = field(default_factory=lambda: deque(maxlen=256))
    served: dict[str, int] = field(default_factory=lambda: {"replica": 0, "primary": 0, "fallback": 0})
    _probing: threading.Lock = field(default_factory=threading.Lock)

    # ---- reading the two positions

    def _primary_position(self) -> int:
        with self.primary.connect() as conn:
            return parse_lsn(conn.execute(text("SELECT pg_current_wal_flush_lsn()")).scalar_one())  # type: ignore[return-value]

    def _replica_position(self) -> tuple[bool, int | None, float | None]:
        """In recovery, the replayed WAL position and the age of the last transaction replayed (seconds)."""
        with self.replica.connect() as conn:
            row = conn.execute(text(
                "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), "
                "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())")).one()
        return bool(row[0]), parse_lsn(row[1]), None if row[2] is None else float(row[2])

    def probe(self) -> Status:
        """Check the primary's position, then the replica's replayed one (in that order: a replica at or past
        the primary's position has everything the primary had at the check's start)."""
        started = self.clock()
        try:
            primary_at = self._primary_position()
        except Exception as exc:  # the primary's own trouble is the request's to meet; the replica is not blamed
            return Status(False, reason=f"primary unreachable: {exc.__class__.__name__}")
        try:
            recovering, replay, replay_age = self._replica_position()
        except Exception as exc:
            self.mark_down(exc)
            return Status(False, reason=f"replica unreachable: {exc.__class__.__name__}")
        if not recovering or replay is None:
            if not self.down:
                log.warning("replica: DATABASE_REPLICA_URL is not a standby in recovery; reads stay on the primary")
            self.down, self.down_until = True, self.clock() + self.retry_seconds
            return Status(False, reason="not a standby")
        self.samples.append((started, primary_at))
        lag = self.lag_at(started, replay, replay_age)
        if self.down:
            log.warning("replica: back (lag %s s); marked reads use it again", "?" if lag is None else f"{lag:.1f}")
            self.down = False
        usable = lag is not None and lag <= self.max_lag
        return Status(usable, replay, lag, "" if usable else "lagging")

    def lag_at(self, now: float, replay: int, replay_age: float | None = None) -> float | None:
        """0 when the replica has replayed the primary's position of this check (an idle primary: however old its
        last transaction). Behind it: the age of the newest earlier check it has replayed, or — when that is
        older, as with reads seconds apart on a busy primary — the age of the last transaction it replayed (the
        primary's commit time against the replica's clock). None when neither says (at start): too far behind."""
        newest = self.samples[-1] if self.samples else None
        by_checks = None
        for at, position in reversed(self.samples):
            if position <= replay:
                if (at, position) == newest:
                    return 0.0
                by_checks = max(0.0, now - at)
                break
        if by_checks is None and self.samples and now - self.samples[0][0] > self.max_lag:
            by_checks = now - self.samples[0][0]  # behind every check kept, and the oldest is past the bound
        known = [x for x in (by_checks, None if replay_age is None else max(0.0, replay_age)) if x is not None]
        return min(known) if known else None

    def mark_down(self, exc: BaseException) -> None:
        self.down_until = self.clock() + self.retry_seconds
        self.status_ = Status(False, reason="replica unreachable")
        self.checked_at = self.clock()
        if not self.down:
            self.down = True
            log.warning("replica: unreachable (%s: %s); marked reads go to the primary, trying it again in %g s",
                        exc.__class__.__name__, str(exc).strip().splitlines()[0] if str(exc).strip() else "",
                        self.retry_seconds)
        with contextlib.suppress(Exception):
            self.replica.dispose()  # its pooled connections are dead; new ones are made once it answers again

    def status(self) -> Status:
        """The replica's state, checked at most every ``check_seconds`` per process (one thread checks; the others
        use the last state meanwhile)."""
        now = self.clock()
        if now < self.down_until:
            return Status(False, reason="replica down")
        if self.checked_at is not None and now - self.checked_at < self.check_seconds:
            return self.status_
        if not self._probing.acquire(blocking=False):
            return self.status_
        try:
            status = self.probe()
            self.status_, self.checked_at = status, self.clock()
            return status
        finally:
            self._probing.release()

    # ---- the decision for one marked read

    def use_replica(self, person: Any) -> bool:
        status = self.status()
        if not status.usable or status.replay is None:
            return False
        if person is not None:
            written = self.memory.position(person)
            if written is not None and (written < 0 or written > status.replay):  # < 0: Redis cannot say
                return False
        return True


# ---------------------------------------------------------------- the request's routing state


@dataclass
class _Route:
    router: Router
    person: Any
    decided: bool | None = None  # None: not asked yet
    wrote: bool = False
    used_replica: bool = False
    replica_failed: bool = False


_ROUTE: ContextVar[_Route | None] = ContextVar("replica_route", default=None)


def routed() -> bool:
    """This request is inside a :func:`replica_read` view: its reads may come from the replica (core/shared_pages
    keeps nothing it read there)."""
    return _ROUTE.get() is not None


_primary_bind = FlaskSession.get_bind


class RoutingSession(FlaskSession):
    """Flask-SQLAlchemy's session, choosing the replica for the reads of a marked view (see the module's text).
    ``db.session`` makes these only once a replica is installed (:func:`install_replica`)."""

    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kwargs: Any) -> Any:
        route = _ROUTE.get()
        if route is None or bind is not None or route.wrote:
            return _primary_bind(self, mapper, clause, bind, **kwargs)
        if self._flushing or needs_primary(clause):
            route.wrote = True  # from here on the primary, for the rest of the view
            return _primary_bind(self, mapper, clause, bind, **kwargs)
        if route.decided is None:
            route.decided = route.router.use_replica(route.person)
            route.router.served["replica" if route.decided else "primary"] += 1
        if not route.decided:
            return _primary_bind(self, mapper, clause, bind, **kwargs)
        route.used_replica = True
        return route.router.replica


def _person() -> Any:
    principal = getattr(g, "principal", None)
    return getattr(principal, "person_id", None)


def replica_read(view: F) -> F:
    """Route decorator: this GET tolerates a little lag, so its reads may come from the replica. Put it right above
    ``def``: the permission check and the log-in read before it stay on the primary. Only on GET routes (a test
    checks every marked rule). Should the replica fail before the view wrote anything, the view runs once more on
    the primary."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        router: Router | None = current_app.extensions.get(EXTENSION)
        if router is None:
            return view(*args, **kwargs)
        route = _Route(router, _person())
        token = _ROUTE.set(route)
        try:
            return view(*[copy.copy(a) if isinstance(a, dict) else a for a in args],
                        **{k: copy.copy(v) if isinstance(v, dict) else v for k, v in kwargs.items()})
        except SQLAlchemyError as exc:
            if not route.used_replica or route.wrote:
                raise
            if route.replica_failed:
                router.mark_down(exc)
            router.served["fallback"] += 1
            current_app.extensions["sqlalchemy"].session.rollback()
        finally:
            _ROUTE.reset(token)
        return view(*args, **kwargs)  # the replica failed this read: the primary answers it

    wrapper.replica_read = True  # type: ignore[attr-defined]  # kept by the decorators above (functools.wraps)
    return wrapper  # type: ignore[return-value]


def marked_rules(app: Flask) -> list[tuple[str, set[str]]]:
    """Every URL rule whose view is marked :func:`replica_read`, with its methods (a test keeps them GET only)."""
    return [(rule.rule, set(rule.methods or ())) for rule in app.url_map.iter_rules()
            if getattr(app.view_functions.get(rule.endpoint), "replica_read", False)]


# ---------------------------------------------------------------- installing


def _on_replica_error(context: Any) -> None:
    route = _ROUTE.get()
    if route is not None:
        route.replica_failed = True


_DIRTY = "replica.wrote"  # session.info: the session's transaction wrote something


def _note_flush(session: Any, _context: Any) -> None:
    session.info[_DIRTY] = True


def _note_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete or needs_primary(state.statement):
        state.session.info[_DIRTY] = True


def _note_commit(session: Any) -> None:
    if session.info.pop(_DIRTY, False) and has_request_context() and EXTENSION in current_app.extensions:
        g.setdefault(_WROTE, True)


_LISTENING = threading.Lock()
_listening: list[bool] = []


def install_replica(app: Flask, db: Any, engine_options: Callable[[str], dict[str, Any]]) -> Router | None:
    """Build the replica's engine and the routing when ``DATABASE_REPLICA_URL`` is set (after ``db.init_app``)."""
    url = app.config.get("DATABASE_REPLICA_URL")
    if not url:
        return None
    primary_url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if primary_url.startswith("sqlite") or str(url).startswith("sqlite"):
        raise ReplicaConfigError(
            "DATABASE_REPLICA_URL needs a PostgreSQL primary (DATABASE_URL) and a PostgreSQL streaming replica; "
            "SQLite has no replicas: unset DATABASE_REPLICA_URL")
    options = dict(engine_options(url))
    options["isolation_level"] = "AUTOCOMMIT"
    replica = create_engine(url, **options)
    event.listen(replica, "handle_error", _on_replica_error)
    # already in autocommit: only the look before use (core/connections.py)
    install_connection_rules(replica, look_before_use=bool(app.config.get("DB_POOL_PRE_PING", True)),
                             reads_in_autocommit=False)
    redis_client = None
    if app.config.get("REDIS_URL"):
        import redis

        redis_client = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=0.5, socket_connect_timeout=0.5)
    with app.app_context():
        primary = db.engines[None]
    where = primary.url
    router = Router(
        primary=primary,
        replica=replica,
        # keyed by the primary's address and database too: deployments (and test runs) sharing a Redis never mix
        memory=WriteMemory(redis_client, prefix=f"replica:{where.host}:{where.port}/{where.database}:"),
        max_lag=float(app.config.get("REPLICA_MAX_LAG_SECONDS", 5.0)),
        check_seconds=float(app.config.get("REPLICA_CHECK_SECONDS", 1.0)),
        retry_seconds=float(app.config.get("REPLICA_RETRY_SECONDS", 5.0)),
    )
    app.extensions[EXTENSION] = router
    with _LISTENING:
        factory = db.session.session_factory  # db.session's sessions choose their bind from now on
        if not issubclass(factory.class_, RoutingSession):
            factory.class_ = type("RoutingSession", (RoutingSession, factory.class_), {})
        if not _listening:
            event.listen(RoutingSession, "after_flush", _note_flush)
            event.listen(RoutingSession, "do_orm_execute", _note_statement)
            event.listen(RoutingSession, "after_commit", _note_commit)
            _listening.append(True)

    @app.teardown_request
    def _remember_write(_exc: BaseException | None) -> None:
        """The request committed a write: note where the primary's WAL stood after it, for this person (their
        next marked reads wait for the replica to reach it)."""
        if not g.pop(_WROTE, False):
            return
        person = _person()
        if person is None:
            return
        try:
            # on the session's own connection (no second one from the pool); the app context's end closes it
            position = parse_lsn(db.session.execute(WRITTEN_UP_TO, bind_arguments={"bind": primary}).scalar_one())
        except Exception as exc:  # not noted: the next marked reads of this person may lag behind their write
            log.warning("replica: could not read the primary's WAL position after a write: %s", exc)
            with contextlib.suppress(Exception):
                db.session.rollback()
            return
        if position is not None:
            router.memory.remember(person, position)

    log.info("replica: marked reads may use %s (lag bound %.1f s)", replica.url.render_as_string(hide_password=True),
             router.max_lag)
    return router


def state(app: Flask) -> dict[str, Any] | None:
    """The replica's state for /readyz and the logs (None without a replica)."""
    router: Router | None = app.extensions.get(EXTENSION)
    if router is None:
        return None
    s = router.status()
    return {"usable": s.usable, "lag_seconds": None if s.lag is None else round(s.lag, 3), "reason": s.reason}
