"""``/api/v1/events``: the audit trail (admin: every event; others: their party's)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from tdcoord.service.auth import Caller
from tdcoord.service.models import Event
from tdcoord.service.platform import caller_of, platform_of

router = APIRouter(prefix="/api/v1", tags=["audit"])
CallerDep = Annotated[Caller, Depends(caller_of)]


@router.get("/events")
def events(
    request: Request, caller: CallerDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[dict[str, Any]]:
    """Who changed what and when, oldest first (``after``: an event id to page from)."""
    with platform_of(request).store.read() as s:
        q = select(Event).where(Event.id > after).order_by(Event.id).limit(limit)
        if caller.role != "admin":
            q = q.where(Event.party_id == caller.party_id)
        return [
            {"id": e.id, "at": e.at, "user_id": e.user_id, "party_id": e.party_id,
             "action": e.action, "resource": e.resource, "detail": e.detail}
            for e in s.execute(q).scalars()
        ]
