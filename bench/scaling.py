"""How time grows with the data: dividends, a disclosure and the township's progress table at 1k, 10k and
100k rows; prints the time at each size and the growth factor per 10× (≈10 is linear, ≈100 quadratic).

    .venv/bin/python bench/scaling.py                                   # PostgreSQL bench_scaling (created if missing)
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/mine .venv/bin/python bench/scaling.py
    .venv/bin/python bench/scaling.py --sqlite                          # also on a scratch SQLite file
    SIZES=1000,10000 .venv/bin/python bench/scaling.py --only disclosure

The PostgreSQL database's public schema is dropped and rebuilt by the migrations for every size: use a scratch
database. Set-up (bulk inserts) is timed but is not the figure. The figures, per size:

- dividends — ``n`` households (1–5 people each, bench/dividends.py's builders: roster, share register, last year's
  income, a resolved decision, 50.00 元 per member + an equity dividend): ``compute`` + commit (the lower of two
  runs), ``publish`` + commit (the masked list sealed), ``GET /me/dividends`` of one household (the median of 20).
- disclosure — a quarter whose posted vouchers carry ``n`` income and expense lines (bulk-inserted, posted by one
  UPDATE through the balance trigger, the months closed): ``draft_disclosure`` (the snapshot of the closed books),
  ``approve``, ``publish`` (the seal over the canonical JSON), each + commit, then ``GET /disclosures/{id}`` by a
  villager through the test client: the first (the sealed part dumped) and the median of 5 more (from the cache).
- township — 10 villages' books of 2023–2025 with ``n`` voucher lines in all (bench/ledger_books.py's loader), two
  open decisions per village: ``township.service.progress`` for 2025 and its JSON view (the lower of three runs).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dividends as dividends_bench
from ballots import ensure_database
from flask import Flask
from flask_migrate import upgrade
from ledger_books import Rows
from ledger_books import load as load_books
from sqlalchemy import bindparam, func, insert, select, text, update

from backend import create_app, disclosures, registry
from backend.auth import service as auth
from backend.core.clock import today
from backend.core.db import db
from backend.decisions.pipeline import service as pipeline
from backend.dividends import publishing
from backend.dividends.models import DividendLine
from backend.ledger import service as ledger
from backend.ledger.models import Account, Period, Voucher, VoucherCounter, VoucherLine
from backend.township import service as township
from tests.factories import Factory

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scaling"
BENCHES = ("dividends", "disclosure", "township")


def load_average() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


def clock(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def fresh(url: str) -> Flask:
    """An app on an empty schema built by the migrations."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        db.session.remove()
    return app


def analyze() -> None:
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


# ---------------------------------------------------------------- dividends


def bench_dividends(app: Flask, n: int) -> dict[str, float]:
    dividends_bench.INCOME_FEN = n * 800_00  # 800.00 元 a household (its 8,000,000.00 元 at 10,000): the pool grows too
    with app.app_context(), contextlib.redirect_stdout(io.StringIO()):  # its set-up timings: not the figures
        did, decision_id, head = dividends_bench.setup(n, use_record_event=False)
        analyze()
        runs = [dividends_bench.compute(did)[0] for _ in range(2)]
        dividends_bench.check_lines(did, n)
        d = dividends_bench.fresh(did)
        publish_s, _ = clock(lambda: (publishing.publish(d, decision_id, actor=None), db.session.commit()))
        token, _ = auth.issue_token(head, None)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    lat = []
    for _ in range(20):
        t, r = clock(lambda: client.get("/api/v1/me/dividends", headers=headers))
        assert r.status_code == 200 and r.json["items"], r.json
        lat.append(t)
    with app.app_context():
        lines = db.session.execute(select(func.count()).select_from(DividendLine)).scalar_one()
        assert lines == n + 1, lines
        db.session.remove()
        db.engine.dispose()
    return {"compute + commit": min(runs), "publish + commit": publish_s, "GET /me/dividends": statistics.median(lat)}


# ---------------------------------------------------------------- disclosure


