"""The running platform: store, server clock, engine handle and worker, shared by the routers."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fastapi import Request
from sqlalchemy.orm import Session

from tdcoord.service.auth import Caller, bearer, caller_from_token, signing_secret
from tdcoord.service.db import Store
from tdcoord.service.models import Event

if TYPE_CHECKING:
    from tdcoord.service.engine import StudyEngine


def utc_now() -> datetime:
    """The server clock (tz-aware UTC)."""
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    """ISO 8601 text of a UTC time, fixed width (sortable as text)."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def parse_time(text: str) -> datetime:
    """A stored or posted ISO 8601 time as tz-aware UTC (naive input is taken as UTC)."""
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


@dataclasses.dataclass
class Platform:
    """What every request handler shares."""

    store: Store
    study_path: str | None = None
    loopback: bool = True
    clock: Callable[[], datetime] = utc_now
    _engine: StudyEngine | None = None
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    worker: Any = None
    _secret: str | None = None

    def secret(self) -> str:
        """The token signing secret of the store (read once)."""
        if self._secret is None:
            with self.store.tx() as s:
                self._secret = signing_secret(s)
        return self._secret

    def now(self) -> datetime:
        """The server clock."""
        return self.clock()

    def use_engine(self, engine: StudyEngine) -> None:
        """Serve with an engine built already (tests and tools share one per process)."""
        with self._lock:
            self._engine = engine

    def engine(self) -> StudyEngine:
        """The study's engine (grid, fleet, day), built on first use and kept."""
        with self._lock:
            if self._engine is None:
                from tdcoord.service.engine import StudyEngine

                self._engine = StudyEngine.load(self.study_path)
            return self._engine


def platform_of(request: Request) -> Platform:
    """The platform serving ``request``."""
    plat: Platform = request.app.state.platform
    return plat


def caller_of(request: Request) -> Caller:
    """The authenticated caller (401 without a valid bearer token)."""
    token = bearer(request)
    plat = platform_of(request)
    secret = plat.secret()
    with plat.store.read() as s:
        return caller_from_token(token, secret, s)


def audit(
    s: Session, plat: Platform, caller: Caller | None, action: str, resource: str,
    **detail: Any,
) -> None:
    """Record who changed what and when (``/api/v1/events``)."""
    s.add(
        Event(
            at=iso(plat.now()),
            user_id=caller.user_id if caller else None,
            party_id=caller.party_id if caller else None,
            action=action,
            resource=resource,
            detail=detail,
        )
    )
