"""platform certificate authority: CA, practitioners' certificates, signatures

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-23 15:50:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0006'
down_revision = '0001'
branch_labels = None
depends_on = None

STATUS = sa.Enum('active', 'revoked', name='certificatestatus', native_enum=False, create_constraint=True, length=40)
REASON = sa.Enum('unspecified', 'key_compromise', 'affiliation_changed', 'superseded', 'cessation_of_operation',
                 'privilege_withdrawn', name='revocationreason', native_enum=False, create_constraint=True, length=40)
MODE = sa.Enum('server', 'client', name='signaturemode', native_enum=False, create_constraint=True, length=40)
UTC = medshare.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table('pki_authorities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('current', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('encrypted_key_pem', sa.Text(), nullable=False),
    sa.Column('not_before', UTC, nullable=False),
    sa.Column('not_after', UTC, nullable=False),
    sa.Column('crl_number', sa.Integer(), nullable=False),
    sa.Column('created_at', UTC, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_authorities')),
    sa.UniqueConstraint('current', name=op.f('uq_pki_authorities_current'))
    )
    op.create_table('pki_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('serial_number', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('encrypted_key_pem', sa.Text(), nullable=True),
    sa.Column('not_before', UTC, nullable=False),
    sa.Column('not_after', UTC, nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('revoked_at', UTC, nullable=True),
    sa.Column('revocation_reason', REASON, nullable=True),
    sa.Column('revoked_by_user_id', sa.Integer(), nullable=True),
    sa.Column('issued_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC, nullable=False),
    sa.CheckConstraint('not_after > not_before', name=op.f('ck_pki_certificates_validity')),
    sa.ForeignKeyConstraint(['authority_id'], ['pki_authorities.id'],
                            name=op.f('fk_pki_certificates_authority_id_pki_authorities')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'],
                            name=op.f('fk_pki_certificates_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['revoked_by_user_id'], ['users.id'],
                            name=op.f('fk_pki_certificates_revoked_by_user_id_users')),
    sa.ForeignKeyConstraint(['issued_by_user_id'], ['users.id'], name=op.f('fk_pki_certificates_issued_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_certificates')),
    sa.UniqueConstraint('serial_number', name=op.f('uq_pki_certificates_serial_number'))
    )
    with op.batch_alter_table('pki_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pki_certificates_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pki_certificates_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pki_certificates_not_after'), ['not_after'], unique=False)
        batch_op.create_index(batch_op.f('ix_pki_certificates_status'), ['status'], unique=False)

    op.create_table('pki_signatures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=False),
    sa.Column('document_type', sa.String(length=40), nullable=False),
    sa.Column('document_id', sa.String(length=64), nullable=False),
    sa.Column('digest_sha256', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=40), nullable=False),
    sa.Column('signature_b64', sa.Text(), nullable=False),
    sa.Column('mode', MODE, nullable=False),
    sa.Column('signed_at', UTC, nullable=False),
    sa.Column('signed_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['pki_certificates.id'],
                            name=op.f('fk_pki_signatures_certificate_id_pki_certificates')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'],
                            name=op.f('fk_pki_signatures_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['signed_by_user_id'], ['users.id'], name=op.f('fk_pki_signatures_signed_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pki_signatures'))
    )
    with op.batch_alter_table('pki_signatures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pki_signatures_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pki_signatures_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index('ix_pki_signatures_document', ['document_type', 'document_id'], unique=False)


def downgrade() -> None:
    op.drop_table('pki_signatures')
    op.drop_table('pki_certificates')
    op.drop_table('pki_authorities')
