"""Ballots under load: 2,000 representatives of one village cast their ballot at once through gunicorn (gthread).

    URL=postgresql+psycopg://postgres@127.0.0.1:5432/ballots_bench .venv/bin/python bench/ballots.py
    N=500 CLIENTS=32 WORKERS=4 THREADS=8 .venv/bin/python bench/ballots.py       # other sizes and settings

PostgreSQL only (default URL as above). The database is created if missing, and its public schema is dropped
and rebuilt: use a scratch database. Setup (households, members, roles, tokens) is bulk-inserted in-process, one
``representatives_meeting`` vote is opened with ``votes.open_vote`` for 7 days, then gunicorn is started on a
free port of 127.0.0.1 and:

- phase 1: ``CLIENTS`` threads (64) cast one ballot per member (random choice), ``N`` (2,000) in all;
- phase 2: ``CLIENTS`` threads all re-send the ballot of one member who voted in phase 1: every one must be 409.

Prints the machine, the gunicorn settings, ballots/second, latency percentiles and status counts, then checks in
the database that there are exactly ``N`` ballots and ``N`` participations (and the same choices as were sent).
Gunicorn is stopped (SIGTERM, then SIGKILL after 30 s) at the end, on an error and on Ctrl-C.
"""

from __future__ import annotations

import math
import os
import platform
import random
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import requests
from flask_migrate import upgrade
from psycopg import sql
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from backend import create_app, registry
from backend.auth import service as auth
from backend.core.clock import utcnow
from backend.core.db import db
from backend.decisions.votes import service as votes
from backend.decisions.votes.models import Ballot, VoteParticipation
from backend.registry.models import Household, RoleAssignment
from tests.factories import id_card, resolved_decision

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ballots_bench"
PER_HOUSEHOLD = 4
REQUEST_TIMEOUT = 30.0  # seconds, every request
READY_TIMEOUT = 30.0  # seconds for gunicorn to answer /readyz
STOP_TIMEOUT = 30.0  # seconds for gunicorn to stop after SIGTERM


def timed(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    print(f"  {label:<34} {time.perf_counter() - t0:6.2f} s")
    return result


def ensure_database(url: str) -> None:
    """Create the scratch database if it does not exist (through the ``postgres`` database, autocommit)."""
    u = make_url(url)
    name = u.database
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")


# ---------------------------------------------------------------- setup (in-process)


def setup(n: int) -> tuple[int, list[str]]:
    """One village, ``n`` members who are all representatives, one open vote, ``n`` tokens; returns
    (vote id, tokens in member order)."""
    t = registry.ensure_township("BN", "基准镇")
    v = registry.ensure_village(t, "BN001", "基准村")
    n_households = (n + PER_HOUSEHOLD - 1) // PER_HOUSEHOLD
    now = utcnow()
    db.session.execute(
        insert(Household.__table__),
        [
            {"village_id": v.id, "number": f"BN-{h:05d}", "created_at": now, "updated_at": now}
            for h in range(n_households)
        ],
    )
    items = []
    for i in range(n):
        hh, k = divmod(i, PER_HOUSEHOLD)
        born = date(1950 + i // 400, 1 + i % 12, 1 + i % 28)  # (year, i % 400) is unique: so is the ID number
        items.append(
            registry.MemberInput(
                name=f"代表{i}",
                id_card=id_card(born=born, n=i % 400 + 1),
                household_number=f"BN-{hh:05d}",
                relation="户主" if k == 0 else "子女",
                is_head=k == 0,
            )
        )
    members = timed(f"add_members ({n})", lambda: registry.add_members(v, items, actor=None))
    person_ids = [m.person_id for m in members]
    granted = utcnow()
    timed(
        "role assignments (Core insert)",
        lambda: db.session.execute(
            insert(RoleAssignment.__table__),
            [
                {"person_id": pid, "role": "representative", "village_id": v.id, "valid_from": granted}
                for pid in person_ids
            ],
        ),
    )
    db.session.commit()
    decision = resolved_decision(v.id, "村道修缮", "project", None, date.today())
    opens = utcnow()
    vote = timed(
        "open_vote",
        lambda: votes.open_vote(
            decision,
            stage="决议",
            body="representatives_meeting",
            title="村道修缮方案",
            opens_at=opens,
            closes_at=opens + timedelta(days=7),
            actor=None,
        ),
    )
    assert vote.electorate_size == n, f"electorate {vote.electorate_size}, expected {n}"
    tokens = timed(f"issue_token x {n}", lambda: [auth.issue_token(pid, None)[0] for pid in person_ids])
    db.session.commit()
    return vote.id, tokens


# ---------------------------------------------------------------- gunicorn


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_gunicorn(url: str, port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "WARNING", "REDIS_URL": ""}
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "backend.wsgi:app",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--timeout",
        "30",
        "--graceful-timeout",
        "30",
        "--log-level",
        "warning",
    ]
    # its own session: Ctrl-C reaches only this script, which then stops gunicorn itself
    return subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)


