"""Alembic upgrade, downgrade, upgrade on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from tdcoord.service.db import make_engine
from tdcoord.service.migrate import downgrade, upgrade
from tdcoord.service.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    expected = set(Base.metadata.tables)
    upgrade(db_url)
    assert expected <= _tables(db_url)
    downgrade(db_url)
    assert not expected & _tables(db_url)
    upgrade(db_url)
    assert expected <= _tables(db_url)
    upgrade(db_url)  # idempotent at head


def test_models_match_migrations(sqlite_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
