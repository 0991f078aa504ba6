"""project library: projects, their seven steps, support funds and income plan

Revision ID: 0026_projects
Revises: 0025_contracts
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0026_projects'
down_revision = '0025_contracts'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
