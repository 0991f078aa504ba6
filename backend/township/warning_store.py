"""The warnings' store (预警): each warning opens when a rule first finds its cause, keeps its message up to date while
the cause lasts, and closes itself once the cause is gone; a cause that comes back opens a new warning, so the
history keeps both.

When the rules run (:func:`refresh`), per township:

- **when the data changes**: every commit that wrote rows of a village or a township (anything with a
  ``village_id`` or ``township_id``: the domains' rows, a setting, the audit entry every write adds) marks that
  township dirty (``warning_townships.dirty_since``) after it commits. Marking is one UPDATE on another connection
  that touches the row only when it is not dirty yet, and evaluates no rule: writes stay fast, and a write that
  failed marks nothing.
- **when the clock alone changes them**: each refresh stores ``next_check_at`` — the next midnight in China (every
  date rule moves then, and no warning is ever older than a day) or sooner, when an open decision is about to become
  stuck or a vote to enter its warning window or to close.
- the read (``GET …/warnings``) refreshes a township that is dirty, due, never refreshed, or whose clock went back,
  before answering; ``flask warnings refresh`` (cron, or the worker each round) refreshes every due township.

A refresh is one transaction. It first clears the township's dirty mark with an UPDATE that locks the township's
row (PostgreSQL: two refreshes at once queue; SQLite: one writer at a time), then evaluates the rules (READ
COMMITTED: a write committed before the lock is seen; one committing later waits for the lock to mark the township
dirty again, so nothing is lost), then opens, updates and closes rows. The partial unique index (one open row per
kind and key) is the database's guard behind the lock.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import chain
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import Select, bindparam, case, event, func, insert, inspect, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from backend import registry
from backend.core import audit
from backend.core.clock import SHANGHAI, to_iso, utcnow
from backend.core.db import db
from backend.core.errors import AppError
from backend.township import warnings as rules
from backend.township.models import StoredWarning, WarningTownship

log = logging.getLogger(__name__)

STATES = ("open", "closed", "all")


@dataclass
class Refreshed:
    opened: int = 0
    updated: int = 0
    closed: int = 0
    still_open: int = 0


# ------------------------------------------------------------------ refreshing


def _lock(township_id: int) -> None:
    """The township's row exists and is locked until commit; its dirty mark is cleared (writes committing from
    now on mark it again once this transaction commits)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(WarningTownship).values(township_id=township_id).on_conflict_do_nothing())
    db.session.execute(
        update(WarningTownship).where(WarningTownship.township_id == township_id).values(dirty_since=None)
    )


def _since_text(s: date | datetime) -> str:
    return to_iso(s) if isinstance(s, datetime) else s.isoformat()  # type: ignore[return-value]


