"""The staff console's figures (a benchmark, not a test): its first screen's load on loopback with a cold cache,
the gzipped size of everything it ships, and the time to draw the 进度表 of a 67-village township.

    .venv/bin/python bench/console_load.py                                  # a scratch SQLite file
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_console .venv/bin/python bench/console_load.py
    VILLAGES=20 LINES=20000 RUNS=3 .venv/bin/python bench/console_load.py   # smaller

Builds console/dist (console/build.sh) when its sources changed; makes a township of ``VILLAGES`` (67, seed 001's
size) villages with a year of books (``LINES`` voucher lines in all, through bench/ledger_books.py's loader) and a
township staff person with a token; serves the API (which serves /console/) on a free loopback port in this process;
then console/bench.mjs drives Debian's Chromium (/usr/bin/chromium): each load in a fresh browser context, the
进度表 timed from the click on its menu entry to ECharts' ``finished``. Targets: load < 1.5 s, assets < 1.5 MB
gzipped, 进度表 < 300 ms. The PostgreSQL database's public schema is dropped and rebuilt: use a scratch database.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from ledger_books import load
from sqlalchemy import text
from werkzeug.serving import make_server

from backend import create_app, registry
from backend.auth import service as auth
from backend.core.db import db
from tests.factories import id_card

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
TARGETS = {"load": 1500.0, "size": 1.5 * 1024 * 1024, "progress": 300.0}


def dist_sizes() -> tuple[int, int, int]:
    """(files, bytes, gzipped bytes) of everything in console/dist (gzip -9 of each file, as a server would send)."""
    files = [p for p in (CONSOLE / "dist").rglob("*") if p.is_file() and p.name != ".stamp"]
    raw = sum(p.stat().st_size for p in files)
    packed = sum(len(gzip.compress(p.read_bytes(), 9)) for p in files)
    return len(files), raw, packed


def verdict(value: float, target: float) -> str:
    return "ok" if value < target else "OVER TARGET"


def main() -> int:
    n_villages = int(os.environ.get("VILLAGES", "67"))
    n_lines = int(os.environ.get("LINES", "100000"))
    runs = int(os.environ.get("RUNS", "5"))
    year = date.today().year
    subprocess.run([str(CONSOLE / "build.sh")], check=True)

    url = os.environ.get("URL") or f"sqlite:///{tempfile.mkdtemp(prefix='console-bench-')}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING",
                      "RATELIMIT_ENABLED": False})
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            engine = f"PostgreSQL {db.session.execute(text('SHOW server_version')).scalar()}"
        else:
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        print(f"console bench: {n_villages} villages, {year}, ~{n_lines:,} voucher lines; {engine}; "
              f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()} {platform.system()}")
        upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        t0 = time.perf_counter()
        village_ids = load(n_villages, [year], n_lines, {})
        township = registry.get_township(registry.get_village(village_ids[0]).township_id)
        staff = registry.add_staff_person("基准镇干部", id_card(), township, actor=None)
        registry.grant_role(staff, "township_staff", township=township, actor=None)
        token, _ = auth.issue_token(staff.id, None)
        db.session.commit()
        township_id = township.id
        print(f"setup: {time.perf_counter() - t0:.1f} s")
        db.session.remove()

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        import requests

        me = requests.get(f"{origin}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        session = {"token": token, "user": me, "townshipId": me["township"]["id"], "villageId": village_ids[0]}
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(session, f)
        t0 = time.perf_counter()
        requests.get(f"{origin}/api/v1/townships/{township_id}/progress", params={"year": year},
                     headers={"Authorization": f"Bearer {token}"}, timeout=60).raise_for_status()
        api_ms = (time.perf_counter() - t0) * 1000
        out = subprocess.run(["node", str(CONSOLE / "bench.mjs"), origin, f.name, str(runs)], cwd=CONSOLE,
                             capture_output=True, text=True)
        os.unlink(f.name)
        if out.returncode != 0:
            print(out.stderr[-3000:], file=sys.stderr)
            return 1
    finally:
        server.shutdown()
    r = json.loads(out.stdout.strip().splitlines()[-1])
    files, raw, packed = dist_sizes()
    print(f"  first screen (log-in, QR drawn), cold cache     median {r['load_median_ms']:7.0f} ms  "
          f"(runs {r['load_ms']}; first paint {r['fcp_ms']:.0f} ms)   target < 1500 ms: "
          f"{verdict(r['load_median_ms'], TARGETS['load'])}")
    print(f"  assets in console/dist: {files} files, {raw / 1024:,.0f} KiB, gzipped {packed / 1024:,.0f} KiB"
          f"   target < 1.5 MB: {verdict(packed, TARGETS['size'])}")
    nav = r["progress_nav_median_ms"]
    print(f"  进度表 of {r['villages_drawn']} villages: menu click → chart drawn   median {nav:7.0f} ms"
          f"  (runs {r['progress_nav_ms']})   target < 300 ms: {verdict(nav, TARGETS['progress'])}")
    print(f"    (of which the API's progress JSON alone ≈ {api_ms:.0f} ms; a cold full load of the page "
          f"median {r['progress_cold_median_ms']:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
