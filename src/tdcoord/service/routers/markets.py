"""``/api/v1/markets`` and their sessions: created by the market operator, readable by all."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tdcoord.coordination.catalogue import get_model
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.gate import advance, lock_session
from tdcoord.service.models import Market, MarketSession
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, iso, parse_time, platform_of
from tdcoord.service.problems import Problem, not_found
from tdcoord.service.schemas import MarketIn, SessionIn

router = APIRouter(prefix="/api/v1", tags=["markets"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def market_out(m: Market) -> dict[str, Any]:
    """A market as JSON."""
    return {
        "id": m.id, "name": m.name, "scheme": m.scheme, "product": m.product, "mtu": m.mtu,
        "gate_open_lead_min": m.gate_open_lead_min, "gate_close_lead_min": m.gate_close_lead_min,
        "operator_party_id": m.operator_party_id,
    }


def session_out(ms: MarketSession, now_iso: str | None = None) -> dict[str, Any]:
    """A session as JSON (with the seconds to gate closure when ``now_iso`` is given)."""
    out: dict[str, Any] = {
        "id": ms.id, "market_id": ms.market_id, "delivery_day": ms.delivery_day,
        "stage": ms.stage, "gate_open": ms.gate_open, "gate_close": ms.gate_close,
        "state": ms.state, "book_hash": ms.book_hash, "n_frozen_orders": ms.n_frozen_orders,
    }
    if now_iso is not None:
        left = (parse_time(ms.gate_close) - parse_time(now_iso)).total_seconds()
        out["seconds_to_gate_close"] = max(left, 0.0)
    return out


@router.get("/markets")
def list_markets(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """Every market."""
    with platform_of(request).store.read() as s:
        return [market_out(m) for m in s.execute(select(Market).order_by(Market.id)).scalars()]


@router.post("/markets", status_code=201)
def create_market(request: Request, body: MarketIn, caller: CallerDep) -> dict[str, Any]:
    """Create a market (market operator): a catalogue model id, a product, the MTU, gate rules."""
    require_role(caller, "market_operator", what="markets")
    try:
        get_model(body.scheme)
    except Exception as exc:
        raise Problem(422, "UnknownScheme", f"{exc}; see `tdcoord models`") from exc
    if body.mtu != "PT15M" and not body.mtu.startswith("PT"):
        raise Problem(422, "ValidationError", "mtu must be an ISO 8601 duration like PT15M")
    if body.gate_close_lead_min > body.gate_open_lead_min:
        raise Problem(422, "ValidationError", "the gate must open before it closes")
    plat = platform_of(request)
    try:
        with plat.store.tx() as s:
            m = Market(operator_party_id=caller.party_id, **body.model_dump())
            s.add(m)
            s.flush()
            audit(s, plat, caller, "create", f"market/{m.id}", name=m.name)
            return market_out(m)
    except IntegrityError as exc:
        raise Problem(409, "Conflict", f"a market named {body.name!r} exists") from exc


@router.get("/markets/{market_id}")
def get_market(request: Request, market_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """One market."""
    with platform_of(request).store.read() as s:
        m = s.get(Market, market_id)
        if m is None:
            raise not_found(f"market {market_id}")
        return market_out(m)


@router.get("/markets/{market_id}/sessions")
def list_sessions(request: Request, market_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """The sessions of a market (states brought up to the server clock)."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        if s.get(Market, market_id) is None:
            raise not_found(f"market {market_id}")
        rows = list(s.execute(
            select(MarketSession).where(MarketSession.market_id == market_id)
            .order_by(MarketSession.id)
        ).scalars())
        now = plat.now()
        for ms in rows:
            advance(s, ms, now)
        return [session_out(ms, iso(now)) for ms in rows]


@router.post("/markets/{market_id}/sessions", status_code=201)
def create_session(
    request: Request, market_id: PathId, body: SessionIn, caller: CallerDep
) -> dict[str, Any]:
    """Create a session for a delivery day and stage; the gate times default to the market's
    lead times before the delivery day's start (00:00 UTC)."""
    require_role(caller, "market_operator", what="sessions")
    plat = platform_of(request)
    try:
        start = parse_time(body.delivery_day + "T00:00:00+00:00")
        g_open = parse_time(body.gate_open) if body.gate_open else None
        g_close = parse_time(body.gate_close) if body.gate_close else None
    except ValueError as exc:
        raise Problem(422, "ValidationError", f"bad time: {exc}") from exc
    with plat.store.tx() as s:
        m = s.get(Market, market_id)
        if m is None:
            raise not_found(f"market {market_id}")
        g_open = g_open or start - timedelta(minutes=m.gate_open_lead_min)
        g_close = g_close or start - timedelta(minutes=m.gate_close_lead_min)
        if g_close <= g_open:
            raise Problem(422, "InconsistentPeriods", "gate_close must be after gate_open")
        ms = MarketSession(
            market_id=m.id, delivery_day=body.delivery_day, stage=body.stage,
            gate_open=iso(g_open), gate_close=iso(g_close), state="scheduled", version=0,
        )
        s.add(ms)
        s.flush()
        advance(s, ms, plat.now())
        audit(s, plat, caller, "create", f"session/{ms.id}", market_id=m.id)
        return session_out(ms, iso(plat.now()))


@router.get("/sessions/{session_id}")
def get_session(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """One session (state brought up to the server clock)."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        advance(s, ms, plat.now())
        return session_out(ms, iso(plat.now()))


@router.post("/sessions/{session_id}/close")
def close_session(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """Close the gate now (market operator): gate_close becomes the server time, the book
    freezes."""
    require_role(caller, "market_operator", what="sessions")
    plat = platform_of(request)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        now = plat.now()
        advance(s, ms, now)
        if ms.state not in ("scheduled", "open"):
            raise Problem(409, "InvalidStatus", f"session {session_id} is {ms.state}")
        ms.gate_close = iso(now)
        if parse_time(ms.gate_open) > now:
            ms.gate_open = iso(now)
        advance(s, ms, now)
        audit(s, plat, caller, "close", f"session/{ms.id}", book_hash=ms.book_hash)
        return session_out(ms, iso(now))


@router.post("/sessions/{session_id}/publish")
def publish_session(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """cleared → published (market operator)."""
    require_role(caller, "market_operator", what="sessions")
    plat = platform_of(request)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        if ms.state != "cleared":
            raise Problem(409, "InvalidStatus", f"session {session_id} is {ms.state}, not cleared")
        ms.state = "published"
        audit(s, plat, caller, "publish", f"session/{ms.id}")
        return session_out(ms, iso(plat.now()))
