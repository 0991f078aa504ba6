"""The audit log is append-only in the database itself: raw SQL can add an entry but not change or remove one
(triggers from migration 0012, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from backend.core import audit
from backend.core.audit import AuditEntry
from backend.core.db import db


def _entry() -> int:
    entry = audit.record("test.write", "thing", 1, actor=None, after={"n": 1})
    db.session.commit()
    return entry.id


def _count() -> int:
    return db.session.execute(select(func.count(AuditEntry.id))).scalar_one()


def test_inserting_an_entry_works_with_raw_sql_too(app: Flask) -> None:
    _entry()
    db.session.execute(text("INSERT INTO audit_log (at, actor_roles, action, object_type) "
                            "VALUES (CURRENT_TIMESTAMP, '', 'test.raw', 'thing')"))
    db.session.commit()
    assert _count() == 2


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'test.forged' WHERE id = :id",
    "UPDATE audit_log SET after = NULL WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
    "DELETE FROM audit_log",
])
def test_changing_or_removing_an_entry_is_refused_by_the_database(app: Flask, statement: str) -> None:
    entry_id = _entry()
    with pytest.raises(DatabaseError) as info:
        db.session.execute(text(statement), {"id": entry_id})
        db.session.flush()
    db.session.rollback()
    assert audit.APPEND_ONLY in str(info.value)
    row = db.session.execute(select(AuditEntry.action, AuditEntry.after).where(AuditEntry.id == entry_id)).one()
    assert row == ("test.write", '{"n": 1}') and _count() == 1


def test_the_orm_cannot_change_an_entry_either(app: Flask) -> None:
    entry_id = _entry()
    entry = db.session.get(AuditEntry, entry_id)
    assert entry is not None
    entry.action = "test.forged"
    with pytest.raises(DatabaseError):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry_id).action == "test.write"  # type: ignore[union-attr]


def test_the_guard_is_the_migrations(app: Flask) -> None:
    """The triggers the tests meet are the ones migration 0012 installs (the fixture reinstalls the same)."""
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        names = db.session.execute(text(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_log'::regclass AND NOT tgisinternal")).scalars()
    else:
        names = db.session.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'")).scalars()
    assert set(audit.GUARD_TRIGGERS) <= set(names)


def test_every_action_the_code_records_has_a_chinese_label() -> None:
    """The audit screens show ``action_label``: an action recorded with a literal name must be listed, and an
    f-string one must name a domain that is (never "系统：其他操作" for our own writes)."""
    import re

    from backend.config import ROOT

    literal, prefixes = set(), set()
    for path in (ROOT / "backend").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        literal |= set(re.findall(r'audit\.record\(\s*"([a-z_]+\.[a-z_.]+)"', source))
        prefixes |= set(re.findall(r'audit\.record\(\s*f"([a-z_]+)\.', source))
    assert len(literal) > 50, "the scan found too few actions: did the call's shape change?"
    assert sorted(literal - set(audit.ACTION_LABELS)) == []
    assert sorted(prefixes - set(audit.DOMAIN_LABELS)) == []
    assert audit.action_label("contracts.deposit_returned") == "退还合同保证金"
