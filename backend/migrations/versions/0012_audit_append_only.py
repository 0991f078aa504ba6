"""the audit log is append-only in the database: UPDATE and DELETE of its rows are refused

Revision ID: 0012_audit_append_only
Revises: 0011_change_notify
Create Date: 2026-12-09 10:00:00

Triggers on SQLite and PostgreSQL (backend/core/audit.py: guard_create_statements); inserting stays free.
"""
from alembic import op

from backend.core import audit

# revision identifiers, used by Alembic.
revision = '0012_audit_append_only'
down_revision = '0011_change_notify'
branch_labels = None
depends_on = None


def upgrade():
    for statement in audit.guard_create_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in audit.guard_drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
