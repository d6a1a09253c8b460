"""Figures for the operator's page (plotly JSON): the report's own network price map of a cleared
session, and the order-book depth of a session (in the report's template)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select

from tdcoord.service.auth import Caller
from tdcoord.service.gate import book_orders
from tdcoord.service.models import MarketSession, Order, Result
from tdcoord.service.params import PathId
from tdcoord.service.platform import caller_of, platform_of
from tdcoord.service.problems import Problem, not_found

router = APIRouter(prefix="/api/v1", tags=["figures"])
CallerDep = Annotated[Caller, Depends(caller_of)]


def _fig(fig: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(fig.to_json())
    return out


@router.get("/sessions/{session_id}/figures/prices")
def price_figure(
    request: Request, session_id: PathId, caller: CallerDep,
    kind: Annotated[Literal["lmp", "dlmp"], Query()] = "dlmp",
    interval: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> dict[str, Any]:
    """The report's network price map (:func:`tdcoord.comparison.report_input.price_map_figure`)
    of a cleared session: the grid drawn as a network, transmission buses coloured by LMP
    (``kind=lmp``) or feeder nodes by DLMP (``kind=dlmp``) at one interval (default: where the
    prices differ most across the grid)."""
    from tdcoord.comparison.report_input import price_map_figure
    from tdcoord.service.models import Market

    plat = platform_of(request)
    with plat.store.read() as s:
        ms = s.get(MarketSession, session_id)
        if ms is None:
            raise not_found(f"session {session_id}")
        if ms.state not in ("cleared", "published", "settled"):
            raise Problem(409, "NotCleared", f"session {session_id} is {ms.state}")
        market = s.get(Market, ms.market_id)
        assert market is not None
        rows = [r.payload for r in s.execute(select(Result).where(
            Result.session_id == session_id, Result.kind == "price").order_by(Result.id)).scalars()]
    engine = plat.engine()
    grid = engine.shared.day.grid
    lmp_rows = [p["price_eur_per_mwh"] for p in rows if p["kind"] == "lmp"]
    lmp = np.array(lmp_rows, dtype=np.float64) if lmp_rows else None
    dlmp: list[np.ndarray | None] = []
    for fd in grid.feeders:
        mine = sorted((p["node"], p["price_eur_per_mwh"]) for p in rows
                      if p["kind"] == "dlmp" and p["feeder"] == fd.id)
        dlmp.append(np.array([v for _, v in mine], dtype=np.float64)
                    if len(mine) == fd.n_node else None)
    if interval is not None and interval >= engine.n_intervals:
        raise Problem(422, "InvalidInterval",
                      f"interval {interval}: the day has {engine.n_intervals} (0-based)")
    fig = price_map_figure(grid, market.scheme, lmp, dlmp, kind=kind,
                           interval_minutes=engine.dt_h * 60.0, interval=interval)
    return _fig(fig)


@router.get("/sessions/{session_id}/figures/depth")
def depth_figure(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """Offered MW per interval and direction: the caller's own orders while the gate is open,
    the whole (anonymous) book after gate closure; every order for operators."""
    import plotly.graph_objects as go

    from tdcoord.report.figures import TEMPLATE

    with platform_of(request).store.read() as s:
        ms = s.get(MarketSession, session_id)
        if ms is None:
            raise not_found(f"session {session_id}")
        if caller.is_operator or ms.state not in ("scheduled", "open"):
            orders = book_orders(s, session_id)
        else:
            orders = list(s.execute(select(Order).where(
                Order.session_id == session_id, Order.party_id == caller.party_id,
                Order.status == "accepted")).scalars())
    n = platform_of(request).engine().n_intervals
    depth = {"up": [0.0] * n, "down": [0.0] * n}
    for o in orders:
        for st in o.steps:
            for t, q in enumerate(st["quantity_mw"][:n]):
                depth[o.direction][t] += q
    fig = go.Figure(layout={"template": TEMPLATE, "height": 320, "barmode": "relative"})
    fig.add_bar(x=list(range(n)), y=depth["up"], name="up (MW)", marker_color="#2c7fb8")
    fig.add_bar(x=list(range(n)), y=[-q for q in depth["down"]], name="down (MW)",
                marker_color="#d95f0e")
    fig.update_layout(title={"text": f"Order book depth, session {session_id} "
                                     f"({len(orders)} orders)"}, xaxis_title="interval")
    return _fig(fig)
