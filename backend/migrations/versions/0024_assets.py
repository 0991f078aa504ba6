"""三资 register: assets, resources, funds, their events and vouchers, 清产核资 inventories

Revision ID: 0024_assets
Revises: 0023_pushes
Create Date: 2026-12-06 15:40:00
"""
import sqlalchemy as sa
from alembic import op

import backend.core.db
from backend.assets import guards
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger

# revision identifiers, used by Alembic.
revision = '0024_assets'
down_revision = '0023_pushes'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLES = ['assets', 'asset_events', 'asset_vouchers', 'asset_inventories', 'asset_inventory_lines']


def upgrade():
    op.create_table('asset_inventories',
    sa.Column('id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('base_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('seal_hash', sa.String(length=64), nullable=True),
    sa.Column('sealed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sealed_by_id', ID, nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'sealed') = (seal_hash IS NOT NULL AND sealed_at IS NOT NULL)", name=op.f('ck_asset_inventories_sealed')),
    sa.CheckConstraint("status IN ('open', 'sealed')", name=op.f('ck_asset_inventories_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_asset_inventories_created_by_id_people')),
    sa.ForeignKeyConstraint(['sealed_by_id'], ['people.id'], name=op.f('fk_asset_inventories_sealed_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_asset_inventories_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_inventories')),
    sa.UniqueConstraint('id', 'village_id', name='uq_asset_inventories_id_village')
    )
    op.create_index(op.f('ix_asset_inventories_village_id'), 'asset_inventories', ['village_id'], unique=False)
    op.create_table('assets',
    sa.Column('id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('unit', sa.String(length=10), nullable=True),
    sa.Column('area_mu4', sa.BigInteger(), nullable=True),
    sa.Column('original_fen', sa.BigInteger(), nullable=True),
    sa.Column('book_fen', sa.BigInteger(), nullable=True),
    sa.Column('acquired_how', sa.String(length=10), nullable=True),
    sa.Column('acquired_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('status_since', sa.Date(), nullable=False),
    sa.Column('parcel_id', ID, nullable=True),
    sa.Column('bank_name', sa.String(length=40), nullable=True),
    sa.Column('account_last4', sa.String(length=4), nullable=True),
    sa.Column('ledger_code', sa.String(length=12), nullable=True),
    sa.Column('photos', sa.Text(), nullable=False),
    sa.Column('hidden_fields', sa.Text(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('disposal_kind', sa.String(length=10), nullable=True),
    sa.Column('disposed_on', sa.Date(), nullable=True),
    sa.Column('disposal_decision_id', ID, nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'asset' AND category IN ('房屋及建筑物', '门面商铺', '机器设备', '交通运输工具', '基础设施', '生物资产', '公益性资产', '其他')) OR (kind = 'resource' AND category IN ('耕地', '园地', '林地', '草地', '水面', '四荒地', '建设用地', '其他')) OR (kind = 'fund' AND category IN ('银行存款', '库存现金'))", name=op.f('ck_assets_category')),
    sa.CheckConstraint("(status = 'disposed') = (disposed_on IS NOT NULL AND disposal_kind IS NOT NULL)", name=op.f('ck_assets_disposed')),
    sa.CheckConstraint("acquired_how IS NULL OR acquired_how IN ('built', 'bought', 'state', 'donated', 'other')", name=op.f('ck_assets_acquired')),
    sa.CheckConstraint("disposal_kind IS NULL OR disposal_kind IN ('sale', 'write_off', 'transfer', 'missing')", name=op.f('ck_assets_disposal_kind')),
    sa.CheckConstraint("kind <> 'fund' OR (ledger_code IS NOT NULL AND book_fen IS NULL AND original_fen IS NULL AND parcel_id IS NULL)", name=op.f('ck_assets_fund')),
    sa.CheckConstraint("kind <> 'resource' OR area_mu4 IS NOT NULL", name=op.f('ck_assets_resource_area')),
    sa.CheckConstraint("kind = 'fund' OR (ledger_code IS NULL AND bank_name IS NULL AND account_last4 IS NULL)", name=op.f('ck_assets_not_fund')),
    sa.CheckConstraint("kind IN ('asset', 'resource', 'fund')", name=op.f('ck_assets_kind')),
    sa.CheckConstraint("status IN ('in_use', 'idle', 'disposed')", name=op.f('ck_assets_status')),
    sa.CheckConstraint('account_last4 IS NULL OR length(account_last4) = 4', name=op.f('ck_assets_last4')),
    sa.CheckConstraint('area_mu4 IS NULL OR area_mu4 > 0', name=op.f('ck_assets_area')),
    sa.CheckConstraint('book_fen IS NULL OR book_fen >= 0', name=op.f('ck_assets_book')),
    sa.CheckConstraint('original_fen IS NULL OR original_fen >= 0', name=op.f('ck_assets_original')),
    sa.CheckConstraint('quantity IS NULL OR quantity > 0', name=op.f('ck_assets_quantity')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_assets_created_by_id_people')),
    sa.ForeignKeyConstraint(['disposal_decision_id'], ['decisions.id'], name=op.f('fk_assets_disposal_decision_id_decisions')),
    sa.ForeignKeyConstraint(['parcel_id', 'village_id'], ['land_parcels.id', 'land_parcels.village_id'], name='fk_assets_parcel_same_village'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_assets_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assets')),
    sa.UniqueConstraint('id', 'village_id', name='uq_assets_id_village'),
    sa.UniqueConstraint('village_id', 'code', name='uq_assets_village_code')
    )
    op.create_index(op.f('ix_assets_parcel_id'), 'assets', ['parcel_id'], unique=False)
    op.create_index(op.f('ix_assets_village_id'), 'assets', ['village_id'], unique=False)
    op.create_table('asset_events',
    sa.Column('id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor_id', ID, nullable=True),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('decision_id', ID, nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['people.id'], name=op.f('fk_asset_events_actor_id_people')),
    sa.ForeignKeyConstraint(['asset_id', 'village_id'], ['assets.id', 'assets.village_id'], name='fk_asset_events_asset', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_asset_events_decision_id_decisions')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_asset_events_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_events'))
    )
    op.create_index(op.f('ix_asset_events_asset_id'), 'asset_events', ['asset_id'], unique=False)
    op.create_table('asset_inventory_lines',
    sa.Column('id', ID, nullable=False),
    sa.Column('inventory_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=True),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=True),
    sa.Column('book_fen', sa.BigInteger(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=True),
    sa.Column('found_kind', sa.String(length=10), nullable=True),
    sa.Column('found_code', sa.String(length=40), nullable=True),
    sa.Column('found_name', sa.String(length=80), nullable=True),
    sa.Column('found_category', sa.String(length=20), nullable=True),
    sa.Column('created_asset_id', ID, nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.CheckConstraint("(result = 'found') = (asset_id IS NULL)", name=op.f('ck_asset_inventory_lines_found')),
    sa.CheckConstraint("result <> 'found' OR (found_kind IS NOT NULL AND found_code IS NOT NULL AND found_name IS NOT NULL AND found_category IS NOT NULL)", name=op.f('ck_asset_inventory_lines_found_entry')),
    sa.CheckConstraint("result IN ('confirmed', 'corrected', 'missing', 'found')", name=op.f('ck_asset_inventory_lines_result')),
    sa.CheckConstraint("status IS NULL OR status IN ('in_use', 'idle', 'disposed')", name=op.f('ck_asset_inventory_lines_status')),
    sa.CheckConstraint('book_fen IS NULL OR book_fen >= 0', name=op.f('ck_asset_inventory_lines_book')),
    sa.CheckConstraint('quantity IS NULL OR quantity > 0', name=op.f('ck_asset_inventory_lines_quantity')),
    sa.ForeignKeyConstraint(['asset_id', 'village_id'], ['assets.id', 'assets.village_id'], name='fk_asset_inventory_lines_asset'),
    sa.ForeignKeyConstraint(['created_asset_id', 'village_id'], ['assets.id', 'assets.village_id'], name='fk_asset_inventory_lines_created'),
    sa.ForeignKeyConstraint(['inventory_id', 'village_id'], ['asset_inventories.id', 'asset_inventories.village_id'], name='fk_asset_inventory_lines_inventory', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_asset_inventory_lines_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_inventory_lines')),
    sa.UniqueConstraint('inventory_id', 'asset_id', name='uq_asset_inventory_lines_asset'),
    sa.UniqueConstraint('inventory_id', 'found_code', name='uq_asset_inventory_lines_found_code')
    )
    op.create_index(op.f('ix_asset_inventory_lines_asset_id'), 'asset_inventory_lines', ['asset_id'], unique=False)
    op.create_index(op.f('ix_asset_inventory_lines_inventory_id'), 'asset_inventory_lines', ['inventory_id'], unique=False)
    op.create_table('asset_vouchers',
    sa.Column('id', ID, nullable=False),
    sa.Column('asset_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('voucher_id', ID, nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['asset_id', 'village_id'], ['assets.id', 'assets.village_id'], name='fk_asset_vouchers_asset', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_asset_vouchers_village_id_villages')),
    sa.ForeignKeyConstraint(['voucher_id'], ['ledger_vouchers.id'], name=op.f('fk_asset_vouchers_voucher_id_ledger_vouchers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_asset_vouchers')),
    sa.UniqueConstraint('asset_id', 'voucher_id', name='uq_asset_vouchers_asset_voucher')
    )
    op.create_index(op.f('ix_asset_vouchers_asset_id'), 'asset_vouchers', ['asset_id'], unique=False)

    for statement in guards.create_statements(op.get_bind().dialect.name):  # sealed and disposed stay as they are
        op.execute(statement)
    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what these tables change
        for table in TABLES:
            op.execute(notify_trigger(table))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON {table}")
    for statement in guards.drop_statements(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_index(op.f('ix_asset_vouchers_asset_id'), table_name='asset_vouchers')
    op.drop_table('asset_vouchers')
    op.drop_index(op.f('ix_asset_inventory_lines_inventory_id'), table_name='asset_inventory_lines')
    op.drop_index(op.f('ix_asset_inventory_lines_asset_id'), table_name='asset_inventory_lines')
    op.drop_table('asset_inventory_lines')
    op.drop_index(op.f('ix_asset_events_asset_id'), table_name='asset_events')
    op.drop_table('asset_events')
    op.drop_index(op.f('ix_assets_village_id'), table_name='assets')
    op.drop_index(op.f('ix_assets_parcel_id'), table_name='assets')
    op.drop_table('assets')
    op.drop_index(op.f('ix_asset_inventories_village_id'), table_name='asset_inventories')
    op.drop_table('asset_inventories')
