"""triage assessments, the transport fleet and transport requests

Revision ID: 0009
Revises: 0001
Create Date: 2026-11-23 15:40:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0009'
down_revision = '0001'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=40)


def _capability() -> sa.Enum:
    return _enum('capability', 'als', 'bls', 'seated')


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
            sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False)]


def upgrade() -> None:
    op.create_table(
        'triage_assessments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('patient_record_id', sa.Integer(), nullable=True),
        sa.Column('created_by_user_id', sa.Integer(), nullable=False),
        sa.Column('policy', sa.String(length=10), nullable=False),
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('fired', sa.JSON(), nullable=False),
        sa.Column('vitals', sa.JSON(), nullable=False),
        sa.Column('complaint', sa.String(length=40), nullable=False),
        sa.Column('mobility', _enum('mobility', 'walks', 'sits', 'lies'), nullable=False),
        sa.Column('care', _enum('carelevel', 'emergency_department', 'tertiary', 'secondary', 'primary'),
                  nullable=False),
        sa.Column('capability', _capability(), nullable=False),
        sa.Column('dispatch', sa.Boolean(), nullable=False),
        sa.Column('latitude', sa.Double(), nullable=False),
        sa.Column('longitude', sa.Double(), nullable=False),
        sa.Column('destination_institution_id', sa.Integer(), nullable=True),
        *_stamps(),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_triage_assessments_level')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_triage_assessments_created_by_user_id_users')),
        sa.ForeignKeyConstraint(['destination_institution_id'], ['institutions.id'],
                                name=op.f('fk_triage_assessments_destination_institution_id_institutions')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_triage_assessments_institution_id_institutions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_triage_assessments')),
    )
    with op.batch_alter_table('triage_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_triage_assessments_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_assessments_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_triage_assessments_patient_record_id'), ['patient_record_id'],
                              unique=False)

    op.create_table(
        'transport_vehicles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('institution_id', sa.Integer(), nullable=False),
        sa.Column('call_sign', sa.String(length=40), nullable=False),
        sa.Column('kind', _enum('vehiclekind', 'ambulance', 'partner_car'), nullable=False),
        sa.Column('capability', _capability(), nullable=False),
        sa.Column('station_institution_id', sa.Integer(), nullable=True),
        sa.Column('status', _enum('vehiclestatus', 'idle', 'assigned', 'en_route', 'on_scene', 'transporting',
                                  'at_hospital', 'out_of_service'), nullable=False),
        sa.Column('latitude', sa.Double(), nullable=False),
        sa.Column('longitude', sa.Double(), nullable=False),
        sa.Column('position_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        *_stamps(),
        sa.CheckConstraint("kind = 'ambulance' OR capability = 'seated'",
                           name=op.f('ck_transport_vehicles_partner_cars_seat')),
        sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'],
                                name=op.f('fk_transport_vehicles_institution_id_institutions')),
        sa.ForeignKeyConstraint(['station_institution_id'], ['institutions.id'],
                                name=op.f('fk_transport_vehicles_station_institution_id_institutions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transport_vehicles')),
        sa.UniqueConstraint('call_sign', name=op.f('uq_transport_vehicles_call_sign')),
    )
    with op.batch_alter_table('transport_vehicles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transport_vehicles_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_vehicles_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_vehicles_status'), ['status'], unique=False)

    op.create_table(
        'transport_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('status', _enum('requeststatus', 'requested', 'assigned', 'en_route', 'on_scene', 'transporting',
                                  'at_hospital', 'done', 'cancelled'), nullable=False),
        sa.Column('policy', sa.String(length=10), nullable=False),
        sa.Column('level', sa.SmallInteger(), nullable=False),
        sa.Column('can_sit', sa.Boolean(), nullable=False),
        sa.Column('capability', _capability(), nullable=False),
        sa.Column('latitude', sa.Double(), nullable=False),
        sa.Column('longitude', sa.Double(), nullable=False),
        sa.Column('origin_institution_id', sa.Integer(), nullable=True),
        sa.Column('destination_institution_id', sa.Integer(), nullable=True),
        sa.Column('triage_assessment_id', sa.Integer(), nullable=True),
        sa.Column('patient_record_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('source_ref', sa.String(length=64), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('vehicle_id', sa.Integer(), nullable=True),
        sa.Column('assignment', sa.String(length=10), nullable=False),
        sa.Column('eta_minutes', sa.Double(), nullable=True),
        sa.Column('distance_km', sa.Double(), nullable=True),
        *[sa.Column(name, medshare.db.UTCDateTime(timezone=True), nullable=name != 'requested_at')
          for name in ('requested_at', 'assigned_at', 'en_route_at', 'on_scene_at', 'transporting_at',
                       'at_hospital_at', 'done_at', 'cancelled_at')],
        sa.Column('cancel_reason', sa.String(length=300), nullable=False),
        sa.Column('created_by_user_id', sa.Integer(), nullable=True),
        *_stamps(),
        sa.CheckConstraint('level BETWEEN 1 AND 5', name=op.f('ck_transport_requests_level')),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'],
                                name=op.f('fk_transport_requests_created_by_user_id_users')),
        sa.ForeignKeyConstraint(['destination_institution_id'], ['institutions.id'],
                                name=op.f('fk_transport_requests_destination_institution_id_institutions')),
        sa.ForeignKeyConstraint(['origin_institution_id'], ['institutions.id'],
                                name=op.f('fk_transport_requests_origin_institution_id_institutions')),
        sa.ForeignKeyConstraint(['triage_assessment_id'], ['triage_assessments.id'],
                                name=op.f('fk_transport_requests_triage_assessment_id_triage_assessments')),
        sa.ForeignKeyConstraint(['vehicle_id'], ['transport_vehicles.id'],
                                name=op.f('fk_transport_requests_vehicle_id_transport_vehicles')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_transport_requests')),
    )
    with op.batch_alter_table('transport_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transport_requests_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_requests_origin_institution_id'), ['origin_institution_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_transport_requests_patient_record_id'), ['patient_record_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_transport_requests_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_transport_requests_vehicle_id'), ['vehicle_id'], unique=False)


def downgrade() -> None:
    op.drop_table('transport_requests')
    op.drop_table('transport_vehicles')
    op.drop_table('triage_assessments')
