"""ledger totals: each account's posted debits and credits per month, kept by a trigger, backfilled from the lines

Revision ID: 0028_ledger_totals
Revises: 0027_warnings
Create Date: 2026-12-06 22:30:00
"""
import sqlalchemy as sa
from alembic import op

from backend.ledger import totals

# revision identifiers, used by Alembic.
revision = '0028_ledger_totals'
down_revision = '0027_warnings'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table('ledger_account_months',
    sa.Column('account_id', ID, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('debit_fen', sa.BigInteger(), nullable=False),
    sa.Column('credit_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('debit_fen >= 0 AND credit_fen >= 0', name=op.f('ck_ledger_account_months_non_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'],
                            name=op.f('fk_ledger_account_months_account_id_ledger_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'period', name=op.f('pk_ledger_account_months'))
    )
    dialect = op.get_bind().dialect.name
    # the trigger first: on PostgreSQL creating it waits for postings in flight, and blocks new ones until commit,
    # so the backfill below sees every posted voucher and no posting is counted twice
    for statement in totals.create_statements(dialect):
        op.execute(statement)
    op.execute(totals.BACKFILL)


def downgrade():
    for statement in totals.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('ledger_account_months')
