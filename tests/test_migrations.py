"""The migrations build the whole schema from nothing, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from backend import create_app
from backend.core.db import db


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
        return compare_metadata(ctx, db.metadata)


def test_models_and_migrations_agree_on_the_test_database(app):
    """The session's database (SQLite, or PostgreSQL with TEST_DATABASE_URL) was upgraded from zero."""
    diff = _diff(db.engine)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert inspect(db.engine).get_table_names()  # not vacuous: the schema exists


def test_sqlite_upgrades_from_zero_downgrades_and_upgrades_again(tmp_path, standin):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": url, "WECHAT_API_BASE_URL": standin.base_url})
    with fresh.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "townships",
            "villages",
            "households",
            "people",
            "members",
            "role_assignments",
            "wechat_accounts",
            "bind_tickets",
            "api_tokens",
            "audit_log",
            "seals",
        } <= tables
        assert _diff(db.engine) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert _diff(db.engine) == []
        db.engine.dispose()
    create_engine(url).dispose()
