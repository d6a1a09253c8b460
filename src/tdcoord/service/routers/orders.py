"""``/api/v1/sessions/{id}/orders`` (FSP sell orders), ``/needs`` (TSO and DSO buy side) and
the public order book (after gate closure).

An order is accepted only while its session is open by the server clock, only for a portfolio
of the caller that is prequalified for the market's product and grid-approved by its DSO, and a
conditionally approved (capped) portfolio only up to its cap: per interval, the sum of the
quantities of all its accepted orders of the session must stay at or below ``cap_mw``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.access import visible_portfolio_ids
from tdcoord.service.auth import Caller, require_role
from tdcoord.service.gate import advance, book_orders, check_open, lock_session
from tdcoord.service.models import (
    GridPrequalification,
    Market,
    MarketSession,
    Need,
    Order,
    Portfolio,
    ProductApplication,
)
from tdcoord.service.params import PathId
from tdcoord.service.platform import audit, caller_of, iso, platform_of
from tdcoord.service.problems import Problem, not_found
from tdcoord.service.schemas import NeedIn, OrderIn

router = APIRouter(prefix="/api/v1", tags=["orders"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def order_out(o: Order) -> dict[str, Any]:
    """An order as JSON."""
    return {
        "id": o.id, "session_id": o.session_id, "portfolio_id": o.portfolio_id,
        "party_id": o.party_id, "resource": o.resource, "der_type": o.der_type,
        "direction": o.direction, "feeder": o.feeder, "node": o.node, "steps": o.steps,
        "status": o.status, "created_at": o.created_at,
    }


def _cap_mw(s: Session, portfolio_id: int, product: str) -> float | None:
    """The portfolio's grid cap for ``product`` (None: uncapped); 403 when not eligible."""
    pa = s.execute(
        select(ProductApplication.id).where(
            ProductApplication.portfolio_id == portfolio_id,
            ProductApplication.product == product, ProductApplication.status == "prequalified",
        )
    ).first()
    gp = s.execute(
        select(GridPrequalification).where(
            GridPrequalification.portfolio_id == portfolio_id,
            GridPrequalification.product == product,
            GridPrequalification.status.in_(("approved", "conditionally_approved")),
        ).order_by(GridPrequalification.id.desc())
    ).scalars().first()
    if pa is None or gp is None:
        raise Problem(
            403, "PortfolioNotQualified",
            f"portfolio {portfolio_id} is not prequalified and grid-approved for {product!r}",
        )
    return gp.cap_mw if gp.status == "conditionally_approved" else None


def _check_cap(s: Session, ms: MarketSession, body: OrderIn, cap: float, n: int) -> None:
    total = [0.0] * n
    rows = s.execute(
        select(Order.steps).where(
            Order.session_id == ms.id, Order.portfolio_id == body.portfolio_id,
            Order.status == "accepted",
        )
    ).scalars()
    for steps in [*rows, [st.model_dump() for st in body.steps]]:
        for st in steps:
            for t, q in enumerate(st["quantity_mw"][:n]):
                total[t] += q
    if max(total) > cap + 1e-9:
        raise Problem(
            403, "CapExceeded",
            f"portfolio {body.portfolio_id} would offer {max(total):g} MW, above its grid cap "
            f"of {cap:g} MW",
        )


def _check_steps(body: OrderIn, n: int) -> None:
    for k, st in enumerate(body.steps):
        if len(st.quantity_mw) != n or len(st.price_eur_per_mwh) != n:
            raise Problem(422, "InvalidOrder", f"steps[{k}]: give {n} values (one per interval)")
        if any(q < 0 or q != q or q == float("inf") for q in st.quantity_mw):
            raise Problem(422, "InvalidOrder", f"steps[{k}].quantity_mw: finite and >= 0")
        if any(p != p or abs(p) == float("inf") for p in st.price_eur_per_mwh):
            raise Problem(422, "InvalidOrder", f"steps[{k}].price_eur_per_mwh: finite")


def _n_intervals(request: Request) -> int:
    return platform_of(request).engine().n_intervals


def place_order(plat: Any, caller: Caller, session_id: int, body: OrderIn, n: int,
                status: int = 409) -> Order:
    """Check and store one order under the session's lock (shared with the UMEI facade)."""
    require_role(caller, "fsp", what="orders")
    _check_steps(body, n)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        ids = visible_portfolio_ids(s, caller)
        p = s.get(Portfolio, body.portfolio_id)
        if p is None or (ids is not None and p.id not in ids):
            raise Problem(422, "InvalidPortfolio", f"no portfolio {body.portfolio_id} of yours")
        market = s.get(Market, ms.market_id)
        assert market is not None
        cap = _cap_mw(s, p.id, market.product)
        now = plat.now()
        advance(s, ms, now)
        check_open(ms, status)
        if cap is not None:
            _check_cap(s, ms, body, cap, n)
        o = Order(
            session_id=ms.id, portfolio_id=p.id, party_id=p.fsp_party_id,
            resource=body.resource or f"{p.name}/{body.der_type}/{body.feeder}:{body.node}",
            der_type=body.der_type, direction=body.direction, feeder=body.feeder,
            node=body.node, steps=[st.model_dump() for st in body.steps], status="accepted",
            created_at=iso(now),
        )
        s.add(o)
        s.flush()
        audit(s, plat, caller, "create", f"order/{o.id}", session_id=ms.id)
        return o


