"""A crowd on the API, side by side with two floors: a bare Flask JSON endpoint and one pooled indexed SELECT.

    .venv/bin/python bench/crowd.py                       # PostgreSQL bench_crowd on 127.0.0.1 (created if missing)
    REUSE=1 .venv/bin/python bench/crowd.py               # keep the village built by the last run
    REUSE=1 .venv/bin/python bench/crowd.py --profile     # no load: where one request of each hot path spends its time
    PROFILE_ONLY=/me/home REUSE=1 .venv/bin/python bench/crowd.py --profile   # only the paths whose template matches
    ROUNDS=5 DURATION=10 CROWD=2000 .venv/bin/python bench/crowd.py
    COMPARE_PRE_PING=1 REUSE=1 .venv/bin/python bench/crowd.py   # a fifth server: the API without the look before use

The village is bench/hot_paths.py's (its builder, imported): the demo and 临江村 made large. The crowd: every demo
person's token (the staff included) and ``CROWD`` (1,000) household heads' tokens; the reads are every GET the
mini-program's pages make (miniprogram-stub/pages/*/*.js ``api.get(``) and those the console's main screens make
on opening (console/src/views), with the ids of each person's own village (or township). Each (token, path) is
tried once through the test client and kept only if it answers 200: each person reads only what they may open. wrk
(``-s``, a Lua script) sends each request as a random one of those pairs, while a Python thread logs one villager in
a second (``POST /auth/wechat-login`` through the WeChat stand-in) and another marks a notice read a second.

Three gunicorns with scripts/run's settings (gthread, ``WORKERS`` 2 × ``THREADS`` 8, no access log) run side by
side: bench/bare_app.py twice (``/ping``, no database; ``/one``, one ``SELECT id, name FROM people WHERE id = :id``
through a pool with the API's settings) and the API. Each round loads, in turn and a few seconds apart, ``/ping``,
``/one`` and the crowd (``ROUNDS``, 3; the machine's load moves); then each of the mini-program's reads alone for
``ALONE_DURATION`` (4) s, each right after ``/one`` again (``--no-alone`` skips them). Every
run prints req/s, p50, p99, non-2xx and socket errors, and the CPU each request cost the gunicorn workers and the
PostgreSQL backends (/proc). Any non-2xx answer or socket error under load fails the run.

``--profile``: per hot path, cProfile over 50 requests through the test client: the cumulative time
grouped as statements, ORM loading, schema dumping, per-request hooks and Flask, the top functions, and the SQL
statements per request (SQLAlchemy ``before_cursor_execute``).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from ballots import ensure_database, free_port, stop_gunicorn
from hot_paths import (
    Figures,
    Writer,
    backends,
    build,
    children,
    cpu_seconds,
    load_average,
    run_wrk,
    start,
    vacuum,
    wait_ready,
)
from sqlalchemy import event, text

from backend import create_app
from backend.auth import service as auth
from backend.core.db import db

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_crowd"
API = "/api/v1"

# The mini-program's reads (miniprogram-stub/pages/*/*.js api.get), then the console's main screens' (the GETs a
# screen makes on opening, console/src/views). {v}: the person's village, {t}: their township, {year}: the busy
# year; the other names are a row of that village (see ids()).
MINIPROGRAM = [
    "/me", "/me/home", "/me/dividends?page_size=100", "/me/dividends/{dividend_line}",
    "/me/notices?page=1&page_size=20",
    "/notices/{notice}", "/me/votes", "/votes/{vote}", "/me/land", "/me/land/rent-history?page_size=100",
    "/me/job-applications?page_size=100", "/job-postings/{job_posting}", "/villages/{v}/job-postings?page_size=100",
    "/villages/{v}/accounts/summary?year={year}", "/villages/{v}/disclosures?page=1&page_size=20",
    "/disclosures/{disclosure}", "/villages/{v}/assets/summary", "/villages/{v}/assets?page_size=100",
    "/assets/{asset}", "/villages/{v}/contracts?page_size=100", "/villages/{v}/decisions?page=1&page_size=20",
    "/decisions/{decision}", "/villages/{v}/projects?page_size=100", "/projects/{project}",
]
CONSOLE = [
    "/villages/{v}", "/villages/{v}/roles", "/villages/{v}/members", "/villages/{v}/parcels",
    "/villages/{v}/assisted-entries", "/villages/{v}/vouchers", "/villages/{v}/ledger/accounts",
    "/villages/{v}/ledger/months", "/villages/{v}/notices", "/villages/{v}/decisions", "/villages/{v}/projects",
    "/villages/{v}/contracts", "/villages/{v}/assets", "/villages/{v}/assets/funds", "/villages/{v}/asset-inventories",
    "/villages/{v}/land-contracts", "/villages/{v}/land-parties", "/villages/{v}/rent-dues",
    "/villages/{v}/rent-arrears",
    "/villages/{v}/share-register", "/villages/{v}/share-types", "/villages/{v}/distributions",
    "/villages/{v}/disclosures/drafts", "/villages/{v}/disclosures/periods", "/villages/{v}/audit",
    "/villages/{v}/membership-applications", "/villages/{v}/membership-meetings", "/villages/{v}/job-postings/all",
    "/townships/{t}/villages", "/townships/{t}/villages/overview", "/townships/{t}/progress",
    "/townships/{t}/warnings", "/townships/{t}/people", "/townships/{t}/projects",
    "/notices/{notice}/reach", "/land-contracts/{land_contract}", "/contracts/{contract}",
]
# name → (table, the column naming the village); the newest row of the village
ROWS = {
    "notice": ("notices", "village_id"), "vote": ("votes", "village_id"), "job_posting": ("job_postings", "village_id"),
    "disclosure": ("ledger_disclosures", "village_id"), "asset": ("assets", "village_id"),
    "decision": ("decisions", "village_id"), "project": ("projects", "village_id"),
    "land_contract": ("land_contracts", "village_id"), "contract": ("collective_contracts", "village_id"),
}


def ids(village_id: int) -> dict[str, int]:
    out = {}
    for name, (table, col) in ROWS.items():
        out[name] = db.session.execute(text(
            f"SELECT max(id) FROM {table} WHERE {col} = :v"), {"v": village_id}).scalar() or 0
    return out


@dataclass
class Place:
    id: int  # a village
    township_id: int


@dataclass
class Crowd:
    pairs: list[tuple[str, str]]  # (token, path) answering 200
    people: int
    paths: set[str]  # the path templates someone may open
    hot: dict[str, tuple[str, str]]  # template → one (token, path) pair: the hot paths alone


def crowd_of(app: Any, n_heads: int, year: int) -> Crowd:
    """Every demo person and ``n_heads`` household heads of 临江村, each with the reads that answer them 200."""
    from backend import demo
    from backend.registry.models import Member, Village

    client = app.test_client()
    pairs: list[tuple[str, str]] = []
    hot: dict[str, tuple[str, str]] = {}
    opened: set[str] = set()
    with app.app_context():
        villages = {v.code: v for v in db.session.execute(db.select(Village)).scalars()}
        lj = villages["LJ01"]
        people: list[tuple[int, Place]] = []
        for p in demo.PEOPLE:
            v = villages[p.village] if p.village else lj  # township staff: a village of their township
            people.append((demo.person(p.key).id, Place(v.id, v.township_id)))
        lj_place = Place(lj.id, lj.township_id)
        heads = db.session.execute(
            db.select(Member.person_id).where(Member.village_id == lj.id, Member.is_head.is_(True))
            .order_by(Member.id.desc()).limit(n_heads)).scalars().all()  # the bulk households first
        tokens = {pid: auth.issue_token(pid, None)[0] for pid, _ in people}
        head_tokens = [auth.issue_token(pid, None)[0] for pid in heads]
        per_village = {v.id: ids(v.id) for _, v in people}
        db.session.commit()

    def fill(template: str, v: Any, token: str) -> str | None:
        vals: dict[str, Any] = {"v": v.id, "t": v.township_id, "year": year, **per_village[v.id]}
        if "{dividend_line}" in template:
            r = client.get(f"{API}/me/dividends?page_size=1", headers={"Authorization": f"Bearer {token}"})
            items = (r.get_json() or {}).get("items") if r.status_code == 200 else None
            if not items:
                return None
            vals["dividend_line"] = items[0]["declaration"]["id"]
        return template.format(**vals)

    def probe(token: str, v: Any) -> list[str]:
        ok = []
        for template in MINIPROGRAM + CONSOLE:
            path = fill(template, v, token)
            if path is None:
                continue
            if client.get(API + path, headers={"Authorization": f"Bearer {token}"}).status_code == 200:
                ok.append(API + path)
                opened.add(template)
                hot.setdefault(template, (token, API + path))
        return ok

    for pid, v in people:
        pairs += [(tokens[pid], p) for p in probe(tokens[pid], v)]
    # the bulk heads read what one of them may open (the same village, the same rights), /me/dividends/{id} aside
    sample = probe(head_tokens[0], lj_place)
    sample = [p for p in sample if not re.search(r"/me/dividends/\d", p)]
    pairs += [(t, p) for t in head_tokens for p in sample]
    return Crowd(pairs, len(people) + len(head_tokens), opened, hot)


def crowd_script(pairs: list[tuple[str, str]], directory: Path) -> Path:
    """A wrk Lua script: each request one of ``pairs`` at random (read from a file the bench writes)."""
    data = directory / "pairs.txt"
    data.write_text("".join(f"{t} {p}\n" for t, p in pairs))
    script = directory / "crowd.lua"
    script.write_text(f"""local tokens, paths = {{}}, {{}}
