"""Dividends at village size: one village of 10,000 households (~30,000 members) with a ~35,000-change share
register; times computing the distribution, publishing it, paying every household and a household's own view.

    .venv/bin/python bench/dividends.py                                       # a scratch SQLite file
    .venv/bin/python bench/dividends.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/dividends.py --households 2000 --record-event      # smaller; register via record_event
    .venv/bin/python bench/dividends.py --profile                             # cProfile of one compute too

The PostgreSQL database is created if missing; its public schema is dropped and rebuilt by the migrations: use a
scratch database.

Set-up (timed, not the figure): the village, its households, people and roster entries bulk-inserted (valid rows:
keyed ID hashes, last 4, birth date and gender from the ID number), one head + 0–4 members per household; share
types 成员股 (1 per member), 劳龄股 (1–10 for about half of the heads) and 集体股 (held by the collective); ONE
``initial`` event with all the changes — bulk-inserted as exactly the rows ``register.record_event`` writes (the
register row and its version, the event, the changes in order, the audit entry), or with ``--record-event`` by
``register.record_event`` itself, timed (the register import uses it); last year's income posted (8,000,000.00 元
income, 40,000.00 元 costs); a resolved 成员大会 decision; a plan of 50.00 元 per shareholding member plus an
equity dividend of the rest of the pool.

Timed: ``service.compute`` + commit three times (a recompute replaces the lines), ``publish`` + commit (seals the
masked list), ``open_payout`` + commit (the clock is moved past the 公示), ``record_payments`` of every household
in one batch + commit, and ``GET /me/dividends`` for one household through the test client (50 calls). Checked:
10,001 lines (one per household and the collective's) summing exactly to the pool, and every line paid.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from flask_migrate import upgrade
from psycopg import sql
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from backend import create_app, registry
from backend.auth import service as auth
from backend.core import audit, clock
from backend.core.clock import today, utcnow
from backend.core.db import db
from backend.core.identity import birth_date_from_id, gender_from_id, id_hashes
from backend.dividends import computing, payout, plans, publishing
from backend.dividends.models import DividendLine, ShareChange, ShareEvent
from backend.dividends.shares import service as register
from backend.ledger import service as ledger
from backend.registry.models import Household, Member, Person, Village
from tests.factories import id_card, resolved_decision

PER_MEMBER_FEN = 50_00
INCOME_FEN, COSTS_FEN = 8_000_000_00, 40_000_00
COLLECTIVE_SHARES = 3000
CHUNK = 5000


def timed(label: str, fn: Callable[[], Any]) -> Any:
    t0 = time.perf_counter()
    result = fn()
    print(f"  {label:<44} {time.perf_counter() - t0:7.2f} s")
    return result


def ensure_database(url: str) -> None:
    """Create the scratch PostgreSQL database if it does not exist (through the ``postgres`` database)."""
    u = make_url(url)
    admin = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (u.database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(u.database)))
            print(f"created database {u.database}")


def load() -> str:
    """The 1-minute load average: other work on the machine inflates every figure."""
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "?"


def chunked(stmt: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        db.session.execute(stmt, rows[i : i + CHUNK])


# ---------------------------------------------------------------- set-up


def roster(v: Village, n_households: int, rng: random.Random) -> list[list[int]]:
    """``n_households`` households, each a head + 0–4 members; returns member ids per household, head first."""
    now = utcnow()
    numbers = [f"BN-{h:05d}" for h in range(n_households)]
    db.session.execute(
        insert(Household.__table__),
        [{"village_id": v.id, "number": no, "address": None, "is_tuopin": False, "is_jiance": False,
          "created_at": now, "updated_at": now} for no in numbers],
    )
    hids = dict(db.session.execute(select(Household.number, Household.id).where(Household.village_id == v.id)).all())
    key = registry.identity_key()
    people: list[dict[str, Any]] = []
    sizes = [1 + rng.randint(0, 4) for _ in range(n_households)]
    for i in range(sum(sizes)):
        born = date(1930 + i // 400 % 75, 1 + i % 12, 1 + i % 28)  # (year, i % 400) unique in 30,000 people …
        card = id_card(born=born, n=i % 400 + 1, region=f"{371427 + i // 30_000:06d}")  # … then the next county
        full, six, four = id_hashes(key, card)
        people.append({"name": f"村民{i}", "gender": gender_from_id(card), "birth_date": birth_date_from_id(card),
                       "id_hash": full, "id6_hash": six, "id_last4": four, "phone": None, "township_id": None,
                       "created_at": now, "updated_at": now})
    chunked(insert(Person.__table__), people)
    pids = dict(db.session.execute(select(Person.id_hash, Person.id)).all())
    members: list[dict[str, Any]] = []
    i = 0
    for no, size in zip(numbers, sizes, strict=True):
        for k in range(size):
            members.append({"person_id": pids[people[i]["id_hash"]], "village_id": v.id, "household_id": hids[no],
                            "is_head": k == 0, "relation": "户主" if k == 0 else rng.choice(("配偶", "子女", "父母")),
                            "is_collective_member": True, "status": "active", "created_at": now, "updated_at": now})
            i += 1
    chunked(insert(Member.__table__), members)
    mids = dict(db.session.execute(select(Member.person_id, Member.id).where(Member.village_id == v.id)).all())
    out: list[list[int]] = []
    i = 0
    for size in sizes:
        out.append([mids[members[j]["person_id"]] for j in range(i, i + size)])
        i += size
    db.session.commit()
    return out


def share_changes(v: Village, households: list[list[int]], rng: random.Random) -> list[register.ChangeInput]:
    st = {t.code: t for t in register.share_types(v.id)}
    hids = [h for (h,) in db.session.execute(
        select(Household.id).where(Household.village_id == v.id).order_by(Household.number)).all()]
    changes = []
    for hid, mids in zip(hids, households, strict=True):
        for mid in mids:
            changes.append(register.ChangeInput(st["member"].id, 1, hid, mid))
        if rng.random() < 0.5:
            changes.append(register.ChangeInput(st["labor"].id, rng.randint(1, 10), hid, mids[0]))
    changes.append(register.ChangeInput(st["collective"].id, COLLECTIVE_SHARES))
    return changes


NOTE = "初始登记（基准测试）"


def bulk_event(v: Village, on: date, changes: list[register.ChangeInput]) -> ShareEvent:
    """Exactly what ``register.record_event`` writes for an ``initial`` event, with the changes bulk-inserted."""
    reg = register.lock_register(v.id)
    ev = ShareEvent(village_id=v.id, kind="initial", effective_on=on, member_id=None, note=NOTE, recorded_by_id=None)
    db.session.add(ev)
    db.session.flush()
    chunked(insert(ShareChange.__table__), [
        {"event_id": ev.id, "village_id": v.id, "effective_on": on, "household_id": c.household_id,
         "member_id": c.member_id, "share_type_id": c.share_type_id, "delta": c.delta} for c in changes
    ])
    reg.version += 1
    db.session.flush()
    audit.record("share.event", "share_event", ev.id, actor=None, village_id=v.id,
                 after={"kind": "initial", "effective_on": on.isoformat(), "changes": len(changes)})
    return ev


def setup(n_households: int, use_record_event: bool) -> tuple[int, int, int]:
    """Returns (distribution id, decision id, a head's person id)."""
    rng = random.Random(20260101)
    year = today().year - 1
    t = registry.ensure_township("BN", "基准镇")
    v = registry.ensure_village(t, "BN001", "基准村")
    db.session.commit()
    households = timed(f"roster ({n_households} households, bulk)", lambda: roster(v, n_households, rng))
    register.create_share_type(v, register.ShareTypeInput("member", "成员股", per_person=1), actor=None)
    register.create_share_type(v, register.ShareTypeInput("labor", "劳龄股", sort=1), actor=None)
    register.create_share_type(v, register.ShareTypeInput("collective", "集体股", holder="collective", sort=2),
                               actor=None)
    changes = share_changes(v, households, rng)
    start = date(year, 1, 1)
    if use_record_event:
        timed(f"register.record_event ({len(changes)} changes)", lambda: register.record_event(
            v, register.EventInput("initial", start, note=NOTE, changes=changes), actor=None))
    else:
        timed(f"initial event ({len(changes)} changes, bulk)", lambda: bulk_event(v, start, changes))
    db.session.commit()

    def books() -> None:
        ledger.ensure_chart(v)
        line = ledger.LineInput
        for summary, lines in (
            ("收租金", [line("102", debit_fen=INCOME_FEN), line("501002", credit_fen=INCOME_FEN)]),
            ("办公费", [line("513", debit_fen=COSTS_FEN), line("102", credit_fen=COSTS_FEN)]),
        ):
            ledger.post_voucher(ledger.create_voucher(v, ledger.VoucherInput(date(year, 6, 30), summary, lines),
                                                      actor=None), actor=None)
        db.session.commit()

    timed(f"books ({year} income posted)", books)
    decision = resolved_decision(v.id, "年度收益分配方案", "other", None, today())
    decision.decision_body = "members_assembly"
    d = plans.create_distribution(v, plans.DistributionInput(
        year=year, title=f"{year}年度收益分配方案",
        components=[plans.ComponentInput("fixed_per_member", per_unit_fen=PER_MEMBER_FEN),
                    plans.ComponentInput("equity")]), actor=None)
    head_person = db.session.execute(select(Member.person_id).where(Member.id == households[0][0])).scalar_one()
    db.session.commit()
    return d.id, decision.id, head_person


# ---------------------------------------------------------------- timed


def fresh(distribution_id: int) -> Any:
    """A new session, as a request would have."""
    db.session.remove()
    return plans.get_distribution(distribution_id)


def compute(distribution_id: int) -> tuple[float, float]:
    """(wall, this process's CPU) seconds of compute + commit."""
    d = fresh(distribution_id)
    t0, c0 = time.perf_counter(), time.process_time()
    computing.compute(d, today(), actor=None)
    db.session.commit()
    return time.perf_counter() - t0, time.process_time() - c0


def check_lines(distribution_id: int, n_households: int) -> tuple[int, int]:
    d = fresh(distribution_id)
    count, total = db.session.execute(
        select(func.count(), func.sum(DividendLine.amount_fen)).where(DividendLine.distribution_id == d.id)).one()
    assert count == n_households + 1, f"{count} lines, expected {n_households + 1}"
    assert total == d.pool_fen == d.paid_out_fen, f"lines {total}, pool {d.pool_fen}"
    assert d.households == n_households
    return int(total), int(d.total_shares or 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", default=os.environ.get("URL"), help="default: a scratch SQLite file")
    ap.add_argument("--households", type=int, default=10_000)
    ap.add_argument("--record-event", action="store_true",
                    help="write the initial event with register.record_event (timed) instead of bulk inserts")
    ap.add_argument("--profile", action="store_true", help="also print a cProfile of one more compute")
    args = ap.parse_args()
    n = args.households
    scratch = None if args.database_url else tempfile.TemporaryDirectory(prefix="dividends-bench-")
    url = args.database_url or f"sqlite:///{scratch.name}/bench.db"  # type: ignore[union-attr]
    if url.startswith("postgresql"):
        ensure_database(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            engine = f"PostgreSQL {db.session.execute(text('SHOW server_version')).scalar()}"
        else:
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        print(f"dividends bench: {n:,} households; {engine}; Python {platform.python_version()}, "
              f"{os.cpu_count()} cores, {platform.machine()} {platform.system()}; load average {load()}")
        print("set-up:")
        t0 = time.perf_counter()
        timed("migrations", upgrade)
        did, decision_id, head_person = setup(n, args.record_event)
        setup_s = time.perf_counter() - t0
        print(f"  {'set-up in all':<44} {setup_s:7.2f} s")
        members = db.session.execute(select(func.count()).select_from(Member)).scalar_one()
        changes = db.session.execute(select(func.count()).select_from(ShareChange)).scalar_one()
        print(f"  rows: {n:,} households, {members:,} members, {changes:,} share changes")
        if url.startswith("postgresql"):
            db.session.execute(text("ANALYZE"))
            db.session.commit()

        print("timed:")
        runs, cpus = [], []
        for k in range(1, 4):
            wall, cpu = compute(did)
            runs.append(wall)
            cpus.append(cpu)
            print(f"  {f'compute + commit, run {k}':<44} {wall * 1000:8.1f} ms  (Python CPU {cpu * 1000:.0f} ms)")
        pool, shares = check_lines(did, n)
        print(f"  check: {n + 1:,} lines, summing to the pool {pool / 100:,.2f} 元 exactly; {shares:,} shares")
        if args.profile:
            d = fresh(did)
            prof = cProfile.Profile()
            prof.enable()
            computing.compute(d, today(), actor=None)
            db.session.commit()
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)

        def publish() -> float:
            d = fresh(did)
            t = time.perf_counter()
            publishing.publish(d, decision_id, actor=None)
            db.session.commit()
            return time.perf_counter() - t

        publish_s = publish()
        clock.set_now(lambda: datetime.now(UTC) + timedelta(days=8))  # past the 公示
        try:
            d = fresh(did)
            t = time.perf_counter()
            payout.open_payout(d, actor=None)
            db.session.commit()
            payout_s = time.perf_counter() - t

            d = fresh(did)
            ids = [h for (h,) in db.session.execute(
                select(DividendLine.household_id).where(DividendLine.distribution_id == did,
                                                        DividendLine.household_id.is_not(None))).all()]
            t = time.perf_counter()
            payout.record_payments(d, payout.PaymentInput(ids, "bank", today(), "基准批次"),
                                   idempotency_key="bench-1", actor=None)
            db.session.commit()
            pay_s = time.perf_counter() - t
            d = fresh(did)
            unpaid = db.session.execute(select(func.count()).select_from(DividendLine).where(
                DividendLine.distribution_id == did, DividendLine.paid_at.is_(None))).scalar_one()
            assert d.status == "paid" and unpaid == 0, (d.status, unpaid)

            token, _ = auth.issue_token(head_person, None)
            db.session.commit()
            client = app.test_client()
            headers = {"Authorization": f"Bearer {token}"}
            lat = []
            for _ in range(50):
                t = time.perf_counter()
                r = client.get("/api/v1/me/dividends", headers=headers)
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200 and r.json["items"][0]["status"] == "paid", r.json
        finally:
            clock.set_now(None)
        rows = [
            ("compute + commit (3 runs)", " / ".join(f"{x * 1000:.0f}" for x in runs) + " ms"),
            ("compute + commit, best", f"{min(runs) * 1000:.0f} ms"),
            ("  of which Python CPU (lowest of the 3)", f"{min(cpus) * 1000:.0f} ms"),
            ("publish + commit (seal of the masked list)", f"{publish_s * 1000:.0f} ms"),
            ("open_payout + commit (voucher, collective line)", f"{payout_s * 1000:.0f} ms"),
            (f"record_payments, {len(ids):,} households + commit", f"{pay_s * 1000:.0f} ms"),
            ("GET /me/dividends, p50 of 50", f"{statistics.median(lat) * 1000:.1f} ms"),
        ]
        print(f"results ({engine}, {n:,} households; set-up {setup_s:.1f} s; load average now {load()}):")
        print(f"  | {'step':<50} | {'time':>22} |")
        print(f"  |{'-' * 52}|{'-' * 24}|")
        for label, value in rows:
            print(f"  | {label:<50} | {value:>22} |")
        print("  checks: ok (line count, lines = pool, every household paid, /me/dividends paid)")
        db.session.remove()
        db.engine.dispose()
    if scratch is not None:
        scratch.cleanup()


if __name__ == "__main__":
    main()
