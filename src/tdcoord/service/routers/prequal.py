"""``/api/v1/product-applications`` and ``/api/v1/grid-prequalifications``.

A product application (FSP) is decided by its procuring system operator: requested →
prequalified | rejected; ``prequalified`` needs a passing product prequalification of the
portfolio as an aggregation (:func:`tdcoord.der.prequalification.prequalify_aggregation`, green
or amber), computed when the application is made. A grid prequalification is proposed by
tdcoord's traffic lights (:func:`tdcoord.der.grid_prequalification.grid_prequalify` on the study's
grid: the worst light of the portfolio's DERs, with the reasons) and decided by the connecting
DSO: requested → approved | conditionally_approved (with ``cap_mw``) | not_approved.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.der.prequalification import TechnicalAttributes, prequalify_aggregation
from tdcoord.market.products import get_product
from tdcoord.service.access import can_see, visible_portfolio_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.models import (
    Der,
    GridPrequalification,
    Membership,
    Party,
    Portfolio,
    ProductApplication,
)
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, platform_of
from tdcoord.service.problems import Problem, forbidden, not_found
from tdcoord.service.schemas import DecisionIn, GridPrequalificationIn, ProductApplicationIn

router = APIRouter(prefix="/api/v1", tags=["prequalification"])
CallerDep = Annotated[Caller, Depends(caller_of)]
_RESPONSE_S = {"battery": 1.0, "ev": 30.0, "pv": 5.0, "wind": 5.0, "heat_pump": 120.0,
               "flexible_load": 60.0, "chp": 300.0}


def _attributes(d: Der) -> TechnicalAttributes:
    sustain = 60.0 * d.e_max_mwh / d.p_max_mw if d.e_max_mwh > 0 and d.p_max_mw > 0 else 240.0
    return TechnicalAttributes(
        der_id=d.name, p_max_mw=d.p_max_mw, response_time_s=_RESPONSE_S.get(d.der_type, 60.0),
        sustain_min=sustain, telemetry=True, can_export=d.der_type != "flexible_load",
    )


def _own_portfolio(s: Session, caller: Caller, pid: int) -> Portfolio:
    p = s.get(Portfolio, pid)
    if p is None or not can_see(visible_portfolio_ids(s, caller), pid):
        raise Problem(422, "InvalidPortfolio", f"no portfolio {pid} visible to you")
    if caller.role != "admin" and p.fsp_party_id != caller.party_id:
        raise forbidden(f"portfolio {pid} is not yours")
    return p


def _portfolio_ders(s: Session, pid: int) -> list[Der]:
    return list(s.execute(select(Der).join(Membership, Membership.der_id == Der.id)
                          .where(Membership.portfolio_id == pid).order_by(Der.id)).scalars())


def application_out(a: ProductApplication) -> dict[str, Any]:
    """A product application as JSON."""
    return {"id": a.id, "portfolio_id": a.portfolio_id, "product": a.product,
            "procuring_party_id": a.procuring_party_id, "status": a.status,
            "reasons": a.reasons}


def grid_out(g: GridPrequalification) -> dict[str, Any]:
    """A grid prequalification as JSON."""
    return {"id": g.id, "portfolio_id": g.portfolio_id, "product": g.product,
            "dso_party_id": g.dso_party_id, "status": g.status, "proposal": g.proposal,
            "cap_mw": g.cap_mw, "reasons": g.reasons}


def _party(s: Session, pid: int, roles: tuple[str, ...]) -> Party:
    p = s.get(Party, pid)
    if p is None or p.role not in roles:
        raise Problem(422, "ValidationError", f"party {pid} is not a {' or '.join(roles)}")
    return p


def _sees(caller: Caller, fsp_party: int, so_party: int) -> bool:
    return caller.is_operator or caller.party_id in (fsp_party, so_party)


@router.post("/product-applications", status_code=201)
def apply_product(request: Request, body: ProductApplicationIn, caller: CallerDep
                  ) -> dict[str, Any]:
    """An FSP applies for a product with a portfolio; the product prequalification is computed
    now and shown as the reasons."""
    require_role(caller, "fsp", what="product applications")
    plat = platform_of(request)
    try:
        product = get_product(body.product)
    except Exception as exc:
        raise Problem(422, "UnknownProduct", str(exc)) from exc
    with plat.store.tx() as s:
        p = _own_portfolio(s, caller, body.portfolio_id)
        _party(s, body.procuring_party_id, ("tso", "dso"))
        members = [_attributes(d) for d in _portfolio_ders(s, p.id)]
        if members:
            r = prequalify_aggregation(p.name, members, product, plat.engine().preset)
            reasons = [f"light: {r.light}", *r.reasons]
        else:
            reasons = ["light: red", "the portfolio has no DER"]
        a = ProductApplication(portfolio_id=p.id, product=body.product,
                               procuring_party_id=body.procuring_party_id, status="requested",
                               reasons=reasons)
        s.add(a)
        s.flush()
        audit(s, plat, caller, "create", f"product-application/{a.id}")
        return application_out(a)


@router.get("/product-applications")
def list_applications(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """Applications the caller is party to (all for operators)."""
    with platform_of(request).store.read() as s:
        rows = s.execute(select(ProductApplication, Portfolio.fsp_party_id).join(
            Portfolio, Portfolio.id == ProductApplication.portfolio_id)
            .order_by(ProductApplication.id)).all()
        return [application_out(a) for a, fsp in rows
                if _sees(caller, fsp, a.procuring_party_id)]


@router.post("/product-applications/{app_id}/decision")
def decide_product(request: Request, app_id: PathId, body: DecisionIn, caller: CallerDep
                   ) -> dict[str, Any]:
    """The procuring system operator decides: prequalified (needs a green or amber light) or
    rejected."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        a = s.get(ProductApplication, app_id)
        p = s.get(Portfolio, a.portfolio_id) if a else None
        if a is None or p is None or not _sees(caller, p.fsp_party_id, a.procuring_party_id):
            raise not_found(f"product application {app_id}")
        if caller.role != "admin" and caller.party_id != a.procuring_party_id:
            raise forbidden("only the procuring system operator decides")
        if body.status not in ("prequalified", "rejected"):
            raise Problem(422, "InvalidStatus", "decide prequalified or rejected")
        if a.status != "requested":
            raise Problem(409, "InvalidStatus", f"application {app_id} is {a.status}")
        if body.status == "prequalified" and "light: red" in a.reasons:
            raise Problem(409, "PrequalificationFailed", "; ".join(a.reasons))
        a.status = body.status
        audit(s, plat, caller, "decide", f"product-application/{a.id}", status=a.status)
        return application_out(a)


