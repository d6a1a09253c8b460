"""Schema migrations (Alembic) of the platform's store, run from Python.

``upgrade(url)`` brings a store to the newest revision (applied by ``tdcoord serve`` on start);
``downgrade(url, rev)`` goes back. The scripts live in :mod:`tdcoord.service.migrations`.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from tdcoord.service.db import make_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for ``url`` with the bundled scripts."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(url: str, op: str, rev: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            getattr(command, op)(cfg, rev)
            conn.commit()
    finally:
        engine.dispose()


def upgrade(url: str, rev: str = "head") -> None:
    """Apply every migration up to ``rev``."""
    _run(url, "upgrade", rev)


def downgrade(url: str, rev: str = "base") -> None:
    """Revert migrations down to ``rev``."""
    _run(url, "downgrade", rev)