for line in io.lines("{data}") do
  local t, p = line:match("^(%S+) (%S+)$")
  tokens[#tokens + 1] = t
  paths[#paths + 1] = p
end
math.randomseed(os.time() + tonumber(tostring({{}}):sub(8), 16))
request = function()
  local i = math.random(#paths)
  return wrk.format("GET", paths[i], {{["Authorization"] = "Bearer " .. tokens[i]}})
end
local statuses = {{}}
response = function(status, headers, body)
  if status >= 300 then statuses[status] = (statuses[status] or 0) + 1 end
end
""")
    return script


class Logins(threading.Thread):
    """A demo villager logging in through the WeChat stand-in, ``per_second`` times a second."""

    def __init__(self, base: str, keys: list[str], per_second: float) -> None:
        super().__init__(daemon=True)
        self.base, self.keys, self.per_second = base, keys, per_second
        self.stopping = threading.Event()
        self.done = self.failed = 0
        self.errors: list[str] = []

    def run(self) -> None:
        rnd = random.Random(13)
        http = requests.Session()
        while not self.stopping.wait(1 / self.per_second):
            r = http.post(f"{self.base}{API}/auth/wechat-login", json={"code": f"demo-{rnd.choice(self.keys)}"},
                          timeout=10)
            if r.status_code == 200 and r.json().get("token"):
                self.done += 1
            else:
                self.failed += 1
                self.errors.append(f"{r.status_code} {r.text[:120]}")


# ---------------------------------------------------------------- the profile


GROUPS = [  # (group, substrings of "file:function"), the first that matches
    ("per-request hooks", ("backend/auth/", "core/etag", "core/hardening", "warning_store",
                           "audit", "ratelimit", "flask_limiter", "core/request")),
    ("schema dumping", ("marshmallow", "apispec", "flask_smorest")),
    ("statements", ("sqlalchemy/engine", "psycopg", "sqlalchemy/pool", "sqlalchemy/sql/compiler",
                    "sqlalchemy/dialects")),
    ("ORM loading", ("sqlalchemy/orm", "sqlalchemy/sql", "sqlalchemy/util", "sqlalchemy/")),
    ("the app's own code", ("backend/",)),
    ("Flask itself", ("flask/", "werkzeug/")),
]


def group_of(filename: str, func: str) -> str:
    key = f"{filename}:{func}"
    if filename == "~" and any(w in func for w in ("psycopg", "socket", "select.", "poll")):
        return "statements"  # the driver's C parts and the wait for the server
    for name, parts in GROUPS:
        if any(p in key for p in parts):
            return name
    return "other"


def profile(app: Any, crowd: Crowd, n: int = 50) -> list[str]:
    """Per hot path: self time grouped, the top cumulative functions, statements and Python calls per request."""
    out: list[str] = []
    client = app.test_client()
    statements = [0]
    with app.app_context():
        engine = db.engine

    def count(*_: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        only = re.compile(os.environ.get("PROFILE_ONLY", ""))
        for template in sorted(crowd.hot):
            if not only.search(template):
                continue
            token, path = crowd.hot[template]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(5):
                client.get(path, headers=headers)
            statements[0] = 0
            prof = cProfile.Profile()
            t0 = time.thread_time()
            prof.enable()
            for _ in range(n):
                client.get(path, headers=headers)
            prof.disable()
            cpu = (time.thread_time() - t0) * 1000 / n
            st = pstats.Stats(prof)
            total = sum(v[2] for v in st.stats.values())  # type: ignore[attr-defined]
            groups: dict[str, float] = {}
            for (fn, _, func), (_, _, tt, _, _) in st.stats.items():  # type: ignore[attr-defined]
                g = group_of(fn, func)
                groups[g] = groups.get(g, 0.0) + tt
            top = sorted(st.stats.items(), key=lambda kv: -kv[1][3])  # type: ignore[attr-defined]
            out.append(f"\n#### `{template}`: {statements[0] / n:.1f} statements, "
                       f"{st.total_calls / n:,.0f} Python calls, {cpu:.2f} ms CPU a request "  # type: ignore[attr-defined]
                       "(profiled)\n")
            out.append("| self time by group | ms/req | share |\n|---|---:|---:|")
            for g, t in sorted(groups.items(), key=lambda kv: -kv[1]):
                out.append(f"| {g} | {t * 1000 / n:.2f} | {t / total:.0%} |")
            out.append("\n| function (top 15 by cumulative time) | calls/req | cumulative ms/req |\n|---|---:|---:|")
            shown = 0
            whole = top[0][1][3] if top else 0.0
            for (fn, line, func), (_, nc, _, ct, _) in top:
                if ct > 0.9 * whole:  # the chain of wrappers every request goes through
                    continue
                short = re.sub(r".*/(site-packages|main)/", "", fn)
                if func in ("<built-in method builtins.exec>", "<module>") or "werkzeug/test" in fn:
                    continue
                out.append(f"| `{short}:{line}({func})` | {nc / n:.0f} | {ct * 1000 / n:.2f} |")
                shown += 1
                if shown == 15:
                    break
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return out


# ---------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", action="store_true", help="no load: profile each hot path through the test client")
    ap.add_argument("--no-alone", action="store_true", help="skip the hot paths alone")
    args = ap.parse_args()
    url = os.environ.get("URL") or DEFAULT_URL
    if not url.startswith("postgresql"):
        sys.exit("bench/crowd.py measures on PostgreSQL: URL=postgresql+psycopg://…")
    n_heads = int(os.environ.get("CROWD", "1000"))
    seconds = int(os.environ.get("DURATION", "8"))
    alone_s = int(os.environ.get("ALONE_DURATION", "4"))
    rounds = int(os.environ.get("ROUNDS", "3"))
    connections = int(os.environ.get("CONNECTIONS", "32"))
    workers = int(os.environ.get("WORKERS", "2"))
    threads = int(os.environ.get("THREADS", "8"))
    reuse = os.environ.get("REUSE", "") not in ("", "0")
    ensure_database(url)

    from backend import demo
    from backend.wechat.standin import StandIn

    standin = StandIn().start()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
                      "WECHAT_API_BASE_URL": standin.base_url})
    today = date.today()
    years = list(range(today.year - 2 - 4, today.year - 2))
    with app.app_context():
        version = db.session.execute(text("SHOW server_version")).scalar()
        print(f"crowd bench: PostgreSQL {version}; Python {platform.python_version()}, {os.cpu_count()} cores, "
              f"{platform.machine()} {platform.system()}; load average {load_average()}", flush=True)
        build(3000, years, 6000, 30, reuse, 0)
        max_person = db.session.execute(text("SELECT max(id) FROM people")).scalar_one()
        db.session.remove()
        db.engine.dispose()
    if not reuse:
        vacuum(url)
    probe_app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
                           "WECHAT_API_BASE_URL": standin.base_url})
    t0 = time.perf_counter()
    crowd = crowd_of(probe_app, n_heads, years[-1])
    print(f"crowd: {crowd.people:,} people, {len(crowd.pairs):,} (token, path) pairs answering 200, "
          f"{len(crowd.paths)} of {len(MINIPROGRAM) + len(CONSOLE)} paths opened by someone "
          f"({time.perf_counter() - t0:.0f} s to try them)", flush=True)
    missing = [t for t in MINIPROGRAM + CONSOLE if t not in crowd.paths]
    if missing:
        print("  opened by no one (no such row in the demo, or no one's right): " + ", ".join(missing))
    if args.profile:
        print("\n".join(profile(probe_app, crowd)))
        with probe_app.app_context():
            db.engine.dispose()
        standin.stop()
        return 0
    with probe_app.app_context():
        db.engine.dispose()

    tool = "wrk " + subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    print(f"load: {tool}, 2 threads, {connections} connections, {seconds} s a run after a 2 s warm-up; gunicorn: "
          f"gthread, {workers} workers x {threads} threads, no access log; DB pool "
          f"{os.environ.get('DB_POOL_SIZE', '8')} + {os.environ.get('DB_MAX_OVERFLOW', '4')} per worker", flush=True)
    ok = True
    failures: list[str] = []
    env = {"DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING", "APP_ENV": "development",
           "WECHAT_API_BASE_URL": standin.base_url, "RATELIMIT_LOGIN": "600 per minute"}  # one address logs all in
    compare_ping = os.environ.get("COMPARE_PRE_PING", "") not in ("", "0")
    ports = {k: free_port() for k in ("ping", "one", "api", "noping")}
    base = {k: f"http://127.0.0.1:{p}" for k, p in ports.items()}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    keys = [p.key for p in demo.PEOPLE if p.bound]
    with app.app_context():
        notice_ids = db.session.execute(text(
            "SELECT id FROM notices WHERE village_id = (SELECT id FROM villages WHERE code = 'LJ01')")).scalars().all()
        db.session.remove()
        db.engine.dispose()
    tokens = sorted({t for t, p in crowd.pairs if p.endswith("/me")})

    def measure(name: str, url_: str, script: Path | None = None, headers: dict[str, str] | None = None,
                writes: bool = False, seconds: int = seconds) -> Figures:
        run_wrk(url_, headers or {}, 1 if seconds < 8 else 2, connections, 2, script)  # warm-up
        workers_ = children(procs[name].pid)
        pg = backends(url)
        app0, db0 = cpu_seconds(workers_), cpu_seconds(pg)
        side: list[Any] = []
        if writes:
            side = [Logins(base[name], keys, 1.0), Writer(base[name], tokens, notice_ids, 1.0)]
            for s in side:
                s.start()
        f = run_wrk(url_, headers or {}, seconds, connections, 2, script)
        for s in side:
            s.stopping.set()
            s.join()
        f.app_cpu = (cpu_seconds(workers_) - app0) * 1000 / max(1, f.requests)
        f.db_cpu = (cpu_seconds(pg) - db0) * 1000 / max(1, f.requests)
        extra = ""
        if side:
            extra = (f"  logins {side[0].done} ok/{side[0].failed} failed, "
                     f"writes {side[1].done} ok/{side[1].failed} failed")
            if side[0].failed or side[1].failed:
                failures.append(f"{name}: side requests failed {side[0].errors[:3]}")
        bad = f"  NON-2xx/errors: {f.bad}" if f.bad else ""
        if f.bad:
            failures.append(f"{name} {url_}: {f.bad} non-2xx or socket errors")
        print(f"  {name:<6} {f.rps:8.0f} req/s  p50 {f.p50:6.1f} ms  p99 {f.p99:6.1f} ms  CPU/req app "
              f"{f.app_cpu:5.2f} ms, PostgreSQL {f.db_cpu:5.2f} ms  (load {f.load.split()[0]}){bad}{extra}", flush=True)
        time.sleep(2 if seconds >= 8 else 1)
        return f

    rows: list[dict[str, Figures]] = []
    alone: dict[str, tuple[Figures, Figures]] = {}
    try:
        procs["ping"] = start("bare_app:app", {}, ports["ping"], workers, threads, chdir=ROOT / "bench")
        procs["one"] = start("bare_app:app", {"DATABASE_URL": url, "ONE_MAX_ID": str(max_person)}, ports["one"],
                             workers, threads, chdir=ROOT / "bench")
        procs["api"] = start("backend.wsgi:app", env, ports["api"], workers, threads)
        wait_ready(procs["ping"], base["ping"] + "/ping")
        wait_ready(procs["one"], base["one"] + "/one")
        wait_ready(procs["api"], base["api"] + "/readyz")
        if compare_ping:  # the API as deployed but without the look at each checkout (DB_POOL_PRE_PING=0)
            procs["noping"] = start("backend.wsgi:app", {**env, "DB_POOL_PRE_PING": "0"}, ports["noping"], workers,
                                    threads)
            wait_ready(procs["noping"], base["noping"] + "/readyz")
        with tempfile.TemporaryDirectory() as tmp:
            script = crowd_script(crowd.pairs, Path(tmp))
            for r in range(rounds):
                print(f"round {r + 1} of {rounds}:", flush=True)
                row = {"ping": measure("ping", base["ping"] + "/ping"), "one": measure("one", base["one"] + "/one")}
                row["api"] = measure("api", base["api"] + "/", script, writes=True)
                if compare_ping:
                    row["noping"] = measure("noping", base["noping"] + "/", script, writes=True)
                rows.append(row)
        if not args.no_alone:
            print(f"each hot path (the mini-program's reads) alone, {alone_s} s, right after /one:",
                  flush=True)
            for template in [t for t in MINIPROGRAM if t in crowd.hot]:
                token, path = crowd.hot[template]
                floor = measure("one", base["one"] + "/one", seconds=alone_s)
                print(f"  {template}", flush=True)
                alone[template] = (floor, measure("api", base["api"] + path, seconds=alone_s,
                                                  headers={"Authorization": f"Bearer {token}"}))
    finally:
        for p in procs.values():
            stop_gunicorn(p)
        standin.stop()

    def med(xs: list[float]) -> float:
        return statistics.median(xs) if xs else 0.0

    print(f"\nresults (PostgreSQL {version}, {os.cpu_count()} cores shared by the gunicorns, PostgreSQL and wrk; "
          f"load average now {load_average()}):")
    print("| round | /ping req/s | /one req/s | p99 ms | CPU ms/req app + PG | crowd req/s | p50 ms | p99 ms | ÷ /one |"
          " CPU ms/req app + PG |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for i, row in enumerate(rows, 1):
        a, o = row["api"], row["one"]
        print(f"| {i} | {row['ping'].rps:,.0f} | {o.rps:,.0f} | {o.p99:.1f} | {o.app_cpu:.2f} + {o.db_cpu:.2f} | "
              f"{a.rps:,.0f} | {a.p50:.1f} | {a.p99:.1f} | {a.rps / o.rps:.0%} | {a.app_cpu:.2f} + {a.db_cpu:.2f} |")
    ratio = med([r["api"].rps / r["one"].rps for r in rows])
    p99 = med([r["api"].p99 for r in rows])
    print(f"median crowd ÷ /one: {ratio:.0%} (target ≥ 60%: {'met' if ratio >= 0.6 else 'NOT met'}), median p99 "
          f"{p99:.1f} ms (target < 150 ms: {'met' if p99 < 150 else 'NOT met'}); "
          f"/one ÷ /ping {med([r['one'].rps / r['ping'].rps for r in rows]):.0%}")
    if compare_ping:
        print("crowd without the look before use (DB_POOL_PRE_PING=0): " + ", ".join(
            f"round {i}: {r['noping'].rps:,.0f} req/s, p99 {r['noping'].p99:.1f} ms, "
            f"{r['noping'].rps / r['one'].rps:.0%} of /one, CPU {r['noping'].app_cpu:.2f} + {r['noping'].db_cpu:.2f} ms"
            for i, r in enumerate(rows, 1)))
        print(f"  median ÷ /one {med([r['noping'].rps / r['one'].rps for r in rows]):.0%} (with the ping: {ratio:.0%})")
    if alone:
        print("\n| hot path alone | req/s | p50 ms | p99 ms | /one just before | ÷ /one |"
              " CPU ms/req app + PG |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for template, (o, f) in sorted(alone.items(), key=lambda kv: kv[1][1].rps / kv[1][0].rps):
            mark = "✓" if f.rps / o.rps >= 0.5 else "✗"
            print(f"| `{template}` | {f.rps:,.0f} | {f.p50:.1f} | {f.p99:.1f} | {o.rps:,.0f} | "
                  f"{f.rps / o.rps:.0%} {mark} | {f.app_cpu:.2f} + {f.db_cpu:.2f} |")
    if failures:
        ok = False
        print("FAILED: " + "; ".join(failures))
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        sys.exit(130)
