"""objections from the phone: answer deadlines

Revision ID: 0021_objection_deadlines
Revises: 0020_dividends_console
Create Date: 2026-12-06 05:40:00

Every objection (to a dividend list, a job's selected list, a membership list, a decision in 公示) gets the date its
answer is due, ``due_on``, like a villager's question on a 财务公开. New rows take it from the village setting
``objections.answer_days``; the rows already there are backfilled with the setting's default (7 days) from the day
they were raised (China date), which is what a village that never changed the setting would have got.
"""
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0021_objection_deadlines'
down_revision = '0020_dividends_console'
branch_labels = None
depends_on = None

DEFAULT_DAYS = 7  # objections.answer_days's default
SHANGHAI = ZoneInfo("Asia/Shanghai")
MIXIN_TABLES = ("dividend_objections", "job_objections", "membership_objections")


def _raised_date(value):
    """The China date of a stored timestamp (SQLite gives it back naive, in UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI).date()


def _backfill(name, source):
    conn = op.get_bind()
    t = sa.table(name, sa.column("id", sa.BigInteger), sa.column(source), sa.column("due_on", sa.Date))
    rows = conn.execute(sa.select(t.c.id, t.c[source])).all()
    for oid, raised in rows:
        day = raised if isinstance(raised, date) and not isinstance(raised, datetime) else None
        if day is None:
            day = date.fromisoformat(raised) if isinstance(raised, str) and len(raised) == 10 else _raised_date(raised)
        conn.execute(t.update().where(t.c.id == oid).values(due_on=day + timedelta(days=DEFAULT_DAYS)))


def upgrade():
    for name in (*MIXIN_TABLES, "decision_objections"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
    for name in MIXIN_TABLES:
        _backfill(name, "raised_at")
    _backfill("decision_objections", "raised_on")
    for name in (*MIXIN_TABLES, "decision_objections"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.alter_column('due_on', existing_type=sa.Date(), nullable=False)
            batch_op.create_index(batch_op.f(f'ix_{name}_due_on'), ['due_on'], unique=False)


def downgrade():
    for name in (*MIXIN_TABLES, "decision_objections"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{name}_due_on'))
            batch_op.drop_column('due_on')
