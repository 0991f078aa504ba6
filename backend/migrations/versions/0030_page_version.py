"""shared pages: the page version every write advances (PostgreSQL: a sequence; SQLite: a one-row table)

Revision ID: 0030_page_version
Revises: 0029_no_change_notify
Create Date: 2026-12-07 01:30:00

backend/core/shared_pages.py keeps a village's public pages once for all their readers, each under the page version
of its request; every committed write advances the version. On PostgreSQL the version is a sequence: ``nextval``
takes no row lock and writes no transaction of its own, so writers never wait on each other for it, and any session
reads its ``last_value``. SQLite has no sequences: a table of one row (SQLite has one writer at a time anyway).
It starts at the time in microseconds, as a restore sets it (backend/ops/backup.py): a database made again never
hands out a version a running process kept pages of an older database under.
"""
import time

from alembic import op


# revision identifiers, used by Alembic.
revision = '0030_page_version'
down_revision = '0029_no_change_notify'
branch_labels = None
depends_on = None


def upgrade():
    now = int(time.time() * 1_000_000)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE page_version")
        op.execute(f"SELECT setval('page_version', {now})")
        return
    op.execute("CREATE TABLE page_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
    op.execute(f"INSERT INTO page_version (id, n) VALUES (1, {now})")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE page_version")
    else:
        op.execute("DROP TABLE page_version")
