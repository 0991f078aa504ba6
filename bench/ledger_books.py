"""Ledger reports at township size: 3 years of books for 70 villages (≈1M voucher lines), then the time of each
report. Prints the machine, the load phases, the row counts and the report timings (before and after ANALYZE).

    .venv/bin/python bench/ledger_books.py                         # a scratch SQLite file
    URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/ledger_books.py
    VILLAGES=10 LINES=100000 EXPLAIN=1 .venv/bin/python bench/ledger_books.py   # smaller, with query plans

The PostgreSQL database's public schema is dropped and rebuilt: use a scratch database.

Loading: vouchers are inserted as drafts with their ids, then their lines (the guard trigger refuses lines for a
posted voucher), then all are posted with one executemany UPDATE (status, number, posted_at) — the guard trigger
checks each voucher's balance on that UPDATE, and the time of that phase is printed on its own. Each year ends
with the distribution (提取公积公益金, 农户分配) and the closing vouchers (损益 → 321 → 322001), as real books do.
"""

from __future__ import annotations

import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade
from sqlalchemy import bindparam, func, insert, select, text, update

from backend import create_app, registry
from backend.core.db import db
from backend.core.money import fen_to_yuan
from backend.ledger import service as ledger
from backend.ledger.models import Account, Voucher, VoucherCounter, VoucherLine
from backend.ledger.reports import service as reports

SUBACCOUNTS = (
    ("513", "513001", "办公费"),
    ("513", "513002", "折旧费"),
    ("322002", "322002001", "提取公积公益金"),
    ("322002", "322002002", "农户分配"),
)
MONEY = ("101", "102", "102", "102", "102", "102", "102", "102", "112", "113")
INCOME = ("501001", "501001", "501002", "502", "503", "503", "504")
EXPENSE = ("511", "512", "513001", "513001", "513002", "514", "514", "515", "521", "401")
BALANCE = (
    *("101", "102", "111", "112", "113", "121", "131", "132", "141", "151", "153", "161", "171"),
    *("201", "211", "212", "213", "214", "221", "231", "241"),
)
INCOME_LEAVES = ("501001", "501002", "502", "503", "504")
EXPENSE_LEAVES = ("511", "512", "513001", "513002", "514", "515", "521")

Line = tuple[str, int, int]  # account code, debit fen, credit fen


@contextmanager
def phase(label: str, totals: dict[str, float]) -> Iterator[None]:
    t0 = time.perf_counter()
    yield
    totals[label] = totals.get(label, 0.0) + time.perf_counter() - t0


class Books:
    """Generates one village's vouchers, year by year, keeping what the year-end closing needs."""

    def __init__(self, rng: random.Random, lines_per_year: int):
        self.rng = rng
        self.lines_per_year = lines_per_year

    def amount(self) -> int:
        return int(self.rng.lognormvariate(11, 1.3)) + 100  # median ≈ 600 yuan, a long tail

    def ordinary(self) -> list[Line]:
        r = self.rng
        kind = r.random()
        if kind < 0.4:  # income received
            a = self.amount()
            if r.random() < 0.3:
                tax = a // 20 + 1
                return [(r.choice(MONEY), a + tax, 0), (r.choice(INCOME), 0, a), ("214", 0, tax)]
            return [(r.choice(MONEY), a, 0), (r.choice(INCOME), 0, a)]
        if kind < 0.8:  # spending
            debits = [(r.choice(EXPENSE), self.amount(), 0) for _ in range(r.choice((1, 1, 2, 3)))]
            return [*debits, (r.choice(("102", "102", "212", "211")), 0, sum(d for _, d, _ in debits))]
        n = r.choice((2, 2, 3, 4))  # transfers between balance-sheet accounts
        debits = [(r.choice(BALANCE), self.amount(), 0) for _ in range(n - 1)]
        return [*debits, (r.choice(BALANCE), 0, sum(d for _, d, _ in debits))]

    def year(self, year: int) -> Iterator[tuple[date, str, list[Line], str]]:
        """(date, summary, lines, kind) for a year, kind being ordinary, draft, reversal (of the voucher just
        before) or closing: ordinary vouchers month by month, then the distribution and the year-end closing."""
        per_month = self.lines_per_year // 12
        nets: dict[str, int] = defaultdict(int)  # debit − credit of the income and expense leaves

        def count(lines: list[Line]) -> None:
            for code, d, c in lines:
                if code in INCOME_LEAVES or code in EXPENSE_LEAVES:
                    nets[code] += d - c

        for month in range(1, 13):
            made = 0
            while made < per_month:
                lines = self.ordinary()
                made += len(lines)
                day = date(year, month, self.rng.randint(1, 28))
                if self.rng.random() < 0.01:
                    yield day, "日常业务（草稿）", lines, "draft"
                    continue
                count(lines)
                yield day, "日常业务", lines, "ordinary"
                if self.rng.random() < 0.005:
                    swapped = [(code, c, d) for code, d, c in lines]
                    count(swapped)
                    made += len(lines)
                    yield date(year, month, self.rng.randint(day.day, 28)), "冲销", swapped, "reversal"
        fund, share = self.amount(), self.amount()
        yield (
            date(year, 12, 29),
            "收益分配",
            [("322002001", fund, 0), ("311", 0, fund), ("322002002", share, 0), ("211", 0, share)],
            "closing",
        )
        profit = 0
        for summary, leaves in (("结转收入", INCOME_LEAVES), ("结转支出", EXPENSE_LEAVES)):
            lines = [(code, max(-n, 0), max(n, 0)) for code in leaves if (n := nets.get(code, 0))]
            diff = sum(d - c for _, d, c in lines)  # the 321 line takes the difference
            if lines:
                yield date(year, 12, 31), summary, [*lines, ("321", max(-diff, 0), max(diff, 0))], "closing"
            profit += diff
        if profit:
            yield (
                date(year, 12, 31),
                "结转本年收益",
                [("321", max(profit, 0), max(-profit, 0)), ("322001", max(-profit, 0), max(profit, 0))],
                "closing",
            )
        yield (
            date(year, 12, 31),
            "结转收益分配",
            [("322001", fund + share, 0), ("322002001", 0, fund), ("322002002", 0, share)],
            "closing",
        )


