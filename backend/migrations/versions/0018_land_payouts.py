"""land rent passed on to households (payout proof)

Revision ID: 0018_land_payouts
Revises: 0017_assisted
Create Date: 2026-12-06 02:45:00

(placeholder: nothing changes yet)
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0018_land_payouts'
down_revision = '0017_assisted'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
