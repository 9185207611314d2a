"""Storage guarantees on both databases: durable SQLite settings, an append-only audit trail,
migrations that go up and down."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from medshare.audit.models import AuditEvent
from medshare.audit.service import record_event
from medshare.db import Base, downgrade, make_engine, upgrade, utcnow


def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_full_sync(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_the_audit_trail_refuses_updates_and_deletes(session):
    record_event(session, None, "test.event", "thing", 1)
    session.flush()
    for statement in (sa.update(AuditEvent).values(action="rewritten"), sa.delete(AuditEvent)):
        with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
            session.execute(statement)


def test_a_foreign_key_to_a_missing_row_is_refused(session):
    from medshare.registry.models import Licence

    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.execute(sa.insert(Licence).values(institution_id=999_999, number="x", scope="",
                                                  valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 2, 1),
                                                  created_at=utcnow(), updated_at=utcnow()))


def test_the_migrated_schema_matches_the_models_and_downgrades_cleanly(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_migrations_go_down_to_nothing_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'roundtrip.db'}")
    upgrade(engine)
    downgrade(engine, "base")
    assert set(sa.inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert "institutions" in sa.inspect(engine).get_table_names()
