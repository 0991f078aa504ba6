"""公示 sheets for the board

Revision ID: 0021_notice_sheets
Revises: 0020_dividends_console
Create Date: 2026-12-06 02:45:00

(placeholder: nothing changes yet)
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0021_notice_sheets'
down_revision = '0020_dividends_console'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
