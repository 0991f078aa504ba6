"""Two (or more) hosts on one machine: each a gunicorn of its own (``backend.wsgi:app``, gthread) on a free loopback
port, with its own RESPONSE_CACHE_STAMP_DIR (separate machines share no stamp file), against one PostgreSQL
database and one Redis. And a way to change rows *behind* the hosts' backs (no NOTIFY), which shows whether an
answer came from a host's memory."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from backend.config import ROOT
from backend.core.response_cache import NOTIFY_TRIGGER

READY_TIMEOUT = 40.0


class Host:
    """One gunicorn, started in its own process group (stopped by killing that group)."""

    def __init__(self, name: str, env: dict[str, str], stamp_dir: Path | None, workers: int = 1, threads: int = 4,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.name = name
        full = {**os.environ, **env, **({"RESPONSE_CACHE_STAMP_DIR": str(stamp_dir)} if stamp_dir else {})}
        full.pop("TEST_DATABASE_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "backend.wsgi:app", "--worker-class", "gthread", "--workers",
             str(workers), "--threads", str(threads), "--bind", "127.0.0.1:0", "--timeout", "30",
             "--no-control-socket", *extra_args],
            cwd=ROOT, env=full, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        self.log: list[str] = []
        self.port: int | None = None
        self._port_seen = threading.Event()
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.append(line)
            m = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                self._port_seen.set()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> str:
        assert self._port_seen.wait(READY_TIMEOUT), f"{self.name}:\n" + "".join(self.log)
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"{self.name}:\n" + "".join(self.log)
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return self.base
            time.sleep(0.1)
        raise AssertionError(f"{self.name} never became ready:\n" + "".join(self.log))

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@contextlib.contextmanager
def hosts(names: tuple[str, ...], env: dict[str, str], tmp: Path) -> Iterator[dict[str, Host]]:
    """Start every host at once, wait until each answers /readyz, stop them all afterwards."""
    started: dict[str, Host] = {}
    try:
        for name in names:
            stamp_dir = tmp / f"stamps-{name}"
            stamp_dir.mkdir(mode=0o700)
            started[name] = Host(name, env, stamp_dir)
        for host in started.values():
            host.wait_ready()
        yield started
    finally:
        for host in started.values():
            host.stop()


def behind_their_backs(url: str, table: str, sql: str, params: dict[str, Any]) -> None:
    """Run one UPDATE on ``table`` with its NOTIFY trigger switched off for that statement (one transaction; the
    table's owner may do it): no host hears of it, so a host that still answers the old value answered from memory."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {NOTIFY_TRIGGER}"))
            conn.execute(text(sql), params)
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {NOTIFY_TRIGGER}"))
    finally:
        engine.dispose()


def poll(fn: Any, until: Any, seconds: float = 2.0, every: float = 0.02) -> tuple[Any, int]:
    """Call ``fn`` until ``until(result)`` holds or ``seconds`` pass; (the last result, the number of calls)."""
    deadline = time.monotonic() + seconds
    calls = 0
    while True:
        result = fn()
        calls += 1
        if until(result) or time.monotonic() > deadline:
            return result, calls
        time.sleep(every)
