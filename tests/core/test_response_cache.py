"""Answers kept in memory (backend/core/response_cache.py): a repeat costs no statement, and nothing written, no
logout, no expiry and no passing of time is ever hidden by one.

On both databases, the session's app (the cache is on, as in production). PostgreSQL adds the writes made
elsewhere (NOTIFY from the triggers) and the listener's outage. The last tests run gunicorn with two workers: a
logout in one is seen at once by the other."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import psycopg
import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from backend import create_app
from backend.config import ROOT
from backend.core import response_cache as rc
from backend.core.db import db
from backend.registry.models import Member
from tests.factories import Factory

CACHED = {
    "auth.me", "home.home", "dividends.my_dividends", "notices.my_notices", "decisions.my_votes", "land.my_land",
    "ledger_disclosures.get_disclosure", "ledger_reports.accounts_summary",
}


@pytest.fixture
def kept(app: Flask) -> rc.ResponseCache:
    cache = app.extensions["response_cache"]
    assert rc.wait_until_listening(app), "the change listener never listened"
    cache.clear()
    cache.hits = cache.stores = 0
    return cache


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    yield seen
    event.remove(engine, "before_cursor_execute", listen)


@pytest.fixture
def zhang(make: Factory) -> Member:
    village = make.village()
    m = make.member(village, "张大山")
    db.session.commit()
    return m


def get(client: FlaskClient, path: str, headers: dict[str, str], seen: list[str]) -> tuple[int, Any, int]:
    """(status, JSON, statements run) of one GET, once the notifications of the test's own writes have arrived
    (PostgreSQL: one arriving later would forget the answers, a miss where the test expects a hit)."""
    assert rc.settle(client.application)
    before = len(seen)
    r = client.get(path, headers=headers)
    return r.status_code, r.get_json(), len(seen) - before


def test_the_marked_views_are_the_villagers_reads(app: Flask) -> None:
    marked = {ep for ep, view in app.view_functions.items() if getattr(view, "cached_read", False)}
    assert marked == CACHED
    for ep in marked:
        rule = next(r for r in app.url_map.iter_rules() if r.endpoint == ep)
        assert rule.methods is not None and rule.methods - {"HEAD", "OPTIONS"} == {"GET"}, ep


def test_a_repeat_is_answered_from_memory_with_the_same_bytes(client, make, zhang, kept, statements) -> None:
    headers = make.headers(zhang)
    assert rc.settle(client.application)
    first = client.get("/api/v1/me", headers=headers)
    n = len(statements)
    again = client.get("/api/v1/me", headers=headers)
    assert len(statements) == n, "the repeat reached the database"
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Content-Length"] == str(len(first.data))
    assert kept.hits == 1


def test_answers_are_per_token(client, make, zhang, kept, statements) -> None:
    other = make.member(zhang.household.village, "李四")
    db.session.commit()
    a, b = make.headers(zhang), make.headers(other)
    assert get(client, "/api/v1/me", a, statements)[1]["name"] == "张大山"
    _, body, n = get(client, "/api/v1/me", b, statements)
    assert body["name"] == "李四" and n > 0
    # a second token of the same person is another key: it is checked against the database itself
    _, body, n = get(client, "/api/v1/me", make.headers(zhang), statements)
    assert body["name"] == "张大山" and n > 0
    # the same path with another query string is another answer
    assert get(client, "/api/v1/me/notices?page=1", a, statements)[2] > 0


def test_a_write_is_seen_by_the_next_read(client, make, zhang, kept, statements) -> None:
    headers = make.headers(zhang)
    assert get(client, "/api/v1/me", headers, statements)[1]["name"] == "张大山"
    assert get(client, "/api/v1/me", headers, statements)[2] == 0
    zhang.person.name = "张大川"
    db.session.commit()
    status, body, n = get(client, "/api/v1/me", headers, statements)
    assert (status, body["name"]) == (200, "张大川") and n > 0


def test_a_write_through_the_api_is_seen_by_the_next_read(client, make, zhang, kept, statements, standin) -> None:
    """A villager marks a notice read and the list says so at once (the mini-program reads it right after)."""
    from backend.notices import service as notices
    from tests.notices.conftest import bind

    standin.reset()
    village = zhang.household.village
    staff = make.member(village, "王书记", roles=("secretary",))
    bind(staff.person_id, "openid-secretary")
    n = notices.publish(notices.NoticeInput(title="停水通知", body="周三停水"), actor=make.principal(staff),
                        village=village)
    db.session.commit()
    headers = make.headers(zhang)
    listed = get(client, "/api/v1/me/notices", headers, statements)[1]
    assert [i["read"] for i in listed["items"] if i["id"] == n.id] == [False]
    assert get(client, "/api/v1/me/notices", headers, statements)[2] == 0
    assert client.post(f"/api/v1/notices/{n.id}/read", headers=headers).status_code in (200, 201, 204)
    listed = get(client, "/api/v1/me/notices", headers, statements)[1]
    assert [i["read"] for i in listed["items"] if i["id"] == n.id] == [True]


def test_logout_is_immediate(client, make, zhang, kept, statements) -> None:
    headers = make.headers(zhang)
    for _ in range(3):
        assert get(client, "/api/v1/me", headers, statements)[0] == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    status, body, _ = get(client, "/api/v1/me", headers, statements)
    assert status == 401 and body["error"]["message"]


def test_an_expired_token_is_not_answered_from_memory(client, make, zhang, kept, statements, now) -> None:
    headers = make.headers(zhang)
    assert get(client, "/api/v1/me", headers, statements)[0] == 200
    hours = client.application.config["TOKEN_TTL_HOURS"]
    now[0] = now[0] + timedelta(hours=hours) - timedelta(seconds=1)
    assert get(client, "/api/v1/me", headers, statements)[0] == 200
    now[0] = now[0] + timedelta(seconds=1)  # the token's last second is over; the answer is under 5 s old
    status, _, n = get(client, "/api/v1/me", headers, statements)
    assert status == 401 and n > 0


def test_an_answer_lives_at_most_its_seconds(client, make, zhang, kept, statements, now) -> None:
    headers = make.headers(zhang)
    ttl = client.application.config["RESPONSE_CACHE_SECONDS"]
    start = now[0]
    assert get(client, "/api/v1/me", headers, statements)[2] > 0
    now[0] = start + timedelta(seconds=ttl) - timedelta(milliseconds=1)
    assert get(client, "/api/v1/me", headers, statements)[2] == 0
    now[0] = start + timedelta(seconds=ttl)
    assert get(client, "/api/v1/me", headers, statements)[2] > 0
    # a clock moved back does not revive an answer made "later"
    now[0] = start - timedelta(seconds=1)
    assert get(client, "/api/v1/me", headers, statements)[2] > 0


def test_errors_and_unmarked_views_are_not_kept(client, make, zhang, kept, statements) -> None:
    headers = make.headers(zhang)
    for path in ("/api/v1/disclosures/999999", "/api/v1/villages/999999/accounts/summary"):
        first = get(client, path, headers, statements)
        again = get(client, path, headers, statements)
        assert first[0] in (403, 404) and again[0] == first[0] and again[2] > 0, path
    assert get(client, "/api/v1/me", {}, statements)[0] == 401
    assert get(client, "/api/v1/me", {"Authorization": "Bearer nope"}, statements)[0] == 401
    unmarked = f"/api/v1/villages/{zhang.household.village_id}/decisions"
    assert get(client, unmarked, headers, statements)[0] == 200
    assert get(client, unmarked, headers, statements)[2] > 0
    assert kept.hits == 0 and kept.stores == 0


def test_large_answers_and_the_bounds(client, make, zhang, kept, statements) -> None:
    headers = make.headers(zhang)
    max_body, max_entries, max_bytes = kept.max_body, kept.max_entries, kept.max_bytes
    paths = ("/api/v1/me", "/api/v1/me/notices", "/api/v1/me/votes")
    try:
        kept.max_body = 10
        get(client, "/api/v1/me", headers, statements)
        assert get(client, "/api/v1/me", headers, statements)[2] > 0 and not kept.entries
        kept.max_body, kept.max_entries = max_body, 2
        for path in paths:
            get(client, path, headers, statements)
        assert len(kept.entries) == 2
        assert get(client, "/api/v1/me", headers, statements)[2] > 0  # the least recently used went first
        assert get(client, "/api/v1/me/votes", headers, statements)[2] == 0
        # the bytes bound: room for the two smallest answers only
        kept.clear()
        kept.max_entries = max_entries
        sizes = {p: len(client.get(p, headers=headers).data) for p in paths}
        assert kept.bytes == sum(sizes.values())
        kept.clear()
        kept.max_bytes = sum(sorted(sizes.values())[:2])
        for path in sorted(paths, key=sizes.__getitem__, reverse=True):  # the largest first: it goes first
            get(client, path, headers, statements)
        assert kept.bytes <= kept.max_bytes and len(kept.entries) == 2
        biggest = max(paths, key=sizes.__getitem__)
        assert get(client, biggest, headers, statements)[2] > 0
    finally:
        kept.max_body, kept.max_entries, kept.max_bytes = max_body, max_entries, max_bytes


def test_the_listener_may_have_a_url_of_its_own(postgres_only, database_url: str) -> None:
    """Behind PgBouncer in transaction mode LISTEN never hears anything: the listener connects directly."""
    direct = make_url(database_url).set(query={"application_name": "sunshine-listener"})
    direct_url = direct.render_as_string(hide_password=False)
    a = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RESPONSE_CACHE_LISTEN_URL": direct_url})
    assert a.extensions["response_cache"].listen_url == direct_url
    b = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert b.extensions["response_cache"].listen_url == database_url


def test_a_stamp_file_made_by_someone_else_is_not_used(tmp_path, caplog) -> None:
    """In a shared temporary directory another user could make the file first and write old bytes back into it;
    a file open to others, or a symbolic link, turns the cache off (the app still serves, from the database)."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    key = rc.database_key(url)
    assert key is not None
    name = "sunshine-changes-" + hashlib.sha256(key.encode()).hexdigest()[:20]
    open_to_all = tmp_path / "open"
    open_to_all.mkdir()
    (open_to_all / name).write_bytes(b"\0" * 8)
    (open_to_all / name).chmod(0o666)
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / name).symlink_to(tmp_path / "elsewhere")
    for directory in (open_to_all, linked):
        rc._stamps.pop(key, None)
        a = create_app({"SQLALCHEMY_DATABASE_URI": url, "RESPONSE_CACHE_STAMP_DIR": str(directory)})
        assert "response_cache" not in a.extensions
        assert "response cache off" in caplog.text
        assert a.test_client().get("/healthz").status_code == 200
    assert not (tmp_path / "elsewhere").exists()
    rc._stamps.pop(key, None)
    private = tmp_path / "private"
    private.mkdir()
    assert "response_cache" in create_app({"SQLALCHEMY_DATABASE_URI": url,
                                           "RESPONSE_CACHE_STAMP_DIR": str(private)}).extensions
    assert (private / name).stat().st_mode & 0o777 == 0o600
    rc._stamps.pop(key, None)


