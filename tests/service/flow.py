"""Play one stage of a study through the HTTP API (shared by the equality and crash tests)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tdcoord.market.offers import OfferBook
from tests.service.conftest import Env


def fsp_of(aggregator: str) -> str:
    """fsp1 for even-numbered aggregators, fsp2 for odd ones (as the demo)."""
    digits = "".join(c for c in aggregator if c.isdigit())
    return "fsp2" if digits and int(digits) % 2 else "fsp1"


def register(env: Env, product: str) -> dict[str, int]:
    """Register the study fleet: one portfolio per aggregator, its DERs, prequalified for
    ``product`` (TSO) and grid-approved (DSO). Returns portfolio ids by aggregator."""
    engine = env.plat.engine()
    portfolios: dict[str, int] = {}
    for d in engine.fleet_ders():
        agg, fsp = d["aggregator"], fsp_of(d["aggregator"])
        if agg not in portfolios:
            portfolios[agg] = env.ok("POST", "/api/v1/portfolios", fsp, json={"name": agg})["id"]
        der = env.ok("POST", "/api/v1/ders", fsp, json={
            "name": d["name"], "der_type": d["der_type"], "feeder": d["feeder"],
            "node": d["node"], "p_max_mw": d["p_max_mw"]})
        env.ok("POST", f"/api/v1/portfolios/{portfolios[agg]}/members", fsp,
               json={"der_id": der["id"], "valid_from": "2029-01-01T00:00:00Z"})
    for agg, pid in portfolios.items():
        fsp = fsp_of(agg)
        a = env.ok("POST", "/api/v1/product-applications", fsp, json={
            "portfolio_id": pid, "product": product, "procuring_party_id": env.parties["tso"]})
        env.ok("POST", f"/api/v1/product-applications/{a['id']}/decision", "tso",
               json={"status": "prequalified"})
        g = env.ok("POST", "/api/v1/grid-prequalifications", fsp, json={
            "portfolio_id": pid, "product": product, "dso_party_id": env.parties["dso"]})
        env.ok("POST", f"/api/v1/grid-prequalifications/{g['id']}/decision", "dso",
               json={"status": "approved"})
    return portfolios


def open_session(env: Env, model_id: str, product: str) -> int:
    """A market for ``model_id`` and one open day-ahead session; its id."""
    m = env.ok("POST", "/api/v1/markets", "mo", json={
        "name": f"DA {model_id}", "scheme": model_id, "product": product})
    now = env.clock.now
    ms = env.ok("POST", f"/api/v1/markets/{m['id']}/sessions", "mo", json={
        "delivery_day": (now + timedelta(days=1)).date().isoformat(), "stage": "day_ahead",
        "gate_open": (now - timedelta(hours=1)).isoformat(),
        "gate_close": (now + timedelta(hours=1)).isoformat()})
    assert ms["state"] == "open"
    return int(ms["id"])


def post_book(
    env: Env, session_id: int, portfolios: dict[str, int], offers: OfferBook | None = None
) -> list[dict[str, Any]]:
    """Post the study's offers (or ``offers``) as orders, in offer-book order."""
    out = []
    for o in env.plat.engine().template(offers):
        body = {"portfolio_id": portfolios[o["aggregator"]], "direction": o["direction"],
                "feeder": o["feeder"], "node": o["node"], "der_type": o["der_type"],
                "resource": o["resource"], "steps": o["steps"]}
        out.append(env.ok("POST", f"/api/v1/sessions/{session_id}/orders",
                          fsp_of(o["aggregator"]), json=body))
    return out


def play_stage(env: Env, model_id: str) -> int:
    """Register, open, post needs and orders, close; the session id (ready to clear)."""
    engine = env.plat.engine()
    product = engine.study.market.products[0]
    portfolios = register(env, product)
    sid = open_session(env, model_id, product)
    env.ok("POST", f"/api/v1/sessions/{sid}/needs", "tso",
           json={"mw": engine.tso_need_mw("day_ahead")})
    post_book(env, sid, portfolios)
    env.ok("POST", f"/api/v1/sessions/{sid}/close", "mo")
    return sid


def clear_now(env: Env, session_id: int) -> None:
    """Close ``session_id`` (market operator) if open, queue its clearing, run it to done."""
    if env.ok("GET", f"/api/v1/sessions/{session_id}", "mo")["state"] == "open":
        env.ok("POST", f"/api/v1/sessions/{session_id}/close", "mo")
    job = env.ok("POST", f"/api/v1/sessions/{session_id}/clearing", "mo")["job_id"]
    assert env.run_jobs() == 1
    assert env.ok("GET", f"/api/v1/jobs/{job}", "mo")["state"] == "done"


def open_stage(env: Env, day_ahead_id: int, stage: str) -> int:
    """An open ``stage`` session of the same market and delivery day as ``day_ahead_id``."""
    da = env.ok("GET", f"/api/v1/sessions/{day_ahead_id}", "mo")
    now = env.clock.now
    ms = env.ok("POST", f"/api/v1/markets/{da['market_id']}/sessions", "mo", json={
        "delivery_day": da["delivery_day"], "stage": stage,
        "gate_open": (now - timedelta(minutes=30)).isoformat(),
        "gate_close": (now + timedelta(minutes=30)).isoformat()})
    assert ms["state"] == "open"
    return int(ms["id"])
