"""Throwaway PostgreSQL clusters from the machine's server binaries: a primary and a streaming replica of it, each
in a temporary folder, on 127.0.0.1 and a free port, gone afterwards. The server that runs on 5432 is not touched.

PostgreSQL refuses to run as root: when the tests run as root, every server command runs as the ``postgres`` user
(``runuser -u postgres --``) in a folder owned by it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
TOOLS = ("initdb", "pg_ctl", "pg_basebackup", "postgres")
OS_USER = "postgres"


def missing_binaries() -> list[str]:
    """The server programs this module needs and cannot find (empty when all are there)."""
    return [name for name in TOOLS if not os.access(PG_BIN / name, os.X_OK)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner(args: list[str]) -> list[str]:
    return ["runuser", "-u", OS_USER, "--", *args] if os.geteuid() == 0 else args


def _run(args: list[str], timeout: float = 60) -> None:
    done = subprocess.run(_as_owner(args), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@dataclass
class Cluster:
    name: str
    data: Path
    port: int
    sockets: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    @property
    def log(self) -> Path:
        return self.data.parent / f"{self.name}.log"

    def start(self) -> None:
        _run([str(PG_BIN / "pg_ctl"), "start", "-w", "-t", "30", "-D", str(self.data), "-l", str(self.log)])

    def stop(self, mode: str = "fast") -> None:
        _run([str(PG_BIN / "pg_ctl"), "stop", "-w", "-t", "30", "-m", mode, "-D", str(self.data)])

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def engine(self, database: str = "postgres") -> Engine:
        return create_engine(self.url(database), isolation_level="AUTOCOMMIT", poolclass=_null_pool())

    def scalar(self, sql: str, database: str = "postgres") -> object:
        engine = self.engine(database)
        try:
            with engine.connect() as conn:
                result = conn.execute(text(sql))
                return result.scalar() if result.returns_rows else None
        finally:
            engine.dispose()


def _null_pool() -> type:
    from sqlalchemy.pool import NullPool

    return NullPool


SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{sockets}'
wal_level = replica
max_wal_senders = 4
max_connections = 40
shared_buffers = 16MB
fsync = off
full_page_writes = off
hot_standby = on
wal_receiver_status_interval = 1s
logging_collector = off
"""


@dataclass
class ReplicaPair:
    root: Path
    primary: Cluster
    replica: Cluster
    seconds_to_build: float = 0.0

    def wait_streaming(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.primary.scalar("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"):
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the replica is not streaming after {timeout} s; see {self.replica.log}")

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary had flushed when this was called (every commit)."""
        target = self.primary.scalar("SELECT pg_current_wal_flush_lsn()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.replica.scalar(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the replica did not reach {target} in {timeout} s")

    def pause_replay(self) -> None:
        self.replica.scalar("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 10
        while self.replica.scalar("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise RuntimeError("the replica's replay did not pause")
            time.sleep(0.02)

    def resume_replay(self) -> None:
        self.replica.scalar("SELECT pg_wal_replay_resume()")


def _initdb(data: Path) -> None:
    _run([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
          "--no-sync", "--no-instructions"])


@contextlib.contextmanager
def replica_pair(database: str = "app") -> Iterator[ReplicaPair]:
    """A primary with the database ``database`` and a replica streaming from it (pg_basebackup -R); both stopped
    and deleted on the way out."""
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="pgcluster-"))
    if os.geteuid() == 0:
        shutil.chown(root, OS_USER, OS_USER)
    primary = Cluster("primary", root / "primary", free_port(), root)
    replica = Cluster("replica", root / "replica", free_port(), root)
    try:
        _initdb(primary.data)
        with (primary.data / "postgresql.conf").open("a") as conf:
            conf.write(SETTINGS.format(port=primary.port, sockets=root))
        with (primary.data / "pg_hba.conf").open("a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        primary.start()
        primary.scalar(f'CREATE DATABASE "{database}"')
        _run([str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
              "-D", str(replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"])
        with (replica.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {replica.port}\n")
        replica.start()
        pair = ReplicaPair(root, primary, replica)
        pair.wait_streaming()
        pair.seconds_to_build = time.monotonic() - started
        yield pair
    finally:
        for cluster in (replica, primary):
            if cluster.running():
                with contextlib.suppress(Exception):
                    cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
