"""UMEI scenario: markets → portfolios → buy and sell orders → status → trades, every response
validated against the UMEI OpenAPI document."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.service.conftest import FEEDER_A, Env
from tests.service.helpers import market, qualified_portfolio, session
from tests.service.umei_doc import checks, umei_document

schemathesis = pytest.importorskip("schemathesis")


class Umei:
    """Calls to ``/umei/v1`` checked against the document."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.schema = schemathesis.openapi.from_dict(umei_document())

    def call(self, method: str, path: str, user: str, template: str | None = None,
             **kw: Any) -> httpx.Response:
        r = self.env.client.request(method, f"/umei/v1{path}", headers=self.env.h(user), **kw)
        op = self.schema[template or path][method]
        op.validate_response(r) if hasattr(op, "validate_response") else None
        case = op.Case(method=method, path_parameters=_params(template, path))
        case.validate_response(r, checks=checks())
        return r


def _params(template: str | None, path: str) -> dict[str, str]:
    if template is None:
        return {}
    return {"id": path.rsplit("/", 1)[1]}


def test_markets_portfolios_orders_status_trades(env: Env) -> None:
    u = Umei(env)
    qp = qualified_portfolio(env, name="umei-p")
    pid = str(qp["portfolio"]["id"])
    mid = market(env, "eu.central", name="umei-m")
    ms = session(env, mid, day="2030-01-02")

    markets = u.call("GET", "/Markets", "fsp1").json()
    assert [m["id"] for m in markets["items"]] == [str(mid)]
    created = u.call("POST", "/Portfolios", "fsp1", json={"name": "umei-new"})
    assert created.status_code == 201 and created.json()["status"] == "Pending"
    got = u.call("GET", f"/Portfolios/{pid}", "fsp1", "/Portfolios/{id}").json()
    assert got["status"] == "Active" and got["gridNodeId"] == f"{FEEDER_A}:1"
    hidden = u.call("GET", f"/Portfolios/{pid}", "fsp2", "/Portfolios/{id}")
    assert hidden.status_code == 404

    sell = u.call("POST", "/Orders", "fsp1", json={
        "marketId": str(mid), "portfolioId": pid, "side": "Sell", "regulationType": "Up",
        "pricePoints": [{"quantity": 0.5, "unitPrice": 40.0}],
        "periodFrom": "2030-01-02T17:00:00Z", "periodTo": "2030-01-02T20:00:00Z"})
    assert sell.status_code == 201, sell.text
    sid = sell.json()["id"]
    assert sell.json()["status"] == "Active"
    buy = u.call("POST", "/Orders", "tso", json={
        "marketId": str(mid), "side": "Buy", "regulationType": "Up",
        "pricePoints": [{"quantity": 0.3, "unitPrice": 500.0}],
        "periodFrom": "2030-01-02T17:00:00Z", "periodTo": "2030-01-02T20:00:00Z"})
    assert buy.status_code == 201, buy.text
    bad = u.call("POST", "/Orders", "fsp1", json={
        "marketId": str(mid), "portfolioId": pid, "side": "Sell",
        "pricePoints": [{"quantity": 0.5, "unitPrice": 40.0}],
        "periodFrom": "2030-01-02T20:00:00Z", "periodTo": "2030-01-02T17:00:00Z"})
    assert bad.status_code == 400 and bad.json()["code"] == "InconsistentPeriods"

    mine = u.call("GET", "/Orders", "fsp1").json()
    assert [o["id"] for o in mine["items"]] == [sid]
    assert u.call("GET", "/PublicOrders", "fsp2").json()["numberOfHits"] == 0

    env.ok("POST", f"/api/v1/sessions/{ms['id']}/close", "mo")
    late = u.call("POST", "/Orders", "fsp1", json={
        "marketId": str(mid), "portfolioId": pid, "side": "Sell",
        "pricePoints": [{"quantity": 0.5, "unitPrice": 40.0}],
        "periodFrom": "2030-01-02T17:00:00Z", "periodTo": "2030-01-02T20:00:00Z"})
    assert late.status_code == 400 and late.json()["code"] == "MarketClosed"
    pending = u.call("GET", f"/Orders/{sid}", "fsp1", "/Orders/{id}").json()
    assert pending["status"] == "Pending"
    assert u.call("GET", "/PublicOrders", "fsp2").json()["numberOfHits"] == 1

    env.ok("POST", f"/api/v1/sessions/{ms['id']}/clearing", "mo")
    assert env.run_jobs() == 1
    done = u.call("GET", f"/Orders/{sid}", "fsp1", "/Orders/{id}").json()
    assert done["status"] == "Completed"
    trades = u.call("GET", "/Trades", "fsp1", params={"orderId": sid}).json()
    assert trades["numberOfHits"] > 0 and done["completionType"] == "Filled"
    assert all(t["orderId"] == sid and t["side"] == "Sell" for t in trades["items"])
    assert u.call("GET", "/Trades", "fsp2").json()["numberOfHits"] == 0


def test_baselines_and_meter_readings(env: Env) -> None:
    u = Umei(env)
    pid = str(qualified_portfolio(env, name="umei-q")["portfolio"]["id"])
    body = {"portfolioId": pid, "periodFrom": "2030-01-02T17:00:00Z",
            "periodTo": "2030-01-02T18:00:00Z", "quantity": 1.25, "quantityType": "ActivePower"}
    b = u.call("POST", "/BaselineIntervals", "fsp1", json=body)
    assert b.status_code == 201
    bid = b.json()["id"]
    assert u.call("GET", f"/BaselineIntervals/{bid}", "fsp1",
                  "/BaselineIntervals/{id}").json()["quantity"] == 1.25
    p = u.call("PATCH", f"/BaselineIntervals/{bid}", "fsp1", "/BaselineIntervals/{id}",
               json={"quantity": 2.0})
    assert p.json()["quantity"] == 2.0
    assert u.call("GET", f"/BaselineIntervals/{bid}", "fsp2",
                  "/BaselineIntervals/{id}").status_code == 404
    many = u.call("POST", "/MeterReadings/create-multiple", "fsp1", json=[body, body])
    assert many.status_code == 204
    found = u.call("GET", "/MeterReadings", "fsp1",
                   params={"periodFrom.gte": "2030-01-02T17:00:00Z"}).json()
    assert found["numberOfHits"] == 2
    assert u.call("DELETE", "/MeterReadings", "fsp1").status_code == 204
    assert u.call("GET", "/MeterReadings", "fsp1").json()["numberOfHits"] == 0
    assert u.call("DELETE", f"/BaselineIntervals/{bid}", "fsp1",
                  "/BaselineIntervals/{id}").status_code == 204
    nope = u.call("GET", "/Markets", "fsp1")
    assert nope.status_code == 200
    anon = env.client.get("/umei/v1/Markets")
    assert anon.status_code == 401 and anon.json()["code"] == "Unauthenticated"
