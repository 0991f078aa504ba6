"""backend/core/shared_pages.py: a village's public pages kept once for every reader of the same audience, fresh
after every write (on this host and another), never given to a reader who sees the village otherwise, and never
built from a table whose writes leave the page version alone."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask, Response, jsonify
from sqlalchemy import event, select, text

from backend import create_app, demo, registry
from backend.auth import service as auth_service
from backend.core.db import db
from backend.core.permissions import require_login
from backend.core.shared_pages import (
    MARK,
    PRIVATE_TABLES,
    SharedPages,
    audience,
    pages_of,
    read_version,
    shared_page,
    writes_shared,
)
from backend.registry.models import Member, Person, RoleAssignment, Village
from tests.factories import Factory

API = "/api/v1"


# ---------------------------------------------------------------- the store and the rules, alone


def _resp(body: bytes) -> Response:
    return Response(body, status=200, mimetype="application/json")


def test_a_page_is_given_only_under_its_version_and_within_its_time() -> None:
    now = [100.0]
    pages = SharedPages(seconds=60, budget=1000, clock=lambda: now[0])
    pages.put(("a",), 7, _resp(b'{"x": 1}'))
    page = pages.get(("a",), 7)
    assert page is not None and page.body == b'{"x": 1}' and page.status == 200
    assert pages.get(("a",), 8) is None  # a write since: the version moved
    assert pages.get(("a",), 7) is None  # and the old page is gone, not kept for a version that is over
    pages.put(("a",), 8, _resp(b"{}"))
    now[0] += 59.9
    assert pages.get(("a",), 8) is not None
    now[0] += 0.1
    assert pages.get(("a",), 8) is None  # 60 s: fresh again, whatever the version says


def test_the_store_keeps_at_most_its_budget_of_bytes_and_no_page_over_its_size() -> None:
    pages = SharedPages(seconds=60, budget=10, max_page=6)
    pages.put(("a",), 1, _resp(b"1234"))
    pages.put(("b",), 1, _resp(b"5678"))
    assert pages.get(("a",), 1) is not None  # a is now the most recently used
    pages.put(("c",), 1, _resp(b"9999"))  # 12 bytes > 10: the least recently used goes
    assert len(pages) == 2 and pages.size == 8 and pages.get(("b",), 1) is None and pages.get(("a",), 1) is not None
    pages.put(("a",), 1, _resp(b"12"))  # kept again: counted once
    assert pages.size == 6
    pages.put(("d",), 1, _resp(b"x" * 7))
    assert pages.get(("d",), 1) is None and pages.size == 6
    assert not SharedPages(seconds=0, budget=10).on and not SharedPages(seconds=60, budget=0).on


@pytest.mark.parametrize(("sql", "shared"), [
    ("SELECT id FROM assets WHERE village_id = 1", False),
    ("INSERT INTO assets (village_id) VALUES (1)", True),
    ('UPDATE "projects" SET title = \'x\'', True),
    ("DELETE FROM decisions WHERE id = 1", True),
    ("SELECT id FROM projects WHERE id = 1 FOR UPDATE", True),  # not known to be a plain read
    ("SAVEPOINT sa_savepoint_1", True),
    ("INSERT INTO api_tokens (person_id) VALUES (1)", False),  # a log-in
    ("UPDATE wechat_accounts SET last_login_at = now()", False),
    ("INSERT INTO notice_reads (notice_id, person_id) VALUES (1, 2)", False),  # a notice marked read
    ("INSERT INTO audit_log (action) VALUES ('x')", False),
    ("DELETE FROM idempotent_requests WHERE id IN (1)", False),
    ("INSERT INTO push_outbox (kind) VALUES ('x')", False),
])
def test_which_statements_move_the_page_version(sql: str, shared: bool) -> None:
    assert writes_shared(sql) is shared


def test_the_audience_is_the_grants_and_the_home_not_the_person(make: Factory) -> None:
    v = make.village()
    a, b = make.member(v), make.member(v)
    assert audience(make.principal(a)) == audience(make.principal(b))
    staff = make.member(v, "会计", roles=("accountant",))
    assert audience(make.principal(staff)) != audience(make.principal(a))


# ---------------------------------------------------------------- the version


def test_a_committed_write_moves_the_version_and_a_rolled_back_or_private_one_does_not(app: Flask,
                                                                                       make: Factory) -> None:
    start = read_version()
    db.session.commit()
    v = make.village()
    db.session.commit()
    moved = read_version()
    db.session.commit()
    assert moved > start

    v.name = "改了又退回"
    db.session.flush()
    db.session.rollback()
    assert read_version() == moved

    person = make.member(v)
    db.session.commit()
    after_member = read_version()
    db.session.commit()
    auth_service.issue_token(person.person_id, None)  # a log-in writes only a token
    db.session.commit()
    assert read_version() == after_member


# ---------------------------------------------------------------- the demo's readers


def _demo_readers() -> tuple[str, dict[str, dict[str, str]], list[str]]:
    """临江村, a token for every person with a role there or in its township, a dozen of its members (with their
    own questions, applications, ballots and dividends in the demo), and a member of another village."""
    demo.seed()
    db.session.commit()
    lj = registry.village_by_code("LJ01")
    other = next(v for v in db.session.execute(select(Village).order_by(Village.id)).scalars() if v.id != lj.id)
    staff_ids = set(db.session.execute(select(RoleAssignment.person_id).where(
        RoleAssignment.valid_to.is_(None),
        (RoleAssignment.village_id == lj.id) | (RoleAssignment.township_id == lj.township_id))).scalars())
    members = list(db.session.execute(select(Member.person_id).where(Member.village_id == lj.id)
                                      .order_by(Member.person_id)).scalars())
    outsider = db.session.execute(select(Member.person_id).where(Member.village_id == other.id)
                                  .order_by(Member.person_id)).scalars().first()
    chosen = sorted(staff_ids) + members[:12] + [outsider]
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(chosen))).all())
    readers: dict[str, dict[str, str]] = {}
    for pid in chosen:
        raw, _ = auth_service.issue_token(pid, None)
        readers[f"{names[pid]}#{pid}"] = {"Authorization": f"Bearer {raw}"}
    outsider_key = f"{names[outsider]}#{outsider}"
    db.session.commit()
    ids = {
        "assets": list(db.session.execute(text("SELECT id FROM assets WHERE village_id = :v ORDER BY id LIMIT 6"),
                                          {"v": lj.id}).scalars()),
        "projects": list(db.session.execute(text("SELECT id FROM projects WHERE village_id = :v ORDER BY id"),
                                            {"v": lj.id}).scalars()),
    }
    year = datetime.now(UTC).year
    v = lj.id
    paths = [
        f"{API}/villages/{v}", f"{API}/villages/{v}/share-types", f"{API}/villages/{v}/distributions",
        f"{API}/villages/{v}/accounts/summary?year={year}",
        f"{API}/villages/{v}/accounts/summary?year={year - 1}", f"{API}/villages/{v}/disclosures?page=1&page_size=20",
        f"{API}/villages/{v}/assets", f"{API}/villages/{v}/assets?page_size=100", f"{API}/villages/{v}/assets/summary",
        f"{API}/villages/{v}/contracts?page_size=100", f"{API}/villages/{v}/contracts",
        f"{API}/villages/{v}/decisions", f"{API}/villages/{v}/decisions?page=1&page_size=20",
        f"{API}/villages/{v}/projects", f"{API}/villages/{v}/projects?page_size=100",
        *[f"{API}/assets/{i}" for i in ids["assets"]], *[f"{API}/projects/{i}" for i in ids["projects"]],
    ]
    assert ids["assets"] and ids["projects"]
    return outsider_key, readers, paths


def _answers(client: Any, readers: dict[str, dict[str, str]], paths: list[str],
             order: list[tuple[str, str]] | None = None) -> dict[tuple[str, str], tuple[int, bytes]]:
    pairs = order or [(who, path) for who in readers for path in paths]
    out = {}
    for who, path in pairs:
        r = client.get(path, headers=readers[who])
        out[(who, path)] = (r.status_code, r.get_data())
    return out


def test_every_marked_page_is_the_same_for_its_audience_and_the_kept_page_is_what_each_reader_gets(
        app: Flask, client: Any) -> None:
    outsider, readers, paths = _demo_readers()
    pages = pages_of(app)
    assert pages is not None and pages.on

    # every marked view is covered here
    marked = {name for name, fn in app.view_functions.items() if getattr(fn, MARK, False)}
    covered = {app.url_map.bind("localhost").match(p.split("?")[0], method="GET")[0] for p in paths}
    assert marked == covered, marked ^ covered
    assert len(marked) >= 12

    # built for each reader (the cache off): equal within an audience
    pages.seconds = 0
    try:
        fresh = _answers(client, readers, paths)
    finally:
        pages.seconds = 60
    principals = {who: auth_service.authenticate(h["Authorization"].split()[1])[0] for who, h in readers.items()}
    groups: dict[tuple[Any, str], set[tuple[int, bytes]]] = {}
    for (who, path), answer in fresh.items():
        groups.setdefault((audience(principals[who]), path), set()).add(answer)
    assert all(len(answers) == 1 for answers in groups.values()), [k for k, a in groups.items() if len(a) > 1]
    shared = [k for k in groups if sum(1 for who in readers if (audience(principals[who]), k[1]) == k) > 1]
    assert len(shared) >= len(paths)  # not vacuous: the members share every page
    assert all(status == 200 for (who, _), (status, _) in fresh.items() if who != outsider)
    assert all(status in (403, 404) for (who, _), (status, _) in fresh.items() if who == outsider)

    # with the cache on, in a random order of readers: each gets exactly what was built for them
    pages.clear()
    order = [(who, path) for who in readers for path in paths]
    random.Random(5).shuffle(order)
    kept = _answers(client, readers, paths, order)
    assert kept == fresh
    assert pages.hits > len(order) // 2  # most answers came from the kept pages


def test_no_marked_page_reads_a_private_table(app: Flask, client: Any) -> None:
    _, readers, paths = _demo_readers()
    pages = pages_of(app)
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        for headers in list(readers.values())[:3]:  # a township's, a village's staff: each a miss builds
            for path in paths:
                pages.clear()
                client.get(path, headers=headers)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(statements) > len(paths)
    private = re.compile(r"\b(" + "|".join(sorted(PRIVATE_TABLES)) + r")\b")
    # the token's own statement is the log-in check, before any view (core/permissions, backend/auth)
    offending = {s for s in statements if private.search(s) and "token_hash" not in s}
    assert offending == set()


# ---------------------------------------------------------------- fresh after a write


def test_a_write_is_seen_by_the_next_read_of_everyone(app: Flask, client: Any, make: Factory) -> None:
    v = make.village()
    a, b = make.member(v), make.member(v)
    clerk = make.member(v, "王书记", roles=("secretary",))
    ha, hb, hs = make.headers(a), make.headers(b), make.headers(clerk)
    url = f"{API}/villages/{v.id}/share-types"
    pages = pages_of(app)
    first = client.get(url, headers=ha)
    assert first.status_code == 200
    hits = pages.hits
    assert client.get(url, headers=hb).get_data() == first.get_data()
    assert pages.hits == hits + 1  # b got a's page

    statements: list[str] = []

    def note(conn: Any, cursor: Any, sql: str, *args: Any) -> None:
        statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url, headers=ha).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(statements) == 1 and "token_hash" in statements[0]  # a kept page: the token's statement, no other

    r = client.post(url, headers=hs, json={"code": "labor", "name": "劳龄股"})  # the secretary, in the console
    assert r.status_code == 201, r.json
    for headers in (hb, ha, hs):
        assert "劳龄股" in [t["name"] for t in client.get(url, headers=headers).json["items"]]


def test_another_hosts_write_is_seen_on_this_hosts_next_read(app: Flask, client: Any, make: Factory,
                                                             database_url: str) -> None:
    v = make.village()
    a = make.member(v)
    ha = make.headers(a)
    url = f"{API}/villages/{v.id}"
    assert client.get(url, headers=ha).json["name"] == v.name
    assert client.get(url, headers=ha).json["name"] == v.name  # kept

    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                        "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
    try:
        with other.app_context():
            village = registry.get_village(v.id)
            village.name = "对面主机改的名字"
            db.session.commit()
            db.session.remove()
    finally:
        with other.app_context():
            db.engine.dispose()
    db.session.expire_all()
    assert client.get(url, headers=ha).json["name"] == "对面主机改的名字"


def test_a_new_day_is_a_new_page(app: Flask, client: Any, make: Factory, now: list[datetime]) -> None:
    v = make.village()
    ha = make.headers(make.member(v))
    url = f"{API}/villages/{v.id}/projects"
    pages = pages_of(app)
    now[0] = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    client.get(url, headers=ha)
    misses = pages.misses
    client.get(url, headers=ha)
    assert pages.misses == misses
    now[0] += timedelta(days=1)
    client.get(url, headers=ha)
    assert pages.misses == misses + 1


# ---------------------------------------------------------------- what is never kept


def test_a_page_whose_view_wrote_is_not_kept_and_a_refusal_is_never_kept(app: Flask, make: Factory,
                                                                         database_url: str) -> None:
    papp = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                       "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
    calls: list[str] = []

    @papp.get("/probe/writes")
    @shared_page
    def writes() -> Any:
        calls.append("writes")
        village = registry.get_village(int(require_login().village_id))
        village.name = village.name  # no change: nothing flushed
        db.session.execute(text("UPDATE villages SET name = name WHERE id = :v"), {"v": village.id})
        db.session.commit()
        return jsonify(ok=True)

    @papp.get("/probe/refuses")
    @shared_page
    def refuses() -> Any:
        calls.append("refuses")
        return jsonify(error="no"), 409

    try:
        v = make.village()
        headers = make.headers(make.member(v))
        client = papp.test_client()
        for _ in range(2):
            assert client.get("/probe/writes", headers=headers).status_code == 200
            assert client.get("/probe/refuses", headers=headers).status_code == 409
        assert calls == ["writes", "refuses", "writes", "refuses"]
        assert len(pages_of(papp)) == 0
    finally:
        with papp.app_context():
            db.engine.dispose()


def test_off_builds_every_page(app: Flask, make: Factory, database_url: str) -> None:
    papp = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                       "PAGE_CACHE_SECONDS": 0, "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
    try:
        v = make.village()
        headers = make.headers(make.member(v))
        client = papp.test_client()
        for _ in range(3):
            assert client.get(f"{API}/villages/{v.id}", headers=headers).status_code == 200
        pages = pages_of(papp)
        assert pages is not None and not pages.on and len(pages) == 0 and pages.hits == 0
    finally:
        with papp.app_context():
            db.engine.dispose()


def test_concurrent_writers_each_advance_the_version_once_and_leave_no_connection_behind(app: Flask,
                                                                                        make: Factory) -> None:
    """Writers on several threads at once (SQLite: one writer at a time, in WAL): every commit advances the
    version exactly once, and no pooled connection is left inside a transaction that would show it an old snapshot
    (a deferred BEGIN that lost the race for the write lock did that: the console's browser tests then read a
    project's first stage after three more had been saved)."""
    import threading

    v = make.village()
    db.session.commit()
    vid = v.id
    start = read_version()
    db.session.commit()
    db.session.remove()
    threads, rounds, errors = 6, 25, []

    def write(n: int) -> None:
        try:
            with app.app_context():
                for i in range(rounds):
                    db.session.execute(text("UPDATE villages SET name = :name WHERE id = :v"),
                                       {"name": f"并发{n}-{i}", "v": vid})
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # pragma: no cover - shown by the assertion
            errors.append(repr(exc))

    workers = [threading.Thread(target=write, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert read_version() == start + threads * rounds
    db.session.commit()
    last = db.session.execute(text("SELECT name FROM villages WHERE id = :v"), {"v": vid}).scalar_one()
    db.session.remove()
    # every pooled connection reads the newest row and the newest version: none is stuck on an old snapshot
    engine = db.engine
    held = [engine.connect() for _ in range(4)]
    try:
        for c in held:
            assert c.execute(text("SELECT name FROM villages WHERE id = :v"), {"v": vid}).scalar_one() == last
    finally:
        for c in held:
            c.close()


def test_an_advance_that_cannot_get_the_lock_leaves_no_transaction_open(tmp_path: Any) -> None:
    """SQLite: another writer holds the lock past the busy timeout. The advance fails — and leaves its connection
    outside any transaction (one left inside would read an old snapshot in every later request)."""
    import sqlite3

    from backend.core import shared_pages

    path = tmp_path / "v.db"
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE page_version (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
    setup.execute("INSERT INTO page_version VALUES (1, 5)")
    setup.commit()
    setup.close()
    holder = sqlite3.connect(path, isolation_level=None)
    ours = sqlite3.connect(path, timeout=0.05)
    try:
        ours.execute("SELECT n FROM page_version").fetchall()
        holder.execute("BEGIN IMMEDIATE")
        with pytest.raises(sqlite3.OperationalError):
            shared_pages._advance(ours, postgres=False)
        assert not ours.in_transaction
        holder.execute("ROLLBACK")
        shared_pages._advance(ours, postgres=False)  # and it works again once the lock is free
        assert ours.execute("SELECT n FROM page_version").fetchone() == (6,)
        assert not ours.in_transaction
    finally:
        holder.close()
        ours.close()


def test_when_the_version_cannot_advance_this_process_forgets_its_pages(app: Flask, client: Any, make: Factory,
                                                                        monkeypatch: Any) -> None:
    from backend.core import shared_pages

    v = make.village()
    headers = make.headers(make.member(v))
    pages = pages_of(app)
    assert client.get(f"{API}/villages/{v.id}", headers=headers).status_code == 200
    assert len(pages) > 0

    def down(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(shared_pages, "_advance", down)
    registry.get_village(v.id).name = "没能推进版本"
    db.session.commit()
    assert len(pages) == 0  # nothing kept here can be older than that write
    assert client.get(f"{API}/villages/{v.id}", headers=headers).json["name"] == "没能推进版本"
