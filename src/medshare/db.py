"""Engine, sessions, the declarative base and the transaction scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """The current instant, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def string_enum(cls: type) -> sa.Enum:
    """An enum column stored as its values in a plain string with a CHECK: portable and readable in SQL."""
    return sa.Enum(cls, native_enum=False, length=40, values_callable=lambda e: [m.value for m in e],
                   create_constraint=True, name=cls.__name__.lower())


class Base(DeclarativeBase):
    """Base of every table, with constraint names stable across databases."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime}


class Timestamped:
    """Creation and last-change times kept on a row."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def like_escaped(text: str) -> str:
    """text with LIKE's wildcards escaped by a backslash, for use with escape="\\"."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers run beside a writer; FULL synchronous makes each commit durable
    # across power loss; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A writing transaction takes the write lock when it starts (BEGIN IMMEDIATE), so two
    # writers queue on busy_timeout instead of failing when a reader upgrades to a writer;
    # readers stay DEFERRED and never wait in WAL mode.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine configured for the database behind url."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # As many connections as the server has worker threads (40), so no thread waits for one.
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                                  pool_size=20, max_overflow=30)
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling is switched off so that BEGIN is ours.
        event.listen(engine, "connect", lambda c, _r: setattr(c, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


@lru_cache
def get_engine(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


def session_factory(engine: Engine, *, writing: bool = True) -> sessionmaker[Session]:
    """Sessions bound to engine that keep loaded values after commit.

    A writing session locks SQLite for writing from its first statement; PostgreSQL ignores it.
    """
    bind = engine.execution_options(sqlite_begin="IMMEDIATE" if writing else "DEFERRED")
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(connection: sa.Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database schema up to revision (default: every branch head, so domains may migrate independently)."""
    from alembic import command

    with _migration_connection(engine) as connection:
        command.upgrade(_alembic_config(connection), revision)
        connection.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database schema back to revision ("base" removes every table)."""
    from alembic import command

    with _migration_connection(engine) as connection:
        command.downgrade(_alembic_config(connection), revision)
        connection.commit()


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[sa.Connection]:
    """A connection for migrations. On SQLite, foreign keys are off while they run: a batch migration
    rebuilds a table (copy, drop, rename), and dropping a table other rows refer to would fail or cascade.
    The pragma only takes effect outside a transaction, so it is set on the raw connection before the
    first statement; the keys are checked afterwards and switched back on."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            yield connection
            if sqlite:
                broken = connection.connection.driver_connection.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows whose foreign keys point nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    with engine.connect() as connection:
        command.revision(_alembic_config(connection), message=message, autogenerate=True)
