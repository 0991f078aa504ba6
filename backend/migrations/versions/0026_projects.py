"""project library: projects, their seven steps, support funds and income plan

Revision ID: 0026_projects
Revises: 0025_contracts
Create Date: 2026-12-06 15:40:00
"""
import sqlalchemy as sa
from alembic import op

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger

# revision identifiers, used by Alembic.
revision = '0026_projects'
down_revision = '0025_contracts'
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
TABLES = ('projects', 'project_steps', 'project_funds', 'project_plans')


def upgrade():
    op.create_table('projects',
    sa.Column('id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('category', sa.String(length=10), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('planned_investment_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('income_account_id', ID, nullable=True),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('terminate_reason', sa.String(length=200), nullable=True),
    sa.Column('created_by_id', ID, nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'terminated') = (terminated_on IS NOT NULL)", name=op.f('ck_projects_terminated_on')),
    sa.CheckConstraint("category IN ('产业园', '光伏发电', '商铺厂房', '种养殖', '乡村旅游', '其他')", name=op.f('ck_projects_category')),
    sa.CheckConstraint("status <> 'active' OR step < 7", name=op.f('ck_projects_active_not_done')),
    sa.CheckConstraint("status <> 'implemented' OR step = 7", name=op.f('ck_projects_implemented_all_steps')),
    sa.CheckConstraint("status IN ('active', 'implemented', 'terminated')", name=op.f('ck_projects_status')),
    sa.CheckConstraint('planned_investment_fen >= 0', name=op.f('ck_projects_investment')),
    sa.CheckConstraint('step >= 0 AND step <= 7', name=op.f('ck_projects_step_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['people.id'], name=op.f('fk_projects_created_by_id_people')),
    sa.ForeignKeyConstraint(['income_account_id'], ['ledger_accounts.id'], name=op.f('fk_projects_income_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_projects_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('id', 'village_id', name='uq_projects_id_village'),
    sa.UniqueConstraint('village_id', 'title', name='uq_projects_village_title')
    )
    op.create_index(op.f('ix_projects_village_id'), 'projects', ['village_id'], unique=False)
    op.create_table('project_steps',
    sa.Column('id', ID, nullable=False),
    sa.Column('project_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('prev_step', sa.Integer(), nullable=True),
    sa.Column('done_by_id', ID, nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('documents', sa.Text(), nullable=False),
    sa.Column('decision_id', ID, nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(step = 1 AND prev_step IS NULL) OR (prev_step IS NOT NULL AND prev_step = step - 1)', name=op.f('ck_project_steps_prev_step')),
    sa.CheckConstraint('step >= 1 AND step <= 7', name=op.f('ck_project_steps_step_range')),
    sa.ForeignKeyConstraint(['decision_id'], ['decisions.id'], name=op.f('fk_project_steps_decision_id_decisions')),
    sa.ForeignKeyConstraint(['done_by_id'], ['people.id'], name=op.f('fk_project_steps_done_by_id_people')),
    sa.ForeignKeyConstraint(['project_id', 'prev_step'], ['project_steps.project_id', 'project_steps.step'], name='fk_project_steps_previous'),
    sa.ForeignKeyConstraint(['project_id', 'village_id'], ['projects.id', 'projects.village_id'], name='fk_project_steps_project_same_village'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_project_steps_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_steps')),
    sa.UniqueConstraint('project_id', 'step', name='uq_project_steps_project_step')
    )
    op.create_index(op.f('ix_project_steps_project_id'), 'project_steps', ['project_id'], unique=False)
    op.create_table('project_funds',
    sa.Column('id', ID, nullable=False),
    sa.Column('project_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("source IN ('中央财政', '省级财政', '市级财政', '县级财政', '乡镇', '村集体自筹', '社会资本', '其他')", name=op.f('ck_project_funds_source')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_project_funds_amount')),
    sa.ForeignKeyConstraint(['project_id', 'village_id'], ['projects.id', 'projects.village_id'], name='fk_project_funds_project_same_village'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_project_funds_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_funds'))
    )
    op.create_index(op.f('ix_project_funds_project_id'), 'project_funds', ['project_id'], unique=False)
    op.create_table('project_plans',
    sa.Column('id', ID, nullable=False),
    sa.Column('project_id', ID, nullable=False),
    sa.Column('village_id', ID, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('planned_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint("length(month) = 7 AND substr(month, 5, 1) = '-'", name=op.f('ck_project_plans_month_format')),
    sa.CheckConstraint('planned_fen >= 0', name=op.f('ck_project_plans_planned')),
    sa.ForeignKeyConstraint(['project_id', 'village_id'], ['projects.id', 'projects.village_id'], name='fk_project_plans_project_same_village'),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_project_plans_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_plans')),
    sa.UniqueConstraint('project_id', 'month', name='uq_project_plans_project_month')
    )
    op.create_index(op.f('ix_project_plans_project_id'), 'project_plans', ['project_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":  # the response cache forgets what these tables change
        for table in TABLES:
            op.execute(notify_trigger(table))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON {table}")
    for table in ('project_plans', 'project_funds', 'project_steps'):
        op.drop_index(op.f(f'ix_{table}_project_id'), table_name=table)
        op.drop_table(table)
    op.drop_index(op.f('ix_projects_village_id'), table_name='projects')
    op.drop_table('projects')
