"""contracts register: the collective's other contracts, their schedules and deposits

Revision ID: 0025_contracts
Revises: 0024_assets
Create Date: 2026-12-06 15:40:00
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0025_contracts'
down_revision = '0024_assets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('collective_contracts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('counterparty_name', sa.String(length=80), nullable=False),
    sa.Column('counterparty_code', sa.String(length=18), nullable=True),
    sa.Column('counterparty_phone', sa.String(length=20), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('asset_id', sa.BigInteger(), nullable=True),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('signed_on', sa.Date(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('deposit_fen', sa.BigInteger(), nullable=False),
    sa.Column('deposit_received_on', sa.Date(), nullable=True),
    sa.Column('deposit_returned_on', sa.Date(), nullable=True),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'terminated') = (terminated_on IS NOT NULL)", name=op.f('ck_collective_contracts_terminated')),
    sa.CheckConstraint("direction IN ('income', 'expense')", name=op.f('ck_collective_contracts_direction')),
    sa.CheckConstraint("kind IN ('service', 'construction', 'purchase', 'asset_lease', 'other')", name=op.f('ck_collective_contracts_kind')),
    sa.CheckConstraint("status IN ('active', 'ended', 'terminated')", name=op.f('ck_collective_contracts_status')),
    sa.CheckConstraint('deposit_fen > 0 OR deposit_received_on IS NULL', name=op.f('ck_collective_contracts_deposit_received')),
    sa.CheckConstraint('deposit_fen >= 0', name=op.f('ck_collective_contracts_deposit')),
    sa.CheckConstraint('deposit_returned_on IS NULL OR deposit_received_on IS NOT NULL', name=op.f('ck_collective_contracts_deposit_returned')),
    sa.CheckConstraint('end_date >= start_date', name=op.f('ck_collective_contracts_term')),
    sa.CheckConstraint('total_fen > 0', name=op.f('ck_collective_contracts_total')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_collective_contracts_created_by_id_people')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_collective_contracts_decision_id_decisions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_collective_contracts_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_contracts')),
    sa.UniqueConstraint('id', 'village_id', name='uq_collective_contracts_id_village'),
    sa.UniqueConstraint('village_id', 'number', name='uq_collective_contracts_village_number')
    )
    op.create_index(op.f('ix_collective_contracts_village_id'), 'collective_contracts', ['village_id'], unique=False)
    op.create_table('collective_contract_installments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('settled_fen', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=60), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_collective_contract_installments_amount')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_collective_contract_installments_seq')),
    sa.CheckConstraint('settled_fen >= 0 AND settled_fen <= amount_fen', name=op.f('ck_collective_contract_installments_settled')),
    sa.ForeignKeyConstraint(['contract_id', 'village_id'], ['collective_contracts.id', 'collective_contracts.village_id'], name='fk_collective_contract_installments_contract', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_collective_contract_installments_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_contract_installments')),
    sa.UniqueConstraint('contract_id', 'seq', name='uq_collective_contract_installments_seq'),
    sa.UniqueConstraint('id', 'village_id', name='uq_collective_contract_installments_id_village')
    )
    op.create_index(op.f('ix_collective_contract_installments_contract_id'), 'collective_contract_installments', ['contract_id'], unique=False)
    op.create_index(op.f('ix_collective_contract_installments_due_date'), 'collective_contract_installments', ['due_date'], unique=False)
    op.create_index(op.f('ix_collective_contract_installments_village_id'), 'collective_contract_installments', ['village_id'], unique=False)
    op.create_table('collective_contract_settlements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('installment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('account_code', sa.String(length=20), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('voucher_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('bank', 'cash')", name=op.f('ck_collective_contract_settlements_method')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_collective_contract_settlements_amount')),
    sa.ForeignKeyConstraint(['contract_id', 'village_id'], ['collective_contracts.id', 'collective_contracts.village_id'], name='fk_collective_contract_settlements_contract'),
    sa.ForeignKeyConstraint(['installment_id', 'village_id'], ['collective_contract_installments.id', 'collective_contract_installments.village_id'], name='fk_collective_contract_settlements_installment'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_collective_contract_settlements_recorded_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_collective_contract_settlements_village_id_villages')),
    sa.ForeignKeyConstraint(['voucher_id'], ['ledger_vouchers.id'], name=op.f('fk_collective_contract_settlements_voucher_id_ledger_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collective_contract_settlements')),
    sa.UniqueConstraint('contract_id', 'idempotency_key', name='uq_collective_contract_settlements_key')
    )
    op.create_index(op.f('ix_collective_contract_settlements_contract_id'), 'collective_contract_settlements', ['contract_id'], unique=False)
    op.create_index(op.f('ix_collective_contract_settlements_installment_id'), 'collective_contract_settlements', ['installment_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what these tables change
        op.execute(notify_trigger('collective_contracts'))
        op.execute(notify_trigger('collective_contract_installments'))
        op.execute(notify_trigger('collective_contract_settlements'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON collective_contract_settlements")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON collective_contract_installments")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON collective_contracts")
    op.drop_index(op.f('ix_collective_contract_settlements_contract_id'), table_name='collective_contract_settlements')
    op.drop_index(op.f('ix_collective_contract_settlements_installment_id'), table_name='collective_contract_settlements')
    op.drop_table('collective_contract_settlements')
    op.drop_index(op.f('ix_collective_contract_installments_contract_id'), table_name='collective_contract_installments')
    op.drop_index(op.f('ix_collective_contract_installments_due_date'), table_name='collective_contract_installments')
    op.drop_index(op.f('ix_collective_contract_installments_village_id'), table_name='collective_contract_installments')
    op.drop_table('collective_contract_installments')
    op.drop_index(op.f('ix_collective_contracts_village_id'), table_name='collective_contracts')
    op.drop_table('collective_contracts')
