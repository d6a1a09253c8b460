"""Locational marginal prices from DC-OPF duals and their energy / congestion / loss decomposition.

The LMP of bus :math:`b` is the dual of its nodal balance, i.e. the cost of serving one more MW
there (Schweppe, Caramanis, Tabors & Bohn, *Spot Pricing of Electricity*, Kluwer, 1988). In the
lossless DC model it splits into (Litvinov, Zheng, Rosenwald & Shamsollahi, "Marginal loss
modeling in LMP calculation", IEEE Trans. Power Syst. 19(2), 2004, with the reference bus as the
slack):

.. math::

    \\lambda_b = \\underbrace{\\lambda_{ref}}_{\\text{energy}}
      + \\underbrace{\\textstyle\\sum_l \\mathrm{PTDF}_{l,b}\\, \\mu_l
          + [B_{rr}^{-1} C_A^\\top \\alpha]_b}_{\\text{congestion}}
      + \\underbrace{0}_{\\text{loss}}

where :math:`\\mu_l` is the sensitivity of the optimal cost to the flow bound of branch ``l``
(≤ 0 at an upper limit, ≥ 0 at a lower limit; the reduced cost of the flow column),
:math:`\\alpha` the duals of the angle-difference rows, and :math:`B_{rr}` the nodal susceptance
matrix without the reference rows and columns. Derivation: stationarity of the Lagrangian in the
bus angles gives :math:`B\\lambda = C^\\top \\mathrm{diag}(b)\\,\\mu + C_A^\\top \\alpha` on the
non-reference buses, and :math:`B\\mathbf 1 = 0`.

The reported congestion component is :math:`\\lambda_b - \\lambda_{ref}`, so the components sum to
the LMP; the PTDF expression above is evaluated independently from the branch duals and their
difference is returned as ``residual`` (solver tolerance, ~1e-8).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.transmission.network import DcNetwork
from tdcoord.types import FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class PriceComponents:
    """LMPs and components, each (periods × buses), currency per MWh."""

    total: FloatArray
    energy: FloatArray
    congestion: FloatArray
    loss: FloatArray
    congestion_from_duals: FloatArray
    """The congestion component evaluated from branch and angle duals (PTDF form)."""
    residual: float
    """max |congestion − congestion_from_duals|."""


def congestion_from_duals(
    net: DcNetwork, flow_duals: FloatArray, angle_duals: FloatArray | None = None
) -> FloatArray:
    """:math:`\\mathrm{PTDF}^\\top\\mu + B_{rr}^{-1} C_A^\\top\\alpha` per period (periods × buses).

    Uses one sparse LU of :math:`B_{rr}` (no dense PTDF).
    """
    mu = np.atleast_2d(flow_duals)
    C = net.incidence
    rhs = np.asarray(C.T @ (sp.diags(net.b_mw) @ mu.T), dtype=np.float64)
    if angle_duals is not None and net.angle_rows.size:
        alpha = np.atleast_2d(angle_duals)
        rhs = rhs + np.asarray(C[net.angle_rows].T @ alpha.T, dtype=np.float64)
    return np.asarray(net.solve_reduced(rhs).T, dtype=np.float64)


def decompose(
    net: DcNetwork, lmp: FloatArray, flow_duals: FloatArray, angle_duals: FloatArray | None
) -> PriceComponents:
    """Split ``lmp`` (periods × buses) into energy (island reference price), congestion, loss."""
    lmp = np.atleast_2d(np.asarray(lmp, dtype=np.float64))
    energy = lmp[:, net.ref_rows[net.island]]
    congestion = lmp - energy
    from_duals = congestion_from_duals(net, flow_duals, angle_duals)
    residual = float(np.max(np.abs(congestion - from_duals))) if congestion.size else 0.0
    return PriceComponents(
        total=lmp,
        energy=energy,
        congestion=congestion,
        loss=np.zeros_like(lmp),
        congestion_from_duals=from_duals,
        residual=residual,
    )
