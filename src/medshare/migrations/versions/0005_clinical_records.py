"""clinical records

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23 15:30:06.151841
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fhir_aliases',
    sa.Column('resource_type', sa.String(length=40), nullable=False),
    sa.Column('alias', sa.String(length=64), nullable=False),
    sa.Column('logical_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('resource_type', 'alias', name=op.f('pk_fhir_aliases'))
    )
    op.create_table('fhir_identifiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resource_type', sa.String(length=40), nullable=False),
    sa.Column('logical_id', sa.String(length=64), nullable=False),
    sa.Column('system', sa.String(length=200), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_identifiers'))
    )
    with op.batch_alter_table('fhir_identifiers', schema=None) as batch_op:
        batch_op.create_index('ix_fhir_identifiers_resource', ['resource_type', 'logical_id'], unique=False)
        batch_op.create_index('ix_fhir_identifiers_value', ['resource_type', 'value', 'system'], unique=False)

    op.create_table('fhir_versions',
    sa.Column('resource_type', sa.String(length=40), nullable=False),
    sa.Column('logical_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('resource_type', 'logical_id', 'version_id', name=op.f('pk_fhir_versions'))
    )
    op.create_table('locations',
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type_code', sa.String(length=64), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_locations_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_locations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locations')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_locations_fhir_id'))
    )
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locations_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_locations_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_locations_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_locations_name'), ['name'], unique=False)

    op.create_table('encounters',
    sa.Column('status', sa.Enum('planned', 'arrived', 'triaged', 'in-progress', 'onleave', 'finished', 'cancelled', 'entered-in-error', 'unknown', name='encounterstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('class_code', sa.String(length=16), nullable=False),
    sa.Column('type_system', sa.String(length=200), nullable=False),
    sa.Column('type_code', sa.String(length=64), nullable=False),
    sa.Column('type_display', sa.String(length=200), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('location_id', sa.Integer(), nullable=True),
    sa.Column('period_start', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('period_end', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_code', sa.String(length=64), nullable=False),
    sa.Column('reason_display', sa.String(length=200), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_encounters_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_encounters_institution_id_institutions')),
    sa.ForeignKeyConstraint(['location_id'], ['locations.id'], name=op.f('fk_encounters_location_id_locations')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_encounters_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_encounters_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_encounters')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_encounters_fhir_id'))
    )
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounters_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_period_start'), ['period_start'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounters_status'), ['status'], unique=False)

    op.create_table('provenances',
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_fhir_id', sa.String(length=64), nullable=False),
    sa.Column('target_version_id', sa.Integer(), nullable=True),
    sa.Column('targets', sa.JSON(), nullable=False),
    sa.Column('recorded', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('activity', sa.String(length=64), nullable=False),
    sa.Column('agent_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('agent_institution_id', sa.Integer(), nullable=True),
    sa.Column('signature_type', sa.String(length=64), nullable=False),
    sa.Column('signature_when', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('signature_format', sa.String(length=64), nullable=False),
    sa.Column('signature_data', sa.Text(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_institution_id'], ['institutions.id'], name=op.f('fk_provenances_agent_institution_id_institutions')),
    sa.ForeignKeyConstraint(['agent_practitioner_id'], ['practitioners.id'], name=op.f('fk_provenances_agent_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_provenances_custodian_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provenances')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_provenances_fhir_id'))
    )
    with op.batch_alter_table('provenances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_provenances_agent_practitioner_id'), ['agent_practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provenances_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provenances_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index('ix_provenances_target', ['target_type', 'target_fhir_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_provenances_target_fhir_id'), ['target_fhir_id'], unique=False)

    op.create_table('consents',
    sa.Column('status', sa.Enum('draft', 'proposed', 'active', 'rejected', 'inactive', 'entered-in-error', name='consentstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('provision', sa.String(length=8), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('grantee_institution_id', sa.Integer(), nullable=True),
    sa.Column('grantee_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('resource_types', sa.JSON(), nullable=False),
    sa.Column('period_start', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('period_end', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('date_time', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.CheckConstraint("provision IN ('permit', 'deny')", name=op.f('ck_consents_provision')),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_consents_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['grantee_institution_id'], ['institutions.id'], name=op.f('fk_consents_grantee_institution_id_institutions')),
    sa.ForeignKeyConstraint(['grantee_practitioner_id'], ['practitioners.id'], name=op.f('fk_consents_grantee_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_consents_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_consents_recorded_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consents')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_consents_fhir_id'))
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consents_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_grantee_institution_id'), ['grantee_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_grantee_practitioner_id'), ['grantee_practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consents_status'), ['status'], unique=False)

    op.create_table('service_requests',
    sa.Column('status', sa.Enum('draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown', name='requeststatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('intent', sa.String(length=20), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('code_system', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('code_display', sa.String(length=200), nullable=False),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('requester_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('requester_institution_id', sa.Integer(), nullable=True),
    sa.Column('performer_institution_id', sa.Integer(), nullable=True),
    sa.Column('authored_on', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('occurrence_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason_text', sa.String(length=500), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_service_requests_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_service_requests_encounter_id_encounters')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_service_requests_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['performer_institution_id'], ['institutions.id'], name=op.f('fk_service_requests_performer_institution_id_institutions')),
    sa.ForeignKeyConstraint(['requester_institution_id'], ['institutions.id'], name=op.f('fk_service_requests_requester_institution_id_institutions')),
    sa.ForeignKeyConstraint(['requester_practitioner_id'], ['practitioners.id'], name=op.f('fk_service_requests_requester_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_requests')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_service_requests_fhir_id'))
    )
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_requests_authored_on'), ['authored_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_requester_institution_id'), ['requester_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_requester_practitioner_id'), ['requester_practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_requests_status'), ['status'], unique=False)

    op.create_table('fhir_token_scopes',
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('scopes', sa.String(length=1000), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['token_id'], ['auth_tokens.id'], name=op.f('fk_fhir_token_scopes_token_id_auth_tokens'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_id', name=op.f('pk_fhir_token_scopes'))
    )
    op.create_table('imaging_studies',
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('modality', sa.String(length=16), nullable=False),
    sa.Column('procedure_code', sa.String(length=64), nullable=False),
    sa.Column('procedure_display', sa.String(length=200), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('started', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('number_of_series', sa.Integer(), nullable=True),
    sa.Column('number_of_instances', sa.Integer(), nullable=True),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('series', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['based_on_id'], ['service_requests.id'], name=op.f('fk_imaging_studies_based_on_id_service_requests')),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_imaging_studies_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_imaging_studies_encounter_id_encounters')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_imaging_studies_institution_id_institutions')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_imaging_studies_patient_record_id_patient_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imaging_studies')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_imaging_studies_fhir_id'))
    )
    with op.batch_alter_table('imaging_studies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_imaging_studies_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_modality'), ['modality'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_started'), ['started'], unique=False)
        batch_op.create_index(batch_op.f('ix_imaging_studies_status'), ['status'], unique=False)

    op.create_table('observations',
    sa.Column('status', sa.Enum('registered', 'preliminary', 'final', 'amended', 'corrected', 'cancelled', 'entered-in-error', 'unknown', name='observationstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('code_system', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('code_display', sa.String(length=200), nullable=False),
    sa.Column('value_kind', sa.Enum('none', 'quantity', 'string', 'codeable', 'boolean', 'integer', name='valuekind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('value_quantity', sa.Double(), nullable=True),
    sa.Column('value_unit', sa.String(length=40), nullable=False),
    sa.Column('value_unit_code', sa.String(length=40), nullable=False),
    sa.Column('value_string', sa.Text(), nullable=False),
    sa.Column('value_code_system', sa.String(length=200), nullable=False),
    sa.Column('value_code', sa.String(length=64), nullable=False),
    sa.Column('value_code_display', sa.String(length=200), nullable=False),
    sa.Column('reference_low', sa.Double(), nullable=True),
    sa.Column('reference_high', sa.Double(), nullable=True),
    sa.Column('reference_text', sa.String(length=200), nullable=False),
    sa.Column('interpretation', sa.String(length=8), nullable=False),
    sa.Column('effective_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('performer_institution_id', sa.Integer(), nullable=True),
    sa.Column('performer_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['based_on_id'], ['service_requests.id'], name=op.f('fk_observations_based_on_id_service_requests')),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_observations_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_observations_encounter_id_encounters')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_observations_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['performer_institution_id'], ['institutions.id'], name=op.f('fk_observations_performer_institution_id_institutions')),
    sa.ForeignKeyConstraint(['performer_practitioner_id'], ['practitioners.id'], name=op.f('fk_observations_performer_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observations')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_observations_fhir_id'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observations_based_on_id'), ['based_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_effective_at'), ['effective_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index('ix_observations_patient_code', ['patient_record_id', 'code', 'effective_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_performer_institution_id'), ['performer_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_observations_status'), ['status'], unique=False)

    op.create_table('diagnostic_reports',
    sa.Column('status', sa.Enum('registered', 'partial', 'preliminary', 'final', 'amended', 'corrected', 'appended', 'cancelled', 'entered-in-error', 'unknown', name='reportstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('code_system', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('code_display', sa.String(length=200), nullable=False),
    sa.Column('conclusion', sa.Text(), nullable=False),
    sa.Column('conclusion_code', sa.String(length=64), nullable=False),
    sa.Column('effective_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('issued', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('patient_record_id', sa.Integer(), nullable=False),
    sa.Column('encounter_id', sa.Integer(), nullable=True),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('performer_institution_id', sa.Integer(), nullable=True),
    sa.Column('performer_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('interpreter_practitioner_id', sa.Integer(), nullable=True),
    sa.Column('imaging_study_id', sa.Integer(), nullable=True),
    sa.Column('provenance_id', sa.Integer(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fhir_id', sa.String(length=64), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('last_updated', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('custodian_institution_id', sa.Integer(), nullable=True),
    sa.Column('resource', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['based_on_id'], ['service_requests.id'], name=op.f('fk_diagnostic_reports_based_on_id_service_requests')),
    sa.ForeignKeyConstraint(['custodian_institution_id'], ['institutions.id'], name=op.f('fk_diagnostic_reports_custodian_institution_id_institutions')),
    sa.ForeignKeyConstraint(['encounter_id'], ['encounters.id'], name=op.f('fk_diagnostic_reports_encounter_id_encounters')),
    sa.ForeignKeyConstraint(['imaging_study_id'], ['imaging_studies.id'], name=op.f('fk_diagnostic_reports_imaging_study_id_imaging_studies')),
    sa.ForeignKeyConstraint(['interpreter_practitioner_id'], ['practitioners.id'], name=op.f('fk_diagnostic_reports_interpreter_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['patient_record_id'], ['patient_records.id'], name=op.f('fk_diagnostic_reports_patient_record_id_patient_records')),
    sa.ForeignKeyConstraint(['performer_institution_id'], ['institutions.id'], name=op.f('fk_diagnostic_reports_performer_institution_id_institutions')),
    sa.ForeignKeyConstraint(['performer_practitioner_id'], ['practitioners.id'], name=op.f('fk_diagnostic_reports_performer_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['provenance_id'], ['provenances.id'], name=op.f('fk_diagnostic_reports_provenance_id_provenances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnostic_reports')),
    sa.UniqueConstraint('fhir_id', name=op.f('uq_diagnostic_reports_fhir_id'))
    )
    with op.batch_alter_table('diagnostic_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_based_on_id'), ['based_on_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_code'), ['code'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_custodian_institution_id'), ['custodian_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_effective_at'), ['effective_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_encounter_id'), ['encounter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_last_updated'), ['last_updated'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_patient_record_id'), ['patient_record_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_performer_institution_id'), ['performer_institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_performer_practitioner_id'), ['performer_practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_diagnostic_reports_status'), ['status'], unique=False)

    op.create_table('diagnostic_report_results',
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('observation_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['observation_id'], ['observations.id'], name=op.f('fk_diagnostic_report_results_observation_id_observations')),
    sa.ForeignKeyConstraint(['report_id'], ['diagnostic_reports.id'], name=op.f('fk_diagnostic_report_results_report_id_diagnostic_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('report_id', 'observation_id', name=op.f('pk_diagnostic_report_results'))
    )
    with op.batch_alter_table('diagnostic_report_results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnostic_report_results_observation_id'), ['observation_id'], unique=False)

    # ### end Alembic commands ###




def downgrade() -> None:
    with op.batch_alter_table('diagnostic_report_results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnostic_report_results_observation_id'))

    op.drop_table('diagnostic_report_results')
    with op.batch_alter_table('diagnostic_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_status'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_performer_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_performer_institution_id'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_last_updated'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_effective_at'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_custodian_institution_id'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_code'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_category'))
        batch_op.drop_index(batch_op.f('ix_diagnostic_reports_based_on_id'))

    op.drop_table('diagnostic_reports')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observations_status'))
        batch_op.drop_index(batch_op.f('ix_observations_performer_institution_id'))
        batch_op.drop_index(batch_op.f('ix_observations_patient_record_id'))
        batch_op.drop_index('ix_observations_patient_code')
        batch_op.drop_index(batch_op.f('ix_observations_last_updated'))
        batch_op.drop_index(batch_op.f('ix_observations_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_observations_effective_at'))
        batch_op.drop_index(batch_op.f('ix_observations_custodian_institution_id'))
        batch_op.drop_index(batch_op.f('ix_observations_code'))
        batch_op.drop_index(batch_op.f('ix_observations_category'))
        batch_op.drop_index(batch_op.f('ix_observations_based_on_id'))

    op.drop_table('observations')
    with op.batch_alter_table('imaging_studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_imaging_studies_status'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_started'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_modality'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_last_updated'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_institution_id'))
        batch_op.drop_index(batch_op.f('ix_imaging_studies_custodian_institution_id'))

    op.drop_table('imaging_studies')
    op.drop_table('fhir_token_scopes')
    with op.batch_alter_table('service_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_requests_status'))
        batch_op.drop_index(batch_op.f('ix_service_requests_requester_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_requester_institution_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_last_updated'))
        batch_op.drop_index(batch_op.f('ix_service_requests_encounter_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_custodian_institution_id'))
        batch_op.drop_index(batch_op.f('ix_service_requests_code'))
        batch_op.drop_index(batch_op.f('ix_service_requests_category'))
        batch_op.drop_index(batch_op.f('ix_service_requests_authored_on'))

    op.drop_table('service_requests')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_consents_status'))
        batch_op.drop_index(batch_op.f('ix_consents_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_consents_last_updated'))
        batch_op.drop_index(batch_op.f('ix_consents_grantee_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_consents_grantee_institution_id'))
        batch_op.drop_index(batch_op.f('ix_consents_custodian_institution_id'))

    op.drop_table('consents')
    with op.batch_alter_table('provenances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_provenances_target_fhir_id'))
        batch_op.drop_index('ix_provenances_target')
        batch_op.drop_index(batch_op.f('ix_provenances_last_updated'))
        batch_op.drop_index(batch_op.f('ix_provenances_custodian_institution_id'))
        batch_op.drop_index(batch_op.f('ix_provenances_agent_practitioner_id'))

    op.drop_table('provenances')
    with op.batch_alter_table('encounters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_encounters_status'))
        batch_op.drop_index(batch_op.f('ix_encounters_practitioner_id'))
        batch_op.drop_index(batch_op.f('ix_encounters_period_start'))
        batch_op.drop_index(batch_op.f('ix_encounters_patient_record_id'))
        batch_op.drop_index(batch_op.f('ix_encounters_last_updated'))
        batch_op.drop_index(batch_op.f('ix_encounters_institution_id'))
        batch_op.drop_index(batch_op.f('ix_encounters_custodian_institution_id'))

    op.drop_table('encounters')
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locations_name'))
        batch_op.drop_index(batch_op.f('ix_locations_last_updated'))
        batch_op.drop_index(batch_op.f('ix_locations_institution_id'))
        batch_op.drop_index(batch_op.f('ix_locations_custodian_institution_id'))

    op.drop_table('locations')
    op.drop_table('fhir_versions')
    with op.batch_alter_table('fhir_identifiers', schema=None) as batch_op:
        batch_op.drop_index('ix_fhir_identifiers_value')
        batch_op.drop_index('ix_fhir_identifiers_resource')

    op.drop_table('fhir_identifiers')
    op.drop_table('fhir_aliases')
