"""console log-in by scanning: console_tickets, and api_tokens.kind ('app' or 'console')

Revision ID: 0013_console_tickets
Revises: 0012_audit_append_only
Create Date: 2026-12-05 17:10:00

The staff console shows a QR code; a staff member approves it in the mini-program; the console's poll then gets a
token of kind 'console' (backend/auth/console.py). Existing tokens are the mini-program's: kind 'app'.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0013_console_tickets'
down_revision = '0012_audit_append_only'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('console_tickets',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('ticket_hash', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('browser', sa.String(length=120), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('approved_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('used_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'approved', 'refused', 'used')", name=op.f('ck_console_tickets_status')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['people.id'], name=op.f('fk_console_tickets_approved_by_id_people')),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_console_tickets_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_tickets')),
    sa.UniqueConstraint('code', name=op.f('uq_console_tickets_code')),
    sa.UniqueConstraint('ticket_hash', name=op.f('uq_console_tickets_ticket_hash'))
    )
    with op.batch_alter_table('console_tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_tickets_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='app', nullable=False))
        batch_op.create_check_constraint(op.f('ck_api_tokens_kind'), "kind IN ('app', 'console')")

    if op.get_bind().dialect.name == "postgresql":
        op.execute(notify_trigger('console_tickets'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON console_tickets")
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_kind'), type_='check')
        batch_op.drop_column('kind')

    with op.batch_alter_table('console_tickets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_tickets_expires_at'))

    op.drop_table('console_tickets')