def quarter_books(v: Any, year: int, n: int, rng: random.Random) -> None:
    """Posted vouchers in ``year``-Q1 with ``n`` income and expense lines in all (each voucher: one of them and its
    bank line), inserted as drafts, posted by one UPDATE (the balance trigger checks each), the months closed."""
    ids = dict(db.session.execute(select(Account.code, Account.id).where(Account.village_id == v.id)).all())
    rows = Rows(next_id=(db.session.execute(select(func.max(Voucher.id))).scalar() or 0) + 1)
    rows.start(v.id, ids)
    for i in range(n):
        day = date(year, 1 + i * 3 // n, 1 + rng.randrange(28))
        amount = rng.randrange(100_00, 5_000_00)
        if rng.random() < 0.5:
            rows.add(day, "收租金", [("102", amount, 0), (rng.choice(("501001", "501002", "502", "503")), 0, amount)],
                     "bench")
        else:
            rows.add(day, "日常支出", [(rng.choice(("511", "512", "513", "514")), amount, 0), ("102", 0, amount)],
                     "bench")
    for i in range(0, len(rows.vouchers), 20_000):
        db.session.execute(insert(Voucher.__table__), rows.vouchers[i : i + 20_000])
    for i in range(0, len(rows.lines), 50_000):
        db.session.execute(insert(VoucherLine.__table__), rows.lines[i : i + 50_000])
    counters: dict[str, int] = defaultdict(int)
    params = []
    now = datetime.now(UTC)
    for vid, _, period, _ in sorted(rows.to_post, key=lambda r: (r[2], r[3], r[0])):
        counters[period] += 1
        params.append({"b_id": vid, "b_no": counters[period], "b_at": now})
    t = Voucher.__table__
    stmt = update(t).where(t.c.id == bindparam("b_id")).values(status="posted", number=bindparam("b_no"),
                                                                posted_at=bindparam("b_at"))
    for i in range(0, len(params), 50_000):
        db.session.execute(stmt, params[i : i + 50_000], execution_options={"synchronize_session": False})
    db.session.execute(insert(VoucherCounter.__table__),
                       [{"village_id": v.id, "period": p, "last_number": k} for p, k in counters.items()])
    db.session.execute(insert(Period.__table__),
                       [{"village_id": v.id, "period": f"{year}-{m:02d}", "closed_at": now} for m in (1, 2, 3)])
    if db.engine.dialect.name == "postgresql":
        for table in ("ledger_vouchers", "ledger_voucher_lines"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    db.session.commit()


def bench_disclosure(app: Flask, n: int) -> dict[str, float]:
    year = today().year - 1
    with app.app_context():
        make = Factory()
        village = make.village("BN01", "基准村", township=make.township("BN", "基准镇"))
        ledger.ensure_chart(village)
        accountant = make.principal(make.member(village, "李会计", roles=("accountant",)))
        supervisor = make.principal(make.member(village, "赵监督", roles=("supervisor",)))
        villager = make.member(village, "张村民")
        db.session.commit()
        quarter_books(village, year, n, random.Random(20260101))
        analyze()
        period = f"{year}-Q1"
        draft_s, (d, _) = clock(lambda: disclosures.draft_disclosure(village, period, None, actor=accountant))
        db.session.commit()
        lines = len(d.content_data()["lines"])
        assert lines == n, (lines, n)
        approve_s, _ = clock(lambda: (disclosures.approve(d, actor=supervisor), db.session.commit()))
        publish_s, _ = clock(lambda: (disclosures.publish(d, actor=None), db.session.commit()))
        did = d.id
        token = make.token(villager)
        db.session.remove()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    first, r = clock(lambda: client.get(f"/api/v1/disclosures/{did}", headers=headers))
    assert r.status_code == 200 and len(r.json["lines"]) == n, r.status_code
    size = len(r.data)
    warm = []
    for _ in range(5):
        t, r = clock(lambda: client.get(f"/api/v1/disclosures/{did}", headers=headers))
        assert r.status_code == 200 and len(r.data) == size
        warm.append(t)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    print(f"    disclosure of {n:,} lines: {size:,} B of JSON ({size / n:.0f} B a line)", flush=True)
    return {"draft (snapshot) + commit": draft_s, "approve + commit": approve_s, "publish (seal) + commit": publish_s,
            "GET, first (sealed part dumped)": first, "GET, next (median of 5)": statistics.median(warm)}


# ---------------------------------------------------------------- township


def bench_township(app: Flask, n: int) -> dict[str, float]:
    n_villages, years = 10, [2023, 2024, 2025]
    with app.app_context():
        village_ids = load_books(n_villages, years, n, {})
        for vid in village_ids:
            for title in ("村道硬化", "光伏电站"):
                pipeline.create_decision(vid, pipeline.DecisionInput(title, "project", "村干部提议"), actor=None)
        db.session.commit()
        lines = db.session.execute(select(func.count()).select_from(VoucherLine)).scalar_one()
        analyze()
        tid = registry.get_village(village_ids[0]).township_id
        runs, views = [], []
        for _ in range(3):
            db.session.rollback()
            t, p = clock(lambda: township.progress(tid, years[-1]))
            runs.append(t)
            views.append(clock(lambda p=p: township.progress_view(p))[0])
        assert len(p.villages) == n_villages and p.total_fen > 0
        db.session.remove()
        db.engine.dispose()
    print(f"    township: {n_villages} villages, {lines:,} voucher lines loaded", flush=True)
    return {f"progress ({n_villages} villages, {years[-1]})": min(runs), "progress JSON view": min(views)}


RUNNERS: dict[str, Callable[[Flask, int], dict[str, float]]] = {
    "dividends": bench_dividends, "disclosure": bench_disclosure, "township": bench_township}
UNITS = {"dividends": "households", "disclosure": "disclosure lines", "township": "voucher lines"}


def _fmt(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="comma-separated: " + ", ".join(BENCHES))
    ap.add_argument("--sqlite", action="store_true", help="also run on a scratch SQLite file")
    args = ap.parse_args()
    sizes = [int(x) for x in os.environ.get("SIZES", "1000,10000,100000").split(",")]
    benches = [b for b in BENCHES if not args.only or b in args.only.split(",")]
    url = os.environ.get("URL") or DEFAULT_URL
    urls = [url]
    scratch = None
    if args.sqlite:
        scratch = tempfile.TemporaryDirectory(prefix="scaling-bench-")
        urls.append(f"sqlite:///{scratch.name}/bench.db")
    if url.startswith("postgresql"):
        ensure_database(url)
    print(f"scaling bench: sizes {', '.join(f'{s:,}' for s in sizes)}; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.machine()} {platform.system()}; load average {load_average()}")
    results: dict[tuple[str, str], dict[str, dict[int, float]]] = {}
    for u in urls:
        for name in benches:
            for n in sizes:
                if u.startswith("sqlite"):
                    Path(u.removeprefix("sqlite:///")).unlink(missing_ok=True)
                app = fresh(u)
                with app.app_context():
                    if u.startswith("postgresql"):
                        engine = f"PostgreSQL {db.session.execute(text('SHOW server_version')).scalar().split()[0]}"
                    else:
                        engine = f"SQLite {db.session.execute(text('SELECT sqlite_version()')).scalar()}"
                    db.session.remove()
                load0 = load_average()
                t0 = time.perf_counter()
                figures = RUNNERS[name](app, n)
                print(f"  {engine:<16} {name:<10} {n:>9,} {UNITS[name]:<16} " + "; ".join(
                    f"{k} {_fmt(v)}" for k, v in figures.items())
                    + f"  (all in {time.perf_counter() - t0:.0f} s; load {load0} → {load_average()})", flush=True)
                for k, v in figures.items():
                    results.setdefault((engine, name), {}).setdefault(k, {})[n] = v
    print(f"\nresults (time per size; × = growth per 10× more rows: ≈10 linear, ≈100 quadratic; "
          f"load average now {load_average()}):")
    head = " | ".join(f"{s:>10,}" for s in sizes)
    print(f"  | {'engine':<16} | {'bench':<10} | {'step':<46} | {head} | {'× per 10×':>14} |")
    print(f"  |{'-' * 18}|{'-' * 12}|{'-' * 48}|" + "|".join("-" * 12 for _ in sizes) + f"|{'-' * 16}|")
    for (engine, name), steps in results.items():
        for step, by_size in steps.items():
            times = " | ".join(f"{_fmt(by_size[s]):>10}" if s in by_size else f"{'':>10}" for s in sizes)
            growth = [by_size[b] / by_size[a] for a, b in itertools.pairwise(sizes)
                      if a in by_size and b in by_size and by_size[a] > 0 and b == a * 10]
            g = " / ".join(f"{x:.1f}" for x in growth)
            print(f"  | {engine:<16} | {name:<10} | {step:<46} | {times} | {g:>14} |")
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    if scratch is not None:
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
