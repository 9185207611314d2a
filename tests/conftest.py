"""Fixtures every test shares: a fresh database per backend, savepoint-rolled-back sessions, a live server.

The suite runs on SQLite always, and also on PostgreSQL when MEDSHARE_TEST_POSTGRES_URL names a
server: each run creates its own database there and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from sqlalchemy.orm import Session

from medshare.audit.service import Origin, current_origin
from medshare.bench.server import ThreadedServer
from medshare.db import make_engine, session_factory, upgrade
from medshare.settings import Settings
from tests import factories

# Property tests check rules, not speed: on a busy 2-core machine a per-example deadline only adds flakes.
hypothesis_settings.register_profile("medshare", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("medshare")

POSTGRES_URL = os.environ.get("MEDSHARE_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def fresh_database_url(backend: str, folder) -> Iterator[str]:
    """The URL of a new, empty database (not migrated): a file in folder, or one created and dropped on the server."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'medshare.db'}"
        return
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"medshare_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A new, empty, migrated database of each backend, for this run only."""
    for url in fresh_database_url(request.param, tmp_path_factory.mktemp(request.param)):
        upgrade(make_engine(url))
        yield url


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def own_engine(database_url: str, folder) -> Iterator:
    """A migrated database of database_url's backend for one package alone: for tests of region-wide
    pools and rankings, which other tests' committed rows would otherwise join."""
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    for url in fresh_database_url(backend, folder):
        eng = make_engine(url)
        upgrade(eng)
        yield eng
        eng.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    """A session whose every change is rolled back after the test (savepoints inside)."""
    yield from rolled_back_session(engine)


def rolled_back_session(engine) -> Iterator[Session]:
    connection = engine.connect()
    outer = connection.begin()
    sess = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    token = current_origin.set(Origin(channel="test"))
    try:
        yield sess
    finally:
        current_origin.reset(token)
        sess.close()
        outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def committed(engine):
    """A factory of committed transactions, for data a live server must see."""
    return session_factory(engine)


@pytest.fixture(scope="session")
def settings(database_url, tmp_path_factory) -> Settings:
    return Settings(database_url=database_url, data_dir=Path(tmp_path_factory.mktemp("data")),
                    secret_key=factories.SECRET_KEY, demo_on_first_start=False)


@pytest.fixture(scope="session")
def live_server(settings) -> Iterator[ThreadedServer]:
    server = ThreadedServer(settings).start()
    yield server
    server.stop()
