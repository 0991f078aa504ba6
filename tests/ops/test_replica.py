"""DATABASE_REPLICA_URL: lag-tolerant reads (views marked ``replica_read``) from a PostgreSQL streaming replica,
read-your-writes on the primary, the primary again when the replica lags past the bound or is down
(backend/core/replica.py).

The first half decides where reads go with stand-in positions (both stages). The second half builds a real
primary and a real streaming replica from the machine's PostgreSQL binaries (tests/pgcluster.py) in the
PostgreSQL stage: what a marked read sees is proved by rows the paused replica has not replayed yet.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, insert, select, text, update

from backend import create_app
from backend.core.db import db
from backend.core.replica import (
    EXTENSION,
    ReplicaConfigError,
    Router,
    Status,
    WriteMemory,
    marked_rules,
    needs_primary,
    parse_lsn,
)
from backend.extensions import api
from backend.registry.models import Village
from tests import pgcluster
from tests.conftest import _API_STATE
from tests.factories import Factory
from tests.statements import counted

API = "/api/v1"
REDIS_URL = "redis://127.0.0.1:6379/12"  # the two-hosts test: keys prefixed by the throwaway primary's port

# ---------------------------------------------------------------- the decisions, with stand-in positions (both stages)


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class StandInRouter(Router):
    """A router whose primary and replica positions are set by the test."""

    def __init__(self, clock: Clock, memory: WriteMemory | None = None, **kw: Any) -> None:
        super().__init__(primary=None, replica=None, memory=memory or WriteMemory(clock=clock),  # type: ignore[arg-type]
                         clock=clock, **kw)
        self.p = 100
        self.r = 100
        self.replay_age: float | None = 3600.0  # the last transaction replayed an hour ago (an idle primary)
        self.replica_error: Exception | None = None
        self.replica_checks = 0

    def _primary_position(self) -> int:
        return self.p

    def _replica_position(self) -> tuple[bool, int | None, float | None]:
        self.replica_checks += 1
        if self.replica_error is not None:
            raise self.replica_error
        return True, self.r, self.replay_age

    def mark_down(self, exc: BaseException) -> None:  # no engine to dispose here
        self.replica, saved = _NoEngine(), self.replica
        super().mark_down(exc)
        self.replica = saved


class _NoEngine:
    def dispose(self) -> None:
        pass


def test_statements_that_write_lock_or_are_unknown_go_to_the_primary() -> None:
    assert needs_primary(select(Village)) is False
    assert needs_primary(text("SELECT 1")) is False
    assert needs_primary(text("  select count(*) from registry_villages")) is False
    assert needs_primary(select(Village).with_for_update()) is True
    assert needs_primary(select(Village).with_for_update(read=True)) is True
    assert needs_primary(insert(Village)) is True
    assert needs_primary(update(Village).values(name="x")) is True
    assert needs_primary(delete(Village)) is True
    assert needs_primary(text("UPDATE registry_villages SET name = 'x'")) is True
    assert needs_primary(text("SELECT pg_advisory_xact_lock(1, 2)")) is True
    assert needs_primary(text("SELECT id FROM t FOR UPDATE")) is True
    assert needs_primary(text("WITH x AS (DELETE FROM t RETURNING id) SELECT * FROM x")) is True
    assert needs_primary(None) is True  # session.connection(): what it will run is unknown


def test_wal_positions_order_as_numbers() -> None:
    assert parse_lsn("0/16B3748") == 0x16B3748
    assert parse_lsn("1/0") > parse_lsn("0/FFFFFFFF")  # type: ignore[operator]
    assert parse_lsn(None) is None


def test_an_idle_primary_is_no_lag_however_old_the_last_replayed_transaction() -> None:
    clock = Clock()
    router = StandInRouter(clock, max_lag=5.0)
    assert router.status() == Status(True, 100, 0.0, "")
    clock.t += 600  # ten minutes without a write anywhere; the replay timestamp is an hour old
    router.replay_age = 4200.0
    assert router.status() == Status(True, 100, 0.0, "")


def test_a_replica_whose_replay_stopped_ages_by_the_clock_and_is_left_at_the_bound() -> None:
    clock = Clock()
    router = StandInRouter(clock, max_lag=5.0, check_seconds=1.0)
    assert router.status().usable
    router.p = 200  # the primary writes; the replica replays nothing more
    for _ in range(5):
        clock.t += 1.0
        status = router.status()
        assert status.usable and status.lag == pytest.approx(clock.t - 1000.0)  # replayed the check at 1000
    clock.t += 1.01
    status = router.status()
    assert (status.usable, status.reason) == (False, "lagging") and status.lag == pytest.approx(6.01)
    router.r = 200  # it catches up
    clock.t += 1.0
    assert router.status() == Status(True, 200, 0.0, "")


def test_a_busy_primary_checked_seconds_apart_uses_the_replay_age() -> None:
    clock = Clock()
    router = StandInRouter(clock, max_lag=5.0)
    assert router.status().usable
    clock.t += 60  # the next marked read a minute later; the replica is a few milliseconds behind the primary
    router.p, router.r, router.replay_age = 5000, 4990, 0.004
    status = router.status()
    assert status.usable and status.lag == pytest.approx(0.004)
    router.replay_age = 7.0  # replaying transactions of seven seconds ago: beyond the bound
    clock.t += 1
    assert not router.status().usable


def test_at_start_a_replica_behind_the_first_check_waits_for_the_next() -> None:
    clock = Clock()
    router = StandInRouter(clock)
    router.p, router.r, router.replay_age = 200, 100, None
    assert router.status() == Status(False, 100, None, "lagging")


def test_the_state_is_checked_at_most_once_per_interval() -> None:
    clock = Clock()
    router = StandInRouter(clock, check_seconds=1.0)
    for _ in range(50):
        router.use_replica(None)
        clock.t += 0.01
    assert router.replica_checks == 1
    clock.t += 0.6
    router.use_replica(None)
    assert router.replica_checks == 2


def test_a_person_who_wrote_reads_the_primary_until_the_replica_has_replayed_the_write() -> None:
    clock = Clock()
    router = StandInRouter(clock, check_seconds=0.0)
    router.memory.remember(7, 150)  # person 7 wrote; the primary's WAL stood at 150 after it
    assert router.use_replica(8) is True  # someone else
    assert router.use_replica(7) is False  # the replica has replayed 100 < 150
    router.r = router.p = 150
    clock.t += 0.1
    assert router.use_replica(7) is True  # reached exactly
    router.memory.remember(7, 120)  # an older position noted late never lowers the newest
    router.p = 160
    router.memory.remember(7, 160)
    clock.t += 0.1
    assert router.use_replica(7) is False
    clock.t += router.memory.seconds + 1  # long forgotten: the lag bound covers what is older
    router.r = router.p
    assert router.use_replica(7) is True


class SharedRedis:
    """The few Redis calls WriteMemory makes, over one dict (two hosts share it); ``broken`` fails every call."""

    def __init__(self) -> None:
        self.data: dict[str, int] = {}
        self.broken = False

    def register_script(self, _source: str) -> Callable[..., int]:
        def keep_max(keys: list[str], args: list[Any]) -> int:
            if self.broken:
                raise ConnectionError("redis down")
            self.data[keys[0]] = max(int(args[0]), self.data.get(keys[0], 0))
            return 1
        return keep_max

    def get(self, key: str) -> bytes | None:
        if self.broken:
            raise ConnectionError("redis down")
        return str(self.data[key]).encode() if key in self.data else None


def test_a_write_on_one_host_keeps_the_persons_reads_on_the_primary_on_another_and_redis_down_means_primary(
        caplog: pytest.LogCaptureFixture) -> None:
    clock, redis = Clock(), SharedRedis()
    host_a = StandInRouter(clock, memory=WriteMemory(redis, clock=clock), check_seconds=0.0)
    host_b = StandInRouter(clock, memory=WriteMemory(redis, clock=clock), check_seconds=0.0)
    host_a.memory.remember(7, 150)
    assert host_b.use_replica(7) is False  # host B never saw the write, Redis did
    assert host_b.use_replica(8) is True
    redis.broken = True
    with caplog.at_level(logging.WARNING, logger="backend.core.replica"):
        assert host_b.use_replica(8) is False  # cannot tell whether 8 wrote: the primary
    assert "could not read a write position from Redis" in caplog.text
    assert host_a.use_replica(7) is False  # host A still knows from its own memory


def test_a_replica_that_fails_is_skipped_for_the_retry_time_logged_once_and_taken_back(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    router = StandInRouter(clock, check_seconds=0.0, retry_seconds=5.0)
    assert router.use_replica(None) is True
    router.replica_error = ConnectionRefusedError("connection refused")
    with caplog.at_level(logging.WARNING, logger="backend.core.replica"):
        assert router.use_replica(None) is False
        checks = router.replica_checks
        for _ in range(10):  # within the retry time: not even tried
            clock.t += 0.4
            assert router.use_replica(None) is False
        assert router.replica_checks == checks
        clock.t += 1.5
        assert router.use_replica(None) is False  # tried again, still down: no second message
        assert router.replica_checks == checks + 1
        router.replica_error = None
        clock.t += 5.1
        assert router.use_replica(None) is True
    messages = [r.getMessage() for r in caplog.records if r.name == "backend.core.replica"]
    assert len([m for m in messages if "unreachable" in m]) == 1
    assert len([m for m in messages if "back" in m]) == 1


def test_only_lag_tolerant_gets_are_marked(app: Flask) -> None:
    rules = dict(marked_rules(app))
    assert all(methods <= {"GET", "HEAD", "OPTIONS"} for methods in rules.values())
    for rule in ("/townships/<int:township_id>/progress", "/townships/<int:township_id>/progress.xlsx",
                 "/townships/<int:township_id>/progress.pdf",
                 "/townships/<int:township_id>/progress/<int:village_id>/months",
                 "/townships/<int:township_id>/warnings", "/villages/<int:village_id>/warnings",
                 "/villages/<int:village_id>/reports/trial-balance",
                 "/villages/<int:village_id>/reports/balance-sheet.xlsx",
                 "/villages/<int:village_id>/roster.xlsx", "/disclosures/<int:disclosure_id>/export.pdf"):
        assert API + rule in rules
    # the bank's payment files, the log-in and a villager's own pages read the primary
    for rule in ("/distributions/<int:distribution_id>/bank-batch.xlsx",
                 "/rent-payout-batches/<int:batch_id>/bank-file.xlsx", "/me", "/townships/<int:township_id>/people"):
        assert API + rule not in rules


def test_without_a_replica_url_nothing_is_installed_and_marked_reads_use_the_one_database(
        app: Flask, client: FlaskClient, make: Factory) -> None:
    assert EXTENSION not in app.extensions
    township = make.township()
    make.village(township=township)
    headers = make.headers(make.staff(township))
    with counted() as seen:
        resp = client.get(f"{API}/townships/{township.id}/progress", headers=headers)
    assert resp.status_code == 200 and [v["village_name"] for v in resp.get_json()["villages"]] == ["临江村"]
    assert seen  # every statement of the request ran on the app's one engine


def test_a_replica_with_a_sqlite_primary_is_refused_at_start(app: Flask) -> None:
    with pytest.raises(ReplicaConfigError, match="SQLite has no replicas"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "DATABASE_REPLICA_URL": "postgresql://x@127.0.0.1/y",
                    "REDIS_URL": None})
    api.__dict__.update(_API_STATE)


# ---------------------------------------------------------------- a real primary and a real streaming replica


@pytest.fixture(scope="module")
def pair() -> Iterator[pgcluster.ReplicaPair]:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL stage")
    missing = pgcluster.missing_binaries()
    if missing:
        pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL's server programs {missing} are not in "
                    f"{pgcluster.PG_BIN} (set PG_BIN, or install postgresql-15): the replica test cannot run")
    with pgcluster.replica_pair() as built:
        print(f"\nprimary and streaming replica built in {built.seconds_to_build:.1f} s")
        yield built


def _app(pair: pgcluster.ReplicaPair, base: Flask, replica: bool = True, **extra: Any) -> Flask:
    return create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": pair.primary.url("app"),
        "DATABASE_REPLICA_URL": pair.replica.url("app") if replica else None,
        "REPLICA_MAX_LAG_SECONDS": 30.0,
        "REPLICA_CHECK_SECONDS": 0.05,
        "REPLICA_RETRY_SECONDS": 0.5,
        "WECHAT_API_BASE_URL": base.config["WECHAT_API_BASE_URL"],
        "REDIS_URL": None,
        "RATELIMIT_ENABLED": False,
        **extra,
    })


class World:
    def __init__(self, pair: pgcluster.ReplicaPair, app: Flask) -> None:
        from flask_migrate import upgrade

        self.pair, self.app = pair, app
        with app.app_context():
            upgrade()
            make = Factory()
            township = make.township()
            make.village(township=township)
            self.township_id = township.id
            self.writer = make.headers(make.staff(township, "郑雯"))  # a township official who will write
            self.reader = make.headers(make.staff(township, "周洁"))  # one who only reads
            db.session.commit()
            db.session.remove()
        self.client = app.test_client()
        pair.wait_caught_up()

    @property
    def router(self) -> Router:
        return self.app.extensions[EXTENSION]

    def progress(self, headers: dict[str, str], client: FlaskClient | None = None) -> set[str]:
        """The village names of the township's 进度表 (a marked read)."""
        resp = (client or self.client).get(f"{API}/townships/{self.township_id}/progress", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return {v["village_name"] for v in resp.get_json()["villages"]}

    def overview(self, headers: dict[str, str]) -> set[str]:
        """The same villages from a read that is not marked."""
        resp = self.client.get(f"{API}/townships/{self.township_id}/villages/overview", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return {v["name"] for v in resp.get_json()["items"]}

    def add_village_on_primary(self, code: str, name: str) -> None:
        """A village written straight to the primary, by no one who reads afterwards."""
        with self.app.app_context():
            db.session.add(Village(township_id=self.township_id, code=code, name=name))
            db.session.commit()
            db.session.remove()

    def settle(self) -> None:
        """The replica has replayed everything and the router has checked it since (a marked read)."""
        self.pair.wait_caught_up()
        time.sleep(self.router.check_seconds * 2)
        self.progress(self.reader)
        assert self.router.status_.usable


@pytest.fixture(scope="module")
def world(pair: pgcluster.ReplicaPair, app: Flask) -> Iterator[World]:
    """The app on the primary with DATABASE_REPLICA_URL, 青山镇 with 临江村, a writer and a reader."""
    application = _app(pair, app)
    try:
        yield World(pair, application)
    finally:
        with application.app_context():
            db.engine.dispose()
            application.extensions[EXTENSION].replica.dispose()
        api.__dict__.update(_API_STATE)


@pytest.fixture
def paused(world: World) -> Iterator[World]:
    world.settle()
    world.pair.pause_replay()
    try:
        yield world
    finally:
        world.pair.resume_replay()
        world.pair.wait_caught_up()


def _until(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_a_marked_read_comes_from_the_replica_and_an_unmarked_one_from_the_primary(paused: World) -> None:
    w = paused
    served = dict(w.router.served)
    w.add_village_on_primary("HW02", "后湾村")  # the paused replica has not replayed it
    assert w.progress(w.reader) == {"临江村"}
    assert w.overview(w.reader) == {"临江村", "后湾村"}
    assert w.router.served["replica"] == served["replica"] + 1
    # the log-in lookup before the view is on the primary: a token issued while the replica is paused works
    with w.app.app_context():
        make = Factory()
        fresh = make.headers(make.staff(db.session.get(Village, 1).township, "钱程"))  # type: ignore[union-attr]
        db.session.remove()
    assert w.progress(fresh) == {"临江村"}


def test_a_person_reads_their_own_write_from_the_primary_and_the_replica_once_it_has_replayed_it(
        paused: World) -> None:
    w = paused
    resp = w.client.post(f"{API}/townships/{w.township_id}/villages", headers=w.writer,
                         json={"code": "BL03", "name": "北岭村"})
    assert resp.status_code == 201, resp.get_json()
    assert "北岭村" in w.progress(w.writer)  # the writer: the primary
    assert "北岭村" not in w.progress(w.reader)  # everyone else: the replica, still paused
    w.pair.resume_replay()
    w.settle()
    w.pair.pause_replay()
    w.add_village_on_primary("NS04", "南山村")
    names = w.progress(w.writer)  # the replica has replayed the write: the writer is back on it
    assert "北岭村" in names and "南山村" not in names


def test_a_replica_lagging_past_the_bound_sends_every_marked_read_to_the_primary(paused: World) -> None:
    w = paused
    w.router.max_lag = 0.3
    try:
        w.add_village_on_primary("DP05", "东坡村")
        assert _until(lambda: "东坡村" in w.progress(w.reader))  # once the lag passed 0.3 s: the primary
        assert w.router.status_.reason == "lagging" and w.router.status_.lag > 0.3  # type: ignore[operator]
        ready = w.client.get("/readyz")  # the app stays ready on its primary; /readyz says why the replica is not used
        assert ready.status_code == 200 and ready.json["status"] == "ready", ready.json
        assert ready.json["replica"]["usable"] is False and ready.json["replica"]["reason"] == "lagging"
        w.pair.resume_replay()
        w.pair.wait_caught_up()
        # an idle primary: the last replayed transaction grows old, nothing is missing: the replica again
        time.sleep(0.5)
        assert w.pair.replica.scalar(
            "SELECT clock_timestamp() - pg_last_xact_replay_timestamp() > interval '0.3 seconds'", "app")
        before = w.router.served["replica"]
        assert _until(lambda: (w.progress(w.reader), w.router.served["replica"] > before)[1], seconds=5)
        assert w.client.get("/readyz").json["replica"]["usable"] is True
    finally:
        w.router.max_lag = 30.0


def test_a_stopped_replica_answers_from_the_primary_and_is_used_again_once_back(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    w = world
    w.settle()
    w.router.check_seconds = 60.0  # the router still believes it up when the next read reaches it
    fallback = w.router.served["fallback"]
    with caplog.at_level(logging.WARNING, logger="backend.core.replica"):
        w.pair.replica.stop("fast")
        try:
            w.add_village_on_primary("XS06", "西山村")
            assert "西山村" in w.progress(w.reader)  # failed on the replica mid-view, answered by the primary
            assert w.router.served["fallback"] == fallback + 1
            assert "西山村" in w.progress(w.reader)  # skipped for the retry time: not even tried
            assert w.router.served["fallback"] == fallback + 1
            w.router.check_seconds = 0.05
            time.sleep(w.router.retry_seconds + 0.1)
            assert "西山村" in w.progress(w.reader)  # tried again, still down: the primary
        finally:
            w.pair.replica.start()
        w.pair.wait_streaming()
        w.pair.wait_caught_up()
        before = w.router.served["replica"]
        assert _until(lambda: (w.progress(w.reader), w.router.served["replica"] > before)[1])
    messages = [r.getMessage() for r in caplog.records if r.name == "backend.core.replica"]
    assert len([m for m in messages if "unreachable" in m]) == 1, messages
    assert len([m for m in messages if "back" in m]) == 1, messages


def test_the_same_primary_without_a_replica_url_reads_only_the_primary(paused: World, app: Flask) -> None:
    w = paused
    plain = _app(w.pair, app, replica=False)
    try:
        assert EXTENSION not in plain.extensions
        w.add_village_on_primary("QL07", "青龙村")
        assert "青龙村" in w.progress(w.reader, plain.test_client())
        assert "青龙村" not in w.progress(w.reader)  # the same read through the app with the replica
    finally:
        with plain.app_context():
            db.engine.dispose()
        api.__dict__.update(_API_STATE)


def test_a_write_through_one_host_keeps_the_persons_reads_through_another_on_the_primary(
        paused: World, app: Flask) -> None:
    """Two API hosts sharing Redis: the position of a write made through host A is what host B waits for."""
    import redis

    w = paused
    hosts = [_app(w.pair, app, REDIS_URL=REDIS_URL) for _ in range(2)]
    try:
        a, b = (h.test_client() for h in hosts)
        resp = a.post(f"{API}/townships/{w.township_id}/villages", headers=w.writer,
                      json={"code": "HS08", "name": "黑山村"})
        assert resp.status_code == 201, resp.get_json()
        assert "黑山村" in w.progress(w.writer, b)  # B never saw the write: Redis told it
        assert "黑山村" not in w.progress(w.reader, b)  # anyone else through B: the paused replica
        assert hosts[1].extensions[EXTENSION].served["replica"] == 1
    finally:
        shared = redis.Redis.from_url(REDIS_URL)
        prefix = hosts[0].extensions[EXTENSION].memory.prefix
        for key in shared.scan_iter(match=f"{prefix}*"):
            shared.delete(key)
        for h in hosts:
            with h.app_context():
                db.engine.dispose()
                h.extensions[EXTENSION].replica.dispose()
        api.__dict__.update(_API_STATE)
