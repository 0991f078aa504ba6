"""Command-line tools: ``flask --app backend <group> <command>`` (listed in README)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from backend.core.db import db
from backend.core.errors import AppError

log = logging.getLogger(__name__)

roster_cli = AppGroup("roster", help="花名册导入导出")
seal_cli = AppGroup("seal", help="公开记录的封签")
demo_cli = AppGroup("demo", help="演示乡镇")
votes_cli = AppGroup("votes", help="表决")
shares_cli = AppGroup("shares", help="股权登记簿导入导出")
land_cli = AppGroup("land", help="地块与土地流转合同导入")


@votes_cli.command("tally-due")
def votes_tally_due() -> None:
    """Tally, store and seal every vote whose closing time has passed, and record each result on its decision
    (reads do it too; run it from cron). Each vote is committed on its own."""
    from backend import decisions

    done = 0
    for v in decisions.due_votes():
        if decisions.settle_vote(v):
            db.session.commit()
            done += 1
    click.echo(f"已统计 {done} 个到期的表决")


@votes_cli.command("remind-closing")
def votes_remind_closing() -> None:
    """Queue "表决快截止了" for open votes closing within 24 hours, to those who have not voted (once per vote and
    person; the push worker does this each round too)."""
    from backend.decisions.votes import pushes as vote_pushes

    queued = vote_pushes.queue_closing_reminders()
    db.session.commit()
    click.echo(f"已排队 {queued} 条投票截止提醒")


@roster_cli.command("import")
@click.argument("village_code")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查，不写入")
def roster_import(village_code: str, path: Path, dry_run: bool) -> None:
    """Import a roster .xlsx into VILLAGE_CODE: every bad row is listed, and nothing is imported then."""
    from backend.registry import places, roster

    village = places.village_by_code(village_code)
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
    from backend.registry import places, roster

    village = places.village_by_code(village_code)
    if village is None:
        raise click.ClickException(f"找不到村编码 {village_code}")
    path.write_bytes(roster.export_roster(village).getvalue())
    click.echo(f"已导出到 {path}")


def _village_or_fail(code: str) -> Any:
    """The village with this code (imported lazily, like the other commands), or a usage error."""
    from backend.registry import places

    village = places.village_by_code(code)
    if village is None:
        raise click.ClickException(f"找不到村编码 {code}")
    return village


@shares_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", required=True, help="村编码")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="文件所载登记簿的生效日期 YYYY-MM-DD（默认今天）")
@click.option("--note", default=None, help="变动说明（默认“导入调整”）")
@click.option("--dry-run", is_flag=True, help="只检查并报告将发生的变动，不写入")
def shares_import(path: Path, village_code: str, on: Any, note: str | None, dry_run: bool) -> None:
    """Import a share register .xlsx into the village: the file is the register on --on; the difference is
    recorded as one event. Every bad row is listed, and nothing is imported then."""
    from backend.dividends.shares import xlsx as register_io

    village = _village_or_fail(village_code)
    try:
        with path.open("rb") as fh:
            report = register_io.import_register(village, fh, effective_on=on.date() if on else None, actor=None,
                                                 dry_run=dry_run, note=note)
        if report["changed"] and not dry_run:
            db.session.commit()
        else:
            db.session.rollback()
    except AppError as err:
        db.session.rollback()
        click.echo(err.message, err=True)
        for row in err.details.get("rows", []):
            click.echo(f"  第{row['row']}行 {row.get('field') or ''}：{row['message']}", err=True)
        sys.exit(1)
    click.echo(report["message"])


@shares_cli.command("export")
@click.option("--village", "village_code", required=True, help="村编码")
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="哪一天的登记簿 YYYY-MM-DD（默认今天）")
@click.option("-o", "--output", "path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="写入的 .xlsx 文件")
def shares_export(village_code: str, on: Any, path: Path) -> None:
    """Write the village's share register on --on to the .xlsx file -o."""
    from backend.core.clock import today
    from backend.dividends.shares import xlsx as register_io

    village = _village_or_fail(village_code)
    day = on.date() if on else today()
    path.write_bytes(register_io.export_register(village, day).getvalue())
    click.echo(f"已导出{village.name}{day.isoformat()}的股权登记簿到 {path}")


