"""Grid drawing: spectral layout against known eigenvectors, tree invariants, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.report.layout import _adjacency as adjacency
from tdcoord.report.layout import grid_layout, spectral_layout, transmission_layout, tree_layout

from .synthetic import synthetic_input


def test_spectral_layout_of_a_cycle_is_a_circle() -> None:
    # The Laplacian of C_n has the 2-dimensional eigenspace of cos/sin(2πk/n): nodes on a circle.
    n = 12
    i = np.arange(n)
    pos = spectral_layout(adjacency(n, i, (i + 1) % n))
    r = np.hypot(*(pos - pos.mean(axis=0)).T)
    assert np.allclose(r, r[0], rtol=1e-8)
    ang = np.unwrap(np.arctan2(*(pos - pos.mean(axis=0)).T[::-1]))
    assert np.allclose(np.abs(np.diff(ang)), 2 * np.pi / n, atol=1e-8)


def test_spectral_layout_of_a_path_is_monotone() -> None:
    # The Fiedler vector of a path, cos(π(k+1/2)/n), is strictly monotone along the path.
    n = 9
    i = np.arange(n - 1)
    x = spectral_layout(adjacency(n, i, i + 1))[:, 0]
    d = np.diff(x)
    assert np.all(d > 0) or np.all(d < 0)
    expected = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    assert abs(np.corrcoef(x, expected)[0, 1]) > 1 - 1e-9


def test_transmission_layout_is_deterministic_and_spreads_nodes() -> None:
    n = 30
    rng = np.random.default_rng(1)
    i = np.r_[np.arange(n - 1), rng.integers(0, n, 10)]
    j = np.r_[np.arange(1, n), rng.integers(0, n, 10)]
    a, b = transmission_layout(n, i, j), transmission_layout(n, i, j)
    assert np.array_equal(a, b)
    assert a.min() >= 0 and a.max() <= 1
    d = np.hypot(*(a[:, None, :] - a[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(n, 1)].min() > 1e-3


@st.composite
def forests(draw: st.DrawFn) -> tuple[int, np.ndarray, list[int]]:
    sizes = draw(st.lists(st.integers(1, 12), min_size=1, max_size=4))
    parent, roots, off = [], [], 0
    for s in sizes:
        roots.append(off)
        parent.append(-1)
        parent += [off + draw(st.integers(0, k - 1)) for k in range(1, s)]
        off += s
    return off, np.array(parent), roots


@given(forests())
@settings(max_examples=40, deadline=None)
def test_tree_layout_invariants(forest: tuple[int, np.ndarray, list[int]]) -> None:
    n, parent, roots = forest
    child = np.flatnonzero(parent >= 0)
    x, depth = tree_layout(n, parent[child], child, np.array(roots), np.arange(len(roots)))
    # Children one level below their parent; roots at depth 1.
    assert np.all(depth[child] == depth[parent[child]] + 1)
    assert np.all(depth[roots] == 1)
    # No two nodes share a position.
    pts = set(zip(np.round(x, 9), depth, strict=True))
    assert len(pts) == n
    # A node sits over the middle of the leaves of its subtree (leaves one slot apart).
    leaves = np.setdiff1d(np.arange(n), parent[child])
    for p in range(n):
        below = []
        for leaf in leaves:
            a = leaf
            while a != -1 and a != p:
                a = parent[a]
            if a == p:
                below.append(x[leaf])
        assert np.isclose(x[p], (min(below) + max(below)) / 2)
        assert np.allclose(np.diff(np.sort(below)), 1.0)
    # Trees are left to right in root order and do not overlap.
    comp = np.zeros(n, dtype=int)
    for k, r in enumerate(roots):
        comp[r : (roots[k + 1] if k + 1 < len(roots) else n)] = k
    for k in range(len(roots) - 1):
        assert x[comp == k].max() < x[comp == k + 1].min()


def test_feeders_hang_below_their_bus_in_bus_order() -> None:
    ri = synthetic_input(n_feeders=4, n_nodes=5)
    pos = grid_layout(ri.grid_nodes, ri.grid_edges)
    t = pos[pos["kind"] == "transmission"]
    f = pos[pos["kind"] == "feeder"]
    assert f["y"].max() <= 1.0 < 1.3 <= t["y"].min()
    roots = ri.grid_edges.loc[ri.grid_edges["kind"] == "interface"]
    bus_x = pos.loc[roots["from_id"], "x"].to_numpy()
    root_x = pos.loc[roots["to_id"], "x"].to_numpy()
    assert np.array_equal(np.argsort(bus_x, kind="stable"), np.argsort(root_x, kind="stable"))
    assert pos.equals(grid_layout(ri.grid_nodes, ri.grid_edges))


def test_given_coordinates_are_used() -> None:
    ri = synthetic_input()
    nodes = ri.grid_nodes.assign(x=np.arange(len(ri.grid_nodes)), y=1.0)
    pos = grid_layout(nodes, ri.grid_edges)
    assert np.array_equal(pos["x"].to_numpy(), np.arange(len(nodes)))
    partial = nodes.astype({"x": float})
    partial.loc[0, "x"] = np.nan
    assert not np.array_equal(
        grid_layout(partial, ri.grid_edges)["x"].to_numpy(), np.arange(len(nodes))
    )
    assert isinstance(pos, pd.DataFrame)
