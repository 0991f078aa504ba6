"""votes: one open vote per stage; meeting attendees

Revision ID: 0016_votes_console
Revises: 0015_membership
Create Date: 2026-12-05 23:40:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import backend.core.db  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0016_votes_console'
down_revision = '0015_membership'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
