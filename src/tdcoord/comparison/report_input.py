"""Fill the report's :class:`~tdcoord.report.data.ReportInput` from a :class:`Comparison`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tdcoord.comparison.run import Comparison, ModelRun, kpi_frame
from tdcoord.grid.model import GridModel
from tdcoord.report.data import ReportInput


def _models(c: Comparison) -> pd.DataFrame:
    rows = []
    for r in c.runs:
        e = r.entry
        a = e.attributes
        rows.append(
            {
                "model_id": e.id,
                "name": e.name,
                "region": e.region,
                "scheme": e.scheme,
                "params": ", ".join(f"{k}={v}" for k, v in e.params.as_dict().items()) or "—",
                "neutrality": a.neutrality.level,
                "transparency": a.transparency.level,
                "complexity": a.implementation_complexity.level,
                "neutrality_note": a.neutrality.why,
                "transparency_note": a.transparency.why,
                "complexity_note": a.implementation_complexity.why,
                "source": f"{e.source.seed} {e.source.section}",
                "description": e.description,
                "equivalent_to": ",".join(e.equivalent_to),
                "equivalence_reason": e.equivalence_reason or "",
            }
        )
    return pd.DataFrame(rows)


def _grid_frames(grid: GridModel) -> tuple[pd.DataFrame, pd.DataFrame]:
    edges: list[dict[str, str]] = []
    nodes: list[dict[str, str]] = []
    tr = grid.transmission
    if tr is not None:
        for b in tr.buses.id.tolist():
            nodes.append({"key": f"T:{b}", "kind": "transmission", "label": f"bus {b}"})
        br = tr.branches
        for f_b, t_b in zip(br.from_bus.tolist(), br.to_bus.tolist(), strict=True):
            edges.append({"kind": "transmission", "feeder_id": "", "from_id": f"T:{f_b}",
                          "to_id": f"T:{t_b}"})
    by_f = dict(
        zip(grid.interfaces.feeder.tolist(), grid.interfaces.transmission_bus.tolist(), strict=True)
    )
    for fd in grid.feeders:
        ids = fd.nodes.id.tolist()
        for i, n in enumerate(ids):
            nodes.append({"key": f"F:{fd.id}:{n}", "kind": "feeder", "label": f"{fd.id} node {n}"})
            if i:
                parent = ids[int(fd.parent[i])]
                edges.append({"kind": "feeder", "feeder_id": fd.id,
                              "from_id": f"F:{fd.id}:{parent}", "to_id": f"F:{fd.id}:{n}"})
        if fd.id in by_f:
            edges.append({"kind": "interface", "feeder_id": fd.id,
                          "from_id": f"T:{by_f[fd.id]}", "to_id": f"F:{fd.id}:{ids[0]}"})
    return pd.DataFrame(edges), pd.DataFrame(nodes)


def _prices(c: Comparison, r: ModelRun) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    o = r.day.outcome
    lmp, dlmp = [], []
    tr = c.grid.transmission
    T = c.day.n_intervals
    if o.lmp_eur_per_mwh is not None and tr is not None:
        p = o.lmp_eur_per_mwh
        lmp.append(pd.DataFrame({
            "model_id": r.entry.id,
            "bus_id": np.repeat(tr.buses.id, T),
            "interval": np.tile(np.arange(T), tr.n_bus),
            "price_eur_per_mwh": p.ravel(),
        }))
    for fd, d in zip(c.grid.feeders, o.dlmp_eur_per_mwh, strict=True):
        if d is None:
            continue
        dlmp.append(pd.DataFrame({
            "model_id": r.entry.id,
            "feeder_id": fd.id,
            "node_id": np.repeat(fd.nodes.id, T),
            "interval": np.tile(np.arange(T), fd.n_node),
            "price_eur_per_mwh": d.ravel(),
        }))
    return lmp, dlmp


def _cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


#: The non-procurement components of ``total_cost`` and their label in the cost chart.
COST_PARTS = {
    "transmission_redispatch_eur": "tso: redispatch",
    "balancing_reserve_eur": "tso: balancing reserves",
    "availability_cost_eur": "availability payments",
    "violation_penalty_eur": "violation penalty",
    "energy_not_served_eur": "energy not served (VOLL)",
}


def cost_parts(run: ModelRun) -> pd.DataFrame:
    """One model's ``total_cost`` split by who bears it (``actor``, ``cost_eur``): the flexibility
    each buyer activated, then the other components of :mod:`tdcoord.kpi.accounting`; the rows
    sum to the KPI ``total_cost``."""
    a = run.day.outcome.activations
    flex = a.groupby("buyer", sort=True)["cost_eur"].sum() if len(a) else pd.Series(dtype=float)
    actors = [str(b) for b in flex.index] + list(COST_PARTS.values())
    values = [float(v) for v in flex.to_numpy()] + [float(run.kpis[k]) for k in COST_PARTS]
    frame = pd.DataFrame({"actor": actors, "cost_eur": values})
    return frame[frame["cost_eur"] != 0.0].reset_index(drop=True)


def build_report_input(c: Comparison, provenance: dict[str, Any]) -> ReportInput:
    """Everything the HTML report shows, from the comparison run."""
    edges, nodes = _grid_frames(c.grid)
    cost, lmp, dlmp, flows, volts, acts, msgs, settle = [], [], [], [], [], [], [], []
    timeline: list[pd.DataFrame] = []
    T = c.day.n_intervals
    for r in c.runs:
        mid = r.entry.id
        o = r.day.outcome
        cost.append(cost_parts(r).assign(model_id=mid))
        a, d = _prices(c, r)
        lmp += a
        dlmp += d
        for f, fd in enumerate(c.grid.feeders):
            flows.append(pd.DataFrame({
                "model_id": mid, "feeder_id": fd.id, "interval": np.arange(T),
                "actual_mw": r.day.delivered_outcome.interface_mw[f],
                "scheduled_mw": o.interface_schedule_mw[f],
            }))
        for fd, v_pu in zip(c.grid.feeders, r.day.validation.feeder_v_pu, strict=False):
            volts.append(pd.DataFrame({
                "model_id": mid, "feeder_id": fd.id,
                "node_id": np.repeat(fd.nodes.id, T),
                "interval": np.tile(np.arange(T), fd.n_node),
                "v_pu": v_pu.ravel(),
            }).dropna())
        if len(o.activations):
            g = o.activations.assign(mwh=o.activations["mw"] * c.day.dt_h)
            keys = ["der_type", "product_id", "buyer", "direction"]
            summed = g.groupby(keys, as_index=False).agg(mwh=("mwh", "sum"))
            acts.append(summed.assign(model_id=mid))
        bp = o.messages.by_pair()
        if len(bp):
            msgs.append(bp.assign(model_id=mid))
        if r.events is not None and len(r.events.rows):
            ev = r.events.rows
            timeline.append(pd.DataFrame({
                "model_id": mid, "stage": ev["stage"], "interval": ev["interval"],
                "event": ev["event"],
                "detail": ev["detail"] + " → " + ev["state"]
                + ", shed " + ev["shed_mwh"].map(lambda x: f"{x:.3g}") + " MWh",
            }))
        tot = r.settlement.totals
        settle.append(pd.DataFrame({
            "model_id": mid, "party": list(tot), "amount_eur": list(tot.values()),
            "party_kind": [p.split(":")[0] if ":" in p else p for p in tot],
        }))
    return ReportInput(
        study_name=c.study.name,
        provenance=provenance,
        models=_models(c),
        kpis=kpi_frame(c),
        cost_by_actor=_cat(cost),
        lmp=_cat(lmp),
        dlmp=_cat(dlmp),
        grid_edges=edges,
        grid_nodes=nodes,
        interface_flows=_cat(flows),
        voltages=_cat(volts),
        activations=_cat(acts),
        messages=_cat(msgs),
        settlement=_cat(settle),
        timeline=_cat(timeline) if timeline else None,
        interval_minutes=c.day.dt_h * 60.0,
    )


def price_map_figure(
    grid: GridModel,
    model_id: str,
    lmp_eur_per_mwh: np.ndarray | None,
    dlmp_eur_per_mwh: list[np.ndarray | None],
    *,
    kind: str = "dlmp",
    interval_minutes: float = 15.0,
    interval: int | None = None,
) -> Any:
    """The report's network price map (:func:`tdcoord.report.figures.price_map`: the grid drawn
    as a network, nodes coloured by price at one interval) for the prices of one clearing of
    catalogue model ``model_id`` — LMPs ``(n_bus, T)`` and DLMPs per feeder ``(n_node, T)`` (None:
    not priced), as in an :class:`~tdcoord.coordination.outcome.Outcome` — e.g. one session of the
    live platform. ``kind``: ``"lmp"`` or ``"dlmp"``; a plotly figure."""
    from tdcoord.coordination.catalogue import get_model
    from tdcoord.report.figures import price_map

    e = get_model(model_id)
    a = e.attributes
    models = pd.DataFrame([{
        "model_id": e.id, "name": e.name, "region": e.region, "scheme": e.scheme,
        "params": ", ".join(f"{k}={v}" for k, v in e.params.as_dict().items()) or "—",
        "neutrality": a.neutrality.level, "transparency": a.transparency.level,
        "complexity": a.implementation_complexity.level,
    }])
    lmp, dlmp = [], []
    tr = grid.transmission
    if lmp_eur_per_mwh is not None and tr is not None:
        n, T = lmp_eur_per_mwh.shape
        lmp.append(pd.DataFrame({
            "model_id": e.id, "bus_id": np.repeat(tr.buses.id, T),
            "interval": np.tile(np.arange(T), n), "price_eur_per_mwh": lmp_eur_per_mwh.ravel(),
        }))
    for fd, d in zip(grid.feeders, dlmp_eur_per_mwh, strict=False):
        if d is not None:
            T = d.shape[1]
            dlmp.append(pd.DataFrame({
                "model_id": e.id, "feeder_id": fd.id, "node_id": np.repeat(fd.nodes.id, T),
                "interval": np.tile(np.arange(T), fd.n_node), "price_eur_per_mwh": d.ravel(),
            }))
    edges, nodes = _grid_frames(grid)
    ri = ReportInput(
        study_name=model_id, provenance={}, models=models,
        kpis=pd.DataFrame({"model_id": [e.id]}), lmp=_cat(lmp), dlmp=_cat(dlmp),
        grid_edges=edges, grid_nodes=nodes, interval_minutes=interval_minutes,
    )
    return price_map(ri, kind, interval)
