"""the books in the console (agency accountant, vouchers, decision amount cap)

Revision ID: 0019_books_console
Revises: 0018_land_payouts
Create Date: 2026-12-06 02:45:00

(placeholder: nothing changes yet)
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0019_books_console'
down_revision = '0018_land_payouts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
