"""The store: one SQLAlchemy engine per database URL, with the pragmas the platform relies on.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and every transaction starts
with ``BEGIN IMMEDIATE`` so that writers serialise at the start of the transaction instead of
failing at commit (the pattern in SQLAlchemy's "Serializable isolation / Savepoints / Transactional
DDL" notes for pysqlite). PostgreSQL (``postgresql+psycopg://…``) serialises the writers of one
market session with ``SELECT … FOR UPDATE`` on the session row (:func:`lock_session_row`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from tdcoord.errors import TdcoordError


class StoreError(TdcoordError):
    """A database URL or store that cannot be used."""


def sqlite_url(path: str | Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{Path(path)}"


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get("tdcoord_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///file`` or ``postgresql+psycopg://…``)."""
    if url.startswith("sqlite"):
        if url in ("sqlite://", "sqlite:///:memory:"):
            raise StoreError(
                "an in-memory SQLite store is not supported",
                where="--db", fix="give a file, e.g. sqlite:///platform.db",
            )
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=20, max_overflow=80,
        )
        _sqlite_hooks(engine)
        return engine
    if url.startswith("postgresql"):
        if not url.startswith("postgresql+psycopg://"):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(url, pool_size=10, max_overflow=70, pool_pre_ping=True)
    raise StoreError(
        f"unsupported database URL {url.split(':', 1)[0]!r}",
        where="--db", fix="use sqlite:///FILE or postgresql+psycopg://USER:PASS@HOST/DB",
    )


class Store:
    """The engine and a session factory; :meth:`tx` is one transaction."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._factory = sessionmaker(self.engine, expire_on_commit=False)
        self._write_lock = threading.Lock() if url.startswith("sqlite") else None
        self._readers = sessionmaker(
            self.engine.execution_options(tdcoord_readonly=True), expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite store."""
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def tx(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any exception. On SQLite the
        writers of this process also queue on a lock (SQLite takes one writer at a time anyway;
        queueing here avoids its busy-wait back-off)."""
        if self._write_lock is None:
            with self._factory() as s, s.begin():
                yield s
            return
        with self._write_lock, self._factory() as s, s.begin():
            yield s

    @contextmanager
    def read(self) -> Iterator[Session]:
        """One read-only transaction (a deferred ``BEGIN`` on SQLite: readers do not queue
        behind writers in WAL mode)."""
        with self._readers() as s, s.begin():
            yield s

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
