"""shares and distributions in the console: 继承 (inheritance) as a kind of share event

Revision ID: 0020_dividends_console
Revises: 0019_books_console
Create Date: 2026-12-06 02:45:00

A share event may now be an inheritance (``inherit``): the shares of a deceased holder pass to an heir, balanced
per share type like a transfer. Only the check constraint on ``share_events.kind`` changes.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0020_dividends_console'
down_revision = '0019_books_console'
branch_labels = None
depends_on = None

OLD_KINDS = "'initial', 'birth', 'death', 'marry_in', 'marry_out', 'transfer', 'adjust'"
NEW_KINDS = "'initial', 'birth', 'death', 'marry_in', 'marry_out', 'transfer', 'inherit', 'adjust'"


def upgrade():
    with op.batch_alter_table('share_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_share_events_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_share_events_kind'), f"kind IN ({NEW_KINDS})")


def downgrade():
    # an inheritance recorded meanwhile is, in the old kinds, a transfer
    op.execute("UPDATE share_events SET kind = 'transfer' WHERE kind = 'inherit'")
    with op.batch_alter_table('share_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_share_events_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_share_events_kind'), f"kind IN ({OLD_KINDS})")
