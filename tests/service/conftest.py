"""Fixtures of the platform tests: a migrated store (SQLite, and PostgreSQL when
``TDCOORD_TEST_PG_URL`` names a server — in CI, where ``TDCOORD_REQUIRE_PG=1`` makes a missing
server a failure), a test client with a settable clock, users of every role."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("sqlalchemy")

from fastapi.testclient import TestClient

from tdcoord.service.app import create_app
from tdcoord.service.auth import hash_password, issue_token
from tdcoord.service.db import Store
from tdcoord.service.engine import StudyEngine
from tdcoord.service.migrate import upgrade
from tdcoord.service.models import User
from tdcoord.service.platform import Platform
from tdcoord.service.users import ensure_party

SMALL_STUDY = Path(__file__).parents[1] / "comparison" / "small_study.yaml"
FEEDER_A = "create_cigre_network_mv@10"
PASSWORD = "secret-pw"
USERS: tuple[tuple[str, str, str], ...] = (
    ("admin", "admin", "Admin Org"),
    ("mo", "market_operator", "Market Op"),
    ("tso", "tso", "TSO"),
    ("dso", "dso", "DSO A"),
    ("fsp1", "fsp", "FSP 1"),
    ("fsp2", "fsp", "FSP 2"),
    ("owner", "der_owner", "Owner 1"),
)


def pg_admin_url() -> str | None:
    """The PostgreSQL URL of the test server (None: not configured)."""
    url = os.environ.get("TDCOORD_TEST_PG_URL")
    if not url and os.environ.get("TDCOORD_REQUIRE_PG") == "1":
        pytest.fail("TDCOORD_REQUIRE_PG=1 but TDCOORD_TEST_PG_URL is not set")
    return url or None


def fresh_pg_db() -> tuple[str, str]:
    """Create an empty database on the test server; (url, name)."""
    import psycopg

    base = pg_admin_url()
    if base is None:
        pytest.skip("no PostgreSQL: set TDCOORD_TEST_PG_URL (.ci/run does)")
    name = f"tdcoord_t_{uuid.uuid4().hex[:12]}"
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if os.environ.get("TDCOORD_REQUIRE_PG") == "1":
            pytest.fail(f"PostgreSQL required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    head, _, _ = base.rpartition("/")
    return f"{head}/{name}".replace("postgresql://", "postgresql+psycopg://"), name


def drop_pg_db(name: str) -> None:
    """Drop a database made by :func:`fresh_pg_db`."""
    import psycopg

    base = pg_admin_url()
    assert base is not None
    plain = base.replace("postgresql+psycopg://", "postgresql://")
    for _ in range(10):
        try:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            return
        except psycopg.errors.ObjectInUse:
            time.sleep(0.3)  # e.g. an autovacuum worker still on the new database


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store URL, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'platform.db'}"
        return
    url, name = fresh_pg_db()
    yield url
    drop_pg_db(name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An empty SQLite store URL."""
    return f"sqlite:///{tmp_path / 'platform.db'}"


_ENGINE: dict[str, StudyEngine] = {}
_HASH: dict[str, str] = {}


def password_hash() -> str:
    """The argon2 hash of ``PASSWORD`` (computed once: argon2 is slow on purpose)."""
    if "pw" not in _HASH:
        _HASH["pw"] = hash_password(PASSWORD)
    return _HASH["pw"]


def small_engine() -> StudyEngine:
    """The small comparison study's engine (built once per test process)."""
    if "small" not in _ENGINE:
        _ENGINE["small"] = StudyEngine.load(str(SMALL_STUDY))
    return _ENGINE["small"]


@dataclass
class Clock:
    """A settable server clock."""

    now: datetime = field(default_factory=lambda: datetime(2030, 1, 1, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Env:
    """A platform under test."""

    client: TestClient
    plat: Platform
    clock: Clock
    parties: dict[str, int]
    tokens: dict[str, str]

    def h(self, user: str | None, **extra: str) -> dict[str, str]:
        """Headers of ``user`` (None: anonymous)."""
        out = dict(extra)
        if user is not None:
            out["Authorization"] = f"Bearer {self.tokens[user]}"
        return out

    def run_jobs(self) -> int:
        """Run queued jobs now."""
        from tdcoord.service.worker import Worker

        return Worker(self.plat).run_pending()

    def ok(self, method: str, path: str, user: str, **kw: Any) -> Any:
        """A request that must succeed; its JSON."""
        r = self.client.request(method, path, headers=self.h(user), **kw)
        assert r.status_code < 300, (method, path, r.status_code, r.text)
        return r.json()


def make_env(url: str, *, engine: StudyEngine | None = None, area: str | None = FEEDER_A) -> Env:
    """A migrated store with one user per role, a client and a clock."""
    upgrade(url)
    clock = Clock()
    plat = Platform(Store(url), study_path=str(SMALL_STUDY), clock=clock)
    plat.use_engine(engine or small_engine())
    parties: dict[str, int] = {}
    users = {}
    with plat.store.tx() as s:
        for username, role, name in USERS:
            p = ensure_party(s, name, role)
            u = User(username=username, password_hash=password_hash(), party_id=p.id)
            s.add(u)
            s.flush()
            parties[username] = p.id
            users[username] = (u, p)
    if area is not None:
        from tdcoord.service.models import Party

        with plat.store.tx() as s:
            p = s.get(Party, parties["dso"])
            assert p is not None
            p.area = area
    client = TestClient(create_app(plat, worker=False))
    tokens = {name: issue_token(u, p, plat.secret()) for name, (u, p) in users.items()}
    return Env(client, plat, clock, parties, tokens)


@pytest.fixture
def env(sqlite_url: str) -> Iterator[Env]:
    """A platform on SQLite."""
    e = make_env(sqlite_url)
    yield e
    e.plat.store.dispose()


@pytest.fixture
def any_env(db_url: str) -> Iterator[Env]:
    """A platform on SQLite and on PostgreSQL."""
    e = make_env(db_url)
    yield e
    e.plat.store.dispose()
