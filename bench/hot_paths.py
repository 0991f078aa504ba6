"""A villager's hot paths under load, side by side with a bare Flask JSON endpoint.

    .venv/bin/python bench/hot_paths.py                      # PostgreSQL bench_hot on 127.0.0.1 (created if missing)
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/mine .venv/bin/python bench/hot_paths.py
    REUSE=1 .venv/bin/python bench/hot_paths.py              # keep the village built by the last run
    DURATION=30 CONNECTIONS=64 .venv/bin/python bench/hot_paths.py
    .venv/bin/python bench/hot_paths.py --only me,notices    # some rows only (names as printed)

The load comes from wrk (``apt-get install -y wrk``), run as its own process: ``wrk -t2 -c32 -d10s --latency``
with the villager's ``Authorization`` header. Without wrk a Python load generator in two processes stands in; it
saturates before the server does, so its figures are much lower and only their ratios mean anything.

The village (timed, not the figures): the migrations on a dropped and rebuilt public schema, the demo of
docs/demo.md (``backend.demo.seed()``, with the WeChat stand-in for the notices' content check), then 临江村
made large: ``HOUSEHOLDS`` (3,000) more households with 1–5 people each, ``YEARS`` (4) earlier years of books
of ``LINES`` (6,000) voucher lines a year (bench/ledger_books.py's generator; those months closed), the four
quarters of the last of those years disclosed (drafted by the accountant, approved by the supervisor, published and
sealed), and ``NOTICES`` (30) more village notices, half of them read by the villager. The villager is 张大山
(household LJ-005: a member with last year's dividend, land rent, notices), logged in with a token.

Then ``VACUUM ANALYZE`` (what autovacuum keeps up in production: without it the summary's plan reads every line).

Two gunicorns run side by side with the same settings (gthread, ``WORKERS`` 2 × ``THREADS`` 8, no access log, as
scripts/run): the bare Flask app of bench/bare_app.py and the API as deployed (``backend.wsgi:app``; every request
runs its view and goes to the database). For each path, the bare ``/ping`` is loaded, then the path, each for
``DURATION`` seconds after a 2 s warm-up, so that every ratio compares two runs a few seconds apart (the machine is
shared: its load moves); that is done ``ROUNDS`` (3) times and the round with the median ratio is shown, with the
lowest and highest. (Until 2026-12-06 a third gunicorn served the API with ``RESPONSE_CACHE=0`` beside the one
that answered repeats from memory; the response cache was removed then, see bench/README.md, and its "no cache"
columns with it.)

The mixed run (``--only mixed``; wrk only) is the other end: ``CROWD`` (300) household heads, each request a random
one of them and a random one of six paths (/me, /me/dividends, /me/notices, /me/home, the small disclosure, the
summary), while ``WRITES`` (1) villager a second marks a notice read; it prints requests/s and the database
transactions per request (pg_stat_database).

``/readyz`` (one ``SELECT 1`` through the app, no token) is a reference: the cost of one database round trip.
Each path is first checked to answer 200; any non-2xx answer under load is printed and fails the run. The table
gives requests/s, p50 and p99 latency, the ratio to the bare app's run just before, and the CPU each request cost
the gunicorn workers and the PostgreSQL backends (their user + system time over the run, from /proc, ÷ requests)
with the bare app's CPU per request over the path's: the machine's other load moves requests/s a lot, CPU per
request much less. The 1-minute load average is printed before and after every run. The servers, PostgreSQL and
wrk share the machine's cores.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import platform
import pstats
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
import requests
from ballots import ensure_database, free_port, stop_gunicorn
from flask_migrate import upgrade
from ledger_books import Books, Rows
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import make_url

from backend import create_app, disclosures, registry
from backend.auth import service as auth
from backend.core.clock import utcnow
from backend.core.db import db
from backend.core.identity import birth_date_from_id, gender_from_id, id_hashes
from backend.disclosures.models import Disclosure
from backend.ledger.models import Account, Period, Voucher, VoucherCounter, VoucherLine
from backend.notices import service as notices
from backend.registry.models import Household, Member, Person, Village
from tests.factories import id_card

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_hot"
MARK = "热点基准村"  # the title prefix of the notices this bench adds: tells REUSE the village is built
CHUNK = 5000
READY_TIMEOUT = 30.0


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def timed(label: str, fn: Any) -> Any:
    t0 = time.perf_counter()
    out = fn()
    print(f"  {label:<52} {time.perf_counter() - t0:6.1f} s", flush=True)
    return out


# ---------------------------------------------------------------- the village


def more_households(v: Village, n: int, rng: random.Random) -> int:
    """``n`` households of 1–5 active people in ``v`` (bulk rows as registry.add_members writes them)."""
    now = utcnow()
    numbers = [f"{v.code[:2]}-B{h:05d}" for h in range(n)]
    db.session.execute(insert(Household.__table__), [
        {"village_id": v.id, "number": no, "address": f"{1 + h % 6}组", "is_tuopin": False, "is_jiance": False,
         "created_at": now, "updated_at": now} for h, no in enumerate(numbers)])
    hids = dict(db.session.execute(
        select(Household.number, Household.id).where(Household.number.in_(numbers))).all())
    key = registry.identity_key()
    sizes = [rng.randint(1, 5) for _ in range(n)]
    people, homes = [], []
    for i in range(sum(sizes)):
        born = date(1930 + i // 400, 1 + i % 12, 1 + i % 28)  # (year, i % 400): a unique ID number
        card = id_card(born=born, n=i % 400 + 1, region="110101")  # a county the demo does not use
        full, six, four = id_hashes(key, card)
        people.append({"name": f"村民{i}", "gender": gender_from_id(card), "birth_date": birth_date_from_id(card),
                       "id_hash": full, "id6_hash": six, "id_last4": four, "phone": None, "township_id": None,
                       "created_at": now, "updated_at": now})
    for i in range(0, len(people), CHUNK):
        db.session.execute(insert(Person.__table__), people[i : i + CHUNK])
    pids = dict(db.session.execute(select(Person.id_hash, Person.id).where(Person.name.like("村民%"))).all())
    i = 0
    for no, size in zip(numbers, sizes, strict=True):
        for k in range(size):
            homes.append({"person_id": pids[people[i]["id_hash"]], "village_id": v.id, "household_id": hids[no],
                          "is_head": k == 0, "relation": "户主" if k == 0 else "子女", "is_collective_member": True,
                          "status": "active", "created_at": now, "updated_at": now})
            i += 1
    for i in range(0, len(homes), CHUNK):
        db.session.execute(insert(Member.__table__), homes[i : i + CHUNK])
    db.session.commit()
    return len(people)


def earlier_books(v: Village, years: list[int], lines_per_year: int) -> int:
    """Posted vouchers of ``years`` (before the demo's books) with ledger_books' generator, their months closed."""
    ids = dict(db.session.execute(select(Account.code, Account.id).where(Account.village_id == v.id)).all())
    for code in ("513001", "513002", "322002001", "322002002"):  # sub-accounts the demo's chart does without
        ids.setdefault(code, ids[code[:-3]])
    rows = Rows(next_id=(db.session.execute(select(func.max(Voucher.id))).scalar() or 0) + 1)
    rows.start(v.id, ids)
    gen = Books(random.Random(20260101), lines_per_year)
    for year in years:
        last = 0
        for day, summary, lines, kind in gen.year(year):
            if kind == "draft":
                continue  # closed months hold no drafts
            if kind == "reversal":
                rows.add(day, summary, lines, "reversal", reverses=last)
            else:
                last = rows.add(day, summary, lines, "bench")
    db.session.execute(insert(Voucher.__table__), rows.vouchers)
    for i in range(0, len(rows.lines), CHUNK * 4):
        db.session.execute(insert(VoucherLine.__table__), rows.lines[i : i + CHUNK * 4])
    counters: dict[str, int] = defaultdict(int)
    posted = []
    for vid, _, period, _ in sorted(rows.to_post, key=lambda r: (r[2], r[3], r[0])):
        counters[period] += 1
        posted.append((vid, counters[period]))
    now = datetime.now(UTC)
    table = Voucher.__table__

    db.session.execute(
        update(table).where(table.c.id == bindparam("b_id"))
        .values(status="posted", number=bindparam("b_no"), posted_at=bindparam("b_at")),
        [{"b_id": vid, "b_no": no, "b_at": now} for vid, no in posted],
        execution_options={"synchronize_session": False},
    )
    db.session.execute(insert(VoucherCounter.__table__),
                       [{"village_id": v.id, "period": p, "last_number": n} for p, n in counters.items()])
    db.session.execute(insert(Period.__table__), [
        {"village_id": v.id, "period": f"{y}-{m:02d}", "closed_at": now} for y in years for m in range(1, 13)])
    if db.engine.dialect.name == "postgresql":
        for t in ("ledger_vouchers", "ledger_voucher_lines"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT max(id) FROM {t}))"))
    db.session.commit()
    return len(rows.lines)


def disclose_year(v: Village, year: int) -> list[int]:
    """The year's four quarters drafted by the accountant, approved by the supervisor, published (sealed)."""
    from backend import demo

    accountant = registry.load_principal(demo.person("lixiuying").id)
    supervisor = registry.load_principal(demo.person("zhaodeming").id)
    assert accountant and supervisor
    out = []
    for q in range(1, 5):
        d, _ = disclosures.draft_disclosure(v, f"{year}-Q{q}", None, actor=accountant)
        disclosures.approve(d, actor=supervisor)
        disclosures.publish(d, actor=None)
        db.session.commit()
        out.append(d.id)
    return out


def more_notices(v: Village, n: int, reader_id: int) -> None:
    from backend import demo

    secretary = registry.load_principal(demo.person("wangjianguo").id)
    assert secretary
    for i in range(n):
        notice = notices.publish(notices.NoticeInput(
            title=f"{MARK}通知{i + 1}", body=f"各位村民：第{i + 1}期村务安排，详见村务公开栏。\n{v.name}村民委员会",
            category="通知", pinned=i == 0), actor=secretary, village=v)
        if i % 2:
            notices.mark_read(notice, reader_id, v.id)
        db.session.commit()


@dataclass
class Village_:
    token: str
    village_id: int
    disclosure_id: int  # the demo's newest: a quarter of a small village's books
    big_disclosure_id: int  # a quarter of the busy bulk year
    big_disclosure_lines: int
    small_disclosure_lines: int
    year: int  # the busy year of the accounts summary
    crowd: list[str]  # tokens of CROWD household heads (the mixed run)
    notice_ids: list[int]  # the village's notices (the mixed run's writes mark them read)


def build(households: int, years: list[int], lines: int, n_notices: int, reuse: bool, crowd: int) -> Village_:
    from backend import demo

    built = db.session.execute(text("SELECT to_regclass('public.notices')")).scalar() is not None and reuse
    if built:
        from backend.notices.models import Notice

        built = db.session.execute(select(func.count()).where(Notice.title.like(f"{MARK}%"))).scalar_one() > 0
    if not built:
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        print("set-up:")
        timed("migrations", upgrade)
        timed("demo (backend.demo.seed)", lambda: (demo.seed(), db.session.commit()))
        v = demo.village("LJ01")
        people = timed(f"{households:,} more households (bulk)",
                       lambda: more_households(v, households, random.Random(7)))
        n_lines = timed(f"{len(years)} earlier years of books (bulk, closed)", lambda: earlier_books(v, years, lines))
        timed(f"4 quarters of {years[-1]} disclosed", lambda: disclose_year(v, years[-1]))
        zhang = demo.person("zhangdashan")
        timed(f"{n_notices} more notices (WeChat content check)", lambda: more_notices(v, n_notices, zhang.id))
        print(f"  rows: {people:,} more people, {n_lines:,} more voucher lines")
    else:
        print("set-up: REUSE=1 and the village is built: reusing it")
    v = demo.village("LJ01")
    zhang = demo.person("zhangdashan")
    published = list(db.session.execute(
        select(Disclosure).where(Disclosure.village_id == v.id, Disclosure.status == "published")
        .order_by(Disclosure.period)).scalars())
    small = next(d for d in reversed(published) if d.period > f"{years[-1]}-Q4")
    big = next(d for d in published if d.period == f"{years[-1]}-Q4")
    token, _ = auth.issue_token(zhang.id, None)
    # the crowd of the mixed run: household heads of the village, each with a token
    heads = db.session.execute(
        select(Member.person_id).where(Member.village_id == v.id, Member.is_head.is_(True))
        .order_by(Member.id).limit(crowd)).scalars().all()
    crowd_tokens = [auth.issue_token(pid, None)[0] for pid in heads]
    from backend.notices.models import Notice

    notice_ids = db.session.execute(select(Notice.id).where(Notice.village_id == v.id)).scalars().all()
    db.session.commit()
    counts = {name: db.session.execute(select(func.count()).select_from(t)).scalar_one() for name, t in (
        ("households", Household), ("people", Person), ("voucher lines", VoucherLine), ("disclosures", Disclosure))}
    from backend.dividends.models import DividendLine

    counts["notices"] = db.session.execute(select(func.count()).select_from(Notice)).scalar_one()
    counts["dividend lines"] = db.session.execute(select(func.count()).select_from(DividendLine)).scalar_one()
    print("  database: " + ", ".join(f"{n:,} {k}" for k, n in counts.items()))
    return Village_(token, v.id, small.id, big.id, len(big.content_data()["lines"]),
                    len(small.content_data()["lines"]), years[-1], crowd_tokens, list(notice_ids))


# ---------------------------------------------------------------- gunicorn and wrk


def start(target: str, env: dict[str, str], port: int, workers: int, threads: int,
          chdir: Path = ROOT) -> subprocess.Popen[bytes]:
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), target, "--chdir", str(chdir), "--worker-class", "gthread",
           "--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
           "--graceful-timeout", "30", "--log-level", "warning"]
    return subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def wait_ready(proc: subprocess.Popen[bytes], url: str) -> None:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < READY_TIMEOUT:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn not ready after {READY_TIMEOUT:.0f} s")