def _land_import(kind: str, path: Path, village_code: str, dry_run: bool) -> None:
    from backend.land.imports import service as importer

    village = _village_or_fail(village_code)
    fn = importer.import_parcels if kind == "parcels" else importer.import_contracts
    try:
        with path.open("rb") as fh:
            report = fn(village, fh, actor=None, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except AppError as err:
        db.session.rollback()
        click.echo(err.message, err=True)
        for row in err.details.get("rows", []):
            click.echo(f"  第{row['row']}行 {row.get('field') or ''}：{row['message']}", err=True)
        sys.exit(1)
    click.echo(report["message"])
    for item in report.get("items", []):
        rent = f"，第一年租金 {item['first_year_rent']} 元" if item["first_year_rent"] is not None else ""
        click.echo(f"  {item['number']} {item['party']}：{item['parcels']} 块地 {item['area_mu']} 亩，"
                   f"{item['years']} 年{rent}")


@land_cli.command("import-parcels")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", required=True, help="村编码")
@click.option("--dry-run", is_flag=True, help="只检查并报告将导入的内容，不写入")
def land_import_parcels(path: Path, village_code: str, dry_run: bool) -> None:
    """Import a parcel .xlsx into the village (new codes only). Every bad row is listed, and nothing is imported
    then."""
    _land_import("parcels", path, village_code, dry_run)


@land_cli.command("import-contracts")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--village", "village_code", required=True, help="村编码")
@click.option("--dry-run", is_flag=True, help="只检查并报告将导入的内容，不写入")
def land_import_contracts(path: Path, village_code: str, dry_run: bool) -> None:
    """Import a land contract .xlsx (one row per contract parcel) into the village, each contract through every
    check of a contract registered by hand. Every bad row is listed, and nothing is imported then."""
    _land_import("contracts", path, village_code, dry_run)


@seal_cli.command("verify")
@click.argument("village_code")
def seal_verify(village_code: str) -> None:
    """Recompute every seal of VILLAGE_CODE's chain; exit 1 if any link is broken."""
    from backend.core.seal import verify_chain
    from backend.registry import places

    village = places.village_by_code(village_code)
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
    """Seed the demo township of docs/demo.md (safe to run again: nothing is duplicated)."""
    from backend import demo

    summary = demo.seed()
    db.session.commit()
    click.echo(summary)


@demo_cli.command("logins")
def demo_logins() -> None:
    """Print how to log in as each demo person."""
    from backend import demo

    click.echo(demo.logins_text())


notices_cli = AppGroup("notices", help="Announcements: the WeChat push worker.")


@notices_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now and stop.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds to wait when nothing is due.")
@click.option("--batch", default=50, show_default=True, help="Jobs claimed at a time.")
def notices_work(once: bool, interval: float, batch: int) -> None:
    """Send the push outbox's due subscribe messages (several workers may run at once on PostgreSQL), and keep
    the townships' warnings fresh: every township once at the start, then each round those that are due (changed
    since, or reached the day their warnings may change: one statement when none is)."""
    import time

    from backend.decisions.votes import pushes as vote_pushes
    from backend.notices import outbox as service
    from backend.township import warning_store

    service.recover_stale()
    discover = True
    while True:
        # each round: votes now closing within 24 hours get their reminders queued (one query when there are none)
        vote_pushes.queue_closing_reminders()
        db.session.commit()
        try:
            refreshed = warning_store.refresh_due(discover=discover)
        except Exception:  # the pushes go on; the warnings wait for the next round (or the read that needs them)
            db.session.rollback()
            log.exception("warnings: the refresh failed")
            refreshed = {}
        discover = False
        if refreshed:
            opened = sum(r.opened for r in refreshed.values())
            closed = sum(r.closed for r in refreshed.values())
            click.echo(f"warnings: {len(refreshed)} township(s) refreshed, {opened} opened, {closed} closed")
        report = service.work(limit=batch)
        done = report.sent + report.no_consent + report.retried + report.failed
        if done:
            click.echo(f"sent {report.sent}, no consent {report.no_consent}, retry {report.retried}, "
                       f"failed {report.failed}")
        if once:
            return
        if not done:
            time.sleep(interval)


def register_cli(app: Flask) -> None:
    from backend.ops.cli import backup_cli
    from backend.registry.cli_admin import admin_cli

    for group in (roster_cli, seal_cli, demo_cli, votes_cli, shares_cli, land_cli, notices_cli, backup_cli, admin_cli):
        app.cli.add_command(group)
