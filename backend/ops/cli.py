"""``flask backup dump PATH`` and ``flask backup restore PATH`` (README: Backup and restore).

Exit codes: 0 done (and, after a restore, every seal chain verified); 1 refused or failed (nothing was changed by
a refused restore; a failed PostgreSQL restore is rolled back whole); 3 restored, but a seal chain is broken.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from backend.ops import backup

backup_cli = AppGroup("backup", help="Back up and restore the whole database (SQLite or PostgreSQL).")

PG_BIN_HELP = "folder of pg_dump/pg_restore/psql of the server's major version (default: PATH, then Debian's)"


@backup_cli.command("dump")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="overwrite PATH if it exists")
@click.option("--pg-bin", default=None, help=PG_BIN_HELP)
def dump_command(path: Path, force: bool, pg_bin: str | None) -> None:
    """Write a consistent dump of DATABASE_URL to PATH while the app keeps running (SQLite: online backup API;
    PostgreSQL: pg_dump custom format)."""
    try:
        click.echo(backup.dump(current_app.config["SQLALCHEMY_DATABASE_URI"], path, force=force, pg_bin=pg_bin))
    except backup.BackupError as err:
        click.echo(f"备份失败 / backup failed: {err}", err=True)
        sys.exit(1)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="replace a database that already holds data")
@click.option("--pg-bin", default=None, help=PG_BIN_HELP)
def restore_command(path: Path, force: bool, pg_bin: str | None) -> None:
    """Restore DATABASE_URL from the dump at PATH (refused if the database holds data, unless --force), then
    verify every village's seal chain: exit 3 if one is broken."""
    try:
        report = backup.restore(current_app.config["SQLALCHEMY_DATABASE_URI"], path, force=force, pg_bin=pg_bin)
    except backup.BackupError as err:
        click.echo(f"恢复失败 / restore failed: {err}", err=True)
        sys.exit(1)
    click.echo(report.message)
    if report.revision_note:
        click.echo(report.revision_note)
    for chain in report.chains:
        click.echo(chain.line(), err=not chain.ok)
    broken = [c for c in report.chains if not c.ok]
    sealed = sum(c.count for c in report.chains)
    if broken:
        click.echo(f"封签验证失败：{len(broken)} 个村的封签链断开 / seal chains broken in {len(broken)} villages",
                   err=True)
        sys.exit(3)
    click.echo(f"封签验证通过：{len(report.chains)} 个村，{sealed} 个封签 / every seal chain verifies")