def test_off_when_turned_off_or_in_memory(database_url: str) -> None:
    off = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RESPONSE_CACHE": False})
    assert "response_cache" not in off.extensions
    memory = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite:///:memory:"})
    assert "response_cache" not in memory.extensions


def test_a_write_by_another_process_on_this_host_is_seen_at_once(client, make, zhang, kept, statements,
                                                                 database_url) -> None:
    """Another gunicorn worker, a flask command: the stamp file is shared; no waiting for any notification."""
    headers = make.headers(zhang)
    assert get(client, "/api/v1/me", headers, statements)[1]["name"] == "张大山"
    script = (
        "from backend import create_app\n"
        "from backend.core.db import db\n"
        "from sqlalchemy import text\n"
        f"app = create_app({{'SQLALCHEMY_DATABASE_URI': {database_url!r}}})\n"
        "with app.app_context():\n"
        "    db.session.execute(text('UPDATE people SET name = :n WHERE id = :i'),\n"
        f"                       {{'n': '张大海', 'i': {zhang.person_id}}})\n"
        "    db.session.commit()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, timeout=120,
                   capture_output=True)
    status, body, n = get(client, "/api/v1/me", headers, statements)
    assert (status, body["name"]) == (200, "张大海") and n > 0


# ---------------------------------------------------------------- PostgreSQL: NOTIFY and the listener


