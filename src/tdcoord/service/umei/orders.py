"""UMEI ``/Orders``, ``/PublicOrders`` and ``/Trades``.

A UMEI sell order (an FSP's) is a platform order in the session of its market whose delivery day
holds ``[periodFrom, periodTo)``: quantity on the intervals of the period, zero elsewhere. A
fixed-price order (one price point) is one step; an interpolated order (first quantity zero) is
one step per segment: the quantity between two points at the price of the segment's upper point
(the stepwise form of the piecewise-linear curve the clearing takes). A buy order (a TSO's or
DSO's) is a need of that session: + MW for ``Up``, − for ``Down``. The gate rules are the
platform's: ``MarketNotYetOpen`` / ``MarketClosed`` (400 here, as UMEI lists).

Status: Active while the session is open, Pending from gate closure to clearing, Completed
(``Filled`` when traded, else ``Expired``) once cleared, Deleted when cancelled.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from tdcoord.service.auth import Caller
from tdcoord.service.gate import advance, check_open, lock_session
from tdcoord.service.models import Market, MarketSession, Need, Order, Party, Portfolio, Result
from tdcoord.service.platform import audit, parse_time, platform_of
from tdcoord.service.problems import Problem
from tdcoord.service.routers.orders import place_order
from tdcoord.service.schemas import OrderIn as PlatformOrder
from tdcoord.service.schemas import StepIn
from tdcoord.service.umei.common import (
    PeriodFilter,
    grid_node,
    int_id,
    parse_grid_node,
    period,
    search_result,
    umei_caller,
    zulu,
)
from tdcoord.service.umei.schemas import OrderIn, SearchQuery

router = APIRouter()
_ORDER_FILTERS = ("gridNodeId", "flexibilityZoneId", "marketId", "portfolioId",
                  "ownerOrganizationId", "status", "completionType", "side", "regulationType")
CallerDep = Annotated[Caller, Depends(umei_caller)]
_CLEARED = ("cleared", "published", "settled")


def _day0(ms: MarketSession) -> datetime:
    return parse_time(ms.delivery_day + "T00:00:00+00:00")


def _span(ms: MarketSession, quantities: list[float], dt_h: float) -> tuple[str, str]:
    """The period an order's non-zero intervals cover (the whole day when none)."""
    day0 = _day0(ms)
    hot = [t for t, q in enumerate(quantities) if q]
    t0, t1 = (hot[0], hot[-1] + 1) if hot else (0, len(quantities))
    return zulu(day0 + timedelta(hours=dt_h * t0)), zulu(day0 + timedelta(hours=dt_h * t1))


def _status(ms: MarketSession, cancelled: bool, traded: bool) -> tuple[str, str | None]:
    if cancelled:
        return "Deleted", "Cancelled"
    if ms.state in ("scheduled", "open"):
        return "Active", None
    if ms.state in _CLEARED:
        return "Completed", "Filled" if traded else "Expired"
    if ms.state == "failed":
        return "Rejected", None
    return "Pending", None


def sell_item(s: Session, o: Order, dt_h: float, *, public: bool = False) -> dict[str, Any]:
    """A platform order as a UMEI sell Order."""
    ms = s.get(MarketSession, o.session_id)
    assert ms is not None
    q = [sum(st["quantity_mw"][t] for st in o.steps) for t in range(len(o.steps[0]["quantity_mw"]))]
    start, end = _span(ms, q, dt_h)
    hot = next((t for t, x in enumerate(q) if x), 0)
    points, acc = [], 0.0
    for st in o.steps:
        acc += st["quantity_mw"][hot]
        points.append({"quantity": round(acc, 3), "unitPrice": st["price_eur_per_mwh"][hot]})
    traded = s.execute(select(Result.id).where(
        Result.session_id == ms.id, Result.kind == "trade",
        Result.payload["order_id"].as_integer() == o.id)).first() is not None
    status, completion = _status(ms, o.status == "cancelled", traded)
    owner = s.get(Party, o.party_id)
    item = {
        "id": f"S{o.id}", "ownerOrganizationId": owner.name if owner else "",
        "status": status, "completionType": completion, "gridNodeId": grid_node(o.feeder, o.node),
        "flexibilityZoneId": None, "marketId": str(ms.market_id),
        "portfolioId": None if public else str(o.portfolio_id),
        "regulationType": "Up" if o.direction == "up" else "Down", "side": "Sell",
        "pricePoints": points, "minimumAcceptanceQuantity": None, "periodFrom": start,
        "periodTo": end, "longflexContractId": None,
    }
    if public:  # anonymous: no owner (the schema's owner is a non-null string)
        del item["ownerOrganizationId"]
    return item


