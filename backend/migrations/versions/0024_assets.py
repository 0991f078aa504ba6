"""三资 register: assets, resources, funds, their events and vouchers, 清产核资 inventories

Revision ID: 0024_assets
Revises: 0023_pushes
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0024_assets'
down_revision = '0023_pushes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
