"""assisted actions: entries by staff for members without a phone, co-signed

Revision ID: 0017_assisted
Revises: 0016_votes_console
Create Date: 2026-12-05 23:40:00

``assisted_entries`` (backend/assisted) holds an entry until a 村务监督委员 co-signs it; ``vote_assists``
(backend/decisions/votes/assisted.py) names the co-signer of an assisted participation; a participation's channel
may now be ``assisted``.
"""
from alembic import op
import sqlalchemy as sa

import backend.core.db
from backend.migrations.notify import NOTIFY_TRIGGER, notify_trigger


# revision identifiers, used by Alembic.
revision = '0017_assisted'
down_revision = '0016_votes_console'
branch_labels = None
depends_on = None

CHANNELS_BEFORE = "channel IN ('app', 'proxy', 'paper')"
CHANNELS_AFTER = "channel IN ('app', 'proxy', 'paper', 'assisted')"


def upgrade():
    op.create_table('assisted_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('village_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('person_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('household_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('vote_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('posting_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('entered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entered_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('member_confirmed', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('held_choice', sa.String(length=96), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('cosigned_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cosigned_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('present_confirmed', sa.Boolean(), nullable=True),
    sa.Column('refused_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('refused_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refusal_reason', sa.String(length=200), nullable=True),
    sa.Column('closed_at', backend.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('participation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('application_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("(kind = 'vote' AND vote_id IS NOT NULL AND posting_id IS NULL) OR (kind = 'job_application' AND posting_id IS NOT NULL AND vote_id IS NULL)", name=op.f('ck_assisted_entries_target')),
    sa.CheckConstraint("(status = 'pending') = (closed_at IS NULL)", name=op.f('ck_assisted_entries_closed')),
    sa.CheckConstraint("(status = 'refused') = (refused_by_id IS NOT NULL)", name=op.f('ck_assisted_entries_refused')),
    sa.CheckConstraint("(status = 'signed') = (cosigned_by_id IS NOT NULL AND cosigned_at IS NOT NULL)", name=op.f('ck_assisted_entries_signed')),
    sa.CheckConstraint("held_choice IS NULL OR (status = 'pending' AND kind = 'vote')", name=op.f('ck_assisted_entries_held_only_pending')),
    sa.CheckConstraint("kind IN ('vote', 'job_application')", name=op.f('ck_assisted_entries_kind')),
    sa.CheckConstraint("status <> 'pending' OR kind <> 'vote' OR held_choice IS NOT NULL", name=op.f('ck_assisted_entries_held_choice')),
    sa.CheckConstraint("status <> 'signed' OR kind <> 'job_application' OR application_id IS NOT NULL", name=op.f('ck_assisted_entries_signed_application')),
    sa.CheckConstraint("status <> 'signed' OR kind <> 'vote' OR participation_id IS NOT NULL", name=op.f('ck_assisted_entries_signed_vote')),
    sa.CheckConstraint("status IN ('pending', 'signed', 'refused', 'expired')", name=op.f('ck_assisted_entries_status')),
    sa.CheckConstraint('entered_by_id <> cosigned_by_id', name=op.f('ck_assisted_entries_two_staff')),
    sa.CheckConstraint('entered_by_id <> person_id', name=op.f('ck_assisted_entries_not_oneself')),
    sa.CheckConstraint('expires_at > entered_at', name=op.f('ck_assisted_entries_expiry')),
    sa.CheckConstraint('member_confirmed', name=op.f('ck_assisted_entries_member_confirmed')),
    sa.ForeignKeyConstraint(['application_id'], ['job_applications.id'], name=op.f('fk_assisted_entries_application_id_job_applications')),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['people.id'], name=op.f('fk_assisted_entries_cosigned_by_id_people')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['people.id'], name=op.f('fk_assisted_entries_entered_by_id_people')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_assisted_entries_household_id_households')),
    sa.ForeignKeyConstraint(['participation_id'], ['vote_participations.id'], name=op.f('fk_assisted_entries_participation_id_vote_participations')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_assisted_entries_person_id_people')),
    sa.ForeignKeyConstraint(['posting_id'], ['job_postings.id'], name=op.f('fk_assisted_entries_posting_id_job_postings')),
    sa.ForeignKeyConstraint(['refused_by_id'], ['people.id'], name=op.f('fk_assisted_entries_refused_by_id_people')),
    sa.ForeignKeyConstraint(['village_id'], ['villages.id'], name=op.f('fk_assisted_entries_village_id_villages')),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_assisted_entries_vote_id_votes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assisted_entries')),
    sa.UniqueConstraint('application_id', name=op.f('uq_assisted_entries_application_id')),
    sa.UniqueConstraint('participation_id', name=op.f('uq_assisted_entries_participation_id'))
    )
    with op.batch_alter_table('assisted_entries', schema=None) as batch_op:
        batch_op.create_index('ix_assisted_entries_due', ['status', 'expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_entries_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_entries_posting_id'), ['posting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_entries_village_id'), ['village_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assisted_entries_vote_id'), ['vote_id'], unique=False)
        batch_op.create_index('uq_assisted_entries_pending_posting', ['posting_id', 'person_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.create_index('uq_assisted_entries_pending_vote', ['vote_id', 'person_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    op.create_table('vote_assists',
    sa.Column('participation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('vote_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('entered_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cosigned_by_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('cosigned_at', backend.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('entered_by_id <> cosigned_by_id', name=op.f('ck_vote_assists_two_staff')),
    sa.ForeignKeyConstraint(['cosigned_by_id'], ['people.id'], name=op.f('fk_vote_assists_cosigned_by_id_people')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['people.id'], name=op.f('fk_vote_assists_entered_by_id_people')),
    sa.ForeignKeyConstraint(['participation_id'], ['vote_participations.id'], name=op.f('fk_vote_assists_participation_id_vote_participations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['votes.id'], name=op.f('fk_vote_assists_vote_id_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participation_id', name=op.f('pk_vote_assists'))
    )
    with op.batch_alter_table('vote_assists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vote_assists_vote_id'), ['vote_id'], unique=False)

    with op.batch_alter_table('vote_participations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_vote_participations_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_vote_participations_channel'), CHANNELS_AFTER)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(notify_trigger('assisted_entries'))
        op.execute(notify_trigger('vote_assists'))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON vote_assists")
        op.execute(f"DROP TRIGGER IF EXISTS {NOTIFY_TRIGGER} ON assisted_entries")
    with op.batch_alter_table('vote_assists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vote_assists_vote_id'))
    op.drop_table('vote_assists')
    with op.batch_alter_table('assisted_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_assisted_entries_pending_vote', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('uq_assisted_entries_pending_posting', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index(batch_op.f('ix_assisted_entries_vote_id'))
        batch_op.drop_index(batch_op.f('ix_assisted_entries_village_id'))
        batch_op.drop_index(batch_op.f('ix_assisted_entries_posting_id'))
        batch_op.drop_index(batch_op.f('ix_assisted_entries_person_id'))
        batch_op.drop_index('ix_assisted_entries_due')

    op.drop_table('assisted_entries')

    op.execute("DELETE FROM vote_participations WHERE channel = 'assisted'")  # the old channels cannot say so
    with op.batch_alter_table('vote_participations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_vote_participations_channel'), type_='check')
        batch_op.create_check_constraint(op.f('ck_vote_participations_channel'), CHANNELS_BEFORE)
