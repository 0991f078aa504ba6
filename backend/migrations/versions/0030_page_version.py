"""shared pages: the page version every write advances (PostgreSQL: a sequence; SQLite: a one-row table)

Revision ID: 0030_page_version
Revises: 0029_no_change_notify
Create Date: 2026-12-07 01:30:00

backend/core/shared_pages.py keeps a village's public pages once for all their readers, each under the page version
of its request; every committed write advances the version. On PostgreSQL the version is a sequence: ``nextval``
takes no row lock and writes no transaction of its own, so writers never wait on each other for it, and any session
reads its ``last_value``. SQLite has no sequences: a table of one row (SQLite has one writer at a time anyway).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030_page_version'
down_revision = '0029_no_change_notify'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE SEQUENCE page_version")
        op.execute("SELECT nextval('page_version')")  # last_value is 1 from now on, never a never-called sequence's
        return
    op.execute("CREATE TABLE page_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)")
    op.execute("INSERT INTO page_version (id, n) VALUES (1, 1)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE page_version")
    else:
        op.execute("DROP TABLE page_version")
