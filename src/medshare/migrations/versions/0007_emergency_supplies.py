"""emergency supplies: catalogue, stock by location and lot, capacity, demand, allocation runs, shipments, ledger

Revision ID: 0007
Revises: 0001
Create Date: 2026-11-23 15:45:00
"""

import sqlalchemy as sa
from alembic import op

import medshare.db

revision = '0007'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('supply_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('category', sa.Enum('protective_equipment', 'ventilators_oxygen', 'test_kits', 'drugs', 'disinfectant', name='itemcategory', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('unit', sa.String(length=40), nullable=False),
    sa.Column('specification', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_items')),
    sa.UniqueConstraint('code', name=op.f('uq_supply_items_code'))
    )
    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_items_category'), ['category'], unique=False)

    op.create_table('stock_locations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('hospital_store', 'warehouse', 'supplier', name='locationkind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('latitude', sa.Double(), nullable=False),
    sa.Column('longitude', sa.Double(), nullable=False),
    sa.Column('division_code', sa.String(length=6), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_stock_locations_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_locations')),
    sa.UniqueConstraint('institution_id', 'name', name=op.f('uq_stock_locations_institution_id_name'))
    )
    with op.batch_alter_table('stock_locations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_locations_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_locations_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_locations_kind'), ['kind'], unique=False)

    op.create_table('supply_consumption',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('daily_units', sa.Integer(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_units >= 0', name=op.f('ck_supply_consumption_non_negative')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supply_consumption_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_consumption_item_id_supply_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_consumption')),
    sa.UniqueConstraint('institution_id', 'item_id', name=op.f('uq_supply_consumption_institution_id_item_id'))
    )
    with op.batch_alter_table('supply_consumption', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_consumption_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_consumption_item_id'), ['item_id'], unique=False)

    op.create_table('supply_item_substitutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('substitute_id', sa.Integer(), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False),
    sa.CheckConstraint('item_id <> substitute_id', name=op.f('ck_supply_item_substitutes_other_item')),
    sa.CheckConstraint('ratio > 0', name=op.f('ck_supply_item_substitutes_ratio')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_item_substitutes_item_id_supply_items')),
    sa.ForeignKeyConstraint(['substitute_id'], ['supply_items.id'], name=op.f('fk_supply_item_substitutes_substitute_id_supply_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_item_substitutes')),
    sa.UniqueConstraint('item_id', 'substitute_id', name=op.f('uq_supply_item_substitutes_item_id_substitute_id'))
    )
    with op.batch_alter_table('supply_item_substitutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_item_substitutes_item_id'), ['item_id'], unique=False)

    op.create_table('stock_lots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('lot', sa.String(length=40), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=True),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('reserved', sa.Integer(), nullable=False),
    sa.Column('committed', sa.Integer(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0 AND reserved >= 0 AND committed >= 0', name=op.f('ck_stock_lots_non_negative')),
    sa.CheckConstraint('reserved + committed <= on_hand', name=op.f('ck_stock_lots_within_on_hand')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_stock_lots_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_stock_lots_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_lots')),
    sa.UniqueConstraint('location_id', 'item_id', 'lot', name=op.f('uq_stock_lots_location_id_item_id_lot'))
    )
    with op.batch_alter_table('stock_lots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_lots_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_lots_location_id'), ['location_id'], unique=False)

    op.create_table('supplier_capacities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('daily_units', sa.Integer(), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_units >= 0 AND lead_days >= 0', name=op.f('ck_supplier_capacities_non_negative')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supplier_capacities_item_id_supply_items')),
    sa.ForeignKeyConstraint(['location_id'], ['stock_locations.id'], name=op.f('fk_supplier_capacities_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_capacities')),
    sa.UniqueConstraint('location_id', 'item_id', name=op.f('uq_supplier_capacities_location_id_item_id'))
    )
    with op.batch_alter_table('supplier_capacities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_capacities_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_capacities_location_id'), ['location_id'], unique=False)

    op.create_table('allocation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'committed', 'superseded', name='runstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('day0', sa.Date(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('figures', sa.JSON(), nullable=False),
    sa.Column('committed_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('committed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['committed_by_user_id'], ['users.id'], name=op.f('fk_allocation_runs_committed_by_user_id_users')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_allocation_runs_created_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_runs'))
    )
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_runs_status'), ['status'], unique=False)

    op.create_table('supply_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('institution_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('priority', sa.String(length=40), nullable=False),
    sa.Column('need_by', sa.Date(), nullable=False),
    sa.Column('allow_substitutes', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('open', 'allocated', 'fulfilled', 'cancelled', name='supplyrequeststatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('allocated', sa.Float(), nullable=False),
    sa.Column('received', sa.Float(), nullable=False),
    sa.Column('requested_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_supply_requests_quantity')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_supply_requests_created_by_user_id_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_supply_requests_institution_id_institutions')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_supply_requests_item_id_supply_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_requests'))
    )
    with op.batch_alter_table('supply_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_requests_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_requests_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_requests_priority'), ['priority'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_requests_status'), ['status'], unique=False)

    op.create_table('allocation_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('source_location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False),
    sa.Column('from_production', sa.Boolean(), nullable=False),
    sa.Column('ship_on', sa.Date(), nullable=False),
    sa.Column('arrive_on', sa.Date(), nullable=False),
    sa.Column('distance_km', sa.Double(), nullable=False),
    sa.Column('late_days', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_allocation_lines_item_id_supply_items')),
    sa.ForeignKeyConstraint(['request_id'], ['supply_requests.id'], name=op.f('fk_allocation_lines_request_id_supply_requests')),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_runs.id'], name=op.f('fk_allocation_lines_run_id_allocation_runs')),
    sa.ForeignKeyConstraint(['source_location_id'], ['stock_locations.id'], name=op.f('fk_allocation_lines_source_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_lines'))
    )
    with op.batch_alter_table('allocation_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_lines_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_lines_run_id'), ['run_id'], unique=False)

    op.create_table('allocation_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('needed', sa.Double(), nullable=False),
    sa.Column('covered', sa.Double(), nullable=False),
    sa.Column('reach', sa.Double(), nullable=False),
    sa.Column('bound', sa.String(length=40), nullable=False),
    sa.Column('priority', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['supply_requests.id'], name=op.f('fk_allocation_outcomes_request_id_supply_requests')),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_runs.id'], name=op.f('fk_allocation_outcomes_run_id_allocation_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_allocation_outcomes')),
    sa.UniqueConstraint('run_id', 'request_id', name=op.f('uq_allocation_outcomes_run_id_request_id'))
    )
    with op.batch_alter_table('allocation_outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allocation_outcomes_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_allocation_outcomes_run_id'), ['run_id'], unique=False)

    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('source_location_id', sa.Integer(), nullable=False),
    sa.Column('destination_location_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('ratio', sa.Float(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('from_stock', sa.Integer(), nullable=False),
    sa.Column('lots', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('ordered', 'dispatched', 'received', name='shipmentstatus', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('ship_on', sa.Date(), nullable=False),
    sa.Column('arrive_on', sa.Date(), nullable=False),
    sa.Column('distance_km', sa.Double(), nullable=False),
    sa.Column('dispatched_quantity', sa.Integer(), nullable=True),
    sa.Column('received_quantity', sa.Integer(), nullable=True),
    sa.Column('difference', sa.Integer(), nullable=True),
    sa.Column('difference_note', sa.String(length=500), nullable=False),
    sa.Column('dispatched_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', medshare.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity > 0 AND from_stock >= 0 AND from_stock <= quantity', name=op.f('ck_shipments_quantities')),
    sa.ForeignKeyConstraint(['destination_location_id'], ['stock_locations.id'], name=op.f('fk_shipments_destination_location_id_stock_locations')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_shipments_item_id_supply_items')),
    sa.ForeignKeyConstraint(['request_id'], ['supply_requests.id'], name=op.f('fk_shipments_request_id_supply_requests')),
    sa.ForeignKeyConstraint(['run_id'], ['allocation_runs.id'], name=op.f('fk_shipments_run_id_allocation_runs')),
    sa.ForeignKeyConstraint(['source_location_id'], ['stock_locations.id'], name=op.f('fk_shipments_source_location_id_stock_locations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_destination_location_id'), ['destination_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_run_id'), ['run_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_source_location_id'), ['source_location_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_status'), ['status'], unique=False)

    op.create_table('stock_moves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', medshare.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('report', 'dispatch', 'production', 'receipt', 'loss', 'surplus', name='movekind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('from_account', sa.String(length=40), nullable=False),
    sa.Column('to_account', sa.String(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=True),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('from_account <> to_account', name=op.f('ck_stock_moves_two_accounts')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_stock_moves_positive')),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_stock_moves_actor_user_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_items.id'], name=op.f('fk_stock_moves_item_id_supply_items')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_stock_moves_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_moves'))
    )
    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stock_moves_from_account'), ['from_account'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_moves_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_moves_shipment_id'), ['shipment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_moves_to_account'), ['to_account'], unique=False)


def downgrade() -> None:

    with op.batch_alter_table('stock_moves', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_moves_to_account'))
        batch_op.drop_index(batch_op.f('ix_stock_moves_shipment_id'))
        batch_op.drop_index(batch_op.f('ix_stock_moves_item_id'))
        batch_op.drop_index(batch_op.f('ix_stock_moves_from_account'))

    op.drop_table('stock_moves')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_status'))
        batch_op.drop_index(batch_op.f('ix_shipments_source_location_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_run_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_request_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_item_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_destination_location_id'))

    op.drop_table('shipments')
    with op.batch_alter_table('allocation_outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_outcomes_run_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_outcomes_request_id'))

    op.drop_table('allocation_outcomes')
    with op.batch_alter_table('allocation_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_lines_run_id'))
        batch_op.drop_index(batch_op.f('ix_allocation_lines_request_id'))

    op.drop_table('allocation_lines')
    with op.batch_alter_table('supply_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_requests_status'))
        batch_op.drop_index(batch_op.f('ix_supply_requests_priority'))
        batch_op.drop_index(batch_op.f('ix_supply_requests_item_id'))
        batch_op.drop_index(batch_op.f('ix_supply_requests_institution_id'))

    op.drop_table('supply_requests')
    with op.batch_alter_table('allocation_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_allocation_runs_status'))

    op.drop_table('allocation_runs')
    with op.batch_alter_table('supplier_capacities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_capacities_location_id'))
        batch_op.drop_index(batch_op.f('ix_supplier_capacities_item_id'))

    op.drop_table('supplier_capacities')
    with op.batch_alter_table('stock_lots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_lots_location_id'))
        batch_op.drop_index(batch_op.f('ix_stock_lots_item_id'))

    op.drop_table('stock_lots')
    with op.batch_alter_table('supply_item_substitutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_item_substitutes_item_id'))

    op.drop_table('supply_item_substitutes')
    with op.batch_alter_table('supply_consumption', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_consumption_item_id'))
        batch_op.drop_index(batch_op.f('ix_supply_consumption_institution_id'))

    op.drop_table('supply_consumption')
    with op.batch_alter_table('stock_locations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_locations_kind'))
        batch_op.drop_index(batch_op.f('ix_stock_locations_institution_id'))
        batch_op.drop_index(batch_op.f('ix_stock_locations_division_code'))

    op.drop_table('stock_locations')
    with op.batch_alter_table('supply_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_items_category'))

    op.drop_table('supply_items')