def grid_proposal(engine: Any, product: str, names: list[str]) -> tuple[str, list[str]]:
    """The worst traffic light of the portfolio's DERs (tdcoord's grid prequalification on the
    study's grid) and the reasons of the DERs that are not green (the first five)."""
    try:
        lights = engine.grid_lights(product)
    except Exception as exc:
        raise Problem(422, "UnknownProduct", str(exc)) from exc
    order = {"green": 0, "amber": 1, "red": 2}
    worst, outside = "green", 0
    reasons: list[str] = []
    for n in names:
        if n not in lights:
            outside += 1
            continue
        light, why = lights[n]
        worst = max(worst, light, key=lambda x: order.get(x, 0))
        if why and len(reasons) < 5:
            reasons.append(f"{n}: {light}: {'; '.join(why)}")
    if outside:
        reasons.append(f"{outside} DER(s) outside the study's fleet model: not assessed")
    return worst, reasons


@router.post("/grid-prequalifications", status_code=201)
def apply_grid(request: Request, body: GridPrequalificationIn, caller: CallerDep
               ) -> dict[str, Any]:
    """An FSP asks the connecting DSO to approve a portfolio for a product."""
    require_role(caller, "fsp", what="grid prequalifications")
    plat = platform_of(request)
    with plat.store.tx() as s:
        p = _own_portfolio(s, caller, body.portfolio_id)
        _party(s, body.dso_party_id, ("dso",))
        ders = _portfolio_ders(s, p.id)
        proposal, reasons = grid_proposal(plat.engine(), body.product, [d.name for d in ders])
        total = sum(d.p_max_mw for d in ders)
        g = GridPrequalification(portfolio_id=p.id, product=body.product,
                                 dso_party_id=body.dso_party_id, status="requested",
                                 proposal=proposal,
                                 reasons=[f"{total:g} MW in the portfolio", *reasons])
        s.add(g)
        s.flush()
        audit(s, plat, caller, "create", f"grid-prequalification/{g.id}")
        return grid_out(g)


@router.get("/grid-prequalifications")
def list_grid(request: Request, caller: CallerDep) -> list[dict[str, Any]]:
    """Grid prequalifications the caller is party to (all for operators)."""
    with platform_of(request).store.read() as s:
        rows = s.execute(select(GridPrequalification, Portfolio.fsp_party_id).join(
            Portfolio, Portfolio.id == GridPrequalification.portfolio_id)
            .order_by(GridPrequalification.id)).all()
        return [grid_out(g) for g, fsp in rows if _sees(caller, fsp, g.dso_party_id)]


@router.post("/grid-prequalifications/{gp_id}/decision")
def decide_grid(request: Request, gp_id: PathId, body: DecisionIn, caller: CallerDep
                ) -> dict[str, Any]:
    """The connecting DSO decides: approved, conditionally_approved (with ``cap_mw``) or
    not_approved."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        g = s.get(GridPrequalification, gp_id)
        p = s.get(Portfolio, g.portfolio_id) if g else None
        if g is None or p is None or not _sees(caller, p.fsp_party_id, g.dso_party_id):
            raise not_found(f"grid prequalification {gp_id}")
        if caller.role != "admin" and caller.party_id != g.dso_party_id:
            raise forbidden("only the connecting DSO decides")
        if body.status not in ("approved", "conditionally_approved", "not_approved"):
            raise Problem(422, "InvalidStatus",
                          "decide approved, conditionally_approved or not_approved")
        if body.status == "conditionally_approved" and body.cap_mw is None:
            raise Problem(422, "ValidationError", "a conditional approval needs cap_mw")
        if g.status != "requested":
            raise Problem(409, "InvalidStatus", f"grid prequalification {gp_id} is {g.status}")
        g.status = body.status
        g.cap_mw = body.cap_mw if body.status == "conditionally_approved" else None
        audit(s, plat, caller, "decide", f"grid-prequalification/{g.id}", status=g.status)
        return grid_out(g)
