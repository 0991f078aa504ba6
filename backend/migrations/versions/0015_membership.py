"""membership confirmation (成员确认) applications

Revision ID: 0015_membership
Revises: 0014_roster_roles
Create Date: 2026-12-05 23:40:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import backend.core.db  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0015_membership'
down_revision = '0014_roster_roles'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
