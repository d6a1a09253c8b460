"""Small builders for platform tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.service.conftest import FEEDER_A, Env

PRODUCT = "congestion_dso"


def qualified_portfolio(env: Env, fsp: str = "fsp1", *, cap_mw: float | None = None,
                        name: str = "p") -> dict[str, Any]:
    """A DER on feeder A in a new portfolio of ``fsp``, prequalified and grid-approved
    (conditionally, capped at ``cap_mw``, when given)."""
    der = env.ok("POST", "/api/v1/ders", fsp, json={
        "name": f"{name}-der", "der_type": "battery", "feeder": FEEDER_A, "node": 1,
        "p_max_mw": 2.0, "e_max_mwh": 4.0})
    p = env.ok("POST", "/api/v1/portfolios", fsp, json={"name": name})
    env.ok("POST", f"/api/v1/portfolios/{p['id']}/members", fsp,
           json={"der_id": der["id"], "valid_from": "2029-01-01T00:00:00Z"})
    a = env.ok("POST", "/api/v1/product-applications", fsp, json={
        "portfolio_id": p["id"], "product": PRODUCT, "procuring_party_id": env.parties["tso"]})
    env.ok("POST", f"/api/v1/product-applications/{a['id']}/decision", "tso",
           json={"status": "prequalified"})
    g = env.ok("POST", "/api/v1/grid-prequalifications", fsp, json={
        "portfolio_id": p["id"], "product": PRODUCT, "dso_party_id": env.parties["dso"]})
    decision: dict[str, Any] = {"status": "approved"}
    if cap_mw is not None:
        decision = {"status": "conditionally_approved", "cap_mw": cap_mw}
    env.ok("POST", f"/api/v1/grid-prequalifications/{g['id']}/decision", "dso", json=decision)
    return {"portfolio": p, "der": der}


def market(env: Env, model: str = "eu.central", name: str = "m") -> int:
    """A market; its id."""
    return int(env.ok("POST", "/api/v1/markets", "mo", json={
        "name": name, "scheme": model, "product": PRODUCT})["id"])


def session(env: Env, market_id: int, *, open_in_h: float = -1.0, close_in_h: float = 1.0,
            day: str = "2030-01-02") -> dict[str, Any]:
    """A session whose gate opens and closes ``open_in_h`` / ``close_in_h`` hours from the
    test clock."""
    now = env.clock.now
    return env.ok("POST", f"/api/v1/markets/{market_id}/sessions", "mo", json={
        "delivery_day": day, "gate_open": (now + timedelta(hours=open_in_h)).isoformat(),
        "gate_close": (now + timedelta(hours=close_in_h)).isoformat()})  # type: ignore[no-any-return]


def order(portfolio_id: int, q_mw: float = 0.1, price: float = 50.0, direction: str = "up",
          n: int = 24) -> dict[str, Any]:
    """An order body: one step, the same quantity and price every interval."""
    return {"portfolio_id": portfolio_id, "direction": direction, "feeder": FEEDER_A, "node": 1,
            "der_type": "battery",
            "steps": [{"quantity_mw": [q_mw] * n, "price_eur_per_mwh": [price] * n}]}
