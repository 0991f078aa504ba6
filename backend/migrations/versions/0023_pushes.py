"""pushes: when a vote's closing reminders were queued (votes.reminders_queued_at), so each vote is looked at once

Revision ID: 0023_pushes
Revises: 0022_idempotent_requests
Create Date: 2026-12-06 05:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0023_pushes'
down_revision = '0022_idempotent_requests'
branch_labels = None
depends_on = None


def upgrade():
    # a nullable column: a plain ADD COLUMN on SQLite and PostgreSQL; no new table, so no notify trigger
    op.add_column('votes', sa.Column('reminders_queued_at', backend.core.db.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('votes') as batch_op:
        batch_op.drop_column('reminders_queued_at')
