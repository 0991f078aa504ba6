"""Command-line tools: ``flask --app backend <group> <command>`` (listed in README)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from backend.core.db import db
from backend.core.errors import AppError

roster_cli = AppGroup("roster", help="花名册导入导出")
seal_cli = AppGroup("seal", help="公开记录的封签")
demo_cli = AppGroup("demo", help="演示乡镇")
votes_cli = AppGroup("votes", help="表决")


@votes_cli.command("tally-due")
def votes_tally_due() -> None:
    """Tally, store and seal every vote whose closing time has passed (reads do it too; run it from cron)."""
    from sqlalchemy import select

    from backend.core.clock import utcnow
    from backend.decisions import votes
    from backend.decisions.vote_models import Vote

    due = db.session.execute(select(Vote).where(Vote.closes_at <= utcnow(), Vote.result.is_(None))).scalars().all()
    done = 0
    for v in due:
        if votes.tally_if_due(v):
            db.session.commit()
            done += 1
    click.echo(f"已统计 {done} 个到期的表决")


@roster_cli.command("import")
@click.argument("village_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
def roster_import(village_code: str, path: Path, dry_run: bool) -> None:
    """Import a roster .xlsx into VILLAGE_CODE: every bad row is listed, and nothing is imported then."""
    from backend.registry import roster, service

    village = service.village_by_code(village_code)
    if village is None:
        raise click.ClickException(f"找不到村编码 {village_code}")
    total = roster.count_rows(path)
    try:
        with path.open("rb") as fh, click.progressbar(length=total, label="导入花名册", file=sys.stderr) as bar:
            report = roster.import_roster(village, fh, actor=None, dry_run=dry_run, progress=bar.update)
    except AppError as err:
        click.echo(f"{err.message}", err=True)
        for row in err.details.get("rows", []):
            click.echo(f"  第{row['row']}行 {row.get('field') or ''}：{row['message']}", err=True)
        sys.exit(1)
    verb = "检查通过（未写入）" if dry_run else "导入完成"
    click.echo(
        f"{verb}：新增 {report['created']} 人，更新 {report['updated']} 人，未变 {report['unchanged']} 人，"
        f"新建 {report['households_created']} 户"
    )


@roster_cli.command("export")
@click.argument("village_code")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def roster_export(village_code: str, path: Path) -> None:
    """Write VILLAGE_CODE's roster to PATH (.xlsx)."""
    from backend.registry import roster, service

    village = service.village_by_code(village_code)
    if village is None:
        raise click.ClickException(f"找不到村编码 {village_code}")
    path.write_bytes(roster.export_roster(village).getvalue())
    click.echo(f"已导出到 {path}")


@seal_cli.command("verify")
@click.argument("village_code")
def seal_verify(village_code: str) -> None:
    """Recompute every seal of VILLAGE_CODE's chain; exit 1 if any link is broken."""
    from backend.core.seal import verify_chain
    from backend.registry import service

    village = service.village_by_code(village_code)
    if village is None:
        raise click.ClickException(f"找不到村编码 {village_code}")
    check = verify_chain(village.id)
    if check.ok:
        click.echo(f"{village.name}：{check.count} 个封签，全部验证通过")
    else:
        click.echo(f"{village.name}：第 {check.broken_seq} 个封签验证失败（{check.reason}）", err=True)
        sys.exit(1)


@demo_cli.command("seed")
def demo_seed() -> None:
    """Seed the demo township of shared/DEMO.md (safe to run again: nothing is duplicated)."""
    from backend import demo

    summary = demo.seed()
    db.session.commit()
    click.echo(summary)


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print how to log in as each demo person."""
    from backend import demo

    click.echo(demo.logins_text())


def register_cli(app: Flask) -> None:
    for group in (roster_cli, seal_cli, demo_cli, votes_cli):
        app.cli.add_command(group)
