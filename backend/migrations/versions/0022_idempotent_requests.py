"""Idempotency-Key on every phone write (placeholder)

Revision ID: 0022_idempotent_requests
Revises: 0021_objection_deadlines
Create Date: 2026-12-06 05:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db


# revision identifiers, used by Alembic.
revision = '0022_idempotent_requests'
down_revision = '0021_objection_deadlines'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
