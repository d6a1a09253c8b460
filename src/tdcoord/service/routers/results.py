"""Clearing as a job and its results.

``POST /sessions/{id}/clearing`` (market operator) → 202 ``{"job_id"}``; ``GET /jobs/{id}``.
Results of a cleared session: ``/trades`` (the caller's; all for operators and the TSO),
``/dispatch`` (per DER: owners, their FSPs, the DSO of the area, the TSO and operators),
``/prices`` (LMPs and DLMPs, public once cleared), ``/envelopes`` and ``/messages`` (the
messages sent to the caller: the TSO reads those to ``tso``, a DSO those to ``dso:<feeder>`` of
its area).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.access import visible_der_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.clearing import RESULT_STATES, earlier_sessions
from tdcoord.service.gate import advance, lock_session
from tdcoord.service.models import Job, MarketSession, Result
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, iso, platform_of
from tdcoord.service.problems import Problem, not_found

router = APIRouter(prefix="/api/v1", tags=["clearing"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def job_out(j: Job) -> dict[str, Any]:
    """A job as JSON."""
    return {"id": j.id, "kind": j.kind, "session_id": j.session_id, "state": j.state,
            "attempts": j.attempts, "error": j.error, "created_at": j.created_at,
            "finished_at": j.finished_at}


@router.post("/sessions/{session_id}/clearing", status_code=202)
def start_clearing(request: Request, session_id: PathId, caller: CallerDep) -> JSONResponse:
    """Queue the clearing of a closed session (market operator); 202 with the job id."""
    require_role(caller, "market_operator", what="clearings")
    plat = platform_of(request)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        advance(s, ms, plat.now())
        if ms.state not in ("closed", "failed"):
            raise Problem(409, "InvalidStatus",
                          f"session {session_id} is {ms.state}; it clears once closed")
        pending = [e for e in earlier_sessions(s, ms)
                   if e.state in ("scheduled", "open", "closed", "clearing")]
        if pending:
            e = pending[0]
            raise Problem(409, "EarlierStageNotCleared",
                          f"session {e.id} ({e.stage}, same market and day) is {e.state}: this "
                          f"{ms.stage} session clears on top of its result; clear it first")
        busy = s.execute(select(Job.id).where(
            Job.session_id == ms.id, Job.state.in_(("queued", "running")))).first()
        if busy is not None:
            raise Problem(409, "ClearingRunning", f"job {busy[0]} is clearing this session")
        job = Job(kind="clearing", session_id=ms.id, state="queued", attempts=0,
                  created_at=iso(plat.now()))
        s.add(job)
        s.flush()
        audit(s, plat, caller, "clear", f"session/{ms.id}", job_id=job.id)
        body = job_out(job) | {"job_id": job.id}
    if plat.worker is not None:
        plat.worker.kick()
    return JSONResponse(body, status_code=202, headers={"Location": f"/api/v1/jobs/{body['id']}"})


@router.get("/jobs/{job_id}")
def get_job(request: Request, job_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """A job's state (operators)."""
    with platform_of(request).store.read() as s:
        j = s.get(Job, job_id)
        if j is None or not caller.is_operator:
            raise not_found(f"job {job_id}")
        return job_out(j)


def _results(s: Session, session_id: int, kind: str) -> list[Result]:
    ms = s.get(MarketSession, session_id)
    if ms is None:
        raise not_found(f"session {session_id}")
    if ms.state not in RESULT_STATES:
        raise Problem(409, "NotCleared", f"session {session_id} is {ms.state}")
    return list(s.execute(select(Result).where(
        Result.session_id == session_id, Result.kind == kind).order_by(Result.id)).scalars())


@router.get("/sessions/{session_id}/trades")
def trades(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """Accepted order steps: MW per interval at the order's price (pay-as-bid)."""
    with platform_of(request).store.read() as s:
        rows = _results(s, session_id, "trade")
        see_all = caller.is_operator or caller.role == "tso"
        return [r.payload | {"party_id": r.party_id} for r in rows
                if see_all or r.party_id == caller.party_id]


@router.get("/sessions/{session_id}/dispatch")
def dispatch(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """Dispatch per DER and interval (MW, + up), split from the portfolio's accepted steps."""
    with platform_of(request).store.read() as s:
        rows = _results(s, session_id, "dispatch")
        ids = visible_der_ids(s, caller)
        return [r.payload for r in rows if ids is None or r.payload["der_id"] in ids]


@router.get("/sessions/{session_id}/prices")
def prices(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """LMPs at transmission buses and DLMPs at feeder nodes (€/MWh per interval)."""
    with platform_of(request).store.read() as s:
        return [r.payload for r in _results(s, session_id, "price")]


@router.get("/sessions/{session_id}/envelopes")
def envelopes(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """Import/export limits per DER and interval (envelope-based models; empty otherwise)."""
    with platform_of(request).store.read() as s:
        rows = _results(s, session_id, "envelope")
        ids = visible_der_ids(s, caller)
        return [r.payload for r in rows if ids is None or r.payload["der_id"] in ids]


@router.get("/sessions/{session_id}/summary")
def summary(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """Status, scheme and cost per buyer of the clearing (operators and system operators)."""
    with platform_of(request).store.read() as s:
        rows = _results(s, session_id, "summary")
        if not (caller.is_operator or caller.role in ("tso", "dso")):
            raise Problem(403, "Forbidden", "the clearing summary is for operators")
        return rows[-1].payload if rows else {}


@router.get("/sessions/{session_id}/messages")
def messages(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """The scheme's messages (schedule exchange, offers, activations) sent to the caller."""
    with platform_of(request).store.read() as s:
        rows = _results(s, session_id, "message")
    if caller.is_operator:
        return [r.payload for r in rows]
    mine = {"tso"} if caller.role == "tso" else set()
    if caller.role == "dso":
        mine = {f"dso:{f}" for f in caller.area}
    if caller.role == "fsp":
        mine = {caller.party}
    def _to_me(receiver: str) -> bool:
        return receiver in mine or (caller.role == "dso" and not caller.area
                                    and receiver.startswith("dso"))
    return [r.payload for r in rows if _to_me(r.payload["receiver"])]
