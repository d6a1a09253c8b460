"""``/api/v1/portfolios``: an FSP's groups of DERs, with memberships valid from and to."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tdcoord.service.access import can_see, visible_der_ids, visible_portfolio_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.models import Der, Membership, Party, Portfolio
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, iso, parse_time, platform_of
from tdcoord.service.problems import Problem, forbidden, not_found
from tdcoord.service.schemas import MembershipIn, PortfolioIn

router = APIRouter(prefix="/api/v1/portfolios", tags=["registry"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def portfolio_out(s: Session, p: Portfolio) -> dict[str, Any]:
    """A portfolio with its memberships."""
    members = s.execute(
        select(Membership).where(Membership.portfolio_id == p.id).order_by(Membership.id)
    ).scalars()
    return {
        "id": p.id, "name": p.name, "fsp_party_id": p.fsp_party_id,
        "members": [
            {"id": m.id, "der_id": m.der_id, "valid_from": m.valid_from, "valid_to": m.valid_to}
            for m in members
        ],
    }


def visible_portfolio(s: Session, caller: Caller, pid: int) -> Portfolio:
    """The portfolio, or 404 when missing or hidden from the caller."""
    p = s.get(Portfolio, pid)
    if p is None or not can_see(visible_portfolio_ids(s, caller), pid):
        raise not_found(f"portfolio {pid}")
    return p


@router.get("")
def list_portfolios(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """The portfolios the caller may see."""
    with platform_of(request).store.read() as s:
        ids = visible_portfolio_ids(s, caller)
        q = select(Portfolio).order_by(Portfolio.id)
        if ids is not None:
            q = q.where(Portfolio.id.in_(ids))
        return [portfolio_out(s, p) for p in s.execute(q).scalars()]


@router.post("", status_code=201)
def create_portfolio(request: Request, body: PortfolioIn, caller: CallerDep) -> dict[str, Any]:
    """Create a portfolio (an FSP for itself, or the admin for an FSP)."""
    require_role(caller, "fsp", what="portfolios")
    plat = platform_of(request)
    fsp = body.fsp_party_id if caller.role == "admin" and body.fsp_party_id else caller.party_id
    try:
        with plat.store.tx() as s:
            party = s.get(Party, fsp)
            if party is None or party.role != "fsp":
                raise Problem(422, "ValidationError", f"party {fsp} is not an FSP")
            p = Portfolio(name=body.name, fsp_party_id=fsp)
            s.add(p)
            s.flush()
            audit(s, plat, caller, "create", f"portfolio/{p.id}", name=p.name)
            return portfolio_out(s, p)
    except IntegrityError as exc:
        raise Problem(409, "Conflict", f"a portfolio named {body.name!r} exists") from exc


@router.get("/{portfolio_id}")
def get_portfolio(request: Request, portfolio_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """One portfolio (404 when hidden)."""
    with platform_of(request).store.read() as s:
        return portfolio_out(s, visible_portfolio(s, caller, portfolio_id))


@router.post("/{portfolio_id}/members", status_code=201)
def add_member(
    request: Request, portfolio_id: PathId, body: MembershipIn, caller: CallerDep
) -> dict[str, Any]:
    """Add a DER the FSP may see to its portfolio for a validity period."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        p = visible_portfolio(s, caller, portfolio_id)
        if caller.role != "admin" and p.fsp_party_id != caller.party_id:
            raise forbidden(f"only the FSP of portfolio {portfolio_id} may change it")
        d = s.get(Der, body.der_id)
        if d is None or not (
            caller.role == "admin" or can_see(visible_der_ids(s, caller), body.der_id)
        ):
            raise Problem(422, "ValidationError", f"no DER {body.der_id} visible to you")
        try:
            start = iso(parse_time(body.valid_from)) if body.valid_from else iso(plat.now())
            end = iso(parse_time(body.valid_to)) if body.valid_to else None
        except ValueError as exc:
            raise Problem(422, "ValidationError", f"bad time: {exc}") from exc
        if end is not None and end <= start:
            raise Problem(422, "ValidationError", "valid_to must be after valid_from")
        s.add(Membership(portfolio_id=p.id, der_id=d.id, valid_from=start, valid_to=end))
        s.flush()
        audit(s, plat, caller, "add_member", f"portfolio/{p.id}", der_id=d.id)
        return portfolio_out(s, p)
