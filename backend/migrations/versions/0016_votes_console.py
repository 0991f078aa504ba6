"""votes: one open vote per stage; meeting attendees

Revision ID: 0016_votes_console
Revises: 0015_membership
Create Date: 2026-12-05 23:40:00

A decision's stage has at most one vote not yet tallied (``result IS NULL``) among the votes whose result is recorded
on it (``on_stage``: the decision has the 四议两公开 pipeline; a vote on a decision resolved outside the app records
nothing): a partial unique index, on SQLite and PostgreSQL alike. A database that already holds two such votes on one stage (opened before this rule) must have
the older tallied first (``flask votes tally-due`` once it has closed): the upgrade stops with that advice.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db  # noqa: F401


# revision identifiers, used by Alembic.
revision = '0016_votes_console'
down_revision = '0015_membership'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_stage', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE votes SET on_stage = TRUE WHERE decision_id IN "
               "(SELECT id FROM decisions WHERE variant IS NOT NULL)")
    twice = bind.execute(sa.text(
        "SELECT decision_id, stage FROM votes WHERE result IS NULL AND on_stage "
        "GROUP BY decision_id, stage HAVING COUNT(*) > 1"
    )).first()
    if twice is not None:
        raise RuntimeError(
            f"decision {twice[0]} has more than one untallied vote on its stage {twice[1]}: "
            "tally the closed ones (flask votes tally-due) before upgrading")
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('uq_votes_one_open_per_stage', ['decision_id', 'stage'], unique=True,
                              sqlite_where=sa.text('result IS NULL AND on_stage'),
                              postgresql_where=sa.text('result IS NULL AND on_stage'))


def downgrade():
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('uq_votes_one_open_per_stage', sqlite_where=sa.text('result IS NULL AND on_stage'),
                            postgresql_where=sa.text('result IS NULL AND on_stage'))
        batch_op.drop_column('on_stage')
