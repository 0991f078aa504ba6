"""the response cache is gone: no table NOTIFYs sunshine_changes any more (PostgreSQL)

Revision ID: 0029_no_change_notify
Revises: 0028_ledger_totals
Create Date: 2026-12-06 23:00:00

Migration 0011 gave every table a statement trigger that sent ``NOTIFY sunshine_changes`` with each commit, for the
response cache's listeners; later migrations gave their new tables the same. The cache was removed (bench/crowd.py:
it did not earn its code in a crowd), so nothing listens and each write paid for a notification no one read. Every
such trigger goes, whichever table carries it, then the function. SQLite never had them. The downgrade puts them back
on every table, as 0011 did.
"""
from alembic import op
import sqlalchemy as sa

from backend.migrations.notify import NOTIFY_FUNCTION, NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0029_no_change_notify'
down_revision = '0028_ledger_totals'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    tables = op.get_bind().execute(sa.text(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = :name AND NOT t.tgisinternal"), {"name": NOTIFY_TRIGGER}).scalars().all()
    for table in tables:
        op.execute(f'DROP TRIGGER {NOTIFY_TRIGGER} ON "{table}"')
    op.execute("DROP FUNCTION IF EXISTS sunshine_notify_change()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    for table in sa.inspect(op.get_bind()).get_table_names():
        if table != "alembic_version":
            op.execute(notify_trigger(table))
