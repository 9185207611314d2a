"""tamper-evident audit chain; supervision

Revision ID: 0010
Revises: 0001
Create Date: 2026-11-23 15:40:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0010'
down_revision = '0001'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
CONTENT = ("id", "occurred_at", "actor_user_id", "actor_role", "action", "object_type", "object_id",
           "institution_id", "patient_record_id", "source_ip", "channel", "request_id")

# Append-only, except the one UPDATE that seals a fresh row into the chain (seq, prev_hash,
# hash set while hash is still empty; every other column unchanged).
SQLITE_SEAL_ONLY = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events WHEN OLD.hash IS NOT NULL OR "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in (*CONTENT, "details"))
    + " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
)
POSTGRES_SEAL_ONLY = [
    "DROP TRIGGER audit_events_append_only ON audit_events",
    """CREATE TRIGGER audit_events_append_only BEFORE DELETE OR TRUNCATE
       ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
    f"""CREATE FUNCTION audit_events_seal_only() RETURNS trigger LANGUAGE plpgsql AS
       $$ BEGIN
         IF OLD.hash IS NOT NULL OR ({', '.join('NEW.' + c for c in CONTENT)}, NEW.details::text)
            IS DISTINCT FROM ({', '.join('OLD.' + c for c in CONTENT)}, OLD.details::text) THEN
           RAISE EXCEPTION 'audit_events is append-only';
         END IF;
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER audit_events_seal_only BEFORE UPDATE ON audit_events
       FOR EACH ROW EXECUTE FUNCTION audit_events_seal_only()""",
]
POSTGRES_APPEND_ONLY = [
    "DROP TRIGGER audit_events_seal_only ON audit_events",
    "DROP FUNCTION audit_events_seal_only()",
    "DROP TRIGGER audit_events_append_only ON audit_events",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
       ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
]
SQLITE_APPEND_ONLY = """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"""


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _seal_existing() -> None:
    from sqlalchemy.orm import Session

    from medshare.audit.sealing import seal

    session = Session(bind=op.get_bind())
    seal(session, every=0)
    session.flush()


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('seq', BigId, nullable=True))
    op.create_index('uq_audit_events_seq', 'audit_events', ['seq'], unique=True)
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', BigId, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    op.create_table('audit_signing_keys',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=20), nullable=False),
    sa.Column('public_key_pem', sa.Text(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_signing_keys'))
    )
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', BigId, nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('signed_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['key_id'], ['audit_signing_keys.id'], name=op.f('fk_audit_checkpoints_key_id_audit_signing_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_checkpoints_seq'))
    )
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_checkpoints_key_id'), ['key_id'], unique=False)
    head = sa.table('audit_chain_head', sa.column('id', sa.Integer()), sa.column('seq', BigId),
                    sa.column('hash', sa.String()), sa.column('updated_at', medshare.db.UTCDateTime(timezone=True)))
    op.bulk_insert(head, [{'id': 1, 'seq': 0, 'hash': '0' * 64, 'updated_at': medshare.db.utcnow()}])
    # The trail so far is sealed with the UPDATE trigger off (rows a downgrade left with a
    # hash but no seq are sealed again), then the seal-only trigger takes its place.
    if _sqlite():
        op.execute("DROP TRIGGER audit_events_no_update")
        _seal_existing()
        op.execute(SQLITE_SEAL_ONLY)
    else:
        op.execute(POSTGRES_SEAL_ONLY[0])
        _seal_existing()
        for statement in POSTGRES_SEAL_ONLY[1:]:
            op.execute(statement)
    _upgrade_supervision()


