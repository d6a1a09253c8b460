"""The worst voltage nodes: excursion past the limits per node and model."""

from __future__ import annotations

import numpy as np

from tdcoord.report.figures import voltage_limits
from tdcoord.report.voltage_nodes import node_excursions, worst_nodes, worst_voltage_nodes
from tests.report.synthetic import synthetic_input


def test_excursion_is_the_worst_distance_past_the_limits() -> None:
    ri = synthetic_input(n_models=2)
    lo, hi = voltage_limits(ri)
    e = node_excursions(ri)
    v = ri.voltages
    m = ri.model_ids[0]
    sub = v.loc[v["model_id"] == m]
    exc_all = np.maximum(lo - sub["v_pu"], sub["v_pu"] - hi)
    assert e.loc[e["model_id"] == m, "excursion_pu"].max() == exc_all.max()


def test_figure_shows_at_most_max_nodes_worst_first() -> None:
    ri = synthetic_input(n_models=3, n_nodes=10)
    nodes = worst_nodes(ri, 5)
    fig = worst_voltage_nodes(ri, 5)
    assert len(fig.data) == 1 and list(fig.data[0].y) == nodes
    z = np.asarray(fig.data[0].z, dtype=float)
    assert z.shape == (5, 3)
    per_node = np.nanmax(z, axis=1)
    assert np.all(np.diff(per_node) <= 1e-6)
