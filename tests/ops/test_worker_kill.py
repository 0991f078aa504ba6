"""A gunicorn worker killed (SIGKILL) in the middle of money writes: every transaction is whole or absent.

gunicorn runs as in scripts/run (gthread, 2 workers; here 4 threads each, and --preload so that the workers and
the one that replaces the killed worker start in a fraction of a second) on a free loopback port against a fresh,
migrated PostgreSQL database with four land contracts. Eight clients send rent payments of 1.00 元, each with its
own Idempotency-Key, and retry with the same key when the connection breaks. Once writes are flowing, the worker
that owns a database session with a write in progress (pg_stat_activity: a transaction id is assigned) is killed;
the master starts another. Then the books are read back: every voucher balances, every payment has its receipt
voucher and its allocation, no voucher or allocation is left without its payment, the month's voucher numbers run
1..n, each due's paid amount is the sum of its payments, one audit entry per payment, and every key was recorded
exactly once, with the id its client was given, however often it was sent."""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import threading
import time
from collections import Counter
from datetime import date
from typing import Any

import requests
from sqlalchemy import create_engine, text

from backend import create_app
from backend.core.clock import today
from backend.core.db import db
from tests.factories import Factory
from tests.ops.conftest import build_rent_books, fresh_pg_database
from tests.ops.hosts import Host

CLIENTS = 8
LOAD_AFTER_KILL = 1.0  # seconds of new payments after the kill


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]
    return []


def _owner_of_port(pids: list[int], port: int) -> int | None:
    """The process among ``pids`` holding the TCP socket whose local port is ``port`` (from /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as fh:
            for line in fh.readlines()[1:]:
                cols = line.split()
                if int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if link.startswith("socket:[") and link[8:-1] in inodes:
                        return pid
    return None


class Gunicorn(Host):
    """The API under gunicorn (2 workers, preloaded), killed as a whole (its own process group, started by us): the
    books are checked after, nothing of interest is still running, and a graceful stop only adds seconds."""

    def __init__(self, database_url: str) -> None:
        super().__init__("gunicorn", {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", "REDIS_URL": "",
                                      "WECHAT_API_BASE_URL": "http://127.0.0.1:9/"}, workers=2,
                         extra_args=("--preload",))

    @property
    def workers(self) -> list[int]:
        return _children(self.proc.pid)


class Load:
    """Clients paying 1.00 元 with a fresh key each, retrying a broken request with the same key."""

    def __init__(self, base: str, token: str, targets: list[tuple[int, int]], paid_on: date) -> None:
        self.base, self.token, self.targets, self.paid_on = base, token, targets, paid_on
        self.keys = itertools.count(1)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.results: dict[str, dict[str, Any]] = {}  # key → final status, id, replayed, attempts
        self.broken = 0  # requests cut by the kill (connection reset / closed)
        self.other_errors: list[Any] = []

    def run(self) -> None:
        http = requests.Session()
        try:
            self._run(http)
        finally:
            http.close()

    def _run(self, http: requests.Session) -> None:
        while not self.stop.is_set():
            n = next(self.keys)
            key = f"kill-{n:05d}"
            contract_id, due_id = self.targets[n % len(self.targets)]
            body = {"due_id": due_id, "amount": "1.00", "paid_on": self.paid_on.isoformat()}
            headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
            url = f"{self.base}/api/v1/land-contracts/{contract_id}/payments"
            for attempt in range(1, 60):
                try:
                    r = http.post(url, json=body, headers=headers, timeout=15)
                except requests.ConnectionError:
                    with self.lock:
                        self.broken += 1
                    http.close()
                    time.sleep(0.05)
                    continue
                if r.status_code in (200, 201):
                    j = r.json()
                    with self.lock:
                        self.results[key] = {"status": r.status_code, "id": j["id"], "replayed": j["replayed"],
                                             "attempts": attempt}
                elif r.status_code == 503:  # the database answered "busy" on a worker's fresh connection: retry
                    time.sleep(0.05)
                    continue
                else:
                    with self.lock:
                        self.other_errors.append((key, r.status_code, r.text[:300]))
                break


def _in_flight_writer(engine: Any, database: str, workers: list[int]) -> tuple[int, int] | None:
    """(worker pid, PostgreSQL backend pid) of a session with a write in progress, if any now."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, client_port FROM pg_stat_activity WHERE datname = :db AND backend_xid IS NOT NULL "
            "AND state IN ('active', 'idle in transaction')"), {"db": database}).all()
    for backend_pid, client_port in rows:
        owner = _owner_of_port(workers, client_port) if client_port else None
        if owner is not None:
            return owner, backend_pid
    return None


