"""UMEI ``/Markets`` and ``/Portfolios`` over the platform's markets and portfolios."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tdcoord.service.access import can_see, visible_portfolio_ids
from tdcoord.service.auth import Caller
from tdcoord.service.models import (
    Der,
    GridPrequalification,
    Market,
    Membership,
    Order,
    Party,
    Portfolio,
    ProductApplication,
)
from tdcoord.service.platform import audit, platform_of
from tdcoord.service.problems import Problem
from tdcoord.service.umei.common import (
    grid_node,
    int_id,
    search_result,
    umei_caller,
)
from tdcoord.service.umei.schemas import PortfolioIn, SearchQuery

router = APIRouter()
CallerDep = Annotated[Caller, Depends(umei_caller)]


def market_item(m: Market) -> dict[str, Any]:
    """A UMEI Market."""
    return {"id": str(m.id), "name": m.name,
            "description": f"{m.product} cleared with {m.scheme}, MTU {m.mtu}",
            "quantityType": "ActivePower"}


@router.get("/Markets")
def markets(request: Request, caller: CallerDep) -> dict[str, Any]:
    """Every market."""
    with platform_of(request).store.read() as s:
        items = [market_item(m) for m in s.execute(select(Market).order_by(Market.id)).scalars()]
    return search_result(items, None, None)


def portfolio_item(s: Session, p: Portfolio) -> dict[str, Any]:
    """A UMEI Portfolio: Active when prequalified and grid-approved for some product."""
    qualified = s.execute(select(ProductApplication.product).where(
        ProductApplication.portfolio_id == p.id, ProductApplication.status == "prequalified"
    )).scalars().all()
    approved = s.execute(select(GridPrequalification.product).where(
        GridPrequalification.portfolio_id == p.id,
        GridPrequalification.status.in_(("approved", "conditionally_approved")),
    )).scalars().all()
    der = s.execute(select(Der).join(Membership, Membership.der_id == Der.id).where(
        Membership.portfolio_id == p.id).order_by(Der.id)).scalars().first()
    owner = s.get(Party, p.fsp_party_id)
    return {
        "id": str(p.id), "name": p.name,
        "status": "Active" if set(qualified) & set(approved) else "Pending",
        "gridNodeId": None if der is None else grid_node(der.feeder, der.node),
        "ownerOrganizationId": owner.name if owner else "",
    }


def _visible(s: Session, caller: Caller, id_: str) -> Portfolio:
    pid = int_id(id_)
    p = s.get(Portfolio, pid) if pid is not None else None
    if p is None or not can_see(visible_portfolio_ids(s, caller), p.id):
        raise Problem(404, "ResourceNotFound", f"no portfolio {id_!r}")
    return p


def _own(s: Session, caller: Caller, id_: str) -> Portfolio:
    p = _visible(s, caller, id_)
    if caller.role != "admin" and p.fsp_party_id != caller.party_id:
        raise Problem(403, "Forbidden", f"portfolio {id_} is not yours")
    return p


@router.get("/Portfolios")
def portfolios(request: Request, caller: CallerDep,
               q: Annotated[SearchQuery, Query()]) -> dict[str, Any]:
    """Portfolios the caller may see, filtered."""
    with platform_of(request).store.read() as s:
        ids = visible_portfolio_ids(s, caller)
        stmt = select(Portfolio).order_by(Portfolio.id)
        if ids is not None:
            stmt = stmt.where(Portfolio.id.in_(ids))
        items = [portfolio_item(s, p) for p in s.execute(stmt).scalars()]
    items = [i for i in items if (q.portfolioId is None or i["id"] == q.portfolioId)
             and (q.gridNodeId is None or i["gridNodeId"] == q.gridNodeId)
             and (q.status is None or i["status"] == q.status) and q.flexibilityZoneId is None]
    return search_result(items, q.take, q.skip, q.orderBy)


@router.post("/Portfolios", status_code=201)
def create_portfolio(request: Request, body: PortfolioIn, caller: CallerDep) -> dict[str, Any]:
    """An FSP creates a portfolio (its DERs join through ``/api/v1``)."""
    if caller.role != "fsp":
        raise Problem(403, "Forbidden", f"role {caller.role!r} may not create portfolios")
    if not body.name:
        raise Problem(400, "InvalidPortfolio", "name is required")
    plat = platform_of(request)
    try:
        with plat.store.tx() as s:
            p = Portfolio(name=body.name, fsp_party_id=caller.party_id)
            s.add(p)
            s.flush()
            audit(s, plat, caller, "create", f"portfolio/{p.id}", via="umei")
            return portfolio_item(s, p)
    except IntegrityError as exc:
        raise Problem(400, "InvalidPortfolio", f"a portfolio named {body.name!r} exists") from exc


@router.get("/Portfolios/{id}")
def get_portfolio(request: Request, id: str, caller: CallerDep) -> dict[str, Any]:
    """One portfolio."""
    with platform_of(request).store.read() as s:
        return portfolio_item(s, _visible(s, caller, id))


def _rename(request: Request, id_: str, body: PortfolioIn, caller: Caller) -> dict[str, Any]:
    plat = platform_of(request)
    try:
        with plat.store.tx() as s:
            p = _own(s, caller, id_)
            if body.name:
                p.name = body.name
            audit(s, plat, caller, "update", f"portfolio/{p.id}", via="umei")
            return portfolio_item(s, p)
    except IntegrityError as exc:
        raise Problem(400, "NonUpdatablePortfolio", "that name is taken") from exc


@router.put("/Portfolios/{id}")
def put_portfolio(request: Request, id: str, body: PortfolioIn,
                  caller: CallerDep) -> dict[str, Any]:
    """Rename a portfolio (its members and location come from its DERs)."""
    return _rename(request, id, body, caller)


@router.patch("/Portfolios/{id}")
def patch_portfolio(request: Request, id: str, body: PortfolioIn,
                    caller: CallerDep) -> dict[str, Any]:
    """Rename a portfolio."""
    return _rename(request, id, body, caller)


@router.delete("/Portfolios/{id}", status_code=204)
def delete_portfolio(request: Request, id: str, caller: CallerDep) -> Response:
    """Delete a portfolio that never placed an order."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        p = _own(s, caller, id)
        if s.execute(select(Order.id).where(Order.portfolio_id == p.id)).first() is not None:
            raise Problem(400, "NonUpdatablePortfolio", "the portfolio has orders")
        s.delete(p)
        audit(s, plat, caller, "delete", f"portfolio/{p.id}", via="umei")
    return Response(status_code=204)
