"""assisted actions: entries by staff for members without a phone, co-signed

Revision ID: 0017_assisted
Revises: 0016_votes_console
Create Date: 2026-12-05 23:40:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import backend.core.db  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0017_assisted'
down_revision = '0016_votes_console'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
