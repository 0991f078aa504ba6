"""``flask backup dump`` / ``flask backup restore``: the data comes back whole and every seal chain verifies; a
tampered dump is caught by the verification (exit 3); a database holding data is replaced only with --force; the
PostgreSQL tools are found by version and the password is never shown.

The SQLite tests run on every suite (each on its own copy of a migrated SQLite file); the PostgreSQL ones dump the
suite's database and restore into a separate fresh database on the same server."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.core.db import db
from backend.core.seal import Seal, seal, verify_chain
from backend.core.shared_pages import read_version
from backend.ledger import service as ledger
from backend.ledger.models import Voucher
from backend.ops.backup import PG_CUSTOM_MAGIC, SQLITE_MAGIC
from backend.registry.models import Village
from tests.factories import Factory
from tests.ops.conftest import fresh_pg_database

SECRET = "s3cret-Pw-42"  # a password in the URL (the server trusts loopback, so any password connects)
FEBRUARY = "二月收支公开：收入 300.00 元"


def _sealed_books(make: Factory) -> None:
    """Two villages: 临江村 with a posted voucher and three sealed disclosures, 石河村 with one sealed resolution."""
    qs = make.township()
    a = make.village("LJ01", "临江村", township=qs)
    b = make.village("SH02", "石河村", township=qs)
    ledger.ensure_chart(a)
    v = ledger.create_voucher(a, ledger.VoucherInput(date(2026, 1, 5), "收到土地租金", [
        ledger.LineInput("102", debit_fen=300_00), ledger.LineInput("501002", credit_fen=300_00)]), actor=None)
    ledger.post_voucher(v, actor=None)
    for i, title in enumerate(["一月收支公开", FEBRUARY, "三月收支公开"], start=1):
        seal(a.id, "disclosure", i, {"title": title, "month": f"2026-0{i}", "income": "300.00"})
    seal(b.id, "resolution", 1, {"title": "修建村道的决议", "yes": 7, "no": 2})
    db.session.commit()


def _fingerprint() -> dict[str, Any]:
    """Row counts of every table, every seal as stored, the vouchers' numbers."""
    db.session.expire_all()
    counts = {t.name: db.session.execute(select(func.count()).select_from(t)).scalar_one()
              for t in db.metadata.sorted_tables}
    seals = db.session.execute(select(Seal.village_id, Seal.seq, Seal.kind, Seal.canonical, Seal.prev_hash, Seal.hash)
                               .order_by(Seal.village_id, Seal.seq)).all()
    numbers = db.session.execute(select(Voucher.period, Voucher.number, Voucher.total_fen)
                                 .order_by(Voucher.id)).all()
    return {"counts": counts, "seals": [tuple(s) for s in seals], "vouchers": [tuple(n) for n in numbers]}


