"""objections from the phone: answer deadlines (placeholder)

Revision ID: 0021_objection_deadlines
Revises: 0020_dividends_console
Create Date: 2026-12-06 05:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0021_objection_deadlines'
down_revision = '0020_dividends_console'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
