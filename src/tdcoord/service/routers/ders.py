"""``/api/v1/ders``: controllable units (node, type, capacities, owner) and their lifecycle
(``der.registry.ALLOWED``: registered → prequalified → active ⇄ suspended; → withdrawn)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tdcoord.der.registry import ALLOWED, Status
from tdcoord.service.access import can_see, visible_der_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.models import Der, Party
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, platform_of
from tdcoord.service.problems import Problem, forbidden, not_found
from tdcoord.service.schemas import DerIn, StatusIn

router = APIRouter(prefix="/api/v1/ders", tags=["registry"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def der_out(d: Der) -> dict[str, Any]:
    """A DER as JSON."""
    return {
        "id": d.id, "name": d.name, "owner_party_id": d.owner_party_id, "der_type": d.der_type,
        "feeder": d.feeder, "node": d.node, "p_max_mw": d.p_max_mw, "p_min_mw": d.p_min_mw,
        "e_max_mwh": d.e_max_mwh, "status": d.status,
    }


@router.get("")
def list_ders(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """The DERs the caller may see."""
    with platform_of(request).store.read() as s:
        ids = visible_der_ids(s, caller)
        q = select(Der).order_by(Der.id)
        if ids is not None:
            q = q.where(Der.id.in_(ids))
        return [der_out(d) for d in s.execute(q).scalars()]


@router.post("", status_code=201)
def create_der(request: Request, body: DerIn, caller: CallerDep) -> dict[str, Any]:
    """Register a DER (its owner, an FSP for its customers, or the admin)."""
    require_role(caller, "fsp", "der_owner", what="DERs")
    plat = platform_of(request)
    owner = body.owner_party_id if caller.role == "admin" and body.owner_party_id else None
    try:
        with plat.store.tx() as s:
            if owner is not None and s.get(Party, owner) is None:
                raise Problem(422, "ValidationError", f"no party {owner}")
            d = Der(
                name=body.name, owner_party_id=owner or caller.party_id, der_type=body.der_type,
                feeder=body.feeder, node=body.node, p_max_mw=body.p_max_mw,
                p_min_mw=body.p_min_mw, e_max_mwh=body.e_max_mwh, status=Status.REGISTERED.value,
            )
            s.add(d)
            s.flush()
            audit(s, plat, caller, "create", f"der/{d.id}", name=d.name)
            return der_out(d)
    except IntegrityError as exc:
        raise Problem(409, "Conflict", f"a DER named {body.name!r} exists") from exc


@router.get("/{der_id}")
def get_der(request: Request, der_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """One DER (404 when the caller may not see it)."""
    with platform_of(request).store.read() as s:
        d = s.get(Der, der_id)
        if d is None or not can_see(visible_der_ids(s, caller), der_id):
            raise not_found(f"DER {der_id}")
        return der_out(d)


@router.post("/{der_id}/status")
def move_der(request: Request, der_id: PathId, body: StatusIn, caller: CallerDep) -> dict[str, Any]:
    """Suspend, withdraw, (re)activate a DER: its owner or the admin; the legal transitions are
    the registry's (``tdcoord.der.registry.ALLOWED``)."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        d = s.get(Der, der_id)
        if d is None or not can_see(visible_der_ids(s, caller), der_id):
            raise not_found(f"DER {der_id}")
        if caller.role != "admin" and d.owner_party_id != caller.party_id:
            raise forbidden(f"only the owner of DER {der_id} may change its status")
        frm, to = Status(d.status), Status(body.to)
        if to not in ALLOWED[frm]:
            legal = ", ".join(sorted(ALLOWED[frm])) or "none (final state)"
            raise Problem(409, "IllegalTransition", f"{frm} → {to}; legal next states: {legal}")
        if to is Status.SUSPENDED and not body.reason:
            raise Problem(422, "ValidationError", "a suspension needs a reason")
        d.status = to.value
        audit(s, plat, caller, "status", f"der/{d.id}", frm=frm.value, to=to.value,
              reason=body.reason)
        return der_out(d)
