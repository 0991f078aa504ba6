"""shares and distributions in the console

Revision ID: 0020_dividends_console
Revises: 0019_books_console
Create Date: 2026-12-06 02:45:00

(placeholder: nothing changes yet)
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0020_dividends_console'
down_revision = '0019_books_console'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
