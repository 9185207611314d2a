"""What every command needs: the database of the settings, and a transaction marked as the CLI's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from medshare.audit.service import Origin, current_origin
from medshare.db import get_engine, session_factory, transaction, upgrade
from medshare.settings import get_settings


def engine() -> Engine:
    """The engine of MEDSHARE_DATABASE_URL (or the embedded SQLite file), schema brought up to date."""
    eng = get_engine(get_settings().resolved_database_url())
    upgrade(eng)
    return eng


@contextmanager
def cli_transaction() -> Iterator[Session]:
    """A committed-on-success session whose audit events say they came from the command line."""
    current_origin.set(Origin(channel="cli", source_ip="local"))
    with transaction(session_factory(engine())) as session:
        yield session
