"""The API and the WeChat stand-in on free loopback ports, over a freshly seeded demo township, for the
mini-program's node tests (miniprogram-stub/test/). Prints one JSON line ``{"api": …, "wechat": …}`` on stdout
once both answer, then serves until its standard input closes (the test runner's end) or it is signalled.

    .venv/bin/python scripts/serve_for_tests.py [--database-url URL]

TEST_CLOCK_FILE (opt-in, test servers only): the app's clock (backend.core.clock) is the real UTC time plus the
number of seconds written in that file (missing or empty: 0), re-read whenever the file changes, so a browser test
can let a 公示 of whole days pass by writing an offset. Without it the clock is the real one.

The database: a new SQLite file in a temporary folder, or — when TEST_DATABASE_URL names PostgreSQL — a
new database on that server (``<name>_mp_<pid>``), dropped again on exit. Either way nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _scratch_postgres(url: str) -> tuple[str, str, str]:
    """(scratch URL, admin URL, scratch name) on the server ``url`` points at."""
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database or 'sunshine'}_mp_{os.getpid()}"
    admin = base.set(drivername="postgresql", database="postgres")
    return base.set(database=name).render_as_string(hide_password=False), admin.render_as_string(
        hide_password=False
    ), name


def _pg(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(statement)


def _file_clock(path: Path) -> Callable[[], datetime]:
    """Real UTC now + the offset in seconds written in ``path`` (missing/empty: 0); the file is read again only
    when its modification time or size changes, so each call costs one stat."""
    seen: list = [None, 0.0]  # (mtime_ns, size) of the file last read, its offset
    lock = threading.Lock()

    def offset() -> float:
        try:
            st = path.stat()
            key: tuple[int, int] | None = (st.st_mtime_ns, st.st_size)
        except FileNotFoundError:
            key = None
        with lock:
            if key != seen[0]:
                text = path.read_text(encoding="utf-8").strip() if key is not None else ""
                try:
                    seen[1] = float(text) if text else 0.0
                except ValueError:
                    raise ValueError(f"TEST_CLOCK_FILE {path}: expected seconds, got {text!r}") from None
                seen[0] = key
            return seen[1]

    return lambda: datetime.now(UTC) + timedelta(seconds=offset())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or "")
    parser.add_argument("--quiet", action="store_true", help="no request log on stderr")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from backend import create_app, demo
    from backend.core import clock
    from backend.core.db import db
    from backend.wechat.standin import StandIn

    tmp = tempfile.TemporaryDirectory(prefix="sunshine-mp-")
    cleanup: list = [tmp.cleanup]
    url = args.database_url
    if url.startswith("postgresql"):
        url, admin, name = _scratch_postgres(url)
        _pg(admin, f'CREATE DATABASE "{name}"')
        cleanup.insert(0, lambda: _pg(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    else:
        url = f"sqlite:///{tmp.name}/mp.db"

    if os.environ.get("TEST_CLOCK_FILE"):
        clock.set_now(_file_clock(Path(os.environ["TEST_CLOCK_FILE"])))

    standin = StandIn().start()
    cleanup.insert(0, standin.stop)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "WECHAT_API_BASE_URL": standin.base_url,
            "WECHAT_APPID": "wx-demo-appid",
            "WECHAT_SECRET": "demo-secret",
            "WECHAT_TIMEOUT": 3.0,
            "REDIS_URL": None,
            "LOG_LEVEL": "WARNING",
            # every simulated phone of a test run comes from 127.0.0.1: per-address limits would count them as one
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
        demo.seed()
        db.session.commit()
        db.session.remove()
    if args.quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()

    port = server.server_address[1]
    print(json.dumps({"api": f"http://127.0.0.1:{port}/api/v1", "wechat": standin.base_url.rstrip("/")}), flush=True)
    stop.wait()
    server.shutdown()
    with app.app_context():
        db.engine.dispose()
    for step in cleanup:
        try:
            step()
        except Exception as exc:  # cleanup must go on
            print(f"cleanup: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