def refresh(township_id: int) -> Refreshed:
    """Evaluate the township's rules and bring its warnings in line (the caller commits)."""
    registry.get_township(township_id)
    info = db.session.info
    info[_REFRESHING] = True
    try:
        _lock(township_id)
        now = utcnow()
        ev = rules.evaluate(township_id)
        current = {
            (w.kind, w.key): w
            for w in db.session.execute(
                select(StoredWarning).where(StoredWarning.township_id == township_id, StoredWarning.closed_at.is_(None))
            ).scalars()
        }
        report = Refreshed()
        seen: set[tuple[str, str]] = set()
        new: list[dict[str, Any]] = []
        changed: list[dict[str, Any]] = []
        for f in ev.findings:
            k = (f.kind, f.key)
            if k in seen:
                continue
            seen.add(k)
            link = json.dumps(rules.link_of(f), ensure_ascii=False, sort_keys=True)
            since = _since_text(f.since)
            row = current.get(k)
            if row is None:
                new.append({"township_id": township_id, "village_id": f.village_id, "kind": f.kind, "key": f.key,
                            "message": f.message, "link": link, "since": since, "opened_at": now,
                            "last_seen_at": now})
            elif (row.message, row.link, row.since, row.village_id) != (f.message, link, since, f.village_id):
                changed.append({"b_id": row.id, "message": f.message, "link": link, "since": since,
                                "village_id": f.village_id})
        gone = [row.id for k, row in current.items() if k not in seen]
        still = [row.id for k, row in current.items() if k in seen]
        # a fixed number of statements, however many warnings (executemany for the inserts and the updates);
        # a clock moved back never closes or sees a warning before it opened
        later = case((StoredWarning.opened_at > now, StoredWarning.opened_at), else_=now)
        if new:
            db.session.execute(insert(StoredWarning), new)
        if changed:
            db.session.connection().execute(
                update(StoredWarning.__table__).where(StoredWarning.__table__.c.id == bindparam("b_id"))
                .values(message=bindparam("message"), link=bindparam("link"), since=bindparam("since"),
                        village_id=bindparam("village_id")),
                changed,
            )
        if still:
            db.session.execute(update(StoredWarning).where(StoredWarning.id.in_(still))
                               .values(last_seen_at=later), execution_options={"synchronize_session": False})
        if gone:
            db.session.execute(update(StoredWarning).where(StoredWarning.id.in_(gone))
                               .values(closed_at=later), execution_options={"synchronize_session": False})
        report.opened, report.updated, report.closed = len(new), len(changed), len(gone)
        report.still_open = len(seen)
        db.session.execute(
            update(WarningTownship).where(WarningTownship.township_id == township_id)
            .values(refreshed_at=now, next_check_at=ev.next_check)
        )
        if report.opened or report.closed:
            audit.record("warnings.refresh", "township", township_id, actor=None, township_id=township_id,
                         after={"opened": report.opened, "closed": report.closed, "open": report.still_open})
        db.session.flush()
    finally:
        info.pop(_REFRESHING, None)
    return report


def is_due(state: WarningTownship | None, now: datetime) -> bool:
    """Never refreshed, changed since, reached the moment the clock may change its warnings, or the clock moved
    back before the last refresh."""
    if state is None or state.refreshed_at is None or state.dirty_since is not None:
        return True
    if state.next_check_at is None or state.next_check_at <= now:
        return True
    return now < state.refreshed_at


def ensure_fresh(township_id: int) -> bool:
    """Refresh the township's warnings if they are due (and commit); True if it did."""
    state = db.session.get(WarningTownship, township_id, populate_existing=True)
    if not is_due(state, utcnow()):
        return False
    refresh(township_id)
    db.session.commit()
    return True


def refresh_due(township_id: int | None = None, *, force: bool = False, discover: bool = True) -> dict[int, Refreshed]:
    """Refresh every township whose warnings are due (or the one given; ``force``: whether due or not), each in
    a transaction of its own: the daily run (cron), or the worker each round. ``discover``: also every township
    that was never refreshed (one look-up per village; the worker does it once at its start and then passes False:
    each round is then one statement when nothing is due)."""
    now = utcnow()
    if township_id is not None:
        ids = [township_id]
    elif discover:
        ids = sorted({registry.get_village(vid).township_id for vid, _code, _name in registry.all_villages()})
    else:
        ids = list(db.session.execute(
            select(WarningTownship.township_id).where(or_(
                WarningTownship.dirty_since.is_not(None), WarningTownship.refreshed_at.is_(None),
                WarningTownship.next_check_at.is_(None), WarningTownship.next_check_at <= now,
                WarningTownship.refreshed_at > now,
            )).order_by(WarningTownship.township_id)
        ).scalars())
        force = True
    states = {s.township_id: s for s in db.session.execute(
        select(WarningTownship).where(WarningTownship.township_id.in_(ids))).scalars()} if not force else {}
    done: dict[int, Refreshed] = {}
    for tid in ids:
        if force or is_due(states.get(tid), now):
            done[tid] = refresh(tid)
            db.session.commit()
    return done


# ------------------------------------------------------------------ marking dirty when the data changes