def buy_item(s: Session, n: Need, dt_h: float) -> dict[str, Any]:
    """A platform need as a UMEI buy Order."""
    ms = s.get(MarketSession, n.session_id)
    assert ms is not None
    start, end = _span(ms, [abs(x) for x in n.mw], dt_h)
    peak = max(n.mw, key=abs) if n.mw else 0.0
    status, completion = _status(ms, False, ms.state in _CLEARED)
    owner = s.get(Party, n.party_id)
    return {
        "id": f"B{n.id}", "ownerOrganizationId": owner.name if owner else "", "status": status,
        "completionType": completion, "gridNodeId": None if n.feeder is None else f"{n.feeder}:0",
        "flexibilityZoneId": None, "marketId": str(ms.market_id), "portfolioId": None,
        "regulationType": "Up" if peak >= 0 else "Down", "side": "Buy",
        "pricePoints": [{"quantity": round(abs(peak), 3),
                         "unitPrice": n.price_eur_per_mwh or 0.0}],
        "minimumAcceptanceQuantity": None, "periodFrom": start, "periodTo": end,
        "longflexContractId": None,
    }


def _session_for(s: Session, market_id: str | None, start: datetime) -> MarketSession:
    mid = int_id(market_id or "")
    if mid is None or s.get(Market, mid) is None:
        raise Problem(400, "InvalidMarket", f"no market {market_id!r}")
    ms = s.execute(select(MarketSession).where(
        MarketSession.market_id == mid, MarketSession.delivery_day == start.date().isoformat(),
    ).order_by(MarketSession.id.desc())).scalars().first()
    if ms is None:
        raise Problem(400, "MarketNotYetOpen",
                      f"market {market_id} has no session for {start.date().isoformat()}")
    return ms


def _intervals(ms: MarketSession, start: datetime, end: datetime, n: int,
               dt_h: float) -> tuple[int, int]:
    step = timedelta(hours=dt_h)
    t0 = (start - _day0(ms)) / step
    t1 = (end - _day0(ms)) / step
    if t0 != int(t0) or t1 != int(t1) or t0 < 0 or t1 > n:
        raise Problem(400, "InvalidOrder",
                      f"the period must cover whole intervals of {dt_h:g} h of the delivery day")
    return int(t0), int(t1)


def _steps(body: OrderIn, t0: int, t1: int, n: int) -> list[StepIn]:
    pts = body.pricePoints or []
    if not pts:
        raise Problem(400, "InvalidOrder", "pricePoints: give at least one point")
    if len(pts) > 1 and pts[0].quantity != 0:
        raise Problem(400, "NonZeroFirstQuantity",
                      "the first quantity of an interpolated order must be zero")
    segs = [(pts[0].quantity, pts[0].unitPrice)] if len(pts) == 1 else [
        (b.quantity - a.quantity, b.unitPrice) for a, b in itertools.pairwise(pts)]
    if any(q < 0 for q, _ in segs):
        raise Problem(400, "InvalidOrder", "quantities must be >= 0 and increasing")
    return [StepIn(quantity_mw=[q if t0 <= t < t1 else 0.0 for t in range(n)],
                   price_eur_per_mwh=[p] * n) for q, p in segs]


def _place_sell(request: Request, body: OrderIn, caller: Caller) -> dict[str, Any]:
    plat = platform_of(request)
    engine = plat.engine()
    n, dt_h = engine.n_intervals, engine.dt_h
    start, end = period(body.model_dump(), "InvalidOrder")
    pid = int_id(body.portfolioId or "")
    with plat.store.read() as s:
        ms = _session_for(s, body.marketId, start)
        p = s.get(Portfolio, pid) if pid is not None else None
        if p is None:
            raise Problem(400, "InvalidPortfolio", f"no portfolio {body.portfolioId!r}")
        if body.gridNodeId:
            feeder, node = parse_grid_node(body.gridNodeId)
        else:
            from tdcoord.service.umei.markets import portfolio_item

            derived = portfolio_item(s, p)["gridNodeId"]
            if derived is None:
                raise Problem(400, "InvalidGridNode", "give gridNodeId (the portfolio has none)")
            feeder, node = parse_grid_node(derived)
    if feeder is not None and feeder not in engine.feeder_ids():
        raise Problem(400, "InvalidGridNode", f"no feeder {feeder!r}")
    t0, t1 = _intervals(ms, start, end, n, dt_h)
    order = PlatformOrder(
        portfolio_id=p.id, direction="up" if body.regulationType != "Down" else "down",
        feeder=feeder, node=node, der_type="mixed", steps=_steps(body, t0, t1, n))
    o = place_order(plat, caller, ms.id, order, n, status=400)
    with plat.store.read() as s:
        return sell_item(s, o, dt_h)