class Rows:
    """The rows of one village's vouchers and lines, as dicts for executemany; what to post, across villages."""

    def __init__(self, next_id: int):
        self.next_id = next_id
        self.now = datetime.now(UTC)
        self.to_post: list[tuple[int, int, str, date]] = []
        self.start(0, {})

    def start(self, village_id: int, accounts: dict[str, int]) -> None:
        self.village_id, self.accounts = village_id, accounts
        self.vouchers: list[dict[str, Any]] = []
        self.lines: list[dict[str, Any]] = []

    def add(
        self, day: date, summary: str, lines: list[Line], source: str, *, reverses: int | None = None, post: bool = True
    ) -> int:
        vid = self.next_id
        self.next_id += 1
        period = f"{day.year:04d}-{day.month:02d}"
        self.vouchers.append(
            {
                "id": vid,
                "village_id": self.village_id,
                "voucher_date": day,
                "period": period,
                "number": None,
                "summary": summary,
                "status": "draft",
                "total_fen": sum(d for _, d, _ in lines),
                "reverses_id": reverses,
                "decision_ref": None,
                "attachments": "[]",
                "source": source,
                "created_at": self.now,
            }
        )
        self.lines.extend(
            {
                "voucher_id": vid,
                "line_no": no,
                "account_id": self.accounts[code],
                "summary": None,
                "debit_fen": d,
                "credit_fen": c,
            }
            for no, (code, d, c) in enumerate(lines, start=1)
        )
        if post:
            self.to_post.append((vid, self.village_id, period, day))
        return vid


def load(n_villages: int, years: list[int], n_lines: int, timings: dict[str, float]) -> list[int]:
    t = registry.ensure_township("BN", "基准镇")
    villages = [registry.ensure_village(t, f"BN{n:03d}", f"基准{n}村") for n in range(n_villages)]
    for v in villages:
        ledger.ensure_chart(v)
        for parent, code, name in SUBACCOUNTS:
            ledger.add_subaccount(v, parent, code, name, category=None, actor=None)
    db.session.commit()
    ids: dict[int, dict[str, int]] = defaultdict(dict)
    for vid, code, aid in db.session.execute(select(Account.village_id, Account.code, Account.id)):
        ids[vid][code] = aid

    rng = random.Random(20260101)
    per_year = n_lines // (n_villages * len(years))
    vt, lt = Voucher.__table__, VoucherLine.__table__
    rows = Rows(next_id=(db.session.execute(select(func.max(Voucher.id))).scalar() or 0) + 1)
    for v in villages:
        rows.start(v.id, ids[v.id])
        gen = Books(rng, per_year)
        for year in years:
            last = 0
            for day, summary, vlines, kind in gen.year(year):
                if kind == "reversal":
                    rows.add(day, summary, vlines, "reversal", reverses=last)
                else:
                    last = rows.add(day, summary, vlines, "bench", post=kind != "draft")
        with phase("insert vouchers (draft)", timings):
            db.session.execute(insert(vt), rows.vouchers)
        with phase("insert lines", timings):
            for i in range(0, len(rows.lines), 50_000):
                db.session.execute(insert(lt), rows.lines[i : i + 50_000])
        db.session.commit()
    to_post, now = rows.to_post, rows.now

    # post: numbers per village and month, in date order, without gaps
    to_post.sort(key=lambda r: (r[1], r[2], r[3], r[0]))
    counters: dict[tuple[int, str], int] = defaultdict(int)
    params = []
    for vid_, village_id, period, _ in to_post:
        counters[(village_id, period)] += 1
        params.append({"b_id": vid_, "b_number": counters[(village_id, period)], "b_at": now})
    stmt = (
        update(vt)
        .where(vt.c.id == bindparam("b_id"))
        .values(status="posted", number=bindparam("b_number"), posted_at=bindparam("b_at"))
    )
    with phase("post (UPDATE, balance trigger)", timings):
        for i in range(0, len(params), 50_000):
            db.session.execute(stmt, params[i : i + 50_000], execution_options={"synchronize_session": False})
        db.session.execute(
            insert(VoucherCounter.__table__),
            [{"village_id": k[0], "period": k[1], "last_number": n} for k, n in counters.items()],
        )
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("ledger_vouchers", "ledger_voucher_lines"):
            db.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            )
        db.session.commit()
    return [v.id for v in villages]