@router.post("/sessions/{session_id}/orders", status_code=201)
def post_order(request: Request, session_id: PathId, body: OrderIn, caller: CallerDep
               ) -> dict[str, Any]:
    """Place a sell order (FSP) while the session is open."""
    plat = platform_of(request)
    return order_out(place_order(plat, caller, session_id, body, _n_intervals(request)))


@router.get("/sessions/{session_id}/orders")
def list_orders(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """The caller's orders of a session (every order for operators)."""
    plat = platform_of(request)
    with plat.store.read() as s:
        if s.get(MarketSession, session_id) is None:
            raise not_found(f"session {session_id}")
        q = select(Order).where(Order.session_id == session_id).order_by(Order.id)
        if not caller.is_operator:
            q = q.where(Order.party_id == caller.party_id)
        return [order_out(o) for o in s.execute(q).scalars()]


@router.get("/orders/{order_id}")
def get_order(request: Request, order_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """One order (404 unless it is the caller's, or the caller is an operator)."""
    with platform_of(request).store.read() as s:
        o = s.get(Order, order_id)
        if o is None or not (caller.is_operator or o.party_id == caller.party_id):
            raise not_found(f"order {order_id}")
        return order_out(o)


@router.get("/sessions/{session_id}/public-orders")
def public_orders(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """The anonymised book, published after gate closure (depth per direction and interval)."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        advance(s, ms, plat.now())
        if ms.state in ("scheduled", "open"):
            raise Problem(403, "NotYetPublished", "the book is published after gate closure")
        orders = book_orders(s, ms.id)
        return {
            "session_id": ms.id, "book_hash": ms.book_hash,
            "orders": [
                {"direction": o.direction, "feeder": o.feeder, "node": o.node,
                 "der_type": o.der_type, "steps": o.steps}
                for o in orders
            ],
        }


@router.post("/sessions/{session_id}/needs", status_code=201)
def post_need(request: Request, session_id: PathId, body: NeedIn, caller: CallerDep
              ) -> dict[str, Any]:
    """The buy side: the TSO's system need (no feeder) or a DSO's need on a feeder of its
    area, MW per interval (+ up, − down), before gate closure."""
    require_role(caller, "tso", "dso", what="needs")
    plat = platform_of(request)
    n = _n_intervals(request)
    if len(body.mw) != n:
        raise Problem(422, "InvalidNeed", f"mw: give {n} values (one per interval)")
    if caller.role == "dso" and body.feeder is None:
        raise Problem(422, "InvalidNeed", "a DSO need names a feeder of its area")
    if caller.role == "tso" and body.feeder is not None:
        raise Problem(422, "InvalidNeed", "the TSO's need is system-wide: give no feeder")
    if body.feeder is not None:
        if body.feeder not in plat.engine().feeder_ids():
            raise Problem(422, "InvalidGridNode", f"no feeder {body.feeder!r}")
        if caller.area and body.feeder not in caller.area:
            raise Problem(403, "Forbidden", f"feeder {body.feeder!r} is outside your area")
    with plat.store.tx() as s:
        ms = lock_session(s, session_id)
        advance(s, ms, plat.now())
        if ms.state not in ("scheduled", "open"):
            raise Problem(409, "MarketClosed", f"session {session_id} is {ms.state}")
        need = Need(session_id=ms.id, party_id=caller.party_id, feeder=body.feeder,
                    mw=list(body.mw), price_eur_per_mwh=body.price_eur_per_mwh)
        s.add(need)
        s.flush()
        audit(s, plat, caller, "create", f"need/{need.id}", session_id=ms.id)
        return {"id": need.id, "session_id": ms.id, "party_id": need.party_id,
                "feeder": need.feeder, "mw": need.mw}


@router.get("/sessions/{session_id}/needs")
def list_needs(request: Request, session_id: PathId, caller: CallerDep) -> list[dict[str, Any]]:
    """Needs of a session: the caller's own (every need for operators)."""
    with platform_of(request).store.read() as s:
        if s.get(MarketSession, session_id) is None:
            raise not_found(f"session {session_id}")
        q = select(Need).where(Need.session_id == session_id).order_by(Need.id)
        if not caller.is_operator:
            q = q.where(Need.party_id == caller.party_id)
        return [{"id": x.id, "party_id": x.party_id, "feeder": x.feeder, "mw": x.mw}
                for x in s.execute(q).scalars()]
