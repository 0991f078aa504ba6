"""The township's progress table at size: 70 villages with 3 years of books (≈1M voucher lines, built by
bench/ledger_books.py's loader) and two open decisions per village, then the time of the progress table (JSON
view), and of the monthly report's .xlsx and PDF.

    .venv/bin/python bench/township.py                                      # a scratch SQLite file
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/helper_l .venv/bin/python bench/township.py
    VILLAGES=10 LINES=100000 .venv/bin/python bench/township.py             # smaller

The PostgreSQL database's public schema is dropped and rebuilt: use a scratch database.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from ledger_books import load, timed
from sqlalchemy import func, select, text

from backend import create_app, registry
from backend.core.db import db
from backend.core.money import fen_to_yuan
from backend.decisions.pipeline import service as pipeline
from backend.ledger.models import VoucherLine
from backend.township import export, service


def main() -> None:
    n_villages = int(os.environ.get("VILLAGES", "70"))
    n_lines = int(os.environ.get("LINES", "1000000"))
    years = [2023, 2024, 2025]
    url = os.environ.get("URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            engine = f"PostgreSQL {db.session.execute(text('SHOW server_version')).scalar()}"
        else:
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        print(
            f"township bench: {n_villages} villages x {len(years)} years, ~{n_lines:,} lines target; {engine}; "
            f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()} {platform.system()}"
        )
        upgrade()
        t0 = time.perf_counter()
        village_ids = load(n_villages, years, n_lines, {})
        for vid in village_ids:
            for title in ("村道硬化", "光伏电站"):
                pipeline.create_decision(vid, pipeline.DecisionInput(title, "project", "村干部提议"), actor=None)
        db.session.commit()
        lines = db.session.execute(select(func.count()).select_from(VoucherLine)).scalar_one()
        print(f"load: {time.perf_counter() - t0:.1f} s, {lines:,} voucher lines, {2 * len(village_ids)} decisions")
        township_id = registry.get_village(village_ids[0]).township_id
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        year = years[-1]
        p = timed(f"progress ({len(village_ids)} villages, {year})", lambda: service.progress(township_id, year))
        timed(f"progress ({len(village_ids)} villages, {year}-06)", lambda: service.progress(township_id, year, 6))
        timed("progress JSON view", lambda: service.progress_view(p))
        xlsx = timed("monthly report .xlsx", lambda: export.progress_xlsx(p))
        pdf = timed("monthly report PDF", lambda: export.progress_pdf(p))
        top = p.villages[0]
        print(
            f"  check: {len(p.villages)} villages, township total {fen_to_yuan(p.total_fen)} 元, "
            f"first {top.name} {fen_to_yuan(top.total_fen)} 元 (score {top.score}); "
            + "; ".join(f"{ln.label} {ln.share}" for ln in p.lines[:4])
            + f"; xlsx {len(xlsx):,} B, PDF {len(pdf):,} B"
        )
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
