"""warnings: each warning's opening, closing and history (one open row per kind and key), and each township's
refresh state (dirty since, refreshed at, next check)

Revision ID: 0027_warnings
Revises: 0026_projects
Create Date: 2026-12-06 15:40:00
"""
import sqlalchemy as sa
from alembic import op

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger

# revision identifiers, used by Alembic.
revision = '0027_warnings'
down_revision = '0026_projects'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
OPEN = "closed_at IS NULL"


def upgrade():
    op.create_table('warnings',
    sa.Column('id', ID, nullable=False),
    sa.Column('township_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('link', sa.Text(), nullable=False),
    sa.Column('since', sa.String(length=32), nullable=False),
    sa.Column('opened_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('closed_at IS NULL OR closed_at >= opened_at', name=op.f('ck_warnings_closed_after_opened')),
    sa.CheckConstraint('last_seen_at >= opened_at', name=op.f('ck_warnings_seen_after_opened')),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'], name=op.f('fk_warnings_township_id_townships')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_warnings_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_warnings'))
    )
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_warnings_village_id'), ['village_id'], unique=False)
        batch_op.create_index('ix_warnings_township_open', ['township_id', 'closed_at'], unique=False)
        batch_op.create_index('uq_warnings_open', ['kind', 'key'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))

    op.create_table('warning_townships',
    sa.Column('township_id', ID, autoincrement=False, nullable=False),
    sa.Column('refreshed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('dirty_since', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['township_id'], ['townships.id'],
                            name=op.f('fk_warning_townships_township_id_townships')),
    sa.PrimaryKeyConstraint('township_id', name=op.f('pk_warning_townships'))
    )

    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what these tables change
        op.execute(notify_trigger('warnings'))
        op.execute(notify_trigger('warning_townships'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON warning_townships")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON warnings")
    op.drop_table('warning_townships')
    with op.batch_alter_table('warnings', schema=None) as batch_op:
        batch_op.drop_index('uq_warnings_open', sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))
        batch_op.drop_index('ix_warnings_township_open')
        batch_op.drop_index(batch_op.f('ix_warnings_village_id'))
    op.drop_table('warnings')
