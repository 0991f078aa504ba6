"""warnings: each warning's opening, closing and history

Revision ID: 0027_warnings
Revises: 0026_projects
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0027_warnings'
down_revision = '0026_projects'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