@dataclass
class Figures:
    rps: float
    p50: float  # ms
    p99: float
    requests: int
    bad: int  # non-2xx answers, socket errors and timeouts
    load: str  # load average after the run
    app_cpu: float = 0.0  # ms of the gunicorn workers' CPU per request
    db_cpu: float = 0.0  # ms of the PostgreSQL backends' CPU per request


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (Linux /proc; 0 elsewhere)."""
    total = 0
    for pid in pids:
        st = _stat(pid)
        if st:
            total += int(st[11]) + int(st[12])  # utime, stime (fields 14 and 15 of /proc/<pid>/stat)
    return total / _TICK


def children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if d.isdigit() and (st := _stat(int(d))) and int(st[1]) == pid:
            out.append(int(d))
    return out


def backends(url: str) -> list[int]:
    """The PostgreSQL backends connected to the bench database (gunicorn's, once it is warm)."""
    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        return [pid for (pid,) in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (u.database,))]


def vacuum(url: str) -> None:
    """VACUUM ANALYZE (outside a transaction): the visibility map and statistics autovacuum keeps in production."""
    u = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(u, autocommit=True, connect_timeout=5) as conn:
        conn.execute("VACUUM ANALYZE")


MIXED = ("me", "dividends", "notices", "home", "disclosure", "summary")  # the mixed run's paths
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text_: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text_)
    assert m, text_
    return float(m.group(1)) * _UNITS[m.group(2)]


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int, threads: int,
            script: Path | None = None) -> Figures:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if script is not None:
        cmd += ["-s", str(script)]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = sum(int(x) for x in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        bad += sum(int(x) for x in m.groups())
    return Figures(rps, p50, p99, total, bad, load_average())


def _py_client(args: tuple[str, int, dict[str, str], float, int]) -> tuple[int, int, list[float]]:
    """One load process: ``conns`` threads, each a keep-alive connection sending GETs for ``seconds`` from now (a
    spawned process imports this module first, which can take longer than a warm-up on a busy machine)."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    url, conns, headers, seconds, _ = args
    until = time.time() + seconds
    u = urlsplit(url)
    path = u.path + (f"?{u.query}" if u.query else "")
    lat: list[float] = []
    bad = [0]
    lock = threading.Lock()

    def loop() -> None:
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        mine: list[float] = []
        errors = 0
        while time.time() < until:
            t0 = time.perf_counter()
            try:
                c.request("GET", path, headers=headers)
                r = c.getresponse()
                r.read()
                if not 200 <= r.status < 300:
                    errors += 1
            except OSError:
                errors += 1
                c.close()
                c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            mine.append(time.perf_counter() - t0)
        with lock:
            lat.extend(mine)
            bad[0] += errors

    ts = [threading.Thread(target=loop) for _ in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return len(lat), bad[0], lat


def run_python(url: str, headers: dict[str, str], seconds: int, connections: int, threads: int) -> Figures:
    """The fallback without wrk: ``threads`` processes sharing ``connections`` keep-alive connections."""
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(threads) as pool:
        parts = pool.map(_py_client, [(url, max(1, connections // threads), headers, seconds, i)
                                      for i in range(threads)])
    lat = sorted(x for _, _, ls in parts for x in ls) or [0.0]
    n = len(lat)
    return Figures(n / seconds, lat[n // 2] * 1000, lat[min(n - 1, int(n * 0.99))] * 1000, n,
                   sum(b for _, b, _ in parts), load_average())


def in_process(app: Any, path: str, headers: dict[str, str]) -> tuple[float, float]:
    """(CPU ms, Python function calls) per request through the test client, one thread, nothing else in this
    process: what the request itself costs the app (SQL round trips included, the database's own work not)."""
    client = app.test_client()
    for _ in range(30):
        assert client.get(path, headers=headers).status_code == 200, path
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(30):
        client.get(path, headers=headers)
    prof.disable()
    calls = pstats.Stats(prof).total_calls / 30
    best = float("inf")
    for _ in range(3):
        t0 = time.thread_time()
        for _ in range(100):
            client.get(path, headers=headers)
        best = min(best, (time.thread_time() - t0) * 10)
    return best, calls


# ---------------------------------------------------------------- the mixed run: many villagers, and writes


def crowd_script(tokens: list[str], paths: list[str], directory: Path) -> Path:
    """A wrk Lua script: each request a random villager's token and a random one of ``paths``."""
    def lua_list(items: list[str]) -> str:
        return "{" + ", ".join('"' + x.replace('"', '\\"') + '"' for x in items) + "}"

    script = directory / "crowd.lua"
    script.write_text(f"""local tokens = {lua_list(tokens)}
local paths = {lua_list(paths)}
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  local headers = {{}}
  headers["Authorization"] = "Bearer " .. tokens[math.random(#tokens)]
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
""")
    return script


def transactions(url: str) -> int:
    """Transactions the bench database has ended so far (pg_stat_database; a backend reports within a second)."""
    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
                           (u.database,)).fetchone()
        return int(row[0]) if row else 0


class Writer(threading.Thread):
    """Villagers marking notices read, ``per_second`` requests a second (each one a write and a commit)."""

    def __init__(self, base: str, tokens: list[str], notice_ids: list[int], per_second: float) -> None:
        super().__init__(daemon=True)
        self.base, self.tokens, self.notice_ids, self.per_second = base, tokens, notice_ids, per_second
        self.stopping = threading.Event()
        self.done = self.failed = 0

    def run(self) -> None:
        rnd = random.Random(11)
        http = requests.Session()
        while not self.stopping.wait(1 / self.per_second):
            r = http.post(f"{self.base}/api/v1/notices/{rnd.choice(self.notice_ids)}/read",
                          headers={"Authorization": f"Bearer {rnd.choice(self.tokens)}"}, timeout=10)
            if r.status_code == 204:
                self.done += 1
            else:
                self.failed += 1


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated row names (bare is always run)")
    args = ap.parse_args()
    url = os.environ.get("URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        sys.exit("bench/hot_paths.py measures on PostgreSQL: URL=postgresql+psycopg://…")
    households = int(os.environ.get("HOUSEHOLDS", "3000"))
    n_years = int(os.environ.get("YEARS", "4"))
    lines = int(os.environ.get("LINES", "6000"))
    n_notices = int(os.environ.get("NOTICES", "30"))
    crowd = int(os.environ.get("CROWD", "300"))
    writes_per_s = float(os.environ.get("WRITES", "1"))
    seconds = int(os.environ.get("DURATION", "10"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    connections = int(os.environ.get("CONNECTIONS", "32"))
    workers = int(os.environ.get("WORKERS", "2"))
    threads = int(os.environ.get("THREADS", "8"))
    reuse = os.environ.get("REUSE", "") not in ("", "0")
    wrk = shutil.which("wrk")
    load_with = run_wrk if wrk else run_python
    ensure_database(url)

    from backend.wechat.standin import StandIn

    standin = StandIn().start()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
                      "WECHAT_API_BASE_URL": standin.base_url})
    today = date.today()
    demo_first_year = today.year - 2  # the demo's books start 24 months back
    years = list(range(demo_first_year - n_years, demo_first_year))
    with app.app_context():
        version = db.session.execute(text("SHOW server_version")).scalar()
        print(f"hot paths bench: PostgreSQL {version}; Python {platform.python_version()}, {os.cpu_count()} cores, "
              f"{platform.machine()} {platform.system()}; load average {load_average()}")
        v = build(households, years, lines, n_notices, reuse, crowd)
        db.session.remove()
        db.engine.dispose()
    standin.stop()
    timed("VACUUM ANALYZE", lambda: vacuum(url))

    api = "/api/v1"
    rows: list[tuple[str, str]] = [
        ("readyz", "/readyz"),
        ("me", f"{api}/me"),
        ("dividends", f"{api}/me/dividends"),
        ("notices", f"{api}/me/notices"),
        ("disclosure", f"{api}/disclosures/{v.disclosure_id}"),
        ("summary", f"{api}/villages/{v.village_id}/accounts/summary?year={v.year}"),
        ("home", f"{api}/me/home"),
        ("disclosure-big", f"{api}/disclosures/{v.big_disclosure_id}"),
    ]
    labels = {
        "readyz": "/readyz (SELECT 1, no auth)",
        "me": "/me",
        "dividends": "/me/dividends",
        "notices": "/me/notices",
        "disclosure": f"/disclosures/{{id}} ({v.small_disclosure_lines} lines)",
        "summary": f"/villages/{{id}}/accounts/summary?year={v.year}",
        "home": "/me/home",
        "disclosure-big": f"/disclosures/{{id}} ({v.big_disclosure_lines:,} lines)",
    }
    only = {x for x in args.only.split(",") if x}
    all_rows = list(rows)
    rows = [r for r in rows if not only or r[0] in only]
    headers = {"Authorization": f"Bearer {v.token}"}
    from bare_app import app as bare_app

    print("in process (test client, one thread; the lowest of 3 × 100 requests):")
    single = {"bare": in_process(bare_app, "/ping", {})}
    api_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    for name, path in rows:
        if api_app.test_client().get(path, headers=headers).status_code == 200:
            single[name] = in_process(api_app, path, headers)
            print(f"  {path:<58} {single[name][0]:6.2f} ms CPU, {single[name][1]:7,.0f} Python calls", flush=True)
    with api_app.app_context():
        db.engine.dispose()
    if wrk:
        tool = "wrk " + subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    else:
        tool = "a Python load generator (no wrk: apt-get install -y wrk)"
    print(f"load: {tool}, 2 threads, {connections} connections, {seconds} s per path after a 2 s warm-up")
    print(f"gunicorn: gthread, {workers} workers x {threads} threads, 127.0.0.1, no access log; "
          f"DB pool {os.environ.get('DB_POOL_SIZE', '8')} + {os.environ.get('DB_MAX_OVERFLOW', '4')} per worker")

    def measure(proc: subprocess.Popen[bytes], base: str, path: str, hdrs: dict[str, str], db: bool) -> Figures:
        load_with(base + path, hdrs, 2, connections, 2)  # warm-up: connections, caches, the JIT-less interpreter
        workers_ = children(proc.pid)
        pg = backends(url) if db else []
        before = load_average()
        app0, db0 = cpu_seconds(workers_), cpu_seconds(pg)
        f = load_with(base + path, hdrs, seconds, connections, 2)
        f.app_cpu = (cpu_seconds(workers_) - app0) * 1000 / max(1, f.requests)
        f.db_cpu = (cpu_seconds(pg) - db0) * 1000 / max(1, f.requests)
        print(f"  {path:<58} {f.rps:8.0f} req/s  p50 {f.p50:6.1f} ms  p99 {f.p99:6.1f} ms  CPU/req app "
              f"{f.app_cpu:5.2f} ms, PostgreSQL {f.db_cpu:5.2f} ms  (load {before.split()[0]} → {f.load.split()[0]})"
              f"{'  NON-2xx: ' + str(f.bad) if f.bad else ''}", flush=True)
        return f

    results: dict[str, tuple[Figures, Figures]] = {}  # name → (bare just before, the path)
    spread: dict[str, tuple[float, float]] = {}  # name → lowest and highest ratio to bare over the rounds
    mixed: tuple[Figures, float, int] | None = None  # figures, transactions a request, writes
    mixed_bare: Figures | None = None
    ok = True
    bare_port, api_port = free_port(), free_port()
    bare_base, base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{api_port}"
    env = {"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING", "APP_ENV": "development"}
    bare_proc = start("bare_app:app", {}, bare_port, workers, threads, chdir=ROOT / "bench")
    proc = None
    try:
        proc = start("backend.wsgi:app", env, api_port, workers, threads)
        wait_ready(bare_proc, f"{bare_base}/ping")
        wait_ready(proc, f"{base}/readyz")
        print("each path right after the bare app (the other server idle meanwhile):")
        for name, path in rows:
            r = requests.get(base + path, headers=headers, timeout=10)
            if r.status_code != 200:
                print(f"  {path}: {r.status_code} {r.text[:200]} — skipped")
                ok = ok and name == "home" and r.status_code == 404  # /me/home may not exist yet
                continue
            pairs = []
            for _ in range(rounds):  # the machine's load moves: the round with the median ratio is shown
                before = measure(bare_proc, bare_base, "/ping", {}, False)
                pairs.append((before, f := measure(proc, base, path, headers, True)))
                ok = ok and f.bad == 0 and before.bad == 0
            pairs.sort(key=lambda bf: bf[1].rps / bf[0].rps)
            results[name] = pairs[len(pairs) // 2]
            spread[name] = (pairs[0][1].rps / pairs[0][0].rps, pairs[-1][1].rps / pairs[-1][0].rps)
        if (not only or "mixed" in only) and wrk:
            mixed_paths = [p for n, p in all_rows if n in MIXED]
            print(f"mixed: {len(v.crowd)} villagers, each request a random one of them and a random one of "
                  f"{len(mixed_paths)} paths ({', '.join(labels[n] for n in MIXED)}); {writes_per_s:g} write/s "
                  "(a villager marks a notice read):")
            with tempfile.TemporaryDirectory() as tmp:
                script = crowd_script(v.crowd, mixed_paths, Path(tmp))
                mixed_bare = measure(bare_proc, bare_base, "/ping", {}, False)
                run_wrk(base + "/", {}, 2, connections, 2, script)  # warm-up
                writer = Writer(base, v.crowd, v.notice_ids, writes_per_s)
                workers_, pg = children(proc.pid), backends(url)
                time.sleep(1.5)
                tx0, app0, db0 = transactions(url), cpu_seconds(workers_), cpu_seconds(pg)
                writer.start()
                f = run_wrk(base + "/", {}, seconds, connections, 2, script)
                writer.stopping.set()
                writer.join()
                f.app_cpu = (cpu_seconds(workers_) - app0) * 1000 / max(1, f.requests)
                f.db_cpu = (cpu_seconds(pg) - db0) * 1000 / max(1, f.requests)
                time.sleep(1.5)  # the backends report their counts
                tx = (transactions(url) - tx0 - writer.done - writer.failed) / max(1, f.requests)
                mixed = (f, tx, writer.done)
                bad = f"  NON-2xx: {f.bad}" if f.bad else ""
                print(f"  {'the API':<58} {f.rps:8.0f} req/s  p50 {f.p50:6.1f} ms  p99 {f.p99:6.1f} ms  "
                      f"{tx:.2f} transactions/request, {writer.done} writes  CPU/req app "
                      f"{f.app_cpu:5.2f} ms, PostgreSQL {f.db_cpu:5.2f} ms{bad}", flush=True)
                ok = ok and f.bad == 0 and writer.failed == 0
    finally:
        stop_gunicorn(bare_proc)
        if proc is not None:
            stop_gunicorn(proc)
    bare = statistics.median(b.rps for b, _ in results.values()) if results else 0.0
    bare_cpu = statistics.median(b.app_cpu for b, _ in results.values()) if results else 0.0
    print(f"\nresults (PostgreSQL {version}, {os.cpu_count()} cores shared by gunicorn, PostgreSQL and the load "
          f"generator; load average now {load_average()}):")
    print(f"  | {'path':<46} | {'req/s':>6} | {'p50 ms':>6} | {'p99 ms':>6} | {'bare req/s':>10} | {'÷ bare':>6} | "
          f"{'app CPU ms':>10} | {'PG CPU ms':>9} | {'÷ bare CPU':>10} | {'1-thread ms':>11} | {'calls':>6} |"
          f" {'÷ bare, rounds':>14} |")
    print(f"  |{'-' * 48}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 12}|{'-' * 8}|{'-' * 12}|{'-' * 11}|{'-' * 12}|"
          f"{'-' * 13}|{'-' * 8}|{'-' * 16}|")
    print(f"  | {'bare Flask /ping (median of its runs)':<46} | {bare:6.0f} | {'':>6} | {'':>6} | {'':>10} | "
          f"{'':>6} | {bare_cpu:10.2f} | {0:9.2f} | {'':>10} | {single['bare'][0]:11.2f} | {single['bare'][1]:6.0f} |"
          f" {'':>14} |")
    for name, (b, f) in results.items():
        ratio = f.rps / b.rps
        goal = "" if name in ("readyz", "disclosure-big") else (" ✓" if ratio >= 0.6 else " ✗")
        cpu_ratio = b.app_cpu / (f.app_cpu + f.db_cpu) if f.app_cpu + f.db_cpu else 0.0
        one, calls = single.get(name, (0.0, 0.0))
        print(f"  | {labels[name]:<46} | {f.rps:6.0f} | {f.p50:6.1f} | {f.p99:6.1f} | {b.rps:10.0f} | {ratio:6.0%} | "
              f"{f.app_cpu:10.2f} | {f.db_cpu:9.2f} | {cpu_ratio:10.0%} | {one:11.2f} | {calls:6.0f} |"
              f" {f'{spread[name][0]:.0%}–{spread[name][1]:.0%}':>14} |{goal}")
    print(f"  ÷ bare: requests/s over those of the bare app measured just before, the round of {rounds} with the "
          "median ratio (÷ bare, rounds: the lowest and highest; the goal: ≥ 60% for each "
          "villager hot path, ✓/✗; /readyz and the large disclosure are references). The API as deployed: every "
          "request runs its view and goes to the database. CPU per request: the gunicorn workers' and the "
          "PostgreSQL backends' user + system time over "
          "the run ÷ requests (/proc); ÷ bare CPU: the bare app's CPU per request over the path's (app + "
          "PostgreSQL), what the throughput ratio would be if the server's CPU were the only limit — the machine's "
          "other load moves it far less than requests/s. 1-thread ms and calls: one request through the test "
          "client in this process, alone (CPU, and Python function calls, which no load moves).")
    if mixed is not None and mixed_bare is not None:
        f, tx, writes = mixed
        print(f"\nmixed ({len(v.crowd)} villagers × {len(MIXED)} paths at random, {writes_per_s:g} write/s; bare "
              f"/ping just before: {mixed_bare.rps:.0f} req/s):")
        print(f"  | {'the API':<18} | {f.rps:6.0f} req/s | {f.rps / mixed_bare.rps:5.0%} of bare | "
              f"p50 {f.p50:6.1f} ms | p99 {f.p99:6.1f} ms | {tx:.2f} database transactions a request | "
              f"{writes} writes | CPU/req app {f.app_cpu:.2f} ms + PostgreSQL {f.db_cpu:.2f} ms |")
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
