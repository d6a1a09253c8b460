"""Deterministic drawing positions for the coupled grid (transmission above, feeders below).

When ``grid_nodes`` gives finite ``x`` and ``y`` for every node they are used as they are.
Otherwise :func:`grid_layout` computes:

* **Transmission** (upper band, ``y`` in [1.3, 2.3]): per connected component, a spectral layout
  (coordinates = the eigenvectors of the graph Laplacian ``L = D − A`` for its 2nd and 3rd
  smallest eigenvalues, Hall 1970 / Koren 2005), refined by a vectorised Fruchterman–Reingold
  force layout (attraction ``d²/k`` along edges, repulsion ``k²/d`` between all pairs, cooling
  step) for components up to :data:`FORCE_MAX_NODES` buses; signs fixed and a seeded jitter
  (``numpy.random.default_rng(0)``) so the result is the same on every run. Components sit side by
  side.
* **Feeders** (lower band, ``y`` in [0, 1]): each feeder a tree hanging from its root (the node
  its interface edge reaches), depth by breadth-first search, every node centred over the leaves of
  its subtree (a "tidy" layered tree drawing, Reingold–Tilford style without contour packing);
  feeders ordered left to right by the ``x`` of their interface bus, so each hangs below its bus.

Everything is vectorised by tree level (loops over depths, not over nodes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse.linalg import eigsh

FORCE_MAX_NODES = 600
DENSE_EIG_MAX_NODES = 800
T_BAND = (1.3, 2.3)
F_BAND = (0.0, 1.0)


def _adjacency(n: int, i: np.ndarray, j: np.ndarray) -> sp.csr_matrix:
    keep = i != j
    i, j = i[keep], j[keep]
    a = sp.coo_matrix((np.ones(len(i)), (i, j)), shape=(n, n)).tocsr()
    sym = sp.csr_matrix(a + a.T)
    sym.data = np.ones_like(sym.data)
    return sym


def _fix_signs(vecs: np.ndarray) -> np.ndarray:
    """Make each eigenvector's largest-magnitude entry positive (eigenvectors are sign-free)."""
    idx = np.argmax(np.abs(vecs), axis=0)
    signs = np.sign(vecs[idx, np.arange(vecs.shape[1])])
    signs[signs == 0] = 1.0
    return np.asarray(vecs * signs, dtype=float)


def spectral_layout(adj: sp.csr_matrix) -> np.ndarray:
    """(n, 2) positions of a connected graph from the Laplacian's 2nd and 3rd eigenvectors."""
    n = adj.shape[0]
    if n == 1:
        return np.zeros((1, 2))
    if n == 2:
        return np.array([[0.0, 0.0], [1.0, 0.0]])
    degree = np.asarray(adj.sum(axis=1), dtype=float).ravel()
    lap = sp.csc_matrix(sp.diags(degree) - adj)  # L = D - A
    if n <= DENSE_EIG_MAX_NODES:
        _, vecs = np.linalg.eigh(lap.toarray())
        pos = vecs[:, 1:3]
    else:
        v0 = np.linspace(1.0, 2.0, n)
        _, vecs = eigsh(lap, k=3, sigma=-1e-3, which="LM", v0=v0)
        pos = vecs[:, 1:3]
    if pos.shape[1] == 1:
        pos = np.column_stack([pos[:, 0], np.zeros(n)])
    return _fix_signs(pos)


