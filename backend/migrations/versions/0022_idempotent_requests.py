"""Idempotency-Key on every phone write: the keys and first answers of the writes wrapped in core.idempotency's
@idempotent (unique per scope and key; the answer is written once the write is done)

Revision ID: 0022_idempotent_requests
Revises: 0021_objection_deadlines
Create Date: 2026-12-06 05:40:00
"""
import sqlalchemy as sa
from alembic import op

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger

# revision identifiers, used by Alembic.
revision = '0022_idempotent_requests'
down_revision = '0021_objection_deadlines'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('idempotent_requests',
    sa.Column('id', ID, nullable=False),
    sa.Column('scope', sa.String(length=100), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('status_code IS NULL OR (status_code >= 200 AND status_code < 300)',
                       name=op.f('ck_idempotent_requests_status')),
    sa.CheckConstraint('(status_code IS NULL) = (response_body IS NULL)',
                       name=op.f('ck_idempotent_requests_answered')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_requests')),
    sa.UniqueConstraint('scope', 'key', name='uq_idempotent_requests_scope_key')
    )
    with op.batch_alter_table('idempotent_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotent_requests_created_at'), ['created_at'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what this table changes
        op.execute(notify_trigger('idempotent_requests'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON idempotent_requests")
    with op.batch_alter_table('idempotent_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotent_requests_created_at'))
    op.drop_table('idempotent_requests')
