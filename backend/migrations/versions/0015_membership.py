"""membership confirmation (成员确认): applications, the 成员大会's meetings and their 公示, objections

Revision ID: 0015_membership
Revises: 0014_roster_roles
Create Date: 2026-12-05 23:40:00

An application is reviewed by the committee, confirmed (or not) by a meeting of the 成员大会 that met its quorum,
publicly posted, then registered (backend/membership/models.py). One open application per person: a partial unique
index on both databases.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0015_membership'
down_revision = '0014_roster_roles'
branch_labels = None
depends_on = None

TABLES = ('membership_meetings', 'membership_applications', 'membership_objections')


def upgrade():
    op.create_table('membership_meetings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('body', sa.String(length=24), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=120), nullable=True),
    sa.Column('eligible', sa.Integer(), nullable=False),
    sa.Column('present', sa.Integer(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('attendance', sa.Text(), nullable=False),
    sa.Column('minutes', sa.Text(), nullable=True),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('publicity_from', sa.Date(), nullable=True),
    sa.Column('publicity_until', sa.Date(), nullable=True),
    sa.Column('registered_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('registered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('recorded_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'registered') = (registered_at IS NOT NULL)", name=op.f('ck_membership_meetings_registered')),
    sa.CheckConstraint("(status IN ('publicity', 'registered')) = (publicity_from IS NOT NULL)", name=op.f('ck_membership_meetings_publicity_status')),
    sa.CheckConstraint("body IN ('members_assembly', 'members_rep_assembly')", name=op.f('ck_membership_meetings_body')),
    sa.CheckConstraint("status IN ('recorded', 'publicity', 'registered', 'closed')", name=op.f('ck_membership_meetings_status')),
    sa.CheckConstraint('(publicity_from IS NULL) = (publicity_until IS NULL)', name=op.f('ck_membership_meetings_publicity')),
    sa.CheckConstraint('eligible > 0 AND present >= 0 AND present <= eligible', name=op.f('ck_membership_meetings_counts')),
    sa.CheckConstraint('present * 3 >= eligible * 2', name=op.f('ck_membership_meetings_quorum')),
    sa.CheckConstraint('publicity_until IS NULL OR publicity_until >= publicity_from', name=op.f('ck_membership_meetings_publicity_order')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['people.id'], name=op.f('fk_membership_meetings_recorded_by_id_people')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['people.id'], name=op.f('fk_membership_meetings_registered_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_membership_meetings_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_meetings'))
    )
    with op.batch_alter_table('membership_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_meetings_village_id'), ['village_id'], unique=False)

    op.create_table('membership_applications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('grounds', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.Column('entered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('submitted_on', sa.Date(), nullable=False),
    sa.Column('reviewed_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reviewed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('agree', sa.Integer(), nullable=True),
    sa.Column('oppose', sa.Integer(), nullable=True),
    sa.Column('abstain', sa.Integer(), nullable=True),
    sa.Column('registered_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'registered') = (registered_at IS NOT NULL)", name=op.f('ck_membership_applications_registered')),
    sa.CheckConstraint("(status IN ('confirmed', 'not_passed', 'registered')) = (meeting_id IS NOT NULL)", name=op.f('ck_membership_applications_meeting')),
    sa.CheckConstraint("grounds IN ('residence', 'birth', 'marriage', 'adoption', 'other')", name=op.f('ck_membership_applications_grounds')),
    sa.CheckConstraint("status = 'submitted' OR reviewed_at IS NOT NULL", name=op.f('ck_membership_applications_reviewed')),
    sa.CheckConstraint('(reviewed_on IS NULL) = (reviewed_at IS NULL)', name=op.f('ck_membership_applications_reviewed_on')),
    sa.CheckConstraint('reviewed_on IS NULL OR reviewed_on >= submitted_on', name=op.f('ck_membership_applications_review_order')),
    sa.CheckConstraint("status IN ('submitted', 'referred', 'refused', 'confirmed', 'not_passed', 'registered')", name=op.f('ck_membership_applications_status')),
    sa.CheckConstraint("status NOT IN ('refused', 'not_passed') OR reason IS NOT NULL", name=op.f('ck_membership_applications_reason')),
    sa.CheckConstraint('(meeting_id IS NULL) = (agree IS NULL) AND (agree IS NULL) = (oppose IS NULL) AND (agree IS NULL) = (abstain IS NULL)', name=op.f('ck_membership_applications_votes_set')),
    sa.CheckConstraint('agree IS NULL OR (agree >= 0 AND oppose >= 0 AND abstain >= 0)', name=op.f('ck_membership_applications_votes')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['people.id'], name=op.f('fk_membership_applications_entered_by_id_people')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_membership_applications_household_id_households')),
    sa.ForeignKeyConstraint(['meeting_id'], ['membership_meetings.id'], name=op.f('fk_membership_applications_meeting_id_membership_meetings')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_membership_applications_person_id_people')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['people.id'], name=op.f('fk_membership_applications_reviewed_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_membership_applications_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_applications'))
    )
    with op.batch_alter_table('membership_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_applications_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_applications_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_membership_applications_village_id'), ['village_id'], unique=False)
        batch_op.create_index('uq_membership_applications_open', ['person_id'], unique=True, sqlite_where=sa.text("status IN ('submitted', 'referred', 'confirmed')"), postgresql_where=sa.text("status IN ('submitted', 'referred', 'confirmed')"))

    op.create_table('membership_objections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meeting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('raised_by_name', sa.String(length=40), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('raised_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('raised_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('answered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('(answer IS NULL) = (answered_at IS NULL)', name=op.f('ck_membership_objections_answered')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['people.id'], name=op.f('fk_membership_objections_answered_by_id_people')),
    sa.ForeignKeyConstraint(['meeting_id'], ['membership_meetings.id'], name=op.f('fk_membership_objections_meeting_id_membership_meetings')),
    sa.ForeignKeyConstraint(['raised_by_id'], ['people.id'], name=op.f('fk_membership_objections_raised_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_membership_objections_village_id_villages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_objections'))
    )
    with op.batch_alter_table('membership_objections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_membership_objections_meeting_id'), ['meeting_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(notify_trigger(table))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON {table}")
    with op.batch_alter_table('membership_objections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_objections_meeting_id'))

    op.drop_table('membership_objections')
    with op.batch_alter_table('membership_applications', schema=None) as batch_op:
        batch_op.drop_index('uq_membership_applications_open', sqlite_where=sa.text("status IN ('submitted', 'referred', 'confirmed')"), postgresql_where=sa.text("status IN ('submitted', 'referred', 'confirmed')"))
        batch_op.drop_index(batch_op.f('ix_membership_applications_village_id'))
        batch_op.drop_index(batch_op.f('ix_membership_applications_person_id'))
        batch_op.drop_index(batch_op.f('ix_membership_applications_meeting_id'))

    op.drop_table('membership_applications')
    with op.batch_alter_table('membership_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_membership_meetings_village_id'))

    op.drop_table('membership_meetings')
