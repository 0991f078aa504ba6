"""pushes (placeholder)

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
    pass


def downgrade():
    pass
