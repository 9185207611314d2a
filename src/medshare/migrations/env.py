"""Alembic environment: runs against the connection handed over by medshare.db.upgrade."""

from alembic import context

import medshare.models  # noqa: F401  (registers every table)
from medshare.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `medshare db upgrade`")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