def _place_buy(request: Request, body: OrderIn, caller: Caller) -> dict[str, Any]:
    plat = platform_of(request)
    engine = plat.engine()
    n, dt_h = engine.n_intervals, engine.dt_h
    if caller.role not in ("tso", "dso", "admin"):
        raise Problem(403, "Forbidden", "buy orders are the system operators'")
    start, end = period(body.model_dump(), "InvalidOrder")
    feeder = None
    if body.gridNodeId:
        feeder, _ = parse_grid_node(body.gridNodeId)
    if caller.role == "dso" and (feeder is None or (caller.area and feeder not in caller.area)):
        raise Problem(400, "InvalidGridNode", "a DSO buys on a feeder of its area")
    if feeder is not None and feeder not in engine.feeder_ids():
        raise Problem(400, "InvalidGridNode", f"no feeder {feeder!r}")
    pts = body.pricePoints or []
    if not pts or pts[-1].quantity < 0:
        raise Problem(400, "InvalidOrder", "pricePoints: give the quantity to buy (>= 0)")
    sign = -1.0 if body.regulationType == "Down" else 1.0
    with plat.store.tx() as s:
        ms0 = _session_for(s, body.marketId, start)
        ms = lock_session(s, ms0.id)
        advance(s, ms, plat.now())
        check_open(ms, 400)
        t0, t1 = _intervals(ms, start, end, n, dt_h)
        mw = [sign * pts[-1].quantity if t0 <= t < t1 else 0.0 for t in range(n)]
        need = Need(session_id=ms.id, party_id=caller.party_id, feeder=feeder, mw=mw,
                    price_eur_per_mwh=pts[-1].unitPrice)
        s.add(need)
        s.flush()
        audit(s, plat, caller, "create", f"need/{need.id}", via="umei")
        return buy_item(s, need, dt_h)


@router.post("/Orders", status_code=201)
def create_order(request: Request, body: OrderIn, caller: CallerDep) -> dict[str, Any]:
    """Place a sell order (FSP) or a buy order (TSO, DSO)."""
    if body.side == "Buy":
        return _place_buy(request, body, caller)
    if body.side != "Sell":
        raise Problem(400, "InvalidOrder", "side must be Sell or Buy")
    if caller.role not in ("fsp", "admin"):
        raise Problem(403, "Forbidden", "sell orders are the FSPs'")
    return _place_sell(request, body, caller)


def _all_orders(s: Session, caller: Caller, dt_h: float, public: bool) -> list[dict[str, Any]]:
    sells = select(Order).order_by(Order.id)
    needs = select(Need).order_by(Need.id)
    if public:
        closed = select(MarketSession.id).where(
            MarketSession.state.notin_(("scheduled", "open")))
        sells = sells.where(Order.session_id.in_(closed), Order.status == "accepted")
        return [sell_item(s, o, dt_h, public=True) for o in s.execute(sells).scalars()]
    if not caller.is_operator:
        sells = sells.where(Order.party_id == caller.party_id)
        needs = needs.where(Need.party_id == caller.party_id)
    return [*(sell_item(s, o, dt_h) for o in s.execute(sells).scalars()),
            *(buy_item(s, n, dt_h) for n in s.execute(needs).scalars())]


def _filtered(items: list[dict[str, Any]], request: Request, **eq: str | None) -> list[Any]:
    periods = PeriodFilter(request)
    keep = [i for i in items if all(v is None or i.get(k) == v for k, v in eq.items())]
    return [i for i in keep if periods.keep(i["periodFrom"], i["periodTo"])]


@router.get("/Orders")
def search_orders(request: Request, caller: CallerDep,
                  q: Annotated[SearchQuery, Query()]) -> dict[str, Any]:
    """The caller's orders (every order for operators), filtered."""
    plat = platform_of(request)
    with plat.store.read() as s:
        items = _all_orders(s, caller, plat.engine().dt_h, public=False)
    items = _filtered(items, request, **q.equal(*_ORDER_FILTERS))
    return search_result(items, q.take, q.skip, q.orderBy)


@router.get("/PublicOrders")
def public_orders(request: Request, caller: CallerDep,
                  q: Annotated[SearchQuery, Query()]) -> dict[str, Any]:
    """The anonymous order books of sessions past gate closure."""
    plat = platform_of(request)
    with plat.store.read() as s:
        items = _all_orders(s, caller, plat.engine().dt_h, public=True)
    items = _filtered(items, request, **q.equal(*_ORDER_FILTERS))
    return search_result(items, q.take, q.skip, q.orderBy)


