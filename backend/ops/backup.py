"""Backup and restore of the whole database, then a check of every village's seal chain.

- SQLite: the dump is a copy of the database file made with SQLite's online backup API (a consistent snapshot
  while the app keeps running); restoring copies it back the same way.
- PostgreSQL: ``pg_dump --format=custom`` (consistent: one snapshot) and ``pg_restore --clean --if-exists
  --single-transaction`` (all or nothing). A plain SQL dump (``pg_dump --format=plain``) is restored with ``psql``
  in one transaction. The client tools must have the server's major version; the password goes to them in the
  environment (PGPASSWORD), never on the command line, and is never printed.

Restoring refuses a database that holds any rows (``alembic_version`` aside) unless ``force`` is given. After a
restore every village's seal chain is recomputed (:func:`backend.core.seal.verify_chain`).
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from backend import registry
from backend.core.db import db
from backend.core.seal import verify_chain
from backend.core.shared_pages import version_past_now

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
TOOL_TIMEOUT = 3600  # seconds for one pg_dump / pg_restore / psql run
DEBIAN_PG_BIN = "/usr/lib/postgresql/{major}/bin"  # where Debian and Ubuntu keep each major version's tools


class BackupError(Exception):
    """A refusal or failure, in Chinese then English; never contains the database password."""


@dataclass(frozen=True)
class Database:
    url: URL

    @property
    def kind(self) -> str:
        return "sqlite" if self.url.get_backend_name() == "sqlite" else "postgresql"

    @property
    def shown(self) -> str:
        """The URL as it may be printed: password masked."""
        return self.url.render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path:
        name = self.url.database
        if not name or name == ":memory:" or name.startswith("file:"):
            raise BackupError(f"只能备份 SQLite 数据库文件：{self.shown} / "
                              "only a SQLite database file can be backed up")
        return Path(name)


def database(uri: str) -> Database:
    url = make_url(uri)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise BackupError(f"不支持的数据库：{url.get_backend_name()} / unsupported database")
    return Database(url)


# ---------------------------------------------------------------- dump


def dump(uri: str, out: Path, *, force: bool = False, pg_bin: str | None = None) -> str:
    """Write a dump of the database at ``uri`` to ``out``; returns what was done, for the operator."""
    target = database(uri)
    if out.exists() and not force:
        raise BackupError(f"{out} 已存在，不会覆盖（确需覆盖请加 --force） / {out} exists: pass --force to overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    try:
        if target.kind == "sqlite":
            detail = _dump_sqlite(target.sqlite_path, partial)
        else:
            detail = _dump_postgres(target, partial, pg_bin)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return f"已备份到 {out}（{detail}，{out.stat().st_size} 字节） / backed up {target.shown} to {out}"


def _dump_sqlite(path: Path, partial: Path) -> str:
    if not path.is_file():
        raise BackupError(f"找不到数据库文件 {path} / database file not found")
    src = sqlite3.connect(path, timeout=60)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # one step: a consistent snapshot, writers wait at most for the copy
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份文件校验失败 / the copy failed SQLite's integrity check")
    finally:
        dst.close()
        src.close()
    return "SQLite 在线备份"


def _dump_postgres(target: Database, partial: Path, pg_bin: str | None) -> str:
    major = _server_major()
    tool = _pg_tool("pg_dump", major, pg_bin)
    _run(target, [tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(partial),
                  "--dbname", _conninfo(target)])
    return f"PostgreSQL {major}，pg_dump 自定义格式"


# ---------------------------------------------------------------- restore


@dataclass(frozen=True)
class ChainResult:
    village: str
    ok: bool
    count: int
    broken_seq: int | None
    reason: str | None

    def line(self) -> str:
        if self.ok:
            return f"{self.village}：{self.count} 个封签，全部验证通过"
        return f"{self.village}：第 {self.broken_seq} 个封签验证失败（{self.reason}）"


@dataclass(frozen=True)
class RestoreReport:
    message: str
    chains: list[ChainResult]
    revision_note: str | None

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)


def restore(uri: str, source: Path, *, force: bool = False, pg_bin: str | None = None) -> RestoreReport:
    """Replace the database at ``uri`` with the dump ``source``, then verify every village's seal chain."""
    target = database(uri)
    kind = dump_kind(source)
    if target.kind == "sqlite" and kind != "sqlite":
        raise BackupError(f"{source} 不是 SQLite 备份，不能恢复到 SQLite 数据库 / not a SQLite backup")
    if target.kind == "postgresql" and kind == "sqlite":
        raise BackupError(f"{source} 是 SQLite 备份，不能恢复到 PostgreSQL / a SQLite backup cannot be restored "
                          "into PostgreSQL")
    if kind is None:
        raise BackupError(f"{source} 不是可识别的备份文件 / not a backup this command made")
    # the app's own connections must not hold the old database open (SQLite) or see stale rows (both)
    db.session.remove()
    db.engine.dispose()
    if not force:
        filled = _tables_with_rows()
        if filled:
            raise BackupError(f"目标数据库不是空的（{'、'.join(filled[:5])} 等表有数据），确需覆盖请加 --force / "
                              f"the target database is not empty: pass --force to overwrite it")
    if target.kind == "sqlite":
        _restore_sqlite(source, target.sqlite_path)
        detail = "SQLite"
    else:
        _restore_postgres(target, source, kind, pg_bin)
        detail = "PostgreSQL"
    db.session.remove()
    db.engine.dispose()
    _pages_forget_the_old_data()
    message = f"已从 {source} 恢复（{detail}） / restored {target.shown} from {source}"
    return RestoreReport(message, verify_all_chains(), _revision_note())


