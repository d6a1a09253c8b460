"""Alembic environment: runs the migrations on the connection handed over in ``config.attributes``
(see :func:`tdcoord.service.migrate.upgrade`), or on ``sqlalchemy.url`` when run by the alembic
command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from tdcoord.service.db import make_engine
from tdcoord.service.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run on the given connection, or on a new one to ``sqlalchemy.url``."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


run_online()
