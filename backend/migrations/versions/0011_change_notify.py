"""change notifications for the response cache (PostgreSQL): every table NOTIFYs sunshine_changes on commit

Revision ID: 0011_change_notify
Revises: 0010_notices
Create Date: 2026-12-02 15:30:00

Each process serving the API LISTENs and forgets the answers it keeps in memory when anything was written from
another host or program (the response cache, removed since: migration 0029 drops these triggers). SQLite has no NOTIFY and no other hosts: nothing to do.
A later migration that creates a table adds ``op.execute(notify_trigger(name))``.
"""
from alembic import op
import sqlalchemy as sa

from backend.migrations.notify import NOTIFY_FUNCTION, NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0011_change_notify'
down_revision = '0010_notices'
branch_labels = None
depends_on = None


def _tables():
    bind = op.get_bind()
    return [t for t in sa.inspect(bind).get_table_names() if t != "alembic_version"]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    for table in _tables():
        op.execute(notify_trigger(table))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in _tables():
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS sunshine_notify_change()")