def force_layout(adj: sp.csr_matrix, init: np.ndarray, *, iterations: int = 60) -> np.ndarray:
    """Fruchterman–Reingold refinement of ``init`` (n, 2); vectorised O(n²) per iteration."""
    n = adj.shape[0]
    if n < 3:
        return init
    rng = np.random.default_rng(0)
    pos = _normalise(init) + rng.normal(scale=1e-3, size=init.shape)
    k = 1.0 / np.sqrt(n)
    coo = adj.tocoo()
    ei, ej = coo.row[coo.row < coo.col], coo.col[coo.row < coo.col]
    t = 0.1
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.sqrt((delta**2).sum(axis=2))
        np.fill_diagonal(dist, 1.0)
        dist = np.maximum(dist, 1e-4)
        rep = (k * k / dist**2)[:, :, None] * delta
        np.einsum("iik->ik", rep)[:] = 0.0
        disp = rep.sum(axis=1)
        d_e = pos[ei] - pos[ej]
        l_e = np.maximum(np.sqrt((d_e**2).sum(axis=1)), 1e-4)
        f_e = (l_e / k)[:, None] * d_e
        np.add.at(disp, ei, -f_e)
        np.add.at(disp, ej, f_e)
        length = np.maximum(np.sqrt((disp**2).sum(axis=1)), 1e-9)
        pos = pos + disp / length[:, None] * np.minimum(length, t)[:, None]
        t *= 0.95
    return np.asarray(pos, dtype=float)


def _normalise(pos: np.ndarray) -> np.ndarray:
    """Scale positions into the unit square (keeping aspect), lower-left corner at the origin."""
    lo = pos.min(axis=0)
    span = float(np.max(pos.max(axis=0) - lo))
    return np.asarray((pos - lo) / (span if span > 0 else 1.0), dtype=float)