def dump_kind(path: Path) -> str | None:
    """``sqlite``, ``pg_custom``, ``pg_plain`` or None, from the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_CUSTOM_MAGIC):
        return "pg_custom"
    if b"PostgreSQL database dump" in head:
        return "pg_plain"
    return None


def _tables_with_rows() -> list[str]:
    names = [n for n in inspect(db.engine).get_table_names() if n != "alembic_version"]
    with db.engine.connect() as conn:
        quote = conn.dialect.identifier_preparer.quote
        return [n for n in sorted(names) if conn.execute(text(f"SELECT 1 FROM {quote(n)} LIMIT 1")).first()]


def _restore_sqlite(source: Path, path: Path) -> None:
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} 已损坏（SQLite 完整性检查未通过） / the backup fails SQLite's integrity check")
        path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(path, timeout=60)
        try:
            src.backup(dst)  # page by page under the destination's lock: readers see the old or the new, whole
        finally:
            dst.close()
    finally:
        src.close()


def _restore_postgres(target: Database, source: Path, kind: str, pg_bin: str | None) -> None:
    major = _server_major()
    if kind == "pg_custom":
        tool = _pg_tool("pg_restore", major, pg_bin)
        cmd = [tool, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
               "--exit-on-error", "--dbname", _conninfo(target), str(source)]
    else:
        tool = _pg_tool("psql", major, pg_bin)
        cmd = [tool, "--no-psqlrc", "--quiet", "--single-transaction", "--set", "ON_ERROR_STOP=1",
               "--dbname", _conninfo(target), "--file", str(source)]
    _run(target, cmd)


# ---------------------------------------------------------------- after a restore


def _pages_forget_the_old_data() -> None:
    """Every running process's kept pages (core/shared_pages.py) are of the data before the restore: the page
    version moves past them. A dump older than migration 0030 has no version (``flask db upgrade`` makes it)."""
    if "page_version" not in inspect(db.engine).get_table_names() and not _has_version_sequence():
        return
    version_past_now()
    db.session.remove()


def _has_version_sequence() -> bool:
    if db.engine.dialect.name != "postgresql":
        return False
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT to_regclass('page_version') IS NOT NULL")).scalar_one()


def verify_all_chains() -> list[ChainResult]:
    """Every village's seal chain, recomputed from what is stored."""
    results = []
    for vid, code, name in registry.all_villages():
        check = verify_chain(vid)
        results.append(ChainResult(f"{name}（{code}）", check.ok, check.count, check.broken_seq, check.reason))
    db.session.remove()
    return results


def _revision_note() -> str | None:
    """A word when the restored schema is not the code's (an older dump needs ``flask db upgrade``)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from flask import current_app

    try:
        with db.engine.connect() as conn:
            stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except Exception:
        return "恢复后的数据库没有迁移版本记录 / the restored database has no alembic_version"
    cfg = Config()
    cfg.set_main_option("script_location", current_app.extensions["migrate"].directory)
    heads = set(ScriptDirectory.from_config(cfg).get_heads())
    if set(stored) != heads:
        return (f"备份的数据库版本为 {', '.join(stored) or '无'}，程序需要 {', '.join(sorted(heads))}："
                "请运行 flask db upgrade / run flask db upgrade")
    return None


# ---------------------------------------------------------------- PostgreSQL client tools


def _server_major() -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _tool_major(path: str) -> int | None:
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False).stdout
    except OSError:
        return None
    m = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(m.group(1)) if m else None


def _pg_tool(name: str, server_major: int, pg_bin: str | None) -> str:
    """The client tool of the server's major version: from ``pg_bin``, else PATH, else Debian's per-version
    folder."""
    if pg_bin:
        candidates = [str(Path(pg_bin) / name)]
    else:
        candidates = [c for c in (shutil.which(name), str(Path(DEBIAN_PG_BIN.format(major=server_major)) / name))
                      if c]
    found: list[tuple[str, int | None]] = []
    for path in candidates:
        if Path(path).is_file() and os.access(path, os.X_OK):
            major = _tool_major(path)
            if major == server_major:
                return path
            found.append((path, major))
    if not found:
        where = f"在 {pg_bin} 中" if pg_bin else ""
        raise BackupError(
            f"{where}找不到 {name}：请安装与服务器主版本一致的 PostgreSQL 客户端"
            f"（如 postgresql-client-{server_major}），或用 --pg-bin 指定其目录 / {name} not found: install the "
            f"PostgreSQL {server_major} client tools or pass --pg-bin DIR")
    seen = "、".join(f"{p}（{m if m is not None else '版本未知'}）" for p, m in found)
    raise BackupError(
        f"{name} 的主版本与服务器（PostgreSQL {server_major}）不一致：{seen}；请安装 postgresql-client-{server_major} "
        f"或用 --pg-bin 指定其目录 / {name} major version differs from the server's {server_major}")


def _conninfo(target: Database) -> str:
    """A libpq URI without the password (it goes in PGPASSWORD)."""
    return target.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(target: Database, cmd: list[str]) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", "10")}
    password = target.url.password
    if password:
        env["PGPASSWORD"] = str(password)
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise BackupError(f"{Path(cmd[0]).name} 超时 / timed out") from None
    if done.returncode != 0:
        detail = _hide(done.stderr.strip() or done.stdout.strip(), password)
        raise BackupError(f"{Path(cmd[0]).name} 失败（退出码 {done.returncode}） / failed:\n{detail[-4000:]}")


def _hide(output: str, password: Any) -> str:
    return output.replace(str(password), "***") if password else output
