"""Gate rules by the server clock, the frozen book's hash, eligibility and caps, idempotency
and the audit trail."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from tdcoord.service.gate import book_hash, book_orders
from tests.service.conftest import Env
from tests.service.helpers import market, order, qualified_portfolio, session


def test_gate_open_and_close_follow_the_server_clock(any_env: Env) -> None:
    env = any_env
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env), open_in_h=1.0, close_in_h=2.0)
    assert ms["state"] == "scheduled"
    url = f"/api/v1/sessions/{ms['id']}/orders"
    r = env.client.post(url, json=order(pid), headers=env.h("fsp1"))
    assert r.status_code == 409
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "MarketNotYetOpen"
    env.clock.now += timedelta(hours=1)
    ids = [env.ok("POST", url, "fsp1", json=order(pid, q_mw=0.1 * k))["id"] for k in (1, 2)]
    env.clock.now += timedelta(hours=1)
    r = env.client.post(url, json=order(pid), headers=env.h("fsp1"))
    assert r.status_code == 409
    assert r.json()["code"] == "MarketClosed"
    got = env.ok("GET", f"/api/v1/sessions/{ms['id']}", "tso")
    assert got["state"] == "closed"
    assert got["n_frozen_orders"] == 2
    with env.plat.store.read() as s:
        orders = book_orders(s, ms["id"])
        assert [o.id for o in orders] == ids
        assert got["book_hash"] == book_hash(orders)
    public = env.ok("GET", f"/api/v1/sessions/{ms['id']}/public-orders", "fsp2")
    assert len(public["orders"]) == 2 and "portfolio_id" not in public["orders"][0]


def test_book_hash_is_sha256_of_canonical_json(env: Env) -> None:
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env))
    o = env.ok("POST", f"/api/v1/sessions/{ms['id']}/orders", "fsp1", json=order(pid))
    closed = env.ok("POST", f"/api/v1/sessions/{ms['id']}/close", "mo")
    record = [{k: o[k] for k in ("id", "portfolio_id", "party_id", "resource", "der_type",
                                 "direction", "feeder", "node", "steps")}]
    text = json.dumps(record, sort_keys=True, separators=(",", ":"))
    assert closed["book_hash"] == hashlib.sha256(text.encode()).hexdigest()


def test_only_qualified_portfolios_bid_and_caps_hold(env: Env) -> None:
    capped = qualified_portfolio(env, cap_mw=0.25, name="capped")["portfolio"]["id"]
    bare = env.ok("POST", "/api/v1/portfolios", "fsp1", json={"name": "bare"})["id"]
    ms = session(env, market(env))
    url = f"/api/v1/sessions/{ms['id']}/orders"
    r = env.client.post(url, json=order(bare), headers=env.h("fsp1"))
    assert r.status_code == 403 and r.json()["code"] == "PortfolioNotQualified"
    env.ok("POST", url, "fsp1", json=order(capped, q_mw=0.2))
    r = env.client.post(url, json=order(capped, q_mw=0.1), headers=env.h("fsp1"))
    assert r.status_code == 403 and r.json()["code"] == "CapExceeded"


def test_bad_orders_are_refused_before_any_work(env: Env) -> None:
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env))
    url = f"/api/v1/sessions/{ms['id']}/orders"
    short = order(pid, n=5)
    r = env.client.post(url, json=short, headers=env.h("fsp1"))
    assert r.status_code == 422 and r.json()["code"] == "InvalidOrder"
    negative = order(pid, q_mw=-1.0)
    r = env.client.post(url, json=negative, headers=env.h("fsp1"))
    assert r.status_code == 422
    r = env.client.post(url, json={"portfolio_id": pid}, headers=env.h("fsp1"))
    assert r.status_code == 422 and r.json()["code"] == "ValidationError"


def test_idempotency_key_replays_and_refuses_a_different_body(any_env: Env) -> None:
    env = any_env
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env))
    url = f"/api/v1/sessions/{ms['id']}/orders"
    h = env.h("fsp1", **{"Idempotency-Key": "k-1"})
    first = env.client.post(url, json=order(pid), headers=h)
    again = env.client.post(url, json=order(pid), headers=h)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = env.client.post(url, json=order(pid, q_mw=0.3), headers=h)
    assert other.status_code == 422 and other.json()["code"] == "IdempotencyKeyReused"
    assert len(env.ok("GET", url, "fsp1")) == 1


def test_audit_trail_records_who_changed_what(env: Env) -> None:
    pid = qualified_portfolio(env)["portfolio"]["id"]
    ms = session(env, market(env))
    o = env.ok("POST", f"/api/v1/sessions/{ms['id']}/orders", "fsp1", json=order(pid))
    mine = env.ok("GET", "/api/v1/events", "fsp1")
    assert any(e["resource"] == f"order/{o['id']}" and e["action"] == "create" for e in mine)
    assert all(e["party_id"] == env.parties["fsp1"] for e in mine)
    every = env.ok("GET", "/api/v1/events", "admin")
    assert {e["party_id"] for e in every} >= {env.parties["fsp1"], env.parties["mo"]}
    assert env.ok("GET", "/api/v1/events", "fsp2") == []