def wait_ready(proc: subprocess.Popen[bytes], base: str) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < READY_TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode} before it was ready")
        try:
            if requests.get(f"{base}/readyz", timeout=2).status_code == 200:
                return time.perf_counter() - t0
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready after {READY_TIMEOUT:.0f} s")


def stop_gunicorn(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave it running
    try:
        proc.send_signal(signal.SIGTERM)  # graceful: finish in-flight requests
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    finally:
        signal.signal(signal.SIGINT, previous)


# ---------------------------------------------------------------- load


class Clients:
    """``size`` threads, each with its own ``requests.Session`` (keep-alive)."""

    def __init__(self, size: int):
        self.size = size
        self.local = threading.local()
        self.sessions: list[requests.Session] = []
        self.lock = threading.Lock()

    def session(self) -> requests.Session:
        s = getattr(self.local, "s", None)
        if s is None:
            s = self.local.s = requests.Session()
            with self.lock:
                self.sessions.append(s)
        return s

    def close(self) -> None:
        for s in self.sessions:
            s.close()


def cast(clients: Clients, url: str, token: str, choice: str) -> tuple[int, float, str | None]:
    """(status, seconds, receipt); status 0 for a connection error or timeout."""
    t0 = time.perf_counter()
    try:
        r = clients.session().post(
            url, json={"choice": choice}, headers={"Authorization": f"Bearer {token}"}, timeout=REQUEST_TIMEOUT
        )
    except requests.RequestException:
        return 0, time.perf_counter() - t0, None
    elapsed = time.perf_counter() - t0
    receipt = r.json().get("receipt") if r.status_code == 201 else None
    return r.status_code, elapsed, receipt


def run(n_clients: int, jobs: list[tuple[str, str]], url: str) -> tuple[float, list[tuple[int, float, str | None]]]:
    clients = Clients(n_clients)
    pool = ThreadPoolExecutor(max_workers=n_clients, thread_name_prefix="client")
    done = False
    try:
        t0 = time.perf_counter()
        results = list(pool.map(lambda job: cast(clients, url, *job), jobs))
        wall = time.perf_counter() - t0
        done = True
    finally:
        # on Ctrl-C: drop the queued requests, leave the ≤ n_clients in flight to their timeout
        pool.shutdown(wait=done, cancel_futures=True)
        if done:
            clients.close()
    return wall, results


def as_text(counts: Counter[str]) -> str:
    return ", ".join(f"{c} {counts[c]}" for c in ("agree", "oppose", "abstain"))


def pct(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def report(label: str, wall: float, results: list[tuple[int, float, str | None]]) -> Counter[int]:
    lat = sorted(r[1] * 1000 for r in results)
    statuses = Counter(r[0] for r in results)
    print(f"{label}: {len(results)} requests in {wall:.2f} s = {len(results) / wall:.0f} requests/s")
    print(f"  latency ms: p50 {pct(lat, 50):.1f}  p90 {pct(lat, 90):.1f}  p99 {pct(lat, 99):.1f}  max {lat[-1]:.1f}")
    print("  status: " + ", ".join(f"{code or 'error'} × {k}" for code, k in sorted(statuses.items())))
    return statuses


# ---------------------------------------------------------------- main


def main() -> int:
    n = int(os.environ.get("N", "2000"))
    n_clients = int(os.environ.get("CLIENTS", "64"))
    workers = int(os.environ.get("WORKERS", "2"))
    threads = int(os.environ.get("THREADS", "8"))
    url = os.environ.get("URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        sys.exit("bench/ballots.py needs PostgreSQL: URL=postgresql+psycopg://…")
    ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        version = db.session.execute(text("SHOW server_version")).scalar()
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(
            f"ballots bench: {n} representatives, {n_clients} clients; PostgreSQL {version}; "
            f"Python {platform.python_version()}, {os.cpu_count()} cores ({cores} usable), "
            f"{platform.machine()} {platform.system()}"
        )
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        print("setup:")
        timed("migrations", upgrade)
        t0 = time.perf_counter()
        vote_id, tokens = setup(n)
        print(f"  {'setup in all':<34} {time.perf_counter() - t0:6.2f} s")
        db.session.remove()
        db.engine.dispose()  # gunicorn gets the connections

        rng = random.Random(20260101)
        choices = [rng.choice(("agree", "oppose", "abstain")) for _ in range(n)]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        ballots_url = f"{base}/api/v1/votes/{vote_id}/ballots"
        pool = os.environ.get("DB_POOL_SIZE", "8")
        overflow = os.environ.get("DB_MAX_OVERFLOW", "4")
        print(
            f"gunicorn: backend.wsgi:app, gthread, {workers} workers x {threads} threads, 127.0.0.1:{port}, "
            f"no access log; DB pool {pool} + {overflow} overflow per worker"
        )
        proc = start_gunicorn(url, port, workers, threads)
        ok = True
        try:
            print(f"  ready in {wait_ready(proc, base):.2f} s")
            cpu0 = time.process_time()
            wall, results = run(n_clients, list(zip(tokens, choices, strict=True)), ballots_url)
            client_cpu = time.process_time() - cpu0
            s1 = report(f"phase 1, one ballot per member ({n_clients} clients)", wall, results)
            print(f"  client CPU {client_cpu:.1f} s of {wall:.1f} s wall (the clients share the machine)")
            sent = Counter(c for (status, _, _), c in zip(results, choices, strict=True) if status == 201)
            receipts = [r[2] for r in results if r[2]]
            wall2, results2 = run(n_clients, [(tokens[0], "agree")] * n_clients, ballots_url)
            s2 = report(f"phase 2, {n_clients} clients re-send member 0's ballot", wall2, results2)
        finally:
            stop_gunicorn(proc)
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the master, and its workers it reaped
            print(
                f"gunicorn stopped (exit {proc.returncode}); its CPU from start to stop: "
                f"{usage.ru_utime + usage.ru_stime:.1f} s"
            )

        ballots = db.session.execute(
            select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)
        ).scalar_one()
        participations = db.session.execute(
            select(func.count()).select_from(VoteParticipation).where(VoteParticipation.vote_id == vote_id)
        ).scalar_one()
        units = db.session.execute(
            select(func.count(func.distinct(VoteParticipation.unit))).where(VoteParticipation.vote_id == vote_id)
        ).scalar_one()
        stored = Counter(
            dict(
                db.session.execute(
                    select(Ballot.choice, func.count()).where(Ballot.vote_id == vote_id).group_by(Ballot.choice)
                ).all()
            )
        )
        checks = {
            f"phase 1: {n} × 201": s1 == Counter({201: n}),
            f"phase 2: {n_clients} × 409": s2 == Counter({409: n_clients}),
            f"{n} receipts, all different": len(receipts) == n and len(set(receipts)) == n,
            f"database: {n} ballots": ballots == n,
            f"database: {n} participations ({units} distinct voters)": participations == n and units == n,
            f"database: choices as sent ({as_text(stored)})": stored == sent,
        }
        print("checks:")
        for label, passed in checks.items():
            print(f"  {'ok  ' if passed else 'FAIL'} {label}")
            ok = ok and passed
        print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
        db.session.remove()
        db.engine.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