_VILLAGES = "warnings.dirty_villages"
_TOWNSHIPS = "warnings.dirty_townships"
_REFRESHING = "warnings.refreshing"
_COMMITTED = "warnings.committed_townships"
_OWN_TABLES = frozenset({"warnings", "warning_townships"})


def _ids(obj: Any) -> tuple[int | None, int | None]:
    """(village id, township id) of a written row, read without loading anything."""
    values = inspect(obj).dict
    table = getattr(obj, "__tablename__", "")
    if table == "villages":
        return values.get("id"), values.get("township_id")
    if table == "townships":
        return None, values.get("id")
    return values.get("village_id"), values.get("township_id")


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx: Any) -> None:
    """The villages and townships a flush wrote rows of (never fails the write: at worst a township is not
    marked, and its warnings wait for the next midnight)."""
    if session.info.get(_REFRESHING):
        return
    try:
        villages: set[int] = session.info.setdefault(_VILLAGES, set())
        townships: set[int] = session.info.setdefault(_TOWNSHIPS, set())
        for obj in chain(session.new, session.dirty, session.deleted):
            if getattr(obj, "__tablename__", None) in _OWN_TABLES:
                continue
            vid, tid = _ids(obj)
            if isinstance(tid, int):
                townships.add(tid)
            elif isinstance(vid, int):
                villages.add(vid)
    except Exception:
        log.exception("warnings: could not see what a flush wrote")


@event.listens_for(Session, "after_flush_postexec")
def _resolve(session: Session, _ctx: Any) -> None:
    """The townships of the villages written (usually in the identity map already: no statement)."""
    villages: set[int] = session.info.get(_VILLAGES) or set()
    if not villages:
        return
    townships: set[int] = session.info.setdefault(_TOWNSHIPS, set())
    try:
        for vid in list(villages):
            with suppress(AppError):  # a village deleted in this transaction
                townships.add(registry.get_village(vid).township_id)
    except Exception:
        log.exception("warnings: could not find the townships of villages %s", sorted(villages))
    villages.clear()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    """The outermost transaction committed: what it wrote is to be marked once its connection is back in the pool
    (here the session still holds it; marking now would hold two connections per request, and under load every
    thread would wait for a second one the pool no longer has)."""
    if session.in_nested_transaction():  # a savepoint released: the outer transaction may still roll back
        return
    townships = session.info.pop(_TOWNSHIPS, None)
    session.info.pop(_VILLAGES, None)
    if townships:
        session.info[_COMMITTED] = townships


@event.listens_for(Session, "after_transaction_end")
def _mark(session: Session, transaction: Any) -> None:
    """The outermost transaction ended and gave its connection back: mark what it committed (rolled back: nothing).
    A savepoint rolled back keeps what the outer transaction wrote before it (a township marked for nothing is
    harmless)."""
    if transaction.parent is not None:
        return
    session.info.pop(_TOWNSHIPS, None)
    session.info.pop(_VILLAGES, None)
    townships = session.info.pop(_COMMITTED, None)
    if townships:
        mark_dirty(townships, bind=session.get_bind())


def mark_dirty(township_ids: Iterable[int], bind: Any = None) -> None:
    """Mark townships dirty, in a transaction of its own (a township not refreshed yet has no row: it is due
    anyway). Only a row not yet dirty is touched, so concurrent writers rarely wait on each other."""
    ids = sorted(set(township_ids))
    if not ids:
        return
    try:
        with (bind or db.engine).begin() as conn:
            conn.execute(
                update(WarningTownship)
                .where(WarningTownship.township_id.in_(ids), WarningTownship.dirty_since.is_(None))
                .values(dirty_since=utcnow())
            )
    except Exception:  # the write itself is committed; the warnings are then at most a day (or a write) late
        log.exception("warnings: could not mark townships %s dirty", ids)


# ------------------------------------------------------------------ reading


def _since_moment(since: str) -> datetime:
    if "T" in since:
        return datetime.fromisoformat(since)
    return datetime.combine(date.fromisoformat(since), time(0, 0), tzinfo=SHANGHAI)


