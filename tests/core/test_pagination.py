"""paginate(): one page of an ordered query and the count of the whole."""

from __future__ import annotations

import pytest
from sqlalchemy import Select, event, select

from backend.core.db import db
from backend.core.pagination import PageArgs, paginate
from backend.core.seal import Seal, seal
from tests.factories import Factory


@pytest.fixture
def seven_seals(make: Factory) -> int:
    v = make.village()
    other = make.village("XZ02", "新竹村")
    for n in range(1, 8):
        seal(v.id, "notice", n, {"n": n})
    seal(other.id, "notice", 99, {"n": 99})  # another village's row is not counted
    db.session.commit()
    return v.id


def _stmt(village_id: int) -> Select[tuple[Seal]]:
    return select(Seal).where(Seal.village_id == village_id).order_by(Seal.seq)


@pytest.mark.parametrize(
    ("page", "page_size", "seqs"),
    [(1, 3, [1, 2, 3]), (2, 3, [4, 5, 6]), (3, 3, [7]), (4, 3, []), (1, 20, [1, 2, 3, 4, 5, 6, 7]), (7, 1, [7])],
)
def test_paginate_pages(seven_seals: int, page: int, page_size: int, seqs: list[int]) -> None:
    p = paginate(db.session, _stmt(seven_seals), page, page_size)
    assert [s.seq for s in p.items] == seqs
    assert (p.total, p.page, p.page_size) == (7, page, page_size)


def test_paginate_rows_instead_of_objects(seven_seals: int) -> None:
    stmt = select(Seal.seq, Seal.object_id).where(Seal.village_id == seven_seals).order_by(Seal.seq.desc())
    p = paginate(db.session, stmt, 1, 2, scalars=False)
    assert [tuple(r) for r in p.items] == [(7, 7), (6, 6)]
    assert p.total == 7


def test_paginate_empty(make: Factory) -> None:
    v = make.village()
    p = paginate(db.session, _stmt(v.id), 1, 20)
    assert (p.items, p.total) == ([], 0)


def test_page_args_feed_paginate(seven_seals: int) -> None:
    args = PageArgs().load({"page": "2", "page_size": "5"})
    p = paginate(db.session, _stmt(seven_seals), **args)
    assert [s.seq for s in p.items] == [6, 7]
    assert p.total == 7


@pytest.mark.parametrize(
    ("page", "page_size", "counted"),
    [(1, 20, False), (3, 3, False), (1, 7, True), (1, 3, True), (4, 3, True), (9, 20, True)],
)
def test_a_short_page_is_the_last_and_needs_no_count(seven_seals: int, page: int, page_size: int,
                                                       counted: bool) -> None:
    """Short and not empty (or the first page): the total is the offset and what came back, one statement. A full
    page, or an empty page past the first, is counted: the total must come from the database."""
    seen: list[str] = []

    def listen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        p = paginate(db.session, _stmt(seven_seals), page, page_size)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert p.total == 7
    assert len(seen) == (2 if counted else 1), seen
    assert any("count(" in s.lower() for s in seen) == counted
