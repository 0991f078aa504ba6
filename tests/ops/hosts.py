"""Two (or more) hosts on one machine: each a gunicorn of its own (``backend.wsgi:app``, gthread) on a free loopback
port, against one PostgreSQL database and one Redis."""

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

import requests

from backend.config import ROOT

READY_TIMEOUT = 40.0


class Host:
    """One gunicorn, started in its own process group (stopped by killing that group)."""

    def __init__(self, name: str, env: dict[str, str], workers: int = 1, threads: int = 4,
                 extra_args: tuple[str, ...] = ()) -> None:
        self.name = name
        full = {**os.environ, **env}
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
def hosts(names: tuple[str, ...], env: dict[str, str]) -> Iterator[dict[str, Host]]:
    """Start every host at once, wait until each answers /readyz, stop them all afterwards."""
    started: dict[str, Host] = {}
    try:
        for name in names:
            started[name] = Host(name, env)
        for host in started.values():
            host.wait_ready()
        yield started
    finally:
        for host in started.values():
            host.stop()
