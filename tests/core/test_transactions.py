"""A request's writes commit together or not at all on both databases — also when a service's first write is a
savepoint (``begin_nested()``): on SQLite a SAVEPOINT outside a transaction starts one and its RELEASE commits it,
so without backend/extensions.py's savepoint hook the row below would survive the rollback."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from backend.core.db import db
from backend.registry import Township


def _townships() -> int:
    return db.session.execute(select(func.count()).select_from(Township)).scalar_one()


def test_a_savepoint_first_write_rolls_back_with_the_request(app):
    before = _townships()
    with db.session.begin_nested():  # the transaction's first write is inside a savepoint
        db.session.add(Township(name="试验镇", code="SP-0001"))
    assert _townships() == before + 1
    db.session.rollback()  # the route refuses: everything goes
    assert _townships() == before


def test_a_savepoint_first_write_commits_with_the_request(app):
    before = _townships()
    with db.session.begin_nested():
        db.session.add(Township(name="试验镇", code="SP-0002"))
    db.session.commit()
    assert _townships() == before + 1


def test_a_rolled_back_savepoint_keeps_the_rest_of_the_transaction(app):
    before = _townships()
    db.session.add(Township(name="甲镇", code="SP-0003"))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():  # only the savepoint is undone
        db.session.add(Township(name="乙镇", code="SP-0003"))  # the same code: the unique index refuses it
        db.session.flush()
    db.session.commit()
    assert _townships() == before + 1
