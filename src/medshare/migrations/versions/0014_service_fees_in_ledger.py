"""service fees in the settlement ledger: entries for a teleconsultation (or any service) as well as a booking

Revision ID: 0014
Revises: 0008
Create Date: 2026-11-23 17:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_ref', sa.String(length=60), nullable=True))
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_journal_entries_service_ref_reason'),
                                          ['service_ref', 'reason'])
        batch_op.create_check_constraint(op.f('ck_journal_entries_one_subject'), '(booking_id IS NULL) <> (service_ref IS NULL)')


def downgrade() -> None:
    op.execute("DELETE FROM journal_lines WHERE entry_id IN (SELECT id FROM journal_entries WHERE booking_id IS NULL)")
    op.execute("DELETE FROM journal_entries WHERE booking_id IS NULL")
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_journal_entries_one_subject'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_journal_entries_service_ref_reason'), type_='unique')
        batch_op.alter_column('booking_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('service_ref')