def timed(label: str, fn: Callable[[], Any], runs: int = 5) -> Any:
    times, result = [], None
    for _ in range(runs):
        db.session.rollback()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    print(f"  {label:<44} min {min(times) * 1000:8.1f} ms   median {statistics.median(times) * 1000:8.1f} ms")
    return result


def run_reports(village_ids: list[int], year: int) -> None:
    vid = village_ids[0]
    s = timed(f"accounts_summary (1 village, {year})", lambda: reports.accounts_summary(vid, year))
    tb = timed(
        f"trial_balance (1 village, {year}-Q2)", lambda: reports.trial_balance(vid, reports.parse_span(f"{year}-Q2"))
    )
    bs = timed(f"balance_sheet (1 village, {year})", lambda: reports.balance_sheet(vid, reports.year_span(year)))
    timed(f"income_statement (1 village, {year})", lambda: reports.income_statement(vid, reports.year_span(year)))
    yi = timed(f"year_income ({len(village_ids)} villages, {year})", lambda: reports.year_income(village_ids, year))
    # a quarterly disclosure's content (every income and expense line of the quarter): its months must be closed
    from backend import disclosures as disclosure_service
    from backend.ledger.models import Period
    from backend.registry.models import Village

    months = disclosure_service.months_of(f"{year}-Q2")
    have = set(db.session.execute(select(Period.period).where(Period.village_id == vid)).scalars())
    missing = [{"village_id": vid, "period": m, "closed_at": datetime.now(UTC)} for m in months if m not in have]
    if missing:
        db.session.execute(insert(Period), missing)
        db.session.commit()
    village = db.session.get(Village, vid)
    snap = timed(f"disclosure content (1 village, {year}-Q2)",
                 lambda: disclosure_service.snapshot(village, f"{year}-Q2"))
    print(f"  disclosure: {len(snap.content['lines'])} lines")
    assert bs.balanced and tb.totals.debit == tb.totals.credit
    assert s.income_total == yi[vid][0] and s.income_total > 0 and s.operating_income <= s.income_total
    print(
        f"  check: {len(tb.rows)} trial-balance rows, balance sheet balanced at {fen_to_yuan(bs.assets.total.end)}"
        f" 元, income {fen_to_yuan(s.income_total)} 元 (operating {fen_to_yuan(s.operating_income)})"
    )


def explain(village_ids: list[int], year: int) -> None:
    vid = village_ids[0]
    chart = reports._chart(vid)
    stmts = {
        "trial balance / balance sheet (_movements)": reports._movements_stmt(vid, f"{year}-04", f"{year}-06"),
        "summary / income statement (_span_nets)": reports._span_nets_stmt(vid, reports.year_span(year), chart),
        "year_income": reports._year_income_stmt(village_ids, year),
    }
    dialect = db.engine.dialect
    for label, stmt in stmts.items():
        sql = str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
        print(f"  -- {label}")
        for row in db.session.execute(text(prefix + sql)):
            print("     " + " | ".join(str(x) for x in row))
    db.session.rollback()


def main() -> None:
    n_villages = int(os.environ.get("VILLAGES", "70"))
    n_lines = int(os.environ.get("LINES", "1000000"))
    years = [2023, 2024, 2025]
    url = os.environ.get("URL") or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
            version = db.session.execute(text("SHOW server_version")).scalar()
            engine = f"PostgreSQL {version}"
        else:
            import sqlite3

            engine = f"SQLite {sqlite3.sqlite_version}"
        print(
            f"ledger books bench: {n_villages} villages x {len(years)} years, ~{n_lines:,} lines target; {engine}; "
            f"Python {platform.python_version()}, {os.cpu_count()} cores, {platform.machine()} {platform.system()}"
        )
        upgrade()
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        village_ids = load(n_villages, years, n_lines, timings)
        print(f"load: {time.perf_counter() - t0:.1f} s in all")
        for label, secs in timings.items():
            print(f"  {label:<44} {secs:8.1f} s")
        counts = {
            "villages": len(village_ids),
            "accounts": db.session.execute(select(func.count()).select_from(Account)).scalar_one(),
            "vouchers posted": db.session.execute(
                select(func.count()).select_from(Voucher).where(Voucher.status == "posted")
            ).scalar_one(),
            "vouchers draft": db.session.execute(
                select(func.count()).select_from(Voucher).where(Voucher.status == "draft")
            ).scalar_one(),
            "voucher lines": db.session.execute(select(func.count()).select_from(VoucherLine)).scalar_one(),
        }
        print("rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        db.session.rollback()
        print("reports (no ANALYZE yet):")
        run_reports(village_ids, years[-1])
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        print("reports (after ANALYZE):")
        run_reports(village_ids, years[-1])
        if os.environ.get("EXPLAIN"):
            print("query plans:")
            explain(village_ids, years[-1])
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
