"""What a validator costs and what a 304 saves: a villager's reads, one request at a time through the test client.

    .venv/bin/python bench/etag.py                                    # the demo in a scratch SQLite file
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_etag .venv/bin/python bench/etag.py   # rebuilt schema

The demo (docs/demo.md, ``backend.demo.seed()`` with the WeChat stand-in); the villager is 张大山 with a token. For
each path: the bytes of the answer, the hashing of its body alone (``core.etag.etag_for``), and the CPU per request
(``time.thread_time``, the lowest of 3 × 200 requests, one thread) of the read without and with a matching
``If-None-Match``: a 200 and a 304. The view runs either way: the 304 saves the phone's network, not the server's
work. (Until 2026-12-06 a repeat was also answered from memory by core/response_cache.py; the cache was removed
then, see bench/README.md, and the "kept 200" / "kept 304" columns with it.)

The figures are printed, not asserted (bench/README.md).
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from backend import create_app
from backend.core.db import db
from backend.core.etag import etag_for


def cpu_ms(client: Any, path: str, headers: dict[str, str], status: int, n: int = 200) -> float:
    for _ in range(20):
        assert client.get(path, headers=headers).status_code == status, path
    best = float("inf")
    for _ in range(3):
        t0 = time.thread_time()
        for _ in range(n):
            client.get(path, headers=headers)
        best = min(best, (time.thread_time() - t0) * 1000 / n)
    return best


def hash_us(body: bytes, n: int = 2000) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        etag_for(body)
    return (time.perf_counter() - t0) * 1e6 / n


def main() -> int:
    from backend import demo, registry
    from backend.wechat.standin import StandIn

    scratch = tempfile.TemporaryDirectory()
    url = os.environ.get("URL") or f"sqlite:///{Path(scratch.name) / 'etag.db'}"
    if url.startswith("postgresql"):
        from ballots import ensure_database

        ensure_database(url)
    standin = StandIn().start()
    base = {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING", "RATELIMIT_ENABLED": False,
            "WECHAT_API_BASE_URL": standin.base_url}
    app = create_app(base)
    with app.app_context():
        from flask_migrate import upgrade

        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
        demo.seed()
        db.session.commit()
        village = registry.village_by_code("LJ01")
        assert village is not None
        v = village.id
    client = app.test_client()
    login = client.post("/api/v1/auth/wechat-login", json={"code": "demo-zhangdashan"}).json
    headers = {"Authorization": f"Bearer {login['token']}"}
    disclosure = client.get(f"/api/v1/villages/{v}/disclosures", headers=headers).json["items"][0]["id"]
    paths = ["/api/v1/me", "/api/v1/me/home", "/api/v1/me/dividends?page_size=100",
             "/api/v1/me/notices?page=1&page_size=20", f"/api/v1/disclosures/{disclosure}",
             f"/api/v1/villages/{v}/accounts/summary?year={datetime.now(UTC).year}"]
    print(f"etag bench: {url.split(':')[0]}; Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.machine()}; load average {os.getloadavg()[0]:.2f}")
    print("CPU ms per request (lowest of 3 × 200, one thread); hashing the body alone in µs")
    print(f"  | {'path':<44} | {'bytes':>6} | {'hash µs':>7} | {'200 ms':>8} | {'304 ms':>8} |")
    print(f"  |{'-' * 46}|{'-' * 8}|{'-' * 9}|{'-' * 10}|{'-' * 10}|")
    for path in paths:
        r = client.get(path, headers=headers)
        assert r.status_code == 200, (path, r.status_code)
        tag = r.headers["ETag"]
        inm = {**headers, "If-None-Match": tag}
        full = cpu_ms(client, path, headers, 200)
        unchanged = cpu_ms(client, path, inm, 304)
        label = path.removeprefix("/api/v1")
        print(f"  | {label:<44} | {len(r.data):6,} | {hash_us(r.data):7.1f} | {full:8.2f} | {unchanged:8.2f} |",
              flush=True)
    for size in (10_000, 240_000):  # 240 kB: the 615-line disclosure of bench/hot_paths.py
        print(f"  hashing a {size // 1000} kB body: {hash_us(b'x' * size, n=500):.0f} µs")
    standin.stop()
    print(f"finished {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
