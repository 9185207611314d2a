"""tiered care: referrals, condition policies, teleconsultations, family-doctor teams, contracts and follow-ups,
night-care rota, requests and messages

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-23 15:50:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0008'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('care_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('specialty', sa.String(length=100), nullable=False),
    sa.Column('starts_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_care_shifts_span')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_care_shifts_institution_id_institutions')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_care_shifts_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_shifts'))
    )
    with op.batch_alter_table('care_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_shifts_ends_at'), ['ends_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_shifts_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_shifts_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_shifts_specialty'), ['specialty'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_shifts_starts_at'), ['starts_at'], unique=False)

    op.create_table('care_teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_care_teams_institution_id_institutions')),
    sa.ForeignKeyConstraint(['leader_id'], ['practitioners.id'], name=op.f('fk_care_teams_leader_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_teams'))
    )
    with op.batch_alter_table('care_teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_teams_institution_id'), ['institution_id'], unique=False)

    op.create_table('care_condition_policies',
    sa.Column('condition', sa.String(length=40), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('updated_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_user_id'], ['users.id'], name=op.f('fk_care_condition_policies_updated_by_user_id_users')),
    sa.PrimaryKeyConstraint('condition', name=op.f('pk_care_condition_policies'))
    )
    op.create_table('care_contracts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=40), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('active', 'renewed', 'ended', name='care_contractstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('renewed_from_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_care_contracts_term')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_care_contracts_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['renewed_from_id'], ['care_contracts.id'], name=op.f('fk_care_contracts_renewed_from_id_care_contracts')),
    sa.ForeignKeyConstraint(['team_id'], ['care_teams.id'], name=op.f('fk_care_contracts_team_id_care_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_contracts'))
    )
    with op.batch_alter_table('care_contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_contracts_ends_on'), ['ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_contracts_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_contracts_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_contracts_team_id'), ['team_id'], unique=False)

    op.create_table('care_night_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('specialty', sa.String(length=100), nullable=False),
    sa.Column('complaint', sa.Text(), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('status', sa.Enum('waiting', 'assigned', 'closed', 'escalated', name='care_nightrequeststatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_reason', sa.String(length=500), nullable=False),
    sa.Column('transport_ref', sa.String(length=100), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_care_night_requests_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_care_night_requests_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_care_night_requests_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['shift_id'], ['care_shifts.id'], name=op.f('fk_care_night_requests_shift_id_care_shifts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_night_requests'))
    )
    with op.batch_alter_table('care_night_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_night_requests_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_night_requests_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_night_requests_status'), ['status'], unique=False)

    op.create_table('care_referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.Enum('up', 'down', 'lateral', name='care_direction', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('condition', sa.String(length=40), nullable=False),
    sa.Column('urgency', sa.Enum('emergency', 'urgent', 'routine', name='care_urgency', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('draft', 'sent', 'accepted', 'declined', 'arrived', 'completed', 'down_referred', 'cancelled', name='care_referralstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('from_institution_id', sa.Integer(), nullable=False),
    sa.Column('from_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('to_institution_id', sa.Integer(), nullable=True),
    sa.Column('to_specialty', sa.String(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('observations', sa.JSON(), nullable=False),
    sa.Column('criteria_met', sa.JSON(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer_due_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=False),
    sa.Column('arrived_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('down_referred_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('care_plan', sa.JSON(), nullable=False),
    sa.Column('primary_team_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_care_referrals_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['from_institution_id'], ['institutions.id'], name=op.f('fk_care_referrals_from_institution_id_institutions')),
    sa.ForeignKeyConstraint(['from_practitioner_id'], ['practitioners.id'], name=op.f('fk_care_referrals_from_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['parent_id'], ['care_referrals.id'], name=op.f('fk_care_referrals_parent_id_care_referrals')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_care_referrals_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['primary_team_id'], ['care_teams.id'], name=op.f('fk_care_referrals_primary_team_id_care_teams')),
    sa.ForeignKeyConstraint(['to_institution_id'], ['institutions.id'], name=op.f('fk_care_referrals_to_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_referrals'))
    )
    with op.batch_alter_table('care_referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_referrals_answer_due_at'), ['answer_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_condition'), ['condition'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_from_institution_id'), ['from_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_primary_team_id'), ['primary_team_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_sent_at'), ['sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_referrals_to_institution_id'), ['to_institution_id'], unique=False)

    op.create_table('care_team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_care_team_members_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['team_id'], ['care_teams.id'], name=op.f('fk_care_team_members_team_id_care_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_team_members')),
    sa.UniqueConstraint('team_id', 'practitioner_id', name=op.f('uq_care_team_members_team_id_practitioner_id'))
    )
    with op.batch_alter_table('care_team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_team_members_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_team_members_team_id'), ['team_id'], unique=False)

    op.create_table('care_teleconsults',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_institution_id', sa.Integer(), nullable=False),
    sa.Column('requester_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('specialty', sa.String(length=100), nullable=False),
    sa.Column('urgency', sa.Enum('emergency', 'urgent', 'routine', name='care_urgency', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('case_summary', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('requested', 'scheduled', 'completed', 'cancelled', name='care_teleconsultstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('specialist_id', sa.Integer(), nullable=True),
    sa.Column('specialist_institution_id', sa.Integer(), nullable=True),
    sa.Column('starts_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ends_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('video_link', sa.String(length=500), nullable=False),
    sa.Column('opinion', sa.Text(), nullable=False),
    sa.Column('opinion_signature', sa.JSON(), nullable=False),
    sa.Column('completed_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_posted', sa.Boolean(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_care_teleconsults_fee')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_care_teleconsults_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_care_teleconsults_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['requester_institution_id'], ['institutions.id'], name=op.f('fk_care_teleconsults_requester_institution_id_institutions')),
    sa.ForeignKeyConstraint(['requester_practitioner_id'], ['practitioners.id'], name=op.f('fk_care_teleconsults_requester_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['specialist_id'], ['practitioners.id'], name=op.f('fk_care_teleconsults_specialist_id_practitioners')),
    sa.ForeignKeyConstraint(['specialist_institution_id'], ['institutions.id'], name=op.f('fk_care_teleconsults_specialist_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_teleconsults'))
    )
    with op.batch_alter_table('care_teleconsults', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_teleconsults_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_requester_institution_id'), ['requester_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_specialist_id'), ['specialist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_specialist_institution_id'), ['specialist_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_specialty'), ['specialty'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_teleconsults_status'), ['status'], unique=False)

    op.create_table('care_follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('done_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('controlled', sa.Boolean(), nullable=True),
    sa.Column('observations', sa.JSON(), nullable=False),
    sa.Column('by_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('source_referral_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['by_practitioner_id'], ['practitioners.id'], name=op.f('fk_care_follow_ups_by_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['contract_id'], ['care_contracts.id'], name=op.f('fk_care_follow_ups_contract_id_care_contracts')),
    sa.ForeignKeyConstraint(['source_referral_id'], ['care_referrals.id'], name=op.f('fk_care_follow_ups_source_referral_id_care_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_follow_ups'))
    )
    with op.batch_alter_table('care_follow_ups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_follow_ups_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_follow_ups_due_on'), ['due_on'], unique=False)

    op.create_table('care_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_user_id', sa.Integer(), nullable=True),
    sa.Column('author_kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('sent_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], name=op.f('fk_care_messages_author_user_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['care_night_requests.id'], name=op.f('fk_care_messages_request_id_care_night_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_messages'))
    )
    with op.batch_alter_table('care_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_messages_request_id'), ['request_id'], unique=False)

    op.create_table('care_referral_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_care_referral_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['referral_id'], ['care_referrals.id'], name=op.f('fk_care_referral_events_referral_id_care_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_referral_events'))
    )
    with op.batch_alter_table('care_referral_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_referral_events_referral_id'), ['referral_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('care_referral_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_referral_events_referral_id'))

    op.drop_table('care_referral_events')
    with op.batch_alter_table('care_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_messages_request_id'))

    op.drop_table('care_messages')
    with op.batch_alter_table('care_follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_follow_ups_due_on'))
        batch_op.drop_index(batch_op.f('ix_care_follow_ups_contract_id'))

    op.drop_table('care_follow_ups')
    with op.batch_alter_table('care_teleconsults', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_status'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_starts_at'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_specialty'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_specialist_institution_id'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_specialist_id'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_requester_institution_id'))
        batch_op.drop_index(batch_op.f('ix_care_teleconsults_patient_record_id'))

    op.drop_table('care_teleconsults')
    with op.batch_alter_table('care_team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_team_members_team_id'))
        batch_op.drop_index(batch_op.f('ix_care_team_members_practitioner_id'))

    op.drop_table('care_team_members')
    with op.batch_alter_table('care_referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_referrals_to_institution_id'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_status'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_sent_at'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_primary_team_id'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_from_institution_id'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_condition'))
        batch_op.drop_index(batch_op.f('ix_care_referrals_answer_due_at'))

    op.drop_table('care_referrals')
    with op.batch_alter_table('care_night_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_night_requests_status'))
        batch_op.drop_index(batch_op.f('ix_care_night_requests_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_care_night_requests_patient_record_id'))

    op.drop_table('care_night_requests')
    with op.batch_alter_table('care_contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_contracts_team_id'))
        batch_op.drop_index(batch_op.f('ix_care_contracts_status'))
        batch_op.drop_index(batch_op.f('ix_care_contracts_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_care_contracts_ends_on'))

    op.drop_table('care_contracts')
    op.drop_table('care_condition_policies')
    with op.batch_alter_table('care_teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_teams_institution_id'))

    op.drop_table('care_teams')
    with op.batch_alter_table('care_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_shifts_starts_at'))
        batch_op.drop_index(batch_op.f('ix_care_shifts_specialty'))
        batch_op.drop_index(batch_op.f('ix_care_shifts_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_care_shifts_institution_id'))
        batch_op.drop_index(batch_op.f('ix_care_shifts_ends_at'))

    op.drop_table('care_shifts')