def _cli(app: Flask, *args: str) -> Any:
    """Run ``flask backup …`` against ``app`` (its context pushed: flask's CLI uses whichever app is current)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=["backup", *args])


def _app(url: str, standin_url: str) -> Flask:
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WECHAT_API_BASE_URL": standin_url,
                       "REDIS_URL": None, "LOG_LEVEL": "WARNING"})


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# ---------------------------------------------------------------- SQLite


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, standin: Any) -> Path:
    from flask_migrate import upgrade

    path = tmp_path_factory.mktemp("backup") / "template.db"
    app = _app(f"sqlite:///{path}", standin.base_url)
    with app.app_context():
        upgrade()
    _dispose(app)
    return path


@pytest.fixture
def sqlite_app(sqlite_template: Path, tmp_path: Path, standin: Any) -> Iterator[Callable[..., Flask]]:
    """``sqlite_app(name, migrated=True)``: an app on its own SQLite file (a copy of the migrated template)."""
    made: list[Flask] = []

    def build(name: str = "sunshine.db", migrated: bool = True) -> Flask:
        path = tmp_path / name
        if migrated:
            shutil.copy(sqlite_template, path)
        made.append(_app(f"sqlite:///{path}", standin.base_url))
        return made[-1]

    yield build
    for app in made:
        _dispose(app)


def test_sqlite_dump_while_a_write_is_open_then_destroy_and_restore_brings_all_back(sqlite_app, tmp_path):
    app = sqlite_app()
    with app.app_context():
        _sealed_books(Factory())
        before = _fingerprint()
        path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    dump = tmp_path / "backup.db"

    # someone is writing meanwhile: the dump neither waits for them nor takes their unfinished row
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE villages SET name = '未提交的改名' WHERE code = 'LJ01'")
        r = _cli(app, "dump", str(dump))
        writer.execute("ROLLBACK")
    finally:
        writer.close()
    assert r.exit_code == 0, r.output
    assert f"已备份到 {dump}" in r.output
    assert dump.read_bytes().startswith(SQLITE_MAGIC)
    again = _cli(app, "dump", str(dump))  # an existing backup is never overwritten silently
    assert again.exit_code == 1 and "已存在" in again.output

    with app.app_context():  # destroy: the seals gone, a village renamed
        db.session.execute(text("DELETE FROM seals"))
        db.session.execute(text("UPDATE villages SET name = '改名村' WHERE code = 'SH02'"))
        db.session.commit()
        destroyed = _fingerprint()
        version_destroyed = read_version()
        db.session.remove()
    assert destroyed != before

    refused = _cli(app, "restore", str(dump))
    assert refused.exit_code == 1 and "目标数据库不是空的" in refused.output, refused.output
    with app.app_context():
        assert _fingerprint() == destroyed  # a refusal changes nothing

    r = _cli(app, "restore", str(dump), "--force")
    assert r.exit_code == 0, r.output
    assert "临江村（LJ01）：3 个封签，全部验证通过" in r.output
    assert "石河村（SH02）：1 个封签，全部验证通过" in r.output
    assert "封签验证通过：2 个村，4 个封签" in r.output
    with app.app_context():
        assert _fingerprint() == before
        assert db.session.execute(select(Village.name).where(Village.code == "LJ01")).scalar_one() == "临江村"
        # the dump's page version was older than the pages kept of the destroyed data: it moved past them
        assert read_version() > version_destroyed


def test_sqlite_restore_into_a_new_file_needs_no_force(sqlite_app, tmp_path):
    source = sqlite_app("source.db")
    with source.app_context():
        _sealed_books(Factory())
        before = _fingerprint()
    dump = tmp_path / "backup.db"
    assert _cli(source, "dump", str(dump)).exit_code == 0
    fresh = sqlite_app("new/restored.db", migrated=False)  # not even the folder exists yet
    r = _cli(fresh, "restore", str(dump))
    assert r.exit_code == 0, r.output
    with fresh.app_context():
        assert _fingerprint() == before
        # life goes on: the next seal links onto the restored chain
        lj = db.session.execute(select(Village).where(Village.code == "LJ01")).scalar_one()
        seal(lj.id, "disclosure", 4, {"title": "四月收支公开"})
        db.session.commit()
        assert verify_chain(lj.id).ok and verify_chain(lj.id).count == 4


def test_sqlite_restore_of_a_tampered_dump_reports_the_broken_chain_and_exits_3(sqlite_app, tmp_path):
    app = sqlite_app()
    with app.app_context():
        _sealed_books(Factory())
    dump = tmp_path / "backup.db"
    assert _cli(app, "dump", str(dump)).exit_code == 0
    edit = sqlite3.connect(dump)
    with edit:  # someone "corrects" the published February figures inside the backup
        changed = edit.execute("UPDATE seals SET canonical = replace(canonical, '300.00 元', '30.00 元') "
                               "WHERE seq = 2 AND kind = 'disclosure'").rowcount
    edit.close()
    assert changed == 1
    r = _cli(app, "restore", str(dump), "--force")
    assert r.exit_code == 3, r.output
    assert "临江村（LJ01）：第 2 个封签验证失败（内容已被改动）" in r.stderr
    assert "石河村（SH02）：1 个封签，全部验证通过" in r.stdout
    assert "1 个村的封签链断开" in r.stderr


def test_sqlite_restore_refuses_what_is_not_a_sqlite_backup(sqlite_app, tmp_path):
    app = sqlite_app()
    junk = tmp_path / "notes.txt"
    junk.write_text("不是备份", encoding="utf-8")
    r = _cli(app, "restore", str(junk), "--force")
    assert r.exit_code == 1 and "不是 SQLite 备份" in r.output
    r = _cli(app, "restore", str(tmp_path / "missing.db"))
    assert r.exit_code == 2  # click: the file does not exist


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_target(app: Flask, database_url: str, standin: Any, postgres_only: None) -> Iterator[Flask]:
    """An app on a fresh, empty database (no tables) of the same server, its URL carrying a password."""
    with fresh_pg_database(database_url, "restore") as url:
        target = _app(make_url(url).set(password=SECRET).render_as_string(hide_password=False), standin.base_url)
        try:
            yield target
        finally:
            _dispose(target)


def test_postgres_dump_restore_into_a_fresh_database_then_destroy_and_restore_with_force(make, app, pg_target,
                                                                                         tmp_path):
    _sealed_books(make)
    before = _fingerprint()
    dump = tmp_path / "sunshine.pgdump"
    r = _cli(app, "dump", str(dump))
    assert r.exit_code == 0, r.output
    assert "pg_dump 自定义格式" in r.output
    assert dump.read_bytes().startswith(PG_CUSTOM_MAGIC)

    r = _cli(pg_target, "restore", str(dump))
    assert r.exit_code == 0, r.output
    assert "临江村（LJ01）：3 个封签，全部验证通过" in r.output and "封签验证通过：2 个村，4 个封签" in r.output
    assert SECRET not in r.output and "***" in r.output
    with pg_target.app_context():
        assert _fingerprint() == before
        # the sequences came back too: new rows and the next seal go on after the restored ones
        lj = db.session.execute(select(Village).where(Village.code == "LJ01")).scalar_one()
        seal(lj.id, "disclosure", 4, {"title": "四月收支公开"})
        db.session.commit()
        assert verify_chain(lj.id).count == 4

    refused = _cli(pg_target, "restore", str(dump))
    assert refused.exit_code == 1 and "目标数据库不是空的" in refused.output
    with pg_target.app_context():  # destroy
        db.session.execute(text("DELETE FROM seals"))
        db.session.execute(text("UPDATE villages SET name = '改名村'"))
        db.session.commit()
        version_destroyed = read_version()
        db.session.remove()
    r = _cli(pg_target, "restore", str(dump), "--force")
    assert r.exit_code == 0, r.output
    with pg_target.app_context():
        assert read_version() > version_destroyed  # past every page kept of the destroyed data
        assert _fingerprint() == before
    # and a dump of a URL with a password never shows it
    r = _cli(pg_target, "dump", str(tmp_path / "again.pgdump"))
    assert r.exit_code == 0 and SECRET not in r.output


def test_postgres_restore_of_a_tampered_dump_reports_the_broken_chain_and_exits_3(make, app, pg_target, tmp_path):
    _sealed_books(make)
    dump = tmp_path / "sunshine.pgdump"
    assert _cli(app, "dump", str(dump)).exit_code == 0
    plain = tmp_path / "sunshine.sql"  # the dump as SQL text, as an editor would get at it
    subprocess.run(["pg_restore", "--file", str(plain), str(dump)], check=True, timeout=120)
    sql = plain.read_text(encoding="utf-8")
    assert sql.count(FEBRUARY) == 1
    plain.write_text(sql.replace(FEBRUARY, "二月收支公开：收入 30.00 元"), encoding="utf-8")

    r = _cli(pg_target, "restore", str(plain))
    assert r.exit_code == 3, r.output
    assert "临江村（LJ01）：第 2 个封签验证失败（内容已被改动）" in r.stderr
    assert "石河村（SH02）：1 个封签，全部验证通过" in r.stdout
    assert SECRET not in r.output


def _fake_tool(folder: Path, name: str, version: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n", encoding="utf-8")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)


def test_postgres_tools_missing_or_of_another_version_are_refused_clearly(app, pg_target, tmp_path):
    empty = tmp_path / "bin-empty"
    empty.mkdir()
    r = _cli(pg_target, "dump", str(tmp_path / "x.pgdump"), "--pg-bin", str(empty))
    assert r.exit_code == 1, r.output
    assert "找不到 pg_dump" in r.output and "postgresql-client-" in r.output and SECRET not in r.output
    old = tmp_path / "bin-old"
    old.mkdir()
    _fake_tool(old, "pg_dump", "9.6.24")
    _fake_tool(old, "pg_restore", "9.6.24")
    r = _cli(pg_target, "dump", str(tmp_path / "x.pgdump"), "--pg-bin", str(old))
    assert r.exit_code == 1 and "主版本与服务器" in r.output and "9" in r.output, r.output
    assert not (tmp_path / "x.pgdump").exists()
    # a dump of the other kind is refused before anything is touched
    sqlite_dump = tmp_path / "backup.db"
    sqlite3.connect(sqlite_dump).close()
    sqlite_dump.write_bytes(SQLITE_MAGIC + b"\0" * 100)
    r = _cli(pg_target, "restore", str(sqlite_dump))
    assert r.exit_code == 1 and "SQLite 备份，不能恢复到 PostgreSQL" in r.output
