"""land rent passed on to households (payout proof)

Revision ID: 0018_land_payouts
Revises: 0017_assisted
Create Date: 2026-12-06 02:45:00

A household's rent is paid only when its payout is recorded: ``land_payout_batches`` (a bank batch, marked paid
with the bank's reference) and ``land_rent_payouts`` (one per allocation, its household and amount the
allocation's through a composite foreign key onto the unique index ``uq_land_rent_allocations_payout_key``).
Rent received before this revision was passed on the same day (the old rule, a payout voucher per payment): each
such allocation gets a cash-less "bank" payout in a paid batch per payment, so history keeps reading as paid.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0018_land_payouts'
down_revision = '0017_assisted'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_index('uq_land_rent_allocations_payout_key', 'land_rent_allocations',
                    ['id', 'household_id', 'amount_fen'], unique=True)
    op.create_table('land_payout_batches',
    sa.Column('id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('bank_reference', sa.String(length=60), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('voucher_id', ID, nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('paid_by_id', ID, nullable=True),
    sa.CheckConstraint("status IN ('pending', 'paid')", name=op.f('ck_land_payout_batches_status')),
    sa.CheckConstraint('total_fen > 0', name=op.f('ck_land_payout_batches_total')),
    sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL AND bank_reference IS NOT NULL AND voucher_id IS NOT NULL)", name=op.f('ck_land_payout_batches_paid')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_land_payout_batches_created_by_id_people')),
    sa.ForeignKeyConstraint(['paid_by_id'], ['people.id'], name=op.f('fk_land_payout_batches_paid_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_land_payout_batches_village_id_villages')),
    sa.ForeignKeyConstraint(['voucher_id'], ['ledger_vouchers.id'], name=op.f('fk_land_payout_batches_voucher_id_ledger_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_land_payout_batches')),
    sa.UniqueConstraint('id', 'village_id', name='uq_land_payout_batches_id_village'),
    sa.UniqueConstraint('village_id', 'idempotency_key', name='uq_land_payout_batches_key')
    )
    with op.batch_alter_table('land_payout_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_land_payout_batches_village_id'), ['village_id'], unique=False)

    op.create_table('land_rent_payouts',
    sa.Column('id', ID, nullable=False),
    sa.Column('allocation_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('household_id', ID, nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('batch_id', ID, nullable=True),
    sa.Column('receiver_name', sa.String(length=40), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('voucher_id', ID, nullable=True),
    sa.Column('idempotency_key', sa.String(length=80), nullable=True),
    sa.Column('recorded_by_id', ID, nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("method IN ('bank', 'cash')", name=op.f('ck_land_rent_payouts_method')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_land_rent_payouts_amount')),
    sa.CheckConstraint("(method = 'bank') = (batch_id IS NOT NULL)", name=op.f('ck_land_rent_payouts_batch')),
    sa.CheckConstraint("method = 'bank' OR (receiver_name IS NOT NULL AND paid_on IS NOT NULL AND voucher_id IS NOT NULL)", name=op.f('ck_land_rent_payouts_cash')),
    sa.CheckConstraint('(paid_on IS NULL) = (voucher_id IS NULL)', name=op.f('ck_land_rent_payouts_posted')),
    sa.ForeignKeyConstraint(['allocation_id', 'household_id', 'amount_fen'], ['land_rent_allocations.id', 'land_rent_allocations.household_id', 'land_rent_allocations.amount_fen'], name='fk_land_rent_payouts_allocation'),
    sa.ForeignKeyConstraint(['batch_id', 'village_id'], ['land_payout_batches.id', 'land_payout_batches.village_id'], name='fk_land_rent_payouts_batch'),
    sa.ForeignKeyConstraint(['household_id', 'village_id'], ['households.id', 'households.village_id'], name='fk_land_rent_payouts_household_same_village'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_land_rent_payouts_recorded_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_land_rent_payouts_village_id_villages')),
    sa.ForeignKeyConstraint(['voucher_id'], ['ledger_vouchers.id'], name=op.f('fk_land_rent_payouts_voucher_id_ledger_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_land_rent_payouts')),
    sa.UniqueConstraint('allocation_id', name=op.f('uq_land_rent_payouts_allocation_id')),
    sa.UniqueConstraint('village_id', 'idempotency_key', name='uq_land_rent_payouts_key')
    )
    with op.batch_alter_table('land_rent_payouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_land_rent_payouts_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_land_rent_payouts_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_land_rent_payouts_village_id'), ['village_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what these tables change
        op.execute(notify_trigger('land_payout_batches'))
        op.execute(notify_trigger('land_rent_payouts'))

    _carry_over_passed_on()


def _carry_over_passed_on():
    """Rent received under the old rule was passed on the day it arrived (a payout voucher per payment): each such
    payment becomes a paid bank batch on that voucher, with a payout per household allocation."""
    from datetime import datetime, timezone

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    batches = sa.table('land_payout_batches', sa.column('id', ID), sa.column('village_id', ID),
                       sa.column('status', sa.String), sa.column('total_fen', sa.BigInteger),
                       sa.column('idempotency_key', sa.String), sa.column('request_hash', sa.String),
                       sa.column('bank_reference', sa.String), sa.column('paid_on', sa.Date),
                       sa.column('voucher_id', ID), sa.column('created_at', backend.core.db.UTCDateTime(timezone=True)))
    payouts = sa.table('land_rent_payouts', sa.column('allocation_id', ID), sa.column('village_id', ID),
                       sa.column('household_id', ID), sa.column('amount_fen', sa.BigInteger),
                       sa.column('method', sa.String), sa.column('batch_id', ID), sa.column('paid_on', sa.Date),
                       sa.column('voucher_id', ID), sa.column('created_at', backend.core.db.UTCDateTime(timezone=True)))
    rows = bind.execute(sa.text(
        "SELECT id, village_id, household_fen, paid_on, payout_voucher_id FROM land_rent_payments "
        "WHERE payout_voucher_id IS NOT NULL AND household_fen > 0 ORDER BY id")).all()
    for pid, village_id, total, paid_on, voucher_id in rows:
        key = f"carried-over-payment-{pid}"
        bind.execute(batches.insert().values(
            village_id=village_id, status='paid', total_fen=total, idempotency_key=key, request_hash=key,
            bank_reference='与收款同日代发（旧规则）', paid_on=paid_on, voucher_id=voucher_id, created_at=now))
        batch_id = bind.execute(sa.text("SELECT id FROM land_payout_batches WHERE village_id = :v AND "
                                        "idempotency_key = :k"), {"v": village_id, "k": key}).scalar_one()
        allocs = bind.execute(sa.text(
            "SELECT id, village_id, household_id, amount_fen FROM land_rent_allocations "
            "WHERE payment_id = :p AND amount_fen > 0"), {"p": pid}).all()
        for aid, vid, hid, amt in allocs:
            bind.execute(payouts.insert().values(
                allocation_id=aid, village_id=vid, household_id=hid, amount_fen=amt, method='bank',
                batch_id=batch_id, paid_on=paid_on, voucher_id=voucher_id, created_at=now))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON land_rent_payouts")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON land_payout_batches")
    with op.batch_alter_table('land_rent_payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_land_rent_payouts_village_id'))
        batch_op.drop_index(batch_op.f('ix_land_rent_payouts_household_id'))
        batch_op.drop_index(batch_op.f('ix_land_rent_payouts_batch_id'))
    op.drop_table('land_rent_payouts')
    with op.batch_alter_table('land_payout_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_land_payout_batches_village_id'))
    op.drop_table('land_payout_batches')
    op.drop_index('uq_land_rent_allocations_payout_key', table_name='land_rent_allocations')