def _raw_connect(database_url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False),
                           autocommit=True)


def test_every_table_notifies_its_changes(postgres_only, app) -> None:
    rows = db.session.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = 'public' AND c.relname <> 'alembic_version' AND NOT EXISTS "
        "(SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = :name)"), {"name": rc.NOTIFY_TRIGGER})
    missing = [r[0] for r in rows]
    assert missing == [], f"tables without the change trigger (add rc.notify_trigger in their migration): {missing}"
    assert {t.name for t in db.metadata.sorted_tables} - {r[0] for r in db.session.execute(text(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = :name"),
        {"name": rc.NOTIFY_TRIGGER})} == set()


def test_a_write_from_elsewhere_arrives_by_notify(postgres_only, client, make, zhang, kept, statements,
                                                  database_url) -> None:
    """psql, another host: not our engine, so only the trigger's NOTIFY tells us — within milliseconds."""
    headers = make.headers(zhang)
    assert get(client, "/api/v1/me", headers, statements)[1]["name"] == "张大山"
    assert get(client, "/api/v1/me", headers, statements)[2] == 0
    stamp = kept.stamp.read()
    with _raw_connect(database_url) as conn:
        conn.execute("UPDATE people SET name = '张大江' WHERE id = %s", (zhang.person_id,))
        committed = time.monotonic()
    while kept.stamp.read() == stamp:
        assert time.monotonic() - committed < 2.0, "no notification within 2 s"
        time.sleep(0.001)
    assert get(client, "/api/v1/me", headers, statements)[1]["name"] == "张大江"


def test_nothing_from_memory_while_the_listener_is_down(postgres_only, app, client, make, zhang, kept, statements,
                                                       database_url) -> None:
    """The listener's connection is dropped and cannot be made again (a restart, a network cut): the answers
    kept may be missing a change made elsewhere, so none is used until it listens again, by itself."""
    headers = make.headers(zhang)
    get(client, "/api/v1/me", headers, statements)
    assert get(client, "/api/v1/me", headers, statements)[2] == 0
    listener = rc._listeners[(os.getpid(), rc.database_key(database_url))]
    conninfo = listener.conninfo
    listener.conninfo = make_url(database_url).set(drivername="postgresql", port=9).render_as_string(False)
    try:
        with _raw_connect(database_url) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (listener.backend_pid,))
        deadline = time.monotonic() + 10
        while listener.connected.is_set():
            assert time.monotonic() < deadline, "the listener did not notice"
            time.sleep(0.01)
        assert not kept.stamp.live
        for _ in range(3):
            n = len(statements)
            assert client.get("/api/v1/me", headers=headers).status_code == 200
            assert len(statements) > n, "answered from memory while changes made elsewhere could be missed"
    finally:
        listener.conninfo = conninfo
    assert rc.wait_until_listening(app, timeout=20)  # it reconnects by itself
    get(client, "/api/v1/me", headers, statements)
    assert get(client, "/api/v1/me", headers, statements)[2] == 0


# ---------------------------------------------------------------- two gunicorn workers


def test_logout_in_one_worker_is_seen_by_every_worker(make, zhang, database_url) -> None:
    from tests.ops.test_worker_kill import Gunicorn

    token = make.token(zhang)
    headers = {"Authorization": f"Bearer {token}"}
    server = Gunicorn(database_url)
    try:
        base = server.wait_ready()
        # both workers keep the answer: 16 clients at once, each on connections of its own, reach both
        with ThreadPoolExecutor(16) as pool:
            first = list(pool.map(lambda _: requests.get(f"{base}/api/v1/me", headers=headers, timeout=10), range(64)))
        assert {(r.status_code, r.json()["name"]) for r in first} == {(200, "张大山")}
        assert requests.post(f"{base}/api/v1/auth/logout", headers=headers, timeout=10).status_code == 204
        with ThreadPoolExecutor(16) as pool:
            after = list(pool.map(lambda _: requests.get(f"{base}/api/v1/me", headers=headers, timeout=10), range(64)))
        assert {r.status_code for r in after} == {401}
    finally:
        server.stop()
