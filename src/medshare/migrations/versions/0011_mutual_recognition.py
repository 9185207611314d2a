"""mutual recognition: item catalogue, accreditation, scope policy, order-time checks

Revision ID: 0011
Revises: 0006
Create Date: 2026-11-23 16:10:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0011'
down_revision = '0006'
branch_labels = None
depends_on = '0005'


def upgrade() -> None:
    op.create_table('recognition_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('code_system', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('lab', 'exam', name='itemcategory', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('result_kind', sa.Enum('Observation', 'DiagnosticReport', name='resultkind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('match_codes', sa.JSON(), nullable=False),
    sa.Column('validity_days', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=300), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_recognition_items_fee')),
    sa.CheckConstraint('validity_days > 0', name=op.f('ck_recognition_items_validity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_items')),
    sa.UniqueConstraint('code', name=op.f('uq_recognition_items_code'))
    )
    op.create_index(op.f('ix_recognition_items_category'), 'recognition_items', ['category'], unique=False)
    op.create_table('recognition_accreditations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('passed_on', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('scheme', sa.String(length=200), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_until >= passed_on', name=op.f('ck_recognition_accreditations_window')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_recognition_accreditations_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['recognition_items.id'], name=op.f('fk_recognition_accreditations_item_id_recognition_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_accreditations'))
    )
    op.create_index(op.f('ix_recognition_accreditations_institution_id'), 'recognition_accreditations', ['institution_id'], unique=False)
    op.create_index(op.f('ix_recognition_accreditations_item_id'), 'recognition_accreditations', ['item_id'], unique=False)
    op.create_index('ix_recognition_accreditations_pair', 'recognition_accreditations', ['institution_id', 'item_id'], unique=False)
    op.create_table('recognition_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('same_community', sa.Boolean(), nullable=False),
    sa.Column('lower_accepts_higher', sa.Boolean(), nullable=False),
    sa.Column('same_grade', sa.Boolean(), nullable=False),
    sa.Column('higher_accepts_lower', sa.Boolean(), nullable=False),
    sa.Column('independent_rank', sa.Integer(), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_recognition_policies_set_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_policies'))
    )
    op.create_table('recognition_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('service_request_id', sa.Integer(), nullable=True),
    sa.Column('checked_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('recognisable_count', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('pending', 'accepted', 'repeated', 'new', name='decision', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('decided_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('accepted_kind', sa.String(length=20), nullable=True),
    sa.Column('accepted_id', sa.Integer(), nullable=True),
    sa.Column('accepted_institution_id', sa.Integer(), nullable=True),
    sa.Column('repeat_reason', sa.Enum('condition_changed', 'fast_changing', 'critical_decision', 'emergency', 'forensic', 'patient_request', 'quality_doubt', name='repeatreason', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('repeat_note', sa.String(length=500), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['accepted_institution_id'], ['institutions.id'], name=op.f('fk_recognition_checks_accepted_institution_id_institutions')),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_recognition_checks_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_recognition_checks_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['recognition_items.id'], name=op.f('fk_recognition_checks_item_id_recognition_items')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_recognition_checks_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_recognition_checks_person_id_persons')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_recognition_checks_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['service_request_id'], ['service_requests.id'], name=op.f('fk_recognition_checks_service_request_id_service_requests')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recognition_checks_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_checks'))
    )
    op.create_index(op.f('ix_recognition_checks_decision'), 'recognition_checks', ['decision'], unique=False)
    op.create_index('ix_recognition_checks_figures', 'recognition_checks', ['month', 'institution_id', 'item_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_institution_id'), 'recognition_checks', ['institution_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_item_id'), 'recognition_checks', ['item_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_month'), 'recognition_checks', ['month'], unique=False)
    op.create_index(op.f('ix_recognition_checks_patient_record_id'), 'recognition_checks', ['patient_record_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_person_id'), 'recognition_checks', ['person_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_practitioner_id'), 'recognition_checks', ['practitioner_id'], unique=False)
    op.create_index(op.f('ix_recognition_checks_repeat_reason'), 'recognition_checks', ['repeat_reason'], unique=False)
    op.create_index(op.f('ix_recognition_checks_service_request_id'), 'recognition_checks', ['service_request_id'], unique=False)


def downgrade() -> None:
    op.drop_table('recognition_checks')
    op.drop_table('recognition_policies')
    op.drop_table('recognition_accreditations')
    op.drop_table('recognition_items')
