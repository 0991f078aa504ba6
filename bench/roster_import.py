"""Roster import/export timing: prints seconds for N rows (default 5,000) on SQLite or on ``URL``.

    .venv/bin/python bench/roster_import.py                      # a scratch SQLite file
    N=20000 URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/roster_import.py

The PostgreSQL database's public schema is dropped and rebuilt: use a scratch database.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from openpyxl import Workbook, load_workbook
from sqlalchemy import text

from backend import create_app
from backend.core.db import db
from backend.registry import places, roster
from tests.factories import id_card


def timed(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    print(f"{label:<34} {time.perf_counter() - t0:6.2f} s")
    return result


def main() -> None:
    n_rows = int(os.environ.get("N", "5000"))
    url = os.environ.get("URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    print(
        f"roster import bench: {n_rows} rows, {url.split(':', 1)[0]}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores"
    )
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        t = places.ensure_township("QS", "青山镇")
        v = places.ensure_village(t, "LJ01", "临江村")
        db.session.commit()
        wb = Workbook()
        ws = wb.active
        ws.append(list(roster.HEADERS))
        for n in range(n_rows):
            hh, k = divmod(n, 5)
            born = date(1940 + n % 60, 1 + n % 12, 1 + n % 28)
            ws.append(
                [
                    None,
                    f"LJ-{hh:04d}",
                    f"村民{n}",
                    id_card(born=born, n=n % 997 + 1),
                    "户主" if k == 0 else "子女",
                    f"138{n:08d}",
                    "是",
                    "在册",
                    "是" if hh % 7 == 0 else "否",
                    "否",
                    f"一组{hh}号",
                ]
            )
        buf = BytesIO()
        wb.save(buf)
        data = buf.getvalue()
        timed("check only (dry run)", lambda: roster.import_roster(v, BytesIO(data), actor=None, dry_run=True))
        timed("import, all new", lambda: roster.import_roster(v, BytesIO(data), actor=None))
        out = timed("export", lambda: roster.export_roster(v))
        timed("re-import of the export", lambda: roster.import_roster(v, out, actor=None))
        wb2 = load_workbook(roster.export_roster(v))
        for row in wb2.active.iter_rows(min_row=2):
            row[2].value = row[2].value + "改"
        renamed = BytesIO()
        wb2.save(renamed)
        renamed.seek(0)
        timed("import renaming everyone", lambda: roster.import_roster(v, renamed, actor=None))
        db.engine.dispose()


if __name__ == "__main__":
    main()
