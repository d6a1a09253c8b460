"""The linear network models, in one place: PTDF (DC power flow) and LinDistFlow sensitivities.

Transmission (DC power flow): branch flows ``f = Φ p`` for bus injections ``p`` withdrawn at the
island's reference, with ``Φ = diag(b) C B_red⁻¹`` (:meth:`~tdcoord.opf.transmission.network.
DcNetwork.ptdf`; ``b`` per convention, Christie/Wood & Wollenberg).

Feeder (LinDistFlow, Baran & Wu 1989, lossless): with the path matrix ``B`` (node × branch,
``B[j, b] = 1`` when branch b lies on the path root → j; :func:`tdcoord.grid.topology.path_matrix`)
and the downstream matrix ``D = Bᵀ``, net node injections ``p, q`` give

    P_br = −Bᵀ p,   Q_br = −Bᵀ q                         (flow parent → child)
    v²   = v₀² − 2 B (r ⊙ P_br + x ⊙ Q_br) / S_base        (per unit)
    ∂v²/∂p = 2 B diag(r) Bᵀ / S_base = 2 R_path / S_base  (same with x for q)

Every consumer takes its matrices from here (clearing:
:mod:`tdcoord.coordination.network_model`; operating envelopes:
:mod:`tdcoord.coordination.envelopes`; joint screening: :mod:`tdcoord.opf.joint.sensitivity`;
grid prequalification: :mod:`tdcoord.der.grid_prequalification`).
Each function keeps one fixed order of floating-point operations, so results do not depend on
which consumer asks. numpy/scipy only (no solver is imported).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tdcoord.grid.model import Feeder, Transmission
from tdcoord.grid.topology import path_matrix
from tdcoord.types import FloatArray


def ptdf(tr: Transmission, convention: str = "matpower") -> FloatArray:
    """Dense PTDF (branches × buses) of ``tr`` in ``convention`` (small and medium grids)."""
    from tdcoord.opf.transmission.network import dc_network

    return dc_network(tr, convention).ptdf()


def downstream(feeder: Feeder) -> sp.csr_matrix:
    """The downstream matrix ``D = Bᵀ`` (branch × node, CSR): ``P_br = D · (net withdrawal)``."""
    return sp.csr_matrix(path_matrix(feeder).T)


def path_impedance(path: FloatArray, weight: FloatArray) -> FloatArray:
    """``B diag(w) Bᵀ`` for a dense path matrix (node × node): ``R_path`` for ``w = r``.

    Computed as ``(B ⊙ w) Bᵀ`` (one dense product)."""
    return np.asarray((path * weight[None, :]) @ path.T, dtype=np.float64)


def path_impedance_columns(
    path: sp.csr_matrix, weight: FloatArray, columns: sp.csc_matrix
) -> FloatArray:
    """Columns of ``B diag(w) Bᵀ`` (dense, node × k) for ``columns = B[nodes]ᵀ`` (branch × k,
    sparse), from a sparse path matrix: ``B diag(w) (B[nodes]ᵀ)``."""
    return np.asarray((path @ sp.diags(weight) @ columns).todense())


def voltage_sensitivity(
    path: sp.csr_matrix, weight: FloatArray, flow_map: sp.csr_matrix
) -> sp.csr_matrix:
    """Sparse ``B[1:] diag(w) (D N)``: the squared-voltage change below every branch (rows: nodes
    1..n−1) per unit of the injections that ``flow_map = D N`` maps to branch flows."""
    return sp.csr_matrix(path[1:] @ sp.diags(weight) @ flow_map)


def branch_flows(path: sp.csr_matrix, injection: FloatArray) -> FloatArray:
    """``P_br = −Bᵀ p`` for node injections ``p`` (node × k)."""
    return -np.asarray(path.T @ injection)


def voltage_drop(
    path: sp.csr_matrix, r: FloatArray, x: FloatArray, p_br: FloatArray, q_br: FloatArray
) -> FloatArray:
    """``B (r ⊙ P_br + x ⊙ Q_br)`` (node × k): ``v² = v₀² − 2 · drop / S_base``."""
    return np.asarray(path @ (r[:, None] * p_br + x[:, None] * q_br))
