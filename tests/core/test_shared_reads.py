"""backend/core/shared_pages.py's shared reads (``@shared_read``): the parts of personal pages that are the same for
every reader (names, places, a village's newest disclosure, a notice's villages), kept under the page version. A
personal page is byte for byte what it is without them, for every reader; a write is seen at once; nothing is kept
from a request that wrote, from a replica, or without the version; every kept value is immutable and none is read
from a private table."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Mapping
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

import pytest
from flask import Flask, jsonify
from sqlalchemy import event, select, text

from backend import create_app, registry
from backend.core import shared_pages
from backend.core.db import db
from backend.core.shared_pages import PRIVATE_TABLES, READS_EXTENSION, SHARED_READS, SharedReads, shared_read
from backend.registry.models import Village
from tests.core.test_shared_pages import _answers, _demo_readers
from tests.factories import Factory

API = "/api/v1"


def _reads(app: Flask) -> SharedReads:
    store = app.extensions[READS_EXTENSION]
    assert isinstance(store, SharedReads)
    return store


def _immutable(value: Any) -> bool:
    if value is None or isinstance(value, (int, float, str, bytes, bool, date, datetime)):
        return True
    if isinstance(value, (tuple, frozenset)):
        return all(_immutable(v) for v in value)
    if isinstance(value, MappingProxyType):
        return all(_immutable(k) and _immutable(v) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        params = getattr(type(value), "__dataclass_params__", None)
        return bool(params and params.frozen) and all(
            _immutable(getattr(value, f.name)) for f in dataclasses.fields(value))
    return False


# ---------------------------------------------------------------- the store alone


def test_a_value_is_given_only_under_its_version_within_its_time_and_its_budget() -> None:
    now = [10.0]
    reads = SharedReads(seconds=60, budget=4, clock=lambda: now[0])
    missing = shared_pages._MISSING
    reads.put(("a",), 3, "A")
    assert reads.get(("a",), 3) == "A"
    assert reads.get(("a",), 4) is missing  # a write since
    assert reads.get(("a",), 3) is missing and reads.weight == 0  # and gone
    reads.put(("a",), 4, None)  # None is a value (no such row), kept like any other
    assert reads.get(("a",), 4) is None
    reads.put(("b",), 4, "B")
    reads.put(("c",), 4, (1, 2))  # weighs 3: 5 > 4, the least recently used (a) goes
    assert len(reads) == 2 and reads.weight == 4
    assert reads.get(("a",), 4) is missing and reads.get(("c",), 4) == (1, 2)
    reads.put(("c",), 4, (1,))  # kept again: counted once
    assert reads.weight == 3
    reads.put(("d",), 4, tuple(range(9)))  # heavier than the whole budget: not kept, nothing dropped for it
    assert reads.get(("d",), 4) is missing and reads.weight == 3
    now[0] += 60
    assert reads.get(("c",), 4) is missing
    assert not SharedReads(seconds=0, budget=5).on and not SharedReads(seconds=5, budget=0).on


# ---------------------------------------------------------------- the demo's readers


def _personal_paths() -> list[str]:
    lj = registry.village_by_code("LJ01")
    notices = list(db.session.execute(text(
        "SELECT id FROM notices WHERE village_id = :v OR township_id = :t ORDER BY id"),
        {"v": lj.id, "t": lj.township_id}).scalars())
    decisions = list(db.session.execute(text("SELECT id FROM decisions WHERE village_id = :v ORDER BY id"),
                                        {"v": lj.id}).scalars())
    disclosures = list(db.session.execute(text(
        "SELECT id FROM ledger_disclosures WHERE village_id = :v AND status = 'published' ORDER BY id"),
        {"v": lj.id}).scalars())
    postings = list(db.session.execute(text("SELECT id FROM job_postings WHERE village_id = :v ORDER BY id"),
                                       {"v": lj.id}).scalars())
    distributions = list(db.session.execute(text(
        "SELECT id FROM distributions WHERE village_id = :v AND status IN ('published', 'paying', 'paid') ORDER BY id"),
        {"v": lj.id}).scalars())
    assert notices and decisions and disclosures and postings and distributions
    return [f"{API}/me", f"{API}/me/home", f"{API}/me/notices?page=1&page_size=20", f"{API}/me/land",
            f"{API}/me/land/rent-history?page_size=100", f"{API}/me/dividends?page_size=100",
            f"{API}/villages/{lj.id}/job-postings?page_size=100", f"{API}/villages/{lj.id}/job-postings?page_size=1",
            f"{API}/villages/{lj.id}/job-postings?page=2&page_size=1",
            *[f"{API}/me/dividends/{i}" for i in distributions],
            *[f"{API}/notices/{i}" for i in notices], *[f"{API}/decisions/{i}" for i in decisions],
            *[f"{API}/disclosures/{i}" for i in disclosures], *[f"{API}/job-postings/{i}" for i in postings]]


def test_personal_pages_are_what_they_are_without_shared_reads_for_every_reader(app: Flask, client: Any) -> None:
    _, readers, _ = _demo_readers()
    paths = _personal_paths()
    reads = _reads(app)
    assert reads.on
    reads.clear()  # what earlier tests of this session's app kept (under versions long past)
    reads.seconds = 0
    try:
        fresh = _answers(client, readers, paths)
    finally:
        reads.seconds = 60
    assert len(reads) == 0
    assert sum(1 for status, _ in fresh.values() if status == 200) > len(fresh) // 2

    order = [(who, path) for who in readers for path in paths]
    random.Random(7).shuffle(order)
    kept = _answers(client, readers, paths, order)
    assert kept == fresh
    assert reads.hits > len(order) // 2  # the readers shared what they read

    # every marked function was used, and every value kept is immutable (it is given to every reader)
    names = {key[0] for key in reads._values}
    marked = {f"{fn.__module__}.{fn.__qualname__}" for fn in SHARED_READS}
    assert marked <= names, marked - names
    assert all(_immutable(kept[2]) for kept in reads._values.values()), [
        (k, kept[2]) for k, kept in reads._values.items() if not _immutable(kept[2])]


def test_no_shared_read_reads_a_private_table(app: Flask, client: Any) -> None:
    _, readers, _ = _demo_readers()
    paths = _personal_paths()
    _answers(client, readers, paths)
    reads = _reads(app)
    by_name = {f"{fn.__module__}.{fn.__qualname__}": fn for fn in SHARED_READS}
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with app.test_request_context(method="POST"):  # not kept: every call reads
            for key in list(reads._values):
                by_name[key[0]](*key[2:])
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(statements) >= len(by_name)
    private = re.compile(r"\b(" + "|".join(sorted(PRIVATE_TABLES)) + r")\b")
    assert [s for s in statements if private.search(s)] == []


# ---------------------------------------------------------------- fresh after a write


def test_a_write_is_seen_by_the_next_read_of_everyone(app: Flask, client: Any, make: Factory) -> None:
    v = make.village()
    a, b = make.member(v), make.member(v)
    ha, hb = make.headers(a), make.headers(b)
    assert client.get(f"{API}/me", headers=ha).json["village"]["name"] == v.name
    hits = _reads(app).hits
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(f"{API}/me", headers=hb).json["village"]["name"] == v.name
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert _reads(app).hits == hits + 1  # b got the places a read
    assert len(statements) == 1 and "token_hash" in statements[0]  # /me: the token's statement, nothing else

    village = db.session.get(Village, v.id)
    village.name = "改名后的村"
    db.session.commit()
    for headers in (hb, ha):
        assert client.get(f"{API}/me", headers=headers).json["village"]["name"] == "改名后的村"


# ---------------------------------------------------------------- what is never kept


@pytest.fixture()
def probe_app(app: Flask, database_url: str) -> Any:
    papp = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "REDIS_URL": None,
                       "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
    calls: list[int] = []

    @shared_read
    def name_of(village_id: int) -> str:
        calls.append(village_id)
        return str(db.session.execute(select(Village.name).where(Village.id == village_id)).scalar_one())

    SHARED_READS.remove(name_of.__wrapped__)  # a probe, not a function of the API

    @papp.route("/probe/<int:village_id>", methods=["GET", "POST"])
    def read(village_id: int) -> Any:
        return jsonify(name=name_of(village_id))

    @papp.get("/probe/<int:village_id>/after-a-write")
    def after_a_write(village_id: int) -> Any:
        db.session.execute(text("UPDATE villages SET name = :n WHERE id = :v"), {"n": "本请求改的", "v": village_id})
        return jsonify(name=name_of(village_id))

    @papp.get("/probe/<int:village_id>/pending")
    def pending(village_id: int) -> Any:
        db.session.get(Village, village_id).name = "还没写进库的"
        return jsonify(name=name_of(village_id))

    papp.probe_calls = calls  # type: ignore[attr-defined]
    try:
        yield papp
    finally:
        with papp.app_context():
            db.engine.dispose()


def test_a_read_is_kept_only_in_a_get_that_wrote_nothing_and_knows_the_version(probe_app: Flask,
                                                                               make: Factory) -> None:
    v = make.village("YL01", "原来的村")
    headers = make.headers(make.member(v))
    db.session.commit()
    client = probe_app.test_client()
    calls: list[int] = probe_app.probe_calls  # type: ignore[attr-defined]
    reads = _reads(probe_app)

    assert client.get(f"/probe/{v.id}").json["name"] == "原来的村"  # no token: no version, read straight
    assert client.get(f"/probe/{v.id}").json["name"] == "原来的村"
    assert len(calls) == 2 and len(reads) == 0

    assert client.post(f"/probe/{v.id}", headers=headers).json["name"] == "原来的村"  # not a GET
    assert len(calls) == 3 and len(reads) == 0

    for _ in range(2):
        assert client.get(f"/probe/{v.id}", headers=headers).json["name"] == "原来的村"
    assert len(calls) == 4 and len(reads) == 1  # kept, and given the second time

    # a change still in the session (not flushed: no statement has said so yet) is seen by its own request
    assert client.get(f"/probe/{v.id}/pending", headers=headers).json["name"] == "还没写进库的"
    assert len(calls) == 5

    r = client.get(f"/probe/{v.id}/after-a-write", headers=headers)  # its own write (rolled back at the end)
    assert r.json["name"] == "本请求改的" and len(calls) == 6
    assert client.get(f"/probe/{v.id}", headers=headers).json["name"] == "原来的村"
    assert len(calls) == 6  # still kept: neither request committed anything


def test_nothing_read_inside_a_replica_view_is_kept(probe_app: Flask, make: Factory,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    v = make.village()
    headers = make.headers(make.member(v))
    db.session.commit()
    monkeypatch.setattr(shared_pages, "routed", lambda: True)
    client = probe_app.test_client()
    for _ in range(2):
        assert client.get(f"/probe/{v.id}", headers=headers).status_code == 200
    assert len(probe_app.probe_calls) == 2 and len(_reads(probe_app)) == 0  # type: ignore[attr-defined]


def test_names_are_read_only_and_a_long_list_is_read_straight(app: Flask, client: Any, make: Factory) -> None:
    v = make.village()
    people = [make.member(v, f"村民{i}") for i in range(3)]
    db.session.commit()
    names = registry.person_names([m.person_id for m in people] + [None])  # type: ignore[list-item]
    assert isinstance(names, Mapping) and sorted(names.values()) == ["村民0", "村民1", "村民2"]
    with pytest.raises(TypeError):
        names[1] = "x"  # type: ignore[index]
    assert registry.person_names([]) == {} and registry.village_names([None]) == {}  # type: ignore[list-item]


def test_a_kept_notice_list_drops_a_notice_at_its_expiry_and_keeps_each_readers_own_read_marks(
        app: Flask, client: Any, make: Factory, now: list[datetime]) -> None:
    from datetime import UTC, timedelta

    from backend.notices.models import Notice, NoticeTarget

    now[0] = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # 10:00 in the village
    v = make.village()
    a, b = make.member(v), make.member(v)
    ha, hb = make.headers(a), make.headers(b)
    notices = []
    for title, expires in (("停水通知", now[0] + timedelta(minutes=30)), ("秋收安排", None)):
        n = Notice(village_id=v.id, title=title, body="…", category="通知", audience="everyone",
                   published_at=now[0] - timedelta(hours=1), expires_at=expires)
        db.session.add(n)
        db.session.flush()
        db.session.add(NoticeTarget(notice_id=n.id, village_id=v.id))
        notices.append(n)
    db.session.commit()
    url = f"{API}/me/notices?page=1&page_size=20"
    assert client.post(f"{API}/notices/{notices[0].id}/read", headers=ha).status_code == 204  # a private write

    def listed(headers: dict[str, str]) -> list[tuple[str, bool]]:
        return [(x["title"], x["read"]) for x in client.get(url, headers=headers).json["items"]]

    assert listed(ha) == [("秋收安排", False), ("停水通知", True)]
    hits = _reads(app).hits
    assert listed(hb) == [("秋收安排", False), ("停水通知", False)]  # the same list, b's own marks
    assert _reads(app).hits > hits
    now[0] += timedelta(minutes=31)  # no write: the kept list is still current, but a notice has expired
    hits = _reads(app).hits
    assert listed(hb) == [("秋收安排", False)] and listed(ha) == [("秋收安排", False)]
    assert _reads(app).hits > hits


def test_a_kept_list_of_open_postings_follows_each_postings_window_by_the_clock(
        app: Flask, client: Any, make: Factory, now: list[datetime]) -> None:
    from datetime import UTC, timedelta

    from backend.jobs.models import JobPosting

    now[0] = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    v = make.village()
    a, b = make.member(v), make.member(v)
    ha, hb = make.headers(a), make.headers(b)
    windows = {"保洁员": (now[0] - timedelta(days=1), now[0] + timedelta(hours=2)),
               "护林员": (now[0] + timedelta(hours=1), now[0] + timedelta(days=3))}
    for title, (start, end) in windows.items():
        db.session.add(JobPosting(village_id=v.id, title=title, category="保洁", positions=1, monthly_wage_fen=80_000,
                                  term_months=6, min_age=18, max_age=65, apply_from=start, apply_until=end,
                                  status="open"))
    db.session.commit()
    url = f"{API}/villages/{v.id}/job-postings?page_size=100"

    def titles(headers: dict[str, str]) -> list[str]:
        body = client.get(url, headers=headers).json
        assert body["total"] == len(body["items"])
        return [x["title"] for x in body["items"]]

    assert titles(ha) == ["保洁员"]  # 护林员 has not begun
    hits = _reads(app).hits
    assert titles(hb) == ["保洁员"]
    now[0] += timedelta(hours=1)  # no write: 护林员's window opens, by the clock alone
    assert titles(ha) == ["保洁员", "护林员"]
    now[0] += timedelta(hours=1, seconds=1)  # 保洁员's has closed
    assert titles(hb) == ["护林员"]
    assert _reads(app).hits >= hits + 3  # every one of these answers came from the one kept list
