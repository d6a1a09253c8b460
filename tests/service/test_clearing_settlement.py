"""A session from orders to statements: clearing as a job, results and who reads them,
messages to their receivers, publication, meter readings in bulk and settlement."""

from __future__ import annotations

from tests.service.conftest import Env
from tests.service.helpers import market, order, qualified_portfolio, session


def _cleared(env: Env) -> tuple[int, dict[str, object]]:
    qp = qualified_portfolio(env)
    pid = qp["portfolio"]["id"]
    ms = session(env, market(env))
    sid = ms["id"]
    for price in (30.0, 60.0):  # same portfolio and location: two orders, one resource name
        env.ok("POST", f"/api/v1/sessions/{sid}/orders", "fsp1", json=order(pid, 0.2, price))
    env.ok("POST", f"/api/v1/sessions/{sid}/needs", "tso", json={"mw": [0.3] * 24})
    r = env.client.post(f"/api/v1/sessions/{sid}/clearing", headers=env.h("mo"))
    assert r.status_code == 409 and r.json()["code"] == "InvalidStatus"  # still open
    env.ok("POST", f"/api/v1/sessions/{sid}/close", "mo")
    r = env.client.post(f"/api/v1/sessions/{sid}/clearing", headers=env.h("mo"))
    assert r.status_code == 202 and r.headers["location"].endswith(str(r.json()["job_id"]))
    again = env.client.post(f"/api/v1/sessions/{sid}/clearing", headers=env.h("mo"))
    assert again.status_code == 409 and again.json()["code"] == "ClearingRunning"
    assert env.run_jobs() == 1
    job = env.ok("GET", f"/api/v1/jobs/{r.json()['job_id']}", "mo")
    assert job["state"] == "done", job
    return sid, qp["der"]


def test_results_and_who_reads_them(env: Env) -> None:
    sid, der = _cleared(env)
    trades = env.ok("GET", f"/api/v1/sessions/{sid}/trades", "fsp1")
    assert trades and sum(sum(t["mw"]) for t in trades) > 0
    cheap = [t for t in trades if t["price_eur_per_mwh"][0] == 30.0]
    assert cheap, "the cheaper order is accepted first"
    assert env.ok("GET", f"/api/v1/sessions/{sid}/trades", "fsp2") == []
    assert len(env.ok("GET", f"/api/v1/sessions/{sid}/trades", "tso")) == len(trades)
    dispatch = env.ok("GET", f"/api/v1/sessions/{sid}/dispatch", "fsp1")
    assert [d["der_id"] for d in dispatch] == [der["id"]]  # type: ignore[index]
    assert env.ok("GET", f"/api/v1/sessions/{sid}/dispatch", "fsp2") == []
    prices = env.ok("GET", f"/api/v1/sessions/{sid}/prices", "fsp2")
    assert {p["kind"] for p in prices} >= {"lmp"}
    everyone = env.ok("GET", f"/api/v1/sessions/{sid}/messages", "mo")
    to_tso = env.ok("GET", f"/api/v1/sessions/{sid}/messages", "tso")
    assert everyone and all(m["receiver"] == "tso" for m in to_tso)
    assert len(to_tso) < len(everyone)
    to_dso = env.ok("GET", f"/api/v1/sessions/{sid}/messages", "dso")
    assert all(m["receiver"].startswith("dso:create_cigre_network_mv@10") for m in to_dso)
    fig = env.ok("GET", f"/api/v1/sessions/{sid}/figures/prices", "fsp1")
    assert "DLMP" in fig["layout"]["title"]["text"]  # the report's price map (test_figures.py)
    published = env.ok("POST", f"/api/v1/sessions/{sid}/publish", "mo")
    assert published["state"] == "published"


def test_meter_readings_and_settlement(env: Env) -> None:
    sid, der = _cleared(env)
    readings = [{"der_id": der["id"], "interval_start": f"2030-01-02T{h:02d}:00:00Z",  # type: ignore[index]
                 "p_mw": 0.0} for h in range(24)]
    stored = env.ok("POST", "/api/v1/meter-readings", "fsp1", json={"readings": readings})
    assert stored == {"stored": 24}
    env.ok("POST", "/api/v1/meter-readings", "fsp1", json={"readings": readings[:2]})
    assert len(env.ok("GET", "/api/v1/meter-readings", "fsp1")) == 24  # replaced, not added
    assert env.ok("GET", "/api/v1/meter-readings", "fsp2") == []
    done = env.ok("POST", f"/api/v1/sessions/{sid}/settlement", "mo")
    assert done["state"] == "settled" and abs(done["residual_eur"]) < 1e-6
    mine = env.ok("GET", "/api/v1/settlements", "fsp1")
    assert mine and all(st["party_id"] == env.parties["fsp1"] for st in mine)
    assert env.ok("GET", "/api/v1/settlements", "fsp2") == []
    assert len(env.ok("GET", "/api/v1/settlements", "mo")) >= len(mine)
    r = env.client.post(f"/api/v1/sessions/{sid}/settlement", headers=env.h("mo"))
    assert r.status_code == 409


def test_envelopes_of_an_envelope_based_model(env: Env) -> None:
    qp = qualified_portfolio(env, name="env-p")
    ms = session(env, market(env, "au.hybrid", name="hybrid"))
    sid = ms["id"]
    env.ok("POST", f"/api/v1/sessions/{sid}/orders", "fsp1",
           json=order(qp["portfolio"]["id"], 0.2, 40.0))
    env.ok("POST", f"/api/v1/sessions/{sid}/close", "mo")
    env.ok("POST", f"/api/v1/sessions/{sid}/clearing", "mo")
    assert env.run_jobs() == 1
    assert env.ok("GET", f"/api/v1/sessions/{sid}", "mo")["state"] == "cleared"
    mine = env.ok("GET", f"/api/v1/sessions/{sid}/envelopes", "fsp1")
    assert [e["der_id"] for e in mine] == [qp["der"]["id"]]
    assert len(mine[0]["import_mw"]) == len(mine[0]["export_mw"]) == 24
    assert all(x >= 0 for x in mine[0]["import_mw"] + mine[0]["export_mw"])
    assert env.ok("GET", f"/api/v1/sessions/{sid}/envelopes", "fsp2") == []
    messages = env.ok("GET", f"/api/v1/sessions/{sid}/messages", "mo")
    assert any(m["kind"] == "envelope" for m in messages)


def test_grid_prequalification_proposes_the_traffic_light(env: Env) -> None:
    engine = env.plat.engine()
    fleet = engine.fleet_ders()
    lights = engine.grid_lights("congestion_dso")
    red = [d for d in fleet if lights[d["name"]][0] == "red"]
    pick = (red or fleet)[0]
    der = env.ok("POST", "/api/v1/ders", "fsp1", json={
        "name": pick["name"], "der_type": pick["der_type"], "feeder": pick["feeder"],
        "node": pick["node"], "p_max_mw": pick["p_max_mw"]})
    p = env.ok("POST", "/api/v1/portfolios", "fsp1", json={"name": "lights"})
    env.ok("POST", f"/api/v1/portfolios/{p['id']}/members", "fsp1", json={"der_id": der["id"]})
    g = env.ok("POST", "/api/v1/grid-prequalifications", "fsp1", json={
        "portfolio_id": p["id"], "product": "congestion_dso", "dso_party_id": env.parties["dso"]})
    assert g["proposal"] == lights[pick["name"]][0]
    if red:
        assert any(pick["name"] in r for r in g["reasons"])
