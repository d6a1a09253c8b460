"""Lossless LinDistFlow in injection space: every feeder quantity as a linear map of injections.

For a radial feeder with lossless LinDistFlow (``FeederOptions(losses="none")``,
:mod:`tdcoord.opf.feeder.program`) the balance and voltage-drop rows define the free columns
uniquely. With ``d`` the net active withdrawal per node (load − static generation − injections)
and ``d^q`` the reactive one, the downstream matrix ``D = Bᵀ`` (branch × node, 1 when the node is
fed through the branch; :func:`tdcoord.grid.topology.path_matrix`) gives

.. math::

    P = D d, \\quad Q = D d^q, \\quad p^{root} = \\mathbf 1^\\top d, \\quad
    w = v_0^2 - S_r d - S_x d^q, \\quad S_r = 2 B\\,\\mathrm{diag}(r/S_{base}) B^\\top,
    \\; S_x = 2 B\\,\\mathrm{diag}(x/S_{base}) B^\\top

(Baran & Wu 1989; the path form of Papavasiliou 2018, "Analysis of DLMPs", IEEE Trans. Smart Grid
9(5)). An injection of (e_p, e_q) per unit at node k therefore moves ``P`` by ``−e_p D[:, k]``,
``w`` by ``S_r[:, k] e_p + S_x[:, k] e_q`` and the root import by ``−e_p``.

Feeders that are copies of one template (identical topology, impedances, ratings, voltage limits)
share D, S_r, S_x: :func:`feeder_groups` groups them by comparing the arrays (never by name).
Per group the base quantities (no injection) are stacked feeder-major as (F_g·T, ·) arrays, row
``f_local·T + t``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from tdcoord.grid.model import Feeder
from tdcoord.grid.topology import path_matrix
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.linear import path_impedance
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class FeederGroup:
    """Feeders sharing one template, their sensitivities and stacked base quantities."""

    feeders: IntArray
    """Global feeder indices (in case order)."""
    template: Feeder
    down: FloatArray
    """D (m × n): 1 when node j is fed through branch b."""
    s_r: FloatArray
    """S_r (n × n), symmetric: ∂w/∂(active injection)."""
    s_x: FloatArray
    rating_mva: FloatArray
    """Per branch (inf = unrated)."""
    w_min: FloatArray
    """Squared lower voltage limit per node (root row unused)."""
    w_max: FloatArray
    w_root: float
    sub_rating_mva: FloatArray
    """Interface (substation) rating per feeder of the group."""
    p0: FloatArray
    """Branch flows without injections (F_g·T × m), MW."""
    q0: FloatArray
    w0: FloatArray
    """Squared voltages without injections (F_g·T × n)."""
    p_net: FloatArray
    """Root import without injections (F_g·T,), MW."""
    q_net: FloatArray
    cases: tuple[FeederCase, ...]
    """The group's feeder cases (loads and static generation per node and period)."""

    @property
    def n_node(self) -> int:
        """Nodes of the template."""
        return int(self.down.shape[1])

    @property
    def n_branch(self) -> int:
        """Branches of the template."""
        return int(self.down.shape[0])

    def _per_feeder(self, ft: IntArray) -> list[tuple[FeederCase, IntArray, IntArray]]:
        """(case, positions in ``ft``, periods) per feeder of the group-local ``ft`` (one sort)."""
        T = self.cases[0].n_periods if self.cases else 1
        f = ft // T
        order = np.argsort(f, kind="stable")
        cut = np.flatnonzero(np.diff(f[order])) + 1
        out = []
        for sel in np.split(order, cut) if len(order) else []:  # the feeders involved
            out.append((self.cases[int(f[sel[0]])], sel, ft[sel] % T))
        return out

    def injection_bounds(self, ft: IntArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Load-shedding bound max(P_load, 0), reactive load shed per MW (Q/P of the load, 0
        without load) and curtailment bound max(P_sgen, 0), each (k × n), of the group-local
        feeder-periods ``ft`` — gathered from the feeder cases (no stacked copy)."""
        shape = (len(ft), self.n_node)
        load_p, load_q, sgen = np.zeros(shape), np.zeros(shape), np.zeros(shape)
        for c, sel, t in self._per_feeder(ft):
            load_p[sel] = c.load_p_mw[:, t].T
            load_q[sel] = c.load_q_mvar[:, t].T
            sgen[sel] = c.sgen_p_mw[:, t].T
        ratio = np.divide(load_q, load_p, out=np.zeros(shape), where=load_p > 0)
        return np.maximum(load_p, 0.0), ratio, np.maximum(sgen, 0.0)

    def injection_bounds_at(
        self, ft: IntArray, node: IntArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """:meth:`injection_bounds` at single (feeder-period, node) pairs, each (k,)."""
        load_p, load_q, sgen = np.zeros(len(ft)), np.zeros(len(ft)), np.zeros(len(ft))
        for c, sel, t in self._per_feeder(ft):
            load_p[sel] = c.load_p_mw[node[sel], t]
            load_q[sel] = c.load_q_mvar[node[sel], t]
            sgen[sel] = c.sgen_p_mw[node[sel], t]
        ratio = np.divide(load_q, load_p, out=np.zeros(len(ft)), where=load_p > 0)
        return np.maximum(load_p, 0.0), ratio, np.maximum(sgen, 0.0)

    def state(
        self, inj_p: sp.csr_matrix, inj_q: sp.csr_matrix, ft: IntArray | slice = slice(None)
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Flows P, Q (k × m), squared voltages w (k × n) and root import p, q of the
        feeder-periods ``ft`` (group-local rows; default all) at the injections ``inj_p``,
        ``inj_q`` (k × n, MW / Mvar)."""
        P = self.p0[ft] - np.asarray(inj_p @ self.down.T)
        Q = self.q0[ft] - np.asarray(inj_q @ self.down.T)
        w = self.w0[ft] + np.asarray(inj_p @ self.s_r) + np.asarray(inj_q @ self.s_x)
        p_root = self.p_net[ft] - np.asarray(inj_p.sum(axis=1)).ravel()
        q_root = self.q_net[ft] - np.asarray(inj_q.sum(axis=1)).ravel()
        return P, Q, w, p_root, q_root


def _signature(f: Feeder) -> tuple[bytes, ...]:
    """The arrays that define a template (two feeders with equal signatures share D, S_r, S_x)."""
    arrays = (
        f.parent,
        f.branches.r_pu,
        f.branches.x_pu,
        f.branches.rating_mva,
        f.nodes.v_min_pu,
        f.nodes.v_max_pu,
        np.array([f.base_mva, f.v_root_pu]),
    )
    return tuple(np.ascontiguousarray(np.asarray(a, dtype=np.float64)).tobytes() for a in arrays)


#: Rows per block of the base-quantity products (cache-sized temporaries).
_BLOCK = 4096


def tree_state(
    parent: IntArray, r: FloatArray, x: FloatArray, w_root: float, d: FloatArray, dq: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """``P = D d``, ``Q = D d^q``, the root imports ``1ᵀd``, ``1ᵀd^q`` and
    ``w = v0² − S_r d − S_x d^q`` by the tree recursions (node-major arrays (n, k); nodes in
    root-first order, branch j−1 feeds node j, parent row < j — the canonical form every
    :class:`~tdcoord.grid.model.Feeder` is validated to have): the flow into a
    node is its withdrawal plus its children's flows (leaves first), and
    ``w_j = w_parent − 2 (r P + x Q)`` of its feeding branch (root first) — O(n) vector
    operations instead of the dense products with D and S (Baran & Wu 1989)."""
    acc_p = np.array(d, dtype=np.float64, order="C")
    acc_q = np.array(dq, dtype=np.float64, order="C")
    for j in range(len(parent) - 1, 0, -1):  # n node steps over vectors of the block
        acc_p[parent[j]] += acc_p[j]
        acc_q[parent[j]] += acc_q[j]
    P, Q = acc_p[1:], acc_q[1:]
    drop = 2.0 * (r[:, None] * P + x[:, None] * Q)
    w = np.empty_like(acc_p)
    w[0] = w_root
    for j in range(1, len(parent)):
        np.subtract(w[parent[j]], drop[j - 1], out=w[j])
    return P, Q, w, acc_p[0], acc_q[0]


def _fixed_q(case: FeederCase) -> FloatArray:
    """Reactive injection of offers whose reactive range is a single value, per node (n, T)."""
    out = np.zeros((case.feeder.n_node, case.n_periods))
    fixed = case.offer_q_min_mvar == case.offer_q_max_mvar
    np.add.at(out, case.offer_row, np.where(fixed, case.offer_q_min_mvar, 0.0))
    return out


def _group(case: JointCase, members: IntArray) -> FeederGroup:
    cases = tuple(case.feeder_cases[int(k)] for k in members)  # one template
    f = cases[0].feeder
    B = path_matrix(f).toarray()
    r = f.branches.r_pu / f.base_mva
    x = f.branches.x_pu / f.base_mva
    down = np.ascontiguousarray(B.T)
    s_r = path_impedance(B, 2.0 * r)  # = 2 B diag(r) Bᵀ (B is 0/1: the factor 2 is exact)
    s_x = path_impedance(B, 2.0 * x)
    w_root = float(f.v_root_pu**2)
    T, n, m = case.n_periods, f.n_node, down.shape[0]
    n_ft = len(cases) * T
    p0, q0, w0 = np.empty((n_ft, m)), np.empty((n_ft, m)), np.empty((n_ft, n))
    p_net, q_net = np.empty(n_ft), np.empty(n_ft)
    parent = np.asarray(f.parent, dtype=np.int64)
    per_block = max(1, _BLOCK // T)
    for a in range(0, len(cases), per_block):  # whole feeders per block, node-major (n, k·T)
        blk = cases[a:a + per_block]
        d = np.concatenate([c.load_p_mw - c.sgen_p_mw for c in blk], axis=1)
        dq = np.concatenate([c.load_q_mvar - c.sgen_q_mvar - _fixed_q(c) for c in blk], axis=1)
        b = slice(a * T, (a + len(blk)) * T)
        P, Q, w, p_net[b], q_net[b] = tree_state(parent, r, x, w_root, d, dq)
        p0[b], q0[b], w0[b] = P.T, Q.T, w.T
    return FeederGroup(
        feeders=members,
        template=f,
        down=down,
        s_r=s_r,
        s_x=s_x,
        rating_mva=np.asarray(f.branches.rating_mva, dtype=np.float64),
        w_min=np.asarray(f.nodes.v_min_pu, dtype=np.float64) ** 2,
        w_max=np.asarray(f.nodes.v_max_pu, dtype=np.float64) ** 2,
        w_root=w_root,
        sub_rating_mva=np.asarray(case.interface_rating_mva, dtype=np.float64)[members],
        p0=p0,
        q0=q0,
        w0=w0,
        p_net=p_net,
        q_net=q_net,
        cases=cases,
    )


def feeder_groups(case: JointCase) -> tuple[tuple[FeederGroup, ...], IntArray, IntArray]:
    """Group the case's feeders by template; return the groups, each feeder's group and its
    position in that group."""
    keys: dict[tuple[bytes, ...], list[int]] = {}
    for k, c in enumerate(case.feeder_cases):  # one signature per feeder (setup, not hot)
        keys.setdefault(_signature(c.feeder), []).append(k)
    groups = tuple(_group(case, np.asarray(v, dtype=np.int64)) for v in keys.values())
    group_of = np.empty(case.n_feeders, dtype=np.int64)
    local_of = np.empty(case.n_feeders, dtype=np.int64)
    for g, grp in enumerate(groups):
        group_of[grp.feeders] = g
        local_of[grp.feeders] = np.arange(len(grp.feeders))
    return groups, group_of, local_of