def test_a_worker_killed_during_money_writes_leaves_every_transaction_whole_or_absent(database_url, postgres_only):
    with fresh_pg_database(database_url, "kill") as url:
        from flask_migrate import upgrade

        setup = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
        with setup.app_context():
            upgrade()
            start = date(today().year - 1, 3, 1)
            books = build_rent_books(Factory(), start, today(), contracts=4)
            token = Factory().token(books.accountant)
            targets = list(zip(books.contract_ids, books.due_ids, strict=True))
            village_id = books.village.id
            db.session.remove()
            db.engine.dispose()

        server = Gunicorn(url)
        watcher = create_engine(url.rsplit("/", 1)[0] + "/postgres")
        try:
            base = server.wait_ready()
            load = Load(base, token, targets, today())
            threads = [threading.Thread(target=load.run, daemon=True) for _ in range(CLIENTS)]
            for t in threads:
                t.start()
            deadline = time.monotonic() + 20
            while len(load.results) < 10 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(load.results) >= 10, ("no writes flowing", load.other_errors, "".join(server.log))

            before = server.workers
            victim = None
            deadline = time.monotonic() + 5
            while victim is None and time.monotonic() < deadline:
                victim = _in_flight_writer(watcher, url.rsplit("/", 1)[1], before)
            assert victim is not None, "never saw a write in progress to cut"
            os.kill(victim[0], signal.SIGKILL)
            time.sleep(LOAD_AFTER_KILL)
            load.stop.set()
            for t in threads:
                t.join(30)
            assert not any(t.is_alive() for t in threads), "a client hung"
            after = server.workers
        finally:
            server.stop()
            watcher.dispose()

        assert victim[0] not in after and len(after) == 2, (before, after)  # the master replaced it
        assert load.broken >= 1, "the kill cut no request"
        assert load.other_errors == []
        retried = [r for r in load.results.values() if r["attempts"] > 1]
        whole = sum(r["replayed"] for r in retried)  # committed before the kill: the retry got the first answer
        absent = len(retried) - whole  # rolled back (or never reached the worker): the retry wrote it anew

        check = create_engine(url)
        try:
            with check.connect() as conn:
                _check_books(conn, village_id, load.results)
        finally:
            check.dispose()
        print(f"\nworker kill: {len(load.results)} payments, {load.broken} requests cut by the kill, {len(retried)} "
              f"keys retried: {whole} had committed (replayed), {absent} had not (written by the retry)")


def _check_books(conn: Any, village_id: int, results: dict[str, dict[str, Any]]) -> None:
    def rows(sql: str, **params: Any) -> list[Any]:
        return list(conn.execute(text(sql), params).all())

    # every voucher balances, and its total is what its lines say
    unbalanced = rows("""
        SELECT v.id FROM ledger_vouchers v LEFT JOIN ledger_voucher_lines l ON l.voucher_id = v.id
        GROUP BY v.id, v.total_fen
        HAVING COALESCE(SUM(l.debit_fen), 0) <> COALESCE(SUM(l.credit_fen), 0)
            OR COALESCE(SUM(l.debit_fen), 0) <> v.total_fen OR COUNT(l.id) < 2""")
    assert unbalanced == []
    # every payment has its posted receipt for the right amount and its allocation for the households' part (the
    # households' payout is a record of its own, made later: none here)
    broken = rows("""
        SELECT p.id FROM land_rent_payments p
        LEFT JOIN ledger_vouchers r ON r.id = p.receipt_voucher_id
        LEFT JOIN (SELECT payment_id, SUM(amount_fen) AS fen, COUNT(*) AS n FROM land_rent_allocations
                   GROUP BY payment_id) a ON a.payment_id = p.id
        WHERE r.id IS NULL OR r.status <> 'posted' OR r.total_fen <> p.amount_fen
           OR p.payout_voucher_id IS NOT NULL
           OR a.n IS DISTINCT FROM 1 OR a.fen <> p.household_fen""")
    assert broken == []
    # no voucher of land without its payment (a half write would leave one)
    orphans = rows("""
        SELECT v.id FROM ledger_vouchers v WHERE v.source = 'land' AND NOT EXISTS (
            SELECT 1 FROM land_rent_payments p WHERE p.receipt_voucher_id = v.id OR p.payout_voucher_id = v.id)""")
    assert orphans == []
    assert rows("""SELECT a.id FROM land_rent_allocations a LEFT JOIN land_rent_payments p ON p.id = a.payment_id
                   WHERE p.id IS NULL""") == []
    # each month's numbers run 1..n: none doubled, none skipped
    for period, numbers in rows("""
            SELECT period, array_agg(number ORDER BY number) FROM ledger_vouchers
            WHERE village_id = :v AND status = 'posted' GROUP BY period""", v=village_id):
        assert numbers == list(range(1, len(numbers) + 1)), period
    # each due's paid amount is the sum of its payments
    assert rows("""
        SELECT d.id FROM land_rent_dues d LEFT JOIN (SELECT due_id, SUM(amount_fen) AS fen FROM land_rent_payments
                                                     GROUP BY due_id) p ON p.due_id = d.id
        WHERE d.paid_fen <> COALESCE(p.fen, 0)""") == []
    # one audit entry per payment
    payments = rows("SELECT idempotency_key, id, amount_fen FROM land_rent_payments")
    audits = rows("SELECT COUNT(*) FROM audit_log WHERE action = 'land.rent_payment'")[0][0]
    assert audits == len(payments)
    # every key the clients were answered for is recorded once, with the id they were given; nothing else is
    by_key = Counter(k for k, _, _ in payments)
    assert max(by_key.values()) == 1
    assert {k: i for k, i, _ in payments} == {k: r["id"] for k, r in results.items()}
    assert all(fen == 100 for _, _, fen in payments)
