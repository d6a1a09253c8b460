"""A synthetic but consistent ReportInput: a ring transmission grid, radial feeders, several models.

Consistency: KPIs are computed from the detailed frames (procurement cost = sum of buyer costs,
activated volumes = sum of activations, messages/bytes = sum of the message log, interface
deviation = sum |actual − scheduled| × dt, voltage pu·h from the voltages against the limits),
so a report reader sees the same numbers in the table and the figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tdcoord.report import ReportInput

SCHEMES = ("centralized", "local", "common", "fragmented", "envelope", "integrated")
PENALTY_EUR_PER_PU_H = 10_000.0


def synthetic_input(
    n_models: int = 3,
    n_feeders: int = 2,
    n_nodes: int = 6,
    n_intervals: int = 8,
    n_bus: int = 6,
    seed: int = 0,
    **overrides: Any,
) -> ReportInput:
    rng = np.random.default_rng(seed)
    dt_h = 0.25
    ids = [f"m{k}.{SCHEMES[k % len(SCHEMES)]}" for k in range(n_models)]
    feeders = [f"f{k}" for k in range(n_feeders)]
    models = pd.DataFrame(
        {
            "model_id": ids,
            "name": [f"Model {k}" for k in range(n_models)],
            "region": ["EU"] * n_models,
            "scheme": [SCHEMES[k % len(SCHEMES)] for k in range(n_models)],
            "params": ["{}"] * n_models,
            "neutrality": [("high", "medium", "low")[k % 3] for k in range(n_models)],
            "transparency": ["medium"] * n_models,
            "complexity": [("low", "high")[k % 2] for k in range(n_models)],
            "neutrality_note": ["operator is independent"] * n_models,
            "source": ["seed 001 §III"] * n_models,
        }
    )
    # Grid: transmission ring 0..n_bus-1 plus one chord; feeder k hangs from bus k % n_bus.
    t_edges = [(f"T:{b}", f"T:{(b + 1) % n_bus}") for b in range(n_bus)] + [
        ("T:0", f"T:{n_bus // 2}")
    ]
    nodes = [(f"T:{b}", "transmission", f"bus {b}") for b in range(n_bus)]
    edges = [("transmission", "", a, b) for a, b in t_edges]
    for k, f in enumerate(feeders):
        nodes += [(f"F:{f}:{n}", "feeder", f"{f} node {n}") for n in range(n_nodes)]
        edges.append(("interface", f, f"T:{k % n_bus}", f"F:{f}:0"))
        parents = [int(rng.integers(0, n)) for n in range(1, n_nodes)]
        edges += [("feeder", f, f"F:{f}:{p}", f"F:{f}:{n}") for n, p in enumerate(parents, 1)]
    grid_nodes = pd.DataFrame(nodes, columns=["key", "kind", "label"])
    grid_edges = pd.DataFrame(edges, columns=["kind", "feeder_id", "from_id", "to_id"])
    T = np.arange(n_intervals)

    # Prices and flows.
    def grid(**axes: Any) -> pd.DataFrame:
        """Cartesian product of the axes (first axis slowest), as columns."""
        mesh = np.meshgrid(*[np.asarray(v) for v in axes.values()], indexing="ij")
        return pd.DataFrame({k: m.ravel() for k, m in zip(axes, mesh, strict=True)})

    mi = {m: i for i, m in enumerate(ids)}
    fk = {f: k for k, f in enumerate(feeders)}
    lmp = grid(model_id=ids, bus_id=np.arange(n_bus), interval=T)
    lmp["price_eur_per_mwh"] = (
        40 + 5 * lmp["model_id"].map(mi) + lmp["bus_id"] + 10 * np.sin(lmp["interval"] / 3)
    )
    dlmp = grid(model_id=ids, feeder_id=feeders, node_id=np.arange(n_nodes), interval=T)
    dlmp["price_eur_per_mwh"] = (
        45
        + 5 * dlmp["model_id"].map(mi)
        + 2 * dlmp["node_id"]
        + 10 * np.sin(dlmp["interval"] / 3)
        + dlmp["feeder_id"].map(fk)
    )
    flows = grid(model_id=ids, feeder_id=feeders, interval=T)
    flows["scheduled_mw"] = 2 + np.cos(flows["interval"] / 4 + flows["feeder_id"].map(fk))
    flows["actual_mw"] = flows["scheduled_mw"] + 0.1 * flows["model_id"].map(
        mi
    ) * rng.standard_normal(len(flows))
    volt = grid(model_id=ids, feeder_id=feeders, node_id=np.arange(n_nodes), interval=T)
    volt["v_pu"] = (
        1.0
        - 0.04 * volt["node_id"] / n_nodes * (1 + 0.3 * (volt["model_id"].map(mi) % 3))
        - 0.005 * np.sin(volt["interval"] / 2)
    )
    der_types = ("pv", "battery", "ev")
    products = ("mfrr", "congestion_dso")
    act = pd.DataFrame(
        [
            (m, d, p, "tso" if p == "mfrr" else f"dso:{feeders[0]}", s, float(rng.uniform(0, 2)))
            for m in ids
            for d in der_types
            for p in products
            for s in (1, -1)
        ],
        columns=["model_id", "der_type", "product_id", "buyer", "direction", "mwh"],
    )
    actors = ["tso", "mo", *[f"dso:{f}" for f in feeders], "aggregator:a1"]
    msg = pd.DataFrame(
        [
            (m, s, r, int(rng.integers(1, 50)), 0)
            for m in ids
            for s in actors
            for r in actors
            if s != r and rng.uniform() < 0.5
        ],
        columns=["model_id", "sender", "receiver", "messages", "bytes"],
    )
    msg["bytes"] = msg["messages"] * 256
    # Costs: buyers pay what aggregators receive (pay-as-bid at 50 EUR/MWh for the demo).
    cost_rows, settle_rows = [], []
    for m in ids:
        a = act.loc[act["model_id"] == m]
        tso = float(a.loc[a["buyer"] == "tso", "mwh"].sum()) * 50.0
        dso = float(a.loc[a["buyer"] != "tso", "mwh"].sum()) * 50.0
        cost_rows += [(m, "tso", tso), (m, f"dso:{feeders[0]}", dso)]
        settle_rows += [
            (m, "tso", "operator", -tso),
            (m, f"dso:{feeders[0]}", "operator", -dso),
            (m, "aggregator:a1", "aggregator", tso + dso),
        ]
    cost = pd.DataFrame(cost_rows, columns=["model_id", "actor", "cost_eur"])
    settle = pd.DataFrame(settle_rows, columns=["model_id", "party", "party_kind", "amount_eur"])
    lo = 0.95
    under = (lo - volt["v_pu"]).clip(lower=0) * dt_h
    volt_pu_h = under.groupby(volt["model_id"]).sum().reindex(ids)
    n_viol = (volt["v_pu"] < lo).groupby(volt["model_id"]).sum().reindex(ids)
    proc = cost.groupby("model_id")["cost_eur"].sum().reindex(ids)
    dev = (
        ((flows["actual_mw"] - flows["scheduled_mw"]).abs() * dt_h).groupby(flows["model_id"]).sum()
    )
    kpis = pd.DataFrame(
        {
            "model_id": ids,
            "total_cost": (proc + PENALTY_EUR_PER_PU_H * volt_pu_h).to_numpy(),
            "procurement_cost": proc.to_numpy(),
            "unresolved_violations": n_viol.to_numpy(),
            "unresolved_voltage_pu_h": volt_pu_h.to_numpy(),
            "activated_up_mwh": act[act.direction > 0]
            .groupby("model_id")["mwh"]
            .sum()
            .reindex(ids)
            .to_numpy(),
            "activated_down_mwh": act[act.direction < 0]
            .groupby("model_id")["mwh"]
            .sum()
            .reindex(ids)
            .to_numpy(),
            "interface_deviation_mwh": dev.reindex(ids).to_numpy(),
            "messages": msg.groupby("model_id")["messages"].sum().reindex(ids).fillna(0).to_numpy(),
            "bytes": msg.groupby("model_id")["bytes"].sum().reindex(ids).fillna(0).to_numpy(),
            "compute_s": np.linspace(0.5, 2.0, n_models),
            "status": ["optimal"] * n_models,
        }
    )
    timeline = pd.DataFrame(
        [
            (ids[0], "real_time", 3, "alert", "line T:0–T:1 above 90 % of rating"),
            (ids[-1], "real_time", 5, "emergency", f"feeder {feeders[0]} fault, section isolated"),
        ],
        columns=["model_id", "stage", "interval", "event", "detail"],
    )
    kwargs: dict[str, Any] = dict(
        study_name="synthetic",
        provenance={"tdcoord": "0.1.0", "highs": "1.11", "input_hash": "abc123"},
        models=models,
        kpis=kpis,
        cost_by_actor=cost,
        lmp=lmp,
        dlmp=dlmp,
        grid_edges=grid_edges,
        grid_nodes=grid_nodes,
        interface_flows=flows,
        voltages=volt,
        activations=act,
        messages=msg,
        settlement=settle,
        timeline=timeline,
    )
    kwargs.update(overrides)
    return ReportInput(**kwargs)
