"""Endpoint × role matrix: every ``/api/v1`` endpoint, every role and an anonymous caller.

Deny by default: no valid token → 401; a resource the caller may see but not change → 403; a
resource the caller may not see → 404. Other codes (201, 409, 422) show the request passed
access control and was judged on its content.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.routing import APIRoute

from tests.service.conftest import FEEDER_A, USERS, Env

FEEDER_B = "create_cigre_network_mv@12"
ROLES = [u[0] for u in USERS]
ALL_200 = dict.fromkeys(ROLES, 200)


def _row(**codes: int) -> dict[str, int]:
    return codes


def _setup(env: Env) -> dict[str, Any]:
    ids: dict[str, Any] = {}
    d1 = env.ok("POST", "/api/v1/ders", "fsp1", json={
        "name": "d1", "der_type": "battery", "feeder": FEEDER_A, "node": 1, "p_max_mw": 2.0})
    env.ok("POST", "/api/v1/ders", "fsp2", json={
        "name": "d2", "der_type": "pv", "feeder": FEEDER_B, "node": 1, "p_max_mw": 2.0})
    p1 = env.ok("POST", "/api/v1/portfolios", "fsp1", json={"name": "p1"})
    env.ok("POST", f"/api/v1/portfolios/{p1['id']}/members", "fsp1", json={"der_id": d1["id"]})
    a1 = env.ok("POST", "/api/v1/product-applications", "fsp1", json={
        "portfolio_id": p1["id"], "product": "congestion_dso",
        "procuring_party_id": env.parties["tso"]})
    g1 = env.ok("POST", "/api/v1/grid-prequalifications", "fsp1", json={
        "portfolio_id": p1["id"], "product": "congestion_dso",
        "dso_party_id": env.parties["dso"]})
    m1 = env.ok("POST", "/api/v1/markets", "mo", json={
        "name": "m1", "scheme": "eu.central", "product": "congestion_dso"})
    now = env.clock.now

    def session(close: bool) -> int:
        ms = env.ok("POST", f"/api/v1/markets/{m1['id']}/sessions", "mo", json={
            "delivery_day": "2030-01-02", "gate_open": (now - timedelta(hours=1)).isoformat(),
            "gate_close": (now + timedelta(hours=1)).isoformat()})
        if close:
            env.ok("POST", f"/api/v1/sessions/{ms['id']}/close", "mo")
        return int(ms["id"])

    s1, s2, s3 = session(False), session(True), session(True)
    env.ok("POST", f"/api/v1/product-applications/{a1['id']}/decision", "tso",
           json={"status": "prequalified"})
    env.ok("POST", f"/api/v1/grid-prequalifications/{g1['id']}/decision", "dso",
           json={"status": "approved"})
    order = {"portfolio_id": p1["id"], "direction": "up", "feeder": FEEDER_A, "node": 1,
             "steps": [{"quantity_mw": [0.1] * 24, "price_eur_per_mwh": [50.0] * 24}]}
    o1 = env.ok("POST", f"/api/v1/sessions/{s1}/orders", "fsp1", json=order)
    job = env.ok("POST", f"/api/v1/sessions/{s2}/clearing", "mo")
    ids.update(der_id=d1["id"], portfolio_id=p1["id"], app_id=a1["id"], gp_id=g1["id"],
               market_id=m1["id"], session_id=s1, order_id=o1["id"], job_id=job["job_id"],
               closed=s2, closed2=s3, order=order)
    return ids


def _matrix(ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None, dict[str, int]]]:
    n = 0

    def uniq(prefix: str) -> str:
        nonlocal n
        n += 1
        return f"{prefix}{n}"

    op, fsp = {"admin": 201, "mo": 201}, {"fsp1": 201, "fsp2": 201}
    deny = dict.fromkeys(ROLES, 403)
    return [
        ("GET", "/api/v1/me", None, ALL_200),
        ("GET", "/api/v1/parties", None, ALL_200),
        ("POST", "/api/v1/parties", {"name": "x", "role": "fsp"}, deny | {"admin": 201}),
        ("POST", "/api/v1/users", {"username": "u", "password": "pw123", "party_id": 1},
         deny | {"admin": 201}),
        ("GET", "/api/v1/ders", None, ALL_200),
        ("POST", "/api/v1/ders", {"name": "dx", "der_type": "pv", "node": 1, "p_max_mw": 1.0},
         deny | fsp | {"owner": 201, "admin": 201}),
        ("GET", "/api/v1/ders/{der_id}", None,
         _row(admin=200, mo=200, tso=200, dso=200, fsp1=200, fsp2=404, owner=404)),
        ("POST", "/api/v1/ders/{der_id}/status", {"to": "suspended", "reason": "x"},
         _row(admin=409, mo=403, tso=403, dso=403, fsp1=409, fsp2=404, owner=404)),
        ("GET", "/api/v1/portfolios", None, ALL_200),
        ("POST", "/api/v1/portfolios", {"name": "px"}, deny | fsp | {"admin": 422}),
        ("GET", "/api/v1/portfolios/{portfolio_id}", None,
         _row(admin=200, mo=200, tso=200, dso=200, fsp1=200, fsp2=404, owner=404)),
        ("POST", "/api/v1/portfolios/{portfolio_id}/members", {"der_id": ids["der_id"]},
         _row(admin=201, mo=403, tso=403, dso=403, fsp1=201, fsp2=404, owner=404)),
        ("GET", "/api/v1/product-applications", None, ALL_200),
        ("POST", "/api/v1/product-applications",
         {"portfolio_id": ids["portfolio_id"], "product": "congestion_dso",
          "procuring_party_id": 3}, deny | {"admin": 201, "fsp1": 201, "fsp2": 422}),
        ("POST", "/api/v1/product-applications/{app_id}/decision", {"status": "bogus"},
         _row(admin=422, mo=403, tso=422, dso=404, fsp1=403, fsp2=404, owner=404)),
        ("GET", "/api/v1/grid-prequalifications", None, ALL_200),
        ("POST", "/api/v1/grid-prequalifications",
         {"portfolio_id": ids["portfolio_id"], "product": "congestion_dso",
          "dso_party_id": 4}, deny | {"admin": 201, "fsp1": 201, "fsp2": 422}),
        ("POST", "/api/v1/grid-prequalifications/{gp_id}/decision", {"status": "bogus"},
         _row(admin=422, mo=403, tso=404, dso=422, fsp1=403, fsp2=404, owner=404)),
        ("GET", "/api/v1/markets", None, ALL_200),
        ("POST", "/api/v1/markets", {"name": "mx", "scheme": "eu.central",
                                      "product": "congestion_dso"}, deny | op),
        ("GET", "/api/v1/markets/{market_id}", None, ALL_200),
        ("GET", "/api/v1/markets/{market_id}/sessions", None, ALL_200),
        ("POST", "/api/v1/markets/{market_id}/sessions", {"delivery_day": "2030-01-05"},
         deny | op),
        ("GET", "/api/v1/sessions/{session_id}", None, ALL_200),
        ("POST", "/api/v1/sessions/{session_id}/publish", None,
         deny | {"admin": 409, "mo": 409}),
        ("POST", "/api/v1/sessions/{session_id}/orders", ids["order"],
         deny | {"fsp1": 201, "fsp2": 422, "admin": 201}),
        ("GET", "/api/v1/sessions/{session_id}/orders", None, ALL_200),
        ("GET", "/api/v1/orders/{order_id}", None,
         dict.fromkeys(ROLES, 404) | {"admin": 200, "mo": 200, "fsp1": 200}),
        ("GET", "/api/v1/sessions/{session_id}/public-orders", None, deny),
        ("POST", "/api/v1/sessions/{session_id}/needs", {"mw": [1.0] * 24},
         deny | {"tso": 201, "admin": 201, "dso": 422}),
        ("GET", "/api/v1/sessions/{session_id}/needs", None, ALL_200),
        ("POST", "/api/v1/sessions/{session_id}/clearing", None,
         deny | {"admin": 409, "mo": 409}),
        ("GET", "/api/v1/jobs/{job_id}", None,
         dict.fromkeys(ROLES, 404) | {"admin": 200, "mo": 200}),
        *[("GET", f"/api/v1/sessions/{{session_id}}/{r}", None, dict.fromkeys(ROLES, 409))
          for r in ("trades", "dispatch", "prices", "envelopes", "summary", "messages")],
        ("GET", "/api/v1/sessions/{session_id}/figures/prices", None, dict.fromkeys(ROLES, 409)),
        ("GET", "/api/v1/sessions/{session_id}/figures/depth", None, ALL_200),
        ("GET", "/api/v1/events", None, ALL_200),
        ("POST", "/api/v1/meter-readings", {"readings": [
            {"der_id": ids["der_id"], "interval_start": "2030-01-02T00:00:00Z", "p_mw": 1.0}]},
         deny | {"admin": 201, "mo": 201, "fsp1": 201, "fsp2": 422, "owner": 422}),
        ("GET", "/api/v1/meter-readings", None, ALL_200),
        ("POST", "/api/v1/sessions/{session_id}/settlement", None, deny | {"admin": 409, "mo": 409}),
        ("GET", "/api/v1/settlements", None, ALL_200),
        # last: closes session_id (admin first in ROLES, then the market operator finds it closed)
        ("POST", "/api/v1/sessions/{session_id}/close", None, deny | {"admin": 200, "mo": 409}),
    ]


def test_every_endpoint_every_role(env: Env) -> None:
    ids = _setup(env)
    matrix = _matrix(ids)
    covered = {(m, p) for m, p, _, _ in matrix} | {("POST", "/api/v1/auth/token")}
    routes = {
        (method, r.path) for r in env.client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute) and r.path.startswith("/api/v1") for method in r.methods
    }
    assert routes - covered == set(), "endpoints missing from the matrix"
    failures = []
    for method, path, body, expected in matrix:
        url = path.format(**ids)
        r = env.client.request(method, url, json=body)
        if r.status_code != 401:
            failures.append((method, path, "anonymous", r.status_code))
        for role in ROLES:
            if isinstance(body, dict) and "name" in body:
                body = body | {"name": f"{body['name']}-{role}"}
            if isinstance(body, dict) and "username" in body:
                body = body | {"username": f"user-{role}"}
            if isinstance(body, dict) and "delivery_day" in body and role == "admin":
                body = body | {"delivery_day": "2030-01-06"}
            r = env.client.request(method, url, json=body, headers=env.h(role))
            if r.status_code != expected[role]:
                failures.append((method, path, role, r.status_code, r.text[:120]))
    assert failures == [], '\n'.join(map(str, failures))


@pytest.mark.parametrize("token", ["garbage", "Bearer", ""])
def test_bad_tokens_are_401(env: Env, token: str) -> None:
    r = env.client.get("/api/v1/ders", headers={"Authorization": token})
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "Unauthorized"