def _stmt(township_id: int, village_id: int | None, kind: str | None) -> Select[Any]:
    stmt = select(StoredWarning).where(StoredWarning.township_id == township_id)
    if village_id is not None:
        stmt = stmt.where(StoredWarning.village_id == village_id)
    if kind is not None:
        stmt = stmt.where(StoredWarning.kind == kind)
    return stmt


def listed(
    township_id: int, *, village_id: int | None = None, kind: str | None = None, state: str = "open",
    page: int = 1, page_size: int = 50,
) -> tuple[list[StoredWarning], int]:
    """Open warnings oldest first (all of them), or the history (``closed``: newest closing first; ``all``: newest
    opening first), a page at a time, with the total."""
    stmt = _stmt(township_id, village_id, kind)
    if state == "open":
        rows = list(db.session.execute(stmt.where(StoredWarning.closed_at.is_(None))).scalars())
        rows.sort(key=lambda w: (_since_moment(w.since), rules.KIND_ORDER.get(w.kind, 99), f"{w.key:>30}"))
        return rows, len(rows)
    if state == "closed":
        stmt = stmt.where(StoredWarning.closed_at.is_not(None)).order_by(
            StoredWarning.closed_at.desc(), StoredWarning.id.desc())
    else:
        stmt = stmt.order_by(StoredWarning.opened_at.desc(), StoredWarning.id.desc())
    total = db.session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = list(db.session.execute(stmt.limit(page_size).offset((page - 1) * page_size)).scalars())
    return rows, total


def view(w: StoredWarning, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": f"{w.kind}:{w.key}",
        "warning_id": w.id,
        "village": {"id": w.village_id, "name": names.get(w.village_id, "")},
        "kind": w.kind,
        "label": rules.label(w.kind),
        "message": w.message,
        "since": w.since,
        "state": "open" if w.closed_at is None else "closed",
        "opened_at": to_iso(w.opened_at),
        "last_seen_at": to_iso(w.last_seen_at),
        "closed_at": to_iso(w.closed_at),
        "link": json.loads(w.link),
    }


def township_warnings(township_id: int, **kw: Any) -> tuple[list[dict[str, Any]], int]:
    """The township's warnings (refreshed first if due), as the API gives them, with the total."""
    registry.get_township(township_id)
    ensure_fresh(township_id)
    names = {v.id: v.name for v in registry.villages_of_township(township_id)}
    rows, total = listed(township_id, **kw)
    return [view(w, names) for w in rows], total


def village_warnings(village_id: int, **kw: Any) -> tuple[list[dict[str, Any]], int]:
    """One village's warnings (its township refreshed first if due)."""
    village = registry.get_village(village_id)
    ensure_fresh(village.township_id)
    rows, total = listed(village.township_id, village_id=village_id, **kw)
    return [view(w, {village.id: village.name}) for w in rows], total


def kinds() -> list[dict[str, str]]:
    return [{"kind": k, "label": v} for k, v in rules.KINDS.items()]


# ------------------------------------------------------------------ the daily run

warnings_cli = AppGroup("warnings", help="预警：按规则刷新各乡镇的预警")


@warnings_cli.command("refresh")
@click.option("--township", "township_code", default=None, help="只刷新这个乡镇（乡镇编码）")
@click.option("--force", is_flag=True, help="不论是否到期都刷新")
def warnings_refresh(township_code: str | None, force: bool) -> None:
    """Refresh the warnings of every township that is due (changed, or a day or the next time-driven change has
    come): run it daily from cron, or each round of the worker."""
    tid = None
    if township_code:
        t = registry.township_by_code(township_code)
        if t is None:
            raise click.ClickException(f"找不到乡镇编码 {township_code}")
        tid = t.id
    done = refresh_due(tid, force=force)
    opened = sum(r.opened for r in done.values())
    closed = sum(r.closed for r in done.values())
    click.echo(f"已刷新 {len(done)} 个乡镇的预警：新增 {opened} 条，消除 {closed} 条")