def _find(s: Session, caller: Caller, id_: str) -> Order | Need:
    sell, buy = int_id(id_, "S"), int_id(id_, "B")
    found: Order | Need | None = None
    if sell is not None:
        found = s.get(Order, sell)
    elif buy is not None:
        found = s.get(Need, buy)
    if found is None or not (caller.is_operator or found.party_id == caller.party_id):
        raise Problem(404, "ResourceNotFound", f"no order {id_!r}")
    return found


@router.get("/Orders/{id}")
def get_order(request: Request, id: str, caller: CallerDep) -> dict[str, Any]:
    """One order."""
    plat = platform_of(request)
    with plat.store.read() as s:
        o = _find(s, caller, id)
        dt_h = plat.engine().dt_h
        return sell_item(s, o, dt_h) if isinstance(o, Order) else buy_item(s, o, dt_h)


@router.put("/Orders/{id}")
def put_order(request: Request, id: str, caller: CallerDep) -> Response:
    """Not supported: cancel (DELETE) and place a new order."""
    raise Problem(405, "EndpointNotSupported", "orders are not updated: cancel and re-place",
                  extra={"allow": "GET, DELETE"})


@router.patch("/Orders/{id}")
def patch_order(request: Request, id: str, caller: CallerDep) -> Response:
    """Not supported: cancel (DELETE) and place a new order."""
    raise Problem(405, "EndpointNotSupported", "orders are not updated: cancel and re-place",
                  extra={"allow": "GET, DELETE"})


@router.delete("/Orders/{id}", status_code=204)
def delete_order(request: Request, id: str, caller: CallerDep) -> Response:
    """Cancel a sell order while its session is open."""
    plat = platform_of(request)
    with plat.store.tx() as s:
        o = _find(s, caller, id)
        if not isinstance(o, Order):
            raise Problem(400, "InvalidStatus", "buy orders stay until gate closure")
        ms = lock_session(s, o.session_id)
        advance(s, ms, plat.now())
        check_open(ms, 400)
        if o.status != "accepted":
            raise Problem(400, "InvalidStatus", f"order {id} is {o.status}")
        o.status = "cancelled"
        audit(s, plat, caller, "cancel", f"order/{o.id}", via="umei")
    return Response(status_code=204)


def trade_items(s: Session, caller: Caller, dt_h: float) -> list[dict[str, Any]]:
    """Trades per order step and interval of the cleared sessions the caller may read."""
    q = select(Result).where(Result.kind == "trade").order_by(Result.id)
    if not (caller.is_operator or caller.role == "tso"):
        q = q.where(Result.party_id == caller.party_id)
    names = {p.id: p.name for p in s.execute(select(Party)).scalars()}
    out = []
    for r in s.execute(q).scalars():
        o = s.get(Order, r.payload["order_id"])
        ms = s.get(MarketSession, r.session_id)
        if o is None or ms is None:
            continue
        day0 = _day0(ms)
        for t, mw in enumerate(r.payload["mw"]):
            if mw <= 0:
                continue
            out.append({
                "id": f"{r.id}-{t}", "ownerOrganizationId": names.get(o.party_id, ""),
                "status": "Completed", "marketId": str(ms.market_id), "orderId": f"S{o.id}",
                "quantity": round(mw, 3), "side": "Sell",
                "unitPrice": r.payload["price_eur_per_mwh"][t],
                "periodFrom": zulu(day0 + timedelta(hours=dt_h * t)),
                "periodTo": zulu(day0 + timedelta(hours=dt_h * (t + 1))),
                "gridNodeId": grid_node(o.feeder, o.node), "flexibilityZoneId": None,
                "portfolioId": str(o.portfolio_id),
                "regulationType": "Up" if o.direction == "up" else "Down", "links": [],
            })
    return out


@router.get("/Trades")
def trades(request: Request, caller: CallerDep,
           q: Annotated[SearchQuery, Query()]) -> dict[str, Any]:
    """Trades of the caller (every trade for operators and the TSO), filtered."""
    plat = platform_of(request)
    with plat.store.read() as s:
        items = trade_items(s, caller, plat.engine().dt_h)
    items = _filtered(items, request, **q.equal(
        "orderId", "gridNodeId", "flexibilityZoneId", "marketId", "portfolioId", "status", "side",
        "regulationType"))
    return search_result(items, q.take, q.skip, q.orderBy)
