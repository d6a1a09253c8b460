"""Hierarchical prices (seed 000 §1.4): the transmission stage's LMP at a T–D interface is the
root price of the DSO's DLMPs, which decompose into energy, loss, congestion and voltage.

Seed 000 §1.4 ("subsequent phase"): the TSO computes LMPs at the T–D interfaces, the DSO takes
them as the price at its feeder roots and computes DLMPs below. For a feeder with root price
:math:`\\pi_t` (€/MWh) the DLMP of node j is

.. math::

    \\mathrm{DLMP}_{jt} = \\underbrace{\\pi_t}_{energy}
        + \\underbrace{\\pi_t (g_{jt} - 1)}_{loss}
        + \\underbrace{\\big(-\\textstyle\\sum_{b,k} D_{bj} \\alpha_{p,k}\\mu^{br}_{bkt}
              - \\mu^{itf}_t\\big)/\\Delta t}_{congestion}
        + \\underbrace{\\textstyle\\sum_i S^p_{ij}
              (\\mu^{lo}_{it} + \\mu^{hi}_{it})/\\Delta t}_{voltage}

* **congestion** and **voltage**: the row duals of the clearing LP that an extra withdrawal at
  node j moves (sign convention of :mod:`tdcoord.opf.lp`: dual = ∂cost/∂bound): the 12-facet
  polygon rows of every rated branch on j's path (``D = Bᵀ``, the downstream matrix) and the
  T–D transformer row, and the LinDistFlow voltage rows through the sensitivity
  :math:`S^p = 2R_{path}/S_{base}` (:mod:`tdcoord.coordination.network_model`). Each is one
  sparse product of the duals of a whole row family (all nodes and intervals at once), as in
  Papavasiliou 2018, "Analysis of distribution locational marginal prices", IEEE Trans. Smart
  Grid 9(5), and Bai et al. 2018, IEEE Trans. Power Systems 33(4) (path form).
* **loss**: the root price times the marginal losses of a withdrawal at j, with the loss model
  of ``opf feeder`` (:mod:`tdcoord.opf.feeder.program`, "loss factors"): branch b loses
  :math:`\\ell_b = r_b(P_b^2 + Q_b^2)/(S_{base} w_{p(b)})`, linearised at the operating point
  of the clearing (baseline + earlier commitments, :meth:`FeederModel.state`) with
  :math:`a = 2rP/(S w)`, :math:`\\beta = 2rQ/(S w)` (and :math:`x/r` times them for reactive
  losses), drawn at the receiving node. The marginal cost of supplying node j from the root is
  then :math:`\\pi g_j` where, per branch b into node j from its parent p (stationarity of the
  free flow columns of the loss-factor program with the voltages not binding),

  .. math::

      (1 - a_b)\\,g_j - a^x_b\\,h_j = g_p, \\qquad -\\beta_b\\,g_j + (1 - b^x_b)\\,h_j = h_p,
      \\qquad g_{root} = 1,\\ h_{root} = 0,

  (``h`` the reactive price per unit root price): one sparse triangular system for every node
  and interval (:func:`loss_multipliers`). ``opf feeder`` with the same operating point and root
  price gives exactly ``π g`` (tested).

The clearing LP itself stays lossless LinDistFlow (its dispatch and network duals are unchanged:
a DSO clearing buys relief for its needs, the energy is the TSO's); the loss component prices the
losses at the operating point the clearing sees, as the first loss-factor iterate of
``opf feeder`` does. The components add up to the DLMP by construction (tested to 1e-9), and the
DLMP of a DSO clearing without a balance row now has the energy it lacked: the handed-down LMP.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from tdcoord.coordination.network_model import FeederModel
from tdcoord.coordination.program import ClearingProgram
from tdcoord.grid.model import Feeder
from tdcoord.types import FloatArray

if TYPE_CHECKING:
    from tdcoord.coordination.clearing_result import ClearingResult

#: The DLMP components, in the order written (``prices.csv``, ``/prices``).
DLMP_COMPONENTS: tuple[str, ...] = ("total", "energy", "loss", "congestion", "voltage")


@dataclasses.dataclass(frozen=True, eq=False)
class DlmpParts:
    """The network part of one feeder's DLMPs from one clearing (arrays ``(n_node, T)``):
    congestion and voltage components in €/MWh and the marginal loss multiplier ``g − 1``
    (module docstring); :meth:`components` adds the root price."""

    congestion_eur_per_mwh: FloatArray
    voltage_eur_per_mwh: FloatArray
    loss_factor: FloatArray

    def components(self, root_price_eur_per_mwh: FloatArray) -> dict[str, FloatArray]:
        """Every component (:data:`DLMP_COMPONENTS`) for the root price ``π`` ``(T,)``:
        energy ``π``, loss ``π (g − 1)``, congestion, voltage, and their sum ``total``."""
        root = np.asarray(root_price_eur_per_mwh, dtype=np.float64)
        energy = np.broadcast_to(root[None, :], self.loss_factor.shape).astype(np.float64)
        loss = energy * self.loss_factor
        total = energy + loss + self.congestion_eur_per_mwh + self.voltage_eur_per_mwh
        return {
            "total": total,
            "energy": energy,
            "loss": loss,
            "congestion": np.asarray(self.congestion_eur_per_mwh, dtype=np.float64),
            "voltage": np.asarray(self.voltage_eur_per_mwh, dtype=np.float64),
        }


def loss_multipliers(
    feeder: Feeder, p_mw: FloatArray, q_mvar: FloatArray, v2_pu: FloatArray
) -> FloatArray:
    """``g (n_node, T)``: the root supply per MW withdrawn at each node under the loss factors of
    branch flows ``p_mw``, ``q_mvar`` ``(n_branch, T)`` and squared voltages ``v2_pu``
    ``(n_node, T)`` (module docstring; root row 1). One sparse solve for all nodes and
    intervals."""
    p = np.asarray(p_mw, dtype=np.float64)
    q = np.asarray(q_mvar, dtype=np.float64)
    m, T = p.shape
    out = np.ones((m + 1, T))
    if m == 0 or T == 0:
        return out
    parent = feeder.parent[1:]  # parent row of node b + 1 (branch b)
    w_from = np.asarray(v2_pu, dtype=np.float64)[parent]
    r = (feeder.branches.r_pu / feeder.base_mva)[:, None]
    x = (feeder.branches.x_pu / feeder.base_mva)[:, None]
    a, beta = 2 * r * p / w_from, 2 * r * q / w_from
    ax, bx = 2 * x * p / w_from, 2 * x * q / w_from
    # unknowns per interval t: g of nodes 1..m, then h of nodes 1..m (offset 2 m t)
    off = (2 * m * np.arange(T))[None, :]
    b = np.arange(m)[:, None] + off
    g_own, h_own = b, b + m
    up = parent[:, None] >= 1
    g_par, h_par = parent[:, None] - 1 + off, parent[:, None] - 1 + m + off
    ones = np.ones((m, T))
    rows = [b, b, b[up.ravel()], b + m, b + m, (b + m)[up.ravel()]]
    cols = [g_own, h_own, g_par[up.ravel()], g_own, h_own, h_par[up.ravel()]]
    vals = [1 - a, -ax, -ones[up.ravel()], -beta, 1 - bx, -ones[up.ravel()]]
    mat = sp.csc_matrix(
        (
            np.concatenate([v.ravel() for v in vals]),
            (np.concatenate([i.ravel() for i in rows]), np.concatenate([j.ravel() for j in cols])),
        ),
        shape=(2 * m * T, 2 * m * T),
    )
    rhs = np.zeros(2 * m * T)
    rhs[b[~up.ravel()].ravel()] = 1.0  # g_root = 1 (h_root = 0)
    sol = np.asarray(spla.spsolve(mat, rhs), dtype=np.float64).reshape(T, 2 * m)
    out[1:] = sol[:, :m].T
    return out


def feeder_dlmp_parts(
    c: ClearingProgram, f: int, fm: FeederModel, y: FloatArray
) -> DlmpParts:
    """:class:`DlmpParts` of modelled feeder ``f`` of the solved program ``c`` (row duals ``y``):
    each component one sparse product of a row family's duals (module docstring)."""
    T, dt = c.n_periods, c.dt_h
    info: dict[str, Any] = c.feeder_rows.get(f, {})
    volt = np.zeros((fm.n_node, T))
    cong = np.zeros((fm.n_node, T))
    if "nodes" in info:
        nodes = info["nodes"]
        mu = y[info["v_lo"]].reshape(T, nodes.size).T + y[info["v_hi"]].reshape(T, nodes.size).T
        volt += fm.v_sens_p[nodes].T @ mu
    if "branches" in info:
        brs = info["branches"]
        n_facet = len(info["a_p"])
        mu = y[info["branch"]].reshape(T, n_facet * brs.size).T.reshape(n_facet, brs.size, T)
        cong -= np.asarray(fm.down[brs].T @ np.einsum("k,kbt->bt", info["a_p"], mu))
    if "interface" in info:
        cong -= y[info["interface"]][None, :]
    v2, p0, q0 = fm.state(c.prior.feeder_p_mw[f], c.prior.feeder_q_mvar[f])
    g = loss_multipliers(fm.feeder, p0, q0, v2)
    return DlmpParts(
        congestion_eur_per_mwh=np.asarray(cong / dt, dtype=np.float64),
        voltage_eur_per_mwh=np.asarray(volt / dt, dtype=np.float64),
        loss_factor=np.asarray(g - 1.0, dtype=np.float64),
    )


def dlmp_parts(c: ClearingProgram, y: FloatArray) -> dict[int, DlmpParts]:
    """:class:`DlmpParts` of every modelled feeder of the solved program ``c``."""
    return {f: feeder_dlmp_parts(c, f, fm, y) for f, fm in c.feeder_models.items()}


def dlmp_parts_of(results: Sequence[ClearingResult]) -> dict[int, DlmpParts]:
    """The :class:`DlmpParts` of feeder ``f`` from ``results[f]`` (one DSO clearing per feeder,
    as the schemes run them); feeders a result did not model are left out."""
    return {f: r.dlmp_parts[f] for f, r in enumerate(results) if f in r.dlmp_parts}
