"""roster: role kinds (成员代表, 村民小组长), membership history

Revision ID: 0014_roster_roles
Revises: 0013_console_tickets
Create Date: 2026-12-05 23:40:00
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import backend.core.db  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0014_roster_roles'
down_revision = '0013_console_tickets'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
