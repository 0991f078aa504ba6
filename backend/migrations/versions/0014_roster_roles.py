"""roster: role kinds (成员代表, 村民小组长), membership history

Revision ID: 0014_roster_roles
Revises: 0013_console_tickets
Create Date: 2026-12-05 23:40:00

- role_assignments.role may be 'member_representative' (成员代表, the electorate of the 成员代表大会) and
  'group_leader' (村民小组长);
- members.status may be 'ended' (membership ended for another reason than moving out or death);
- member_events: each roster entry's history (joined, edited, moved, ended), only ever added to.
"""
import sqlalchemy as sa
from alembic import op

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger

# revision identifiers, used by Alembic.
revision = '0014_roster_roles'
down_revision = '0013_console_tickets'
branch_labels = None
depends_on = None

OLD_ROLES = ("'villager', 'member', 'representative', 'party_member', 'secretary', 'committee', 'accountant', "
             "'supervisor', 'township_staff', 'township_accountant'")
NEW_ROLES = ("'villager', 'member', 'representative', 'party_member', 'member_representative', 'group_leader', "
             "'secretary', 'committee', 'accountant', 'supervisor', 'township_staff', 'township_accountant'")


def upgrade():
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_assignments_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_role_assignments_role'), f"role IN ({NEW_ROLES})")
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_members_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_members_status'),
                                         "status IN ('active', 'moved_out', 'deceased', 'ended')")

    op.create_table('member_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('member_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('on_date', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=True),
    sa.Column('actor_person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('joined', 'edited', 'moved', 'ended')", name=op.f('ck_member_events_kind')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('moved_out', 'deceased', 'other')",
                       name=op.f('ck_member_events_reason')),
    sa.CheckConstraint("(kind = 'ended') = (reason IS NOT NULL)", name=op.f('ck_member_events_ended_reason')),
    sa.ForeignKeyConstraint(['actor_person_id'], ['people.id'], name=op.f('fk_member_events_actor_person_id_people')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_events_member_id_members')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_member_events_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_events'))
    )
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_events_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_events_village_id'), ['village_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(notify_trigger('member_events'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON member_events")
    with op.batch_alter_table('member_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_events_village_id'))
        batch_op.drop_index(batch_op.f('ix_member_events_member_id'))
    op.drop_table('member_events')

    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_members_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_members_status'), "status IN ('active', 'moved_out', 'deceased')")
    with op.batch_alter_table('role_assignments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_assignments_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_role_assignments_role'), f"role IN ({OLD_ROLES})")