def _upgrade_supervision() -> None:
    from medshare.db import string_enum
    from medshare.supervision.models import (
        ActionKind,
        CaseStatus,
        ComplaintStatus,
        Department,
        RemediationStatus,
        SanctionKind,
    )

    now = medshare.db.UTCDateTime(timezone=True)
    op.create_table('regulator_departments',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('department', string_enum(Department), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_regulator_departments_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_regulator_departments'))
    )
    op.create_table('supervision_policy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('updated_at', now, nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_policy'))
    )
    op.create_table('supervision_cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', string_enum(CaseStatus), nullable=False),
    sa.Column('opened_by_user_id', sa.Integer(), nullable=False),
    sa.Column('opened_by_department', string_enum(Department), nullable=False),
    sa.Column('created_at', now, nullable=False),
    sa.Column('closed_at', now, nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supervision_cases_institution_id_institutions')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['users.id'], name=op.f('fk_supervision_cases_opened_by_user_id_users')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_supervision_cases_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_cases'))
    )
    op.create_index(op.f('ix_supervision_cases_institution_id'), 'supervision_cases', ['institution_id'])
    op.create_index(op.f('ix_supervision_cases_status'), 'supervision_cases', ['status'])
    op.create_table('supervision_sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', string_enum(SanctionKind), nullable=False),
    sa.Column('department', string_enum(Department), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('fine_fen', sa.BigInteger(), nullable=False),
    sa.Column('blacklists', sa.Boolean(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('lifted_at', now, nullable=True),
    sa.Column('lifted_reason', sa.String(length=300), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', now, nullable=False),
    sa.CheckConstraint('(institution_id IS NULL) != (practitioner_id IS NULL)', name=op.f('ck_supervision_sanctions_one_subject')),
    sa.CheckConstraint('fine_fen >= 0', name=op.f('ck_supervision_sanctions_fine')),
    sa.ForeignKeyConstraint(['case_id'], ['supervision_cases.id'], name=op.f('fk_supervision_sanctions_case_id_supervision_cases')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_supervision_sanctions_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supervision_sanctions_institution_id_institutions')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_supervision_sanctions_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_sanctions'))
    )
    for column in ('subject', 'institution_id', 'practitioner_id', 'case_id'):
        op.create_index(op.f(f'ix_supervision_sanctions_{column}'), 'supervision_sanctions', [column])
    op.create_table('supervision_case_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', string_enum(ActionKind), nullable=False),
    sa.Column('department', string_enum(Department), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=False),
    sa.Column('actor_institution_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('sanction_id', sa.Integer(), nullable=True),
    sa.Column('created_at', now, nullable=False),
    sa.ForeignKeyConstraint(['actor_institution_id'], ['institutions.id'], name=op.f('fk_supervision_case_actions_actor_institution_id_institutions')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_supervision_case_actions_actor_user_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['supervision_cases.id'], name=op.f('fk_supervision_case_actions_case_id_supervision_cases')),
    sa.ForeignKeyConstraint(['sanction_id'], ['supervision_sanctions.id'], name=op.f('fk_supervision_case_actions_sanction_id_supervision_sanctions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_case_actions'))
    )
    op.create_index(op.f('ix_supervision_case_actions_case_id'), 'supervision_case_actions', ['case_id'])
    op.create_table('supervision_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('text', sa.String(length=2000), nullable=False),
    sa.Column('status', string_enum(ComplaintStatus), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', now, nullable=False),
    sa.Column('handled_at', now, nullable=True),
    sa.Column('handled_by_user_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['handled_by_user_id'], ['users.id'], name=op.f('fk_supervision_complaints_handled_by_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supervision_complaints_institution_id_institutions')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_supervision_complaints_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_complaints'))
    )
    for column in ('institution_id', 'status', 'source_hash', 'created_at'):
        op.create_index(op.f(f'ix_supervision_complaints_{column}'), 'supervision_complaints', [column])
    op.create_table('supervision_credit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', now, nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supervision_credit_events_institution_id_institutions')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_supervision_credit_events_practitioner_id_practitioners')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_credit_events')),
    sa.UniqueConstraint('subject', 'kind', 'source', name=op.f('uq_supervision_credit_events_subject_kind_source'))
    )
    op.create_index(op.f('ix_supervision_credit_events_subject'), 'supervision_credit_events', ['subject'])
    op.create_table('supervision_remediations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=24), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=True),
    sa.Column('practitioner_id', sa.Integer(), nullable=True),
    sa.Column('plan', sa.String(length=2000), nullable=False),
    sa.Column('status', string_enum(RemediationStatus), nullable=False),
    sa.Column('requested_by_user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', now, nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('decided_department', string_enum(Department), nullable=True),
    sa.Column('decided_at', now, nullable=True),
    sa.Column('decision_note', sa.String(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_supervision_remediations_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supervision_remediations_institution_id_institutions')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioners.id'], name=op.f('fk_supervision_remediations_practitioner_id_practitioners')),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['users.id'], name=op.f('fk_supervision_remediations_requested_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_remediations'))
    )
    op.create_index(op.f('ix_supervision_remediations_subject'), 'supervision_remediations', ['subject'])
    op.create_index(op.f('ix_supervision_remediations_status'), 'supervision_remediations', ['status'])


SUPERVISION_TABLES = ('supervision_remediations', 'supervision_credit_events', 'supervision_complaints',
                      'supervision_case_actions', 'supervision_sanctions', 'supervision_cases', 'supervision_policy',
                      'regulator_departments')


def _downgrade_supervision() -> None:
    # Dropping a table drops its indexes on both databases.
    for table in SUPERVISION_TABLES:
        op.drop_table(table)


def downgrade() -> None:
    _downgrade_supervision()
    if _sqlite():
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute(SQLITE_APPEND_ONLY)
    else:
        for statement in POSTGRES_APPEND_ONLY:
            op.execute(statement)
    with op.batch_alter_table('audit_checkpoints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_checkpoints_key_id'))
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_signing_keys')
    op.drop_table('audit_chain_head')
    op.drop_index('uq_audit_events_seq', table_name='audit_events')
    # SQLite >= 3.35 drops a column in place (the triggers stay).
    op.drop_column('audit_events', 'seq')
