"""contracts register: the collective's other contracts, their schedules and deposits

Revision ID: 0025_contracts
Revises: 0024_assets
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0025_contracts'
down_revision = '0024_assets'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
