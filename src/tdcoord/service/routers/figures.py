"""Figures for the operator's page (plotly JSON in the report's template and colour scale):
prices per location and interval, and the order-book depth of a session."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
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
def price_figure(request: Request, session_id: PathId, caller: CallerDep) -> dict[str, Any]:
    """LMPs (transmission buses) and DLMPs (feeder nodes) per interval as a heat map."""
    import plotly.graph_objects as go

    from tdcoord.report.figures import PRICE_SCALE, TEMPLATE

    with platform_of(request).store.read() as s:
        ms = s.get(MarketSession, session_id)
        if ms is None:
            raise not_found(f"session {session_id}")
        if ms.state not in ("cleared", "published", "settled"):
            raise Problem(409, "NotCleared", f"session {session_id} is {ms.state}")
        rows = [r.payload for r in s.execute(select(Result).where(
            Result.session_id == session_id, Result.kind == "price").order_by(Result.id)).scalars()]
    labels = [f"bus {p['bus']}" if p["kind"] == "lmp" else f"{p['feeder']} n{p['node']}"
              for p in rows]
    z = [p["price_eur_per_mwh"] for p in rows]
    fig = go.Figure(go.Heatmap(z=z, y=labels, colorscale=PRICE_SCALE,
                               colorbar={"title": {"text": "EUR/MWh"}}),
                    layout={"template": TEMPLATE, "height": max(300, 12 * len(rows) + 120)})
    fig.update_layout(title={"text": f"Prices of session {session_id} (LMP, DLMP)"},
                      xaxis_title="interval")
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
