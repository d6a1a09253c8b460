"""Lossless LinDistFlow in injection space: every feeder quantity as a linear map of injections.

For a radial feeder with lossless LinDistFlow (``FeederOptions(losses="none")``,
:mod:`tdcoord.opf.feeder_lp`) the balance and voltage-drop rows define the free columns
uniquely. With ``d`` the net active withdrawal per node (load − static generation − injections)
and ``d^q`` the reactive one, the downstream matrix ``D = Bᵀ`` (branch × node, 1 when the node is
fed through the branch; :func:`tdcoord.opf.feeder_case.path_matrix`) gives

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
from tdcoord.grid.tables import FloatArray, IntArray
from tdcoord.opf.feeder_case import FeederCase, path_matrix
from tdcoord.opf.joint_case import JointCase


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
    shed_cap: FloatArray
    """Upper bound of load shedding (F_g·T × n), MW."""
    shed_ratio: FloatArray
    """Reactive load shed per MW shed (F_g·T × n)."""
    curt_cap: FloatArray

    @property
    def n_node(self) -> int:
        """Nodes of the template."""
        return int(self.down.shape[1])

    @property
    def n_branch(self) -> int:
        """Branches of the template."""
        return int(self.down.shape[0])

    def state(
        self, inj_p: sp.csr_matrix, inj_q: sp.csr_matrix
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        """Flows P, Q (F_g·T × m), squared voltages w (F_g·T × n) and root import p, q at the
        injections ``inj_p``, ``inj_q`` (F_g·T × n, MW / Mvar)."""
        P = self.p0 - np.asarray(inj_p @ self.down.T)
        Q = self.q0 - np.asarray(inj_q @ self.down.T)
        w = self.w0 + np.asarray(inj_p @ self.s_r) + np.asarray(inj_q @ self.s_x)
        p_root = self.p_net - np.asarray(inj_p.sum(axis=1)).ravel()
        q_root = self.q_net - np.asarray(inj_q.sum(axis=1)).ravel()
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


def _stack(arrays: list[FloatArray]) -> FloatArray:
    """(n, T) arrays of the group's feeders → (F_g·T, n), feeder-major."""
    return np.ascontiguousarray(np.stack([a.T for a in arrays]).reshape(-1, arrays[0].shape[0]))


def _fixed_q(case: FeederCase) -> FloatArray:
    """Reactive injection of offers whose reactive range is a single value, per node (n, T)."""
    out = np.zeros((case.feeder.n_node, case.n_periods))
    fixed = case.offer_q_min_mvar == case.offer_q_max_mvar
    np.add.at(out, case.offer_row, np.where(fixed, case.offer_q_min_mvar, 0.0))
    return out


def _group(case: JointCase, members: IntArray) -> FeederGroup:
    cases = [case.feeder_cases[int(k)] for k in members]  # one template, a few arrays each
    f = cases[0].feeder
    B = path_matrix(f).toarray()
    r = f.branches.r_pu / f.base_mva
    x = f.branches.x_pu / f.base_mva
    dp = _stack([c.load_p_mw - c.sgen_p_mw for c in cases])
    dq = _stack([c.load_q_mvar - c.sgen_q_mvar - _fixed_q(c) for c in cases])
    load_p = _stack([c.load_p_mw for c in cases])
    load_q = _stack([c.load_q_mvar for c in cases])
    down = np.ascontiguousarray(B.T)
    s_r = 2.0 * (B * r[None, :]) @ B.T
    s_x = 2.0 * (B * x[None, :]) @ B.T
    w_root = float(f.v_root_pu**2)
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
        p0=dp @ down.T,
        q0=dq @ down.T,
        w0=w_root - dp @ s_r - dq @ s_x,
        p_net=dp.sum(axis=1),
        q_net=dq.sum(axis=1),
        shed_cap=np.maximum(load_p, 0.0),
        shed_ratio=np.divide(load_q, load_p, out=np.zeros_like(load_q), where=load_p > 0),
        curt_cap=np.maximum(_stack([c.sgen_p_mw for c in cases]), 0.0),
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
