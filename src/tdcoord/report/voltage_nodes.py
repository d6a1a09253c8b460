"""The feeder nodes whose voltage comes closest to (or goes furthest past) its limits.

For node :math:`n` of model :math:`m` over the day, the excursion is
:math:`e_{m,n} = \\max_t \\max(v_{\\min} - v_{m,n,t},\\; v_{m,n,t} - v_{\\max})` in pu: positive
when the AC validation finds the node outside its limits, negative (the margin left) when it
stays inside. The figure is a heat map of :math:`e` for the ``max_nodes`` nodes with the largest
excursion over all models (rows) by model (columns): the worst nodes, not one line per model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tdcoord.report.data import ReportInput, node_key
from tdcoord.report.figures import TEMPLATE, voltage_limits


def node_excursions(ri: ReportInput) -> pd.DataFrame:
    """Per model and node: ``excursion_pu`` (see module doc), the worst voltage ``v_pu`` and its
    ``interval`` (columns model_id, node, excursion_pu, v_pu, interval)."""
    lo, hi = voltage_limits(ri)
    v = ri.voltages
    exc = np.maximum(lo - v["v_pu"].to_numpy(dtype=float), v["v_pu"].to_numpy(dtype=float) - hi)
    d = pd.DataFrame(
        {
            "model_id": v["model_id"].to_numpy(),
            "node": node_key(v["feeder_id"], v["node_id"]).to_numpy(),
            "excursion_pu": exc,
            "v_pu": v["v_pu"].to_numpy(dtype=float),
            "interval": v["interval"].to_numpy(),
        }
    ).sort_values(["model_id", "node", "interval"], kind="stable")
    worst = d.groupby(["model_id", "node"], sort=True)["excursion_pu"].idxmax()
    return d.loc[worst.to_numpy()].reset_index(drop=True)


def worst_nodes(ri: ReportInput, max_nodes: int = 12) -> list[str]:
    """The ``max_nodes`` nodes with the largest excursion over all models (ties by node id)."""
    e = node_excursions(ri).groupby("node")["excursion_pu"].max()
    order = sorted(e.index, key=lambda k: (-float(e[k]), str(k)))
    return [str(k) for k in order[:max_nodes]]


def worst_voltage_nodes(ri: ReportInput, max_nodes: int = 12) -> go.Figure:
    """Heat map: worst nodes (rows) × models (columns), colour = excursion past the limits in
    pu (red outside, blue inside with margin); hover gives the voltage and the hour."""
    e = node_excursions(ri)
    nodes = worst_nodes(ri, max_nodes)
    ids = ri.model_ids
    e = e.loc[e["node"].isin(nodes)].set_index(["node", "model_id"])
    full = pd.MultiIndex.from_product([nodes, ids], names=["node", "model_id"])
    e = e.reindex(full)
    z = e["excursion_pu"].to_numpy(dtype=float).reshape(len(nodes), len(ids))
    hours = e["interval"].to_numpy(dtype=float) * ri.interval_minutes / 60.0
    custom = np.stack([e["v_pu"].to_numpy(dtype=float), hours], axis=-1).reshape(
        len(nodes), len(ids), 2
    )
    lo, hi = voltage_limits(ri)
    bound = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 0.01
    fig = go.Figure(layout={"template": TEMPLATE, "height": 220 + 26 * len(nodes)})
    fig.add_heatmap(
        z=z.astype(np.float32),
        x=ids,
        y=nodes,
        customdata=custom.astype(np.float32),
        zmin=-bound,
        zmax=bound,
        zmid=0.0,
        colorscale="RdBu_r",
        colorbar={"title": {"text": "pu past limit"}},
        hovertemplate="%{y} in %{x}<br>%{z:+.4f} pu past the limits (negative: margin)"
        "<br>worst voltage %{customdata[0]:.4f} pu at %{customdata[1]:.2f} h<extra></extra>",
    )
    fig.update_layout(
        title={
            "text": f"Worst {len(nodes)} feeder nodes: excursion past [{lo:g}, {hi:g}] pu "
            "(AC validation)"
        }
    )
    fig.update_yaxes(autorange="reversed", title="node (feeder/node)")
    fig.update_xaxes(title="model", tickangle=-30)
    return fig
