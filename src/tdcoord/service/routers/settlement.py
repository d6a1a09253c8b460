"""Meter readings (``/api/v1/meter-readings``, in bulk), session settlement
(``POST /api/v1/sessions/{id}/settlement``, market operator) and each party's statements
(``/api/v1/settlements``).

Settlement runs the study's settlement library (:func:`tdcoord.service.engine.settle_session`
→ :func:`tdcoord.settlement.run.settle_run`: baseline, delivery, penalties, value stacking) and
writes one statement per party: the library's statement lines of the sellers (order resources)
(and aggregators: portfolios) of an FSP, of the ``tso`` buyer for the TSO, of ``dso:<feeder>``
buyers for the DSO of the feeder.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.access import can_see, visible_der_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.gate import book_orders, lock_session
from tdcoord.service.models import (
    Der,
    MarketSession,
    MeterReading,
    Party,
    Portfolio,
    Result,
    Statement,
)
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, iso, parse_time, platform_of
from tdcoord.service.problems import Problem
from tdcoord.service.schemas import MeterReadingsIn

router = APIRouter(prefix="/api/v1", tags=["settlement"])
CallerDep = Annotated[Caller, Depends(caller_of)]


@router.post("/meter-readings", status_code=201)
def post_readings(request: Request, body: MeterReadingsIn, caller: CallerDep) -> dict[str, Any]:
    """Store meter readings in bulk (a reading for the same DER and interval replaces the old
    one): the metering operator (market operator, admin) or the DER's owner / FSP."""
    require_role(caller, "market_operator", "fsp", "der_owner", what="meter readings")
    plat = platform_of(request)
    with plat.store.tx() as s:
        ids = None if caller.is_operator else visible_der_ids(s, caller)
        n = 0
        for r in body.readings:
            if s.get(Der, r.der_id) is None or not can_see(ids, r.der_id):
                raise Problem(422, "InvalidMeterReading", f"no DER {r.der_id} visible to you")
            try:
                start = iso(parse_time(r.interval_start))
            except ValueError as exc:
                raise Problem(422, "InvalidMeterReading", f"bad interval_start: {exc}") from exc
            old = s.execute(select(MeterReading).where(
                MeterReading.der_id == r.der_id, MeterReading.interval_start == start)
            ).scalar_one_or_none()
            if old is None:
                s.add(MeterReading(der_id=r.der_id, interval_start=start, p_mw=r.p_mw))
            else:
                old.p_mw = r.p_mw
            n += 1
        audit(s, plat, caller, "create", "meter-readings", n=n)
        return {"stored": n}


@router.get("/meter-readings")
def list_readings(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """Meter readings of the DERs the caller may see."""
    with platform_of(request).store.read() as s:
        ids = visible_der_ids(s, caller)
        q = select(MeterReading).order_by(MeterReading.id)
        if ids is not None:
            q = q.where(MeterReading.der_id.in_(ids))
        return [{"id": m.id, "der_id": m.der_id, "interval_start": m.interval_start,
                 "p_mw": m.p_mw} for m in s.execute(q).scalars()]


def _party_of(s: Session, ms: MarketSession) -> dict[str, int]:
    """Settlement party name → platform party id."""
    out: dict[str, int] = {}
    names = {p.id: p.name for p in s.execute(select(Portfolio)).scalars()}
    for o in book_orders(s, ms.id):
        # the library names sellers by resource and aggregators by portfolio (aggregator id)
        for key in (o.resource, f"der:{o.resource}", f"aggregator:{names[o.portfolio_id]}",
                    names[o.portfolio_id]):
            out[key] = o.party_id
    for p in s.execute(select(Party)).scalars():
        if p.role == "tso":
            out.setdefault("tso", p.id)
        if p.role == "dso":
            for f in (p.area or "").split(","):
                if f:
                    out.setdefault(f"dso:{f}", p.id)
            out.setdefault("dso:*", p.id)
    return out


def _inputs(s: Session, ms: MarketSession, dt_h: float) -> tuple[Any, ...]:
    summary = s.execute(select(Result).where(
        Result.session_id == ms.id, Result.kind == "summary")).scalars().first()
    if summary is None:
        raise Problem(409, "NotCleared", f"session {ms.id} has no clearing")
    dispatch = list(s.execute(select(Result).where(
        Result.session_id == ms.id, Result.kind == "dispatch")).scalars())
    requested = {r.payload["der"]: r.payload["mw"] for r in dispatch}
    der_ids = {r.payload["der_id"]: r.payload["der"] for r in dispatch}
    day0 = parse_time(ms.delivery_day + "T00:00:00+00:00")
    metered: dict[str, dict[int, float]] = {}
    for m in s.execute(select(MeterReading).where(MeterReading.der_id.in_(der_ids))).scalars():
        t = int((parse_time(m.interval_start) - day0) / timedelta(hours=dt_h))
        metered.setdefault(der_ids[m.der_id], {})[t] = m.p_mw
    return summary.payload["activations"], requested, metered


@router.post("/sessions/{session_id}/settlement")
def settle(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """Settle a cleared or published session (market operator); writes the statements."""
    require_role(caller, "market_operator", what="settlements")
    plat = platform_of(request)
    from tdcoord.service.clearing import member_names
    from tdcoord.service.engine import settle_session

    engine = plat.engine()
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        if ms.state not in ("cleared", "published"):
            raise Problem(409, "InvalidStatus", f"session {session_id} is {ms.state}")
        acts, requested, metered = _inputs(s, ms, engine.dt_h)
        members = member_names(s, ms.id)
        resources = sorted(members)
        result = settle_session(engine, acts, resources, members, metered, requested)
        who = _party_of(s, ms)
        rows = json.loads(result.statements.to_json(orient="records"))
        by_party: dict[int, list[dict[str, Any]]] = {}
        for row in rows:
            name = str(row.get("party", ""))
            pid = who.get(name) or (who.get("dso:*") if name.startswith("dso") else None)
            if pid is not None:
                by_party.setdefault(pid, []).append(row)
        for pid, lines in by_party.items():
            s.add(Statement(session_id=ms.id, party_id=pid, lines=lines,
                            total_eur=float(sum(float(x.get("amount_eur", 0.0)) for x in lines))))
        ms.state = "settled"
        audit(s, plat, caller, "settle", f"session/{ms.id}", residual_eur=result.residual_eur)
        return {"session_id": ms.id, "state": ms.state, "residual_eur": result.residual_eur,
                "parties": len(by_party)}


@router.get("/settlements")
def statements(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """The caller's statements (every statement for operators)."""
    with platform_of(request).store.read() as s:
        q = select(Statement).order_by(Statement.id)
        if not caller.is_operator:
            q = q.where(Statement.party_id == caller.party_id)
        return [{"id": x.id, "session_id": x.session_id, "party_id": x.party_id,
                 "total_eur": x.total_eur, "lines": x.lines} for x in s.execute(q).scalars()]