def transmission_layout(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """(n, 2) positions in [0, 1] × [0, 1]: components side by side, each spectral + force."""
    if n == 0:
        return np.zeros((0, 2))
    adj = _adjacency(n, i, j)
    n_comp, labels = csgraph.connected_components(adj, directed=False)
    pos = np.zeros((n, 2))
    x0 = 0.0
    for c in range(n_comp):
        members = np.flatnonzero(labels == c)
        sub = sp.csr_matrix(adj[members][:, members])
        p = spectral_layout(sub)
        if len(members) <= FORCE_MAX_NODES:
            p = force_layout(sub, p)
        width = np.sqrt(len(members))
        pos[members] = _normalise(p) * width + np.array([x0, 0.0])
        x0 += width + 0.5
    span = pos.max(axis=0) - pos.min(axis=0)
    span[span == 0] = 1.0
    return np.asarray((pos - pos.min(axis=0)) / span, dtype=float)


def tree_layout(
    n: int,
    i: np.ndarray,
    j: np.ndarray,
    roots: np.ndarray,
    root_order: np.ndarray,
    gap: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Layered tree drawing of a forest: returns (x, depth) for the ``n`` nodes.

    ``roots`` are the tree roots, drawn left to right in ``root_order`` (a permutation of
    ``roots``' positions) with ``gap`` leaf-widths between trees. Nodes not reachable from a root
    start trees of their own (the lowest index of their component), drawn after the others.
    Each node is centred over the leaves of its breadth-first subtree."""
    if n == 0:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    adj = _adjacency(n, i, j)
    _, comp = csgraph.connected_components(adj, directed=False)
    ordered_roots = list(np.asarray(roots, dtype=np.int64)[np.asarray(root_order, dtype=np.int64)])
    covered = set(comp[ordered_roots].tolist()) if ordered_roots else set()
    _, first = np.unique(comp, return_index=True)
    ordered_roots += [int(f) for f in sorted(first) if comp[f] not in covered]
    # A virtual super-root joined to every root turns the forest into one BFS.
    v = n
    r = np.asarray(ordered_roots, dtype=np.int64)
    full = _adjacency(n + 1, np.r_[i, np.full(len(r), v)], np.r_[j, r])
    order, pred = csgraph.breadth_first_order(full, v, directed=False, return_predecessors=True)
    parent = np.asarray(pred, dtype=np.int64)
    parent[v] = -1
    # Depth = hop distance from the super-root (roots are at depth 1).
    dist = csgraph.shortest_path(full, indices=v, directed=False, unweighted=True)
    depth = np.asarray(dist, dtype=float).astype(np.int64)
    max_depth = int(depth[order].max())
    width = np.zeros(n + 1)
    for d in range(max_depth, 0, -1):
        level = order[depth[order] == d]
        w = np.maximum(width[level], 1.0)
        width[level] = w
        np.add.at(width, parent[level], w)
    # Roots get their slot in the requested order with gaps between trees.
    start = np.zeros(n + 1)
    cs = np.cumsum(width[r] + gap) - (width[r] + gap)
    start[r] = cs
    for d in range(2, max_depth + 1):
        level = order[depth[order] == d]
        if len(level) == 0:
            continue
        p = parent[level]
        srt = np.lexsort((level, p))
        lv, ps = level[srt], p[srt]
        w = width[lv]
        excl = np.cumsum(w) - w
        head = np.r_[True, ps[1:] != ps[:-1]]
        group_first = np.maximum.accumulate(np.where(head, np.arange(len(lv)), 0))
        start[lv] = start[ps] + excl - excl[group_first]
    x = start + width / 2.0
    return x[:n], depth[:n]


def _feeder_of(keys: pd.Series) -> pd.Series:
    """Feeder id of ``"F:<feeder_id>:<node_id>"`` keys (feeder ids may contain colons)."""
    return keys.str.slice(2).str.rsplit(":", n=1).str[0]


def grid_layout(nodes: pd.DataFrame, edges: pd.DataFrame) -> pd.DataFrame:
    """Positions of every grid node: a frame indexed by ``key`` with columns ``x``, ``y``,
    ``kind`` (``"transmission"`` or ``"feeder"``) and ``label``, in ``nodes`` order."""
    keys = nodes["key"].astype(str).reset_index(drop=True)
    kind = np.where(
        (nodes["kind"].astype(str).to_numpy() == "transmission") | keys.str.startswith("T:"),
        "transmission",
        "feeder",
    )
    out = pd.DataFrame(
        {"x": np.nan, "y": np.nan, "kind": kind, "label": nodes["label"].astype(str).to_numpy()},
        index=pd.Index(keys, name="key"),
    )
    if {"x", "y"} <= set(nodes.columns):
        xy = nodes[["x", "y"]].to_numpy(dtype=float)
        if len(xy) and np.all(np.isfinite(xy)):
            out["x"], out["y"] = xy[:, 0], xy[:, 1]
            return out
    pos_of = pd.Series(np.arange(len(keys)), index=keys)
    fi = pos_of.reindex(edges["from_id"].astype(str)).to_numpy()
    ti = pos_of.reindex(edges["to_id"].astype(str)).to_numpy()
    ekind = edges["kind"].astype(str).to_numpy()
    is_t = kind == "transmission"
    t_idx = np.flatnonzero(is_t)
    f_idx = np.flatnonzero(~is_t)
    t_local = np.full(len(keys), -1)
    t_local[t_idx] = np.arange(len(t_idx))
    f_local = np.full(len(keys), -1)
    f_local[f_idx] = np.arange(len(f_idx))
    te = (ekind == "transmission") & is_t[fi] & is_t[ti]
    tpos = transmission_layout(len(t_idx), t_local[fi[te]], t_local[ti[te]])
    out.iloc[t_idx, 0] = tpos[:, 0]
    out.iloc[t_idx, 1] = T_BAND[0] + tpos[:, 1] * (T_BAND[1] - T_BAND[0])
    if len(f_idx) == 0:
        return out
    fe = (ekind != "interface") & ~is_t[fi] & ~is_t[ti]
    # Roots: feeder ends of interface edges; order them by the x of their bus, then key order.
    ie = (ekind == "interface") & (is_t[fi] != is_t[ti])
    bus = np.where(is_t[fi[ie]], fi[ie], ti[ie])
    root = np.where(is_t[fi[ie]], ti[ie], fi[ie])
    root_local, first = np.unique(f_local[root], return_index=True)
    bus_x = out["x"].to_numpy()[bus[first]]
    root_order = np.lexsort((root_local, bus_x))
    x, depth = tree_layout(len(f_idx), f_local[fi[fe]], f_local[ti[fe]], root_local, root_order)
    span = max(float(x.max() - x.min()), 1.0)
    max_depth = max(int(depth.max()), 1)
    out.iloc[f_idx, 0] = (x - x.min()) / span if len(f_idx) > 1 else 0.5
    out.iloc[f_idx, 1] = F_BAND[1] - (depth - 1) / max(max_depth - 1, 1) * (F_BAND[1] - F_BAND[0])
    return out
