"""The migrations build the whole schema from nothing, and agree with the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from backend import create_app
from backend.core.db import db
from backend.migrations.unmodelled import include_object


def _diff(engine) -> list:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True,
                                                     "include_object": include_object})
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


def test_no_table_notifies_since_the_response_cache_went(app):
    """Migration 0029 dropped every table's NOTIFY trigger and its function (PostgreSQL; SQLite never had them)."""
    if db.engine.dialect.name != "postgresql":
        assert not db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                           "AND name = 'sunshine_notify_change'")).all()
        return
    assert inspect(db.engine).get_table_names()
    left = db.session.execute(text("SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                                   "WHERE t.tgname = 'sunshine_notify_change'")).scalars().all()
    assert left == []
    assert db.session.execute(text("SELECT count(*) FROM pg_proc WHERE proname = 'sunshine_notify_change'")
                              ).scalar_one() == 0


def test_postgres_downgrade_puts_the_triggers_back_and_upgrade_drops_them(app, database_url):
    if not database_url.startswith("postgresql"):
        return
    from tests.ops.conftest import fresh_pg_database

    with fresh_pg_database(database_url, "notify") as url:
        fresh = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None,
                            "WECHAT_API_BASE_URL": app.config["WECHAT_API_BASE_URL"]})
        count = text("SELECT count(*) FROM pg_trigger WHERE tgname = 'sunshine_notify_change'")
        with fresh.app_context():
            upgrade(revision="0028_ledger_totals")
            before = db.session.execute(count).scalar_one()
            db.session.commit()
            upgrade()
            assert db.session.execute(count).scalar_one() == 0
            db.session.commit()
            downgrade(revision="0028_ledger_totals")
            tables = len(inspect(db.engine).get_table_names()) - 1  # all but alembic_version
            assert db.session.execute(count).scalar_one() == tables >= before > 0
            db.session.commit()
            upgrade()
            assert db.session.execute(count).scalar_one() == 0
            db.session.remove()
            db.engine.dispose()
