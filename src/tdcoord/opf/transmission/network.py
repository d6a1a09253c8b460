"""The DC network of a :class:`~tdcoord.grid.model.Transmission` under a named convention.

DC power flow (lossless, flat voltage, small angles): the flow on branch ``l`` from bus ``i`` to
bus ``j`` is, in MW,

.. math::  f_l = S_{base}\\, b_l\\, (\\theta_i - \\theta_j - \\varphi_l),

and with the branch–bus incidence :math:`C` (+1 at the from bus, −1 at the to bus) the nodal
injections are :math:`P = C^\\top f` and :math:`B = C^\\top \\mathrm{diag}(S_{base} b) C`.

Two conventions (they differ by up to ~1 % on congested cases):

``powermodels``
    PowerModels.jl's ``DCPPowerModel``, used for the DC column of PGLib-OPF ``BASELINE.md``:
    :math:`b = x / (r^2 + x^2)` (the imaginary part of −1/z), tap ratios and phase shifts ignored,
    angle-difference limits enforced, bus shunt conductance ``Gs`` as load at |V| = 1.
``matpower``
    MATPOWER's ``makeBdc`` (and pandapower's ``rundcopp``): :math:`b = 1 / (x\\,\\tau)` with tap
    ratio τ, phase shifts :math:`\\varphi` as fixed injections, no angle-difference limits,
    ``Gs`` as load (Zimmerman, Murillo-Sánchez & Thomas, *MATPOWER*, IEEE Trans. Power Syst.
    26(1), 2011).

One bus per island has its angle fixed at zero: the flagged reference bus, or the island's first
bus when none is flagged.
"""

from __future__ import annotations

import dataclasses
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from tdcoord.errors import GridError, OptimizationError
from tdcoord.grid.model import Transmission
from tdcoord.types import FloatArray, IntArray

Convention = Literal["powermodels", "matpower"]
CONVENTIONS: tuple[str, ...] = ("powermodels", "matpower")

#: |angle limit| at or beyond this many degrees means "no limit" (MATPOWER writes ±360).
_NO_ANGLE_LIMIT_DEG = 360.0


def check_convention(convention: str) -> Convention:
    """Validate a convention name."""
    if convention == "powermodels":
        return "powermodels"
    if convention == "matpower":
        return "matpower"
    raise OptimizationError(
        f"unknown DC-OPF convention {convention!r}",
        where="convention",
        fix="use 'powermodels' (PGLib BASELINE.md) or 'matpower' (MATPOWER / pandapower rundcopp)",
    )


@dataclasses.dataclass(frozen=True, eq=False)
class DcNetwork:
    """Incidence, susceptances and reference buses of a transmission grid (one convention)."""

    convention: Convention
    base_mva: float
    n_bus: int
    incidence: sp.csr_matrix
    """C, branches × buses: +1 at the from bus, −1 at the to bus."""
    b_mw: FloatArray
    """Branch susceptance times base MVA: MW per radian of angle difference."""
    shift_rad: FloatArray
    """Phase shift per branch, rad (zero in the powermodels convention)."""
    rating_mw: FloatArray
    """Branch limit, MW (inf = unlimited)."""
    angle_rows: IntArray
    """Branches with an enforced angle-difference limit."""
    angle_min_rad: FloatArray
    angle_max_rad: FloatArray
    ref_rows: IntArray
    """Island k → the bus row whose angle is fixed at zero (its reference)."""
    island: IntArray
    """Island label of every bus row."""

    @property
    def n_branch(self) -> int:
        """Number of branches."""
        return len(self.b_mw)

    @cached_property
    def bbus(self) -> sp.csc_matrix:
        """Nodal susceptance matrix B = Cᵀ diag(b) C (MW/rad)."""
        C = self.incidence
        return sp.csc_matrix(C.T @ sp.diags(self.b_mw) @ C)

    @cached_property
    def free_rows(self) -> IntArray:
        """Bus rows whose angle is a variable (all but the island references)."""
        mask = np.ones(self.n_bus, dtype=bool)
        mask[self.ref_rows] = False
        return np.flatnonzero(mask)

    @cached_property
    def _lu(self) -> spla.SuperLU:
        free = self.free_rows
        return spla.splu(sp.csc_matrix(self.bbus[free][:, free]))

    def solve_reduced(self, rhs: FloatArray) -> FloatArray:
        """Solve ``B_rr x_r = rhs_r`` with ``x = 0`` at the references; ``rhs`` is (buses, k)."""
        rhs2 = np.atleast_2d(np.asarray(rhs, dtype=np.float64).T).T
        out = np.zeros_like(rhs2)
        free = self.free_rows
        if free.size:
            out[free] = self._lu.solve(np.ascontiguousarray(rhs2[free]))
        return out.reshape(np.shape(rhs))

    def ptdf(self) -> FloatArray:
        """Dense PTDF (branches × buses): MW on each branch per MW injected at a bus and withdrawn
        at its island's reference. Dense — for small grids and tests."""
        eye = np.eye(self.n_bus)
        theta = self.solve_reduced(eye)  # column k: angles for a unit injection at bus k
        return np.asarray(sp.diags(self.b_mw) @ (self.incidence @ theta), dtype=np.float64)


def dc_network(tr: Transmission, convention: str = "powermodels") -> DcNetwork:
    """Build the :class:`DcNetwork` of ``tr`` in ``convention`` (vectorised over branches)."""
    conv = check_convention(convention)
    br = tr.branches
    n_bus, n_br = tr.n_bus, len(br)
    f_row, t_row = tr.bus_rows(br.from_bus), tr.bus_rows(br.to_bus)
    r, x = np.asarray(br.r_pu, dtype=np.float64), np.asarray(br.x_pu, dtype=np.float64)
    if conv == "powermodels":
        z2 = r**2 + x**2
        bad = np.flatnonzero(z2 == 0)
        b = np.divide(x, z2, out=np.zeros(n_br), where=z2 != 0)
        shift = np.zeros(n_br)
    else:
        bad = np.flatnonzero(x == 0)
        tap = np.asarray(br.tap_ratio, dtype=np.float64)
        b = np.divide(1.0, x * tap, out=np.zeros(n_br), where=x != 0)
        shift = np.deg2rad(np.asarray(br.shift_deg, dtype=np.float64))
    if bad.size:
        raise GridError(
            f"branch {int(br.id[bad[0]])} has zero series reactance (infinite DC susceptance)",
            where=f"branch id {int(br.id[bad[0]])}",
            fix="merge the two buses or give the branch a small reactance",
        )
    rows = np.arange(n_br)
    C = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_br), -np.ones(n_br)]),
            (np.concatenate([rows, rows]), np.concatenate([f_row, t_row])),
        ),
        shape=(n_br, n_bus),
    )
    adjacency = sp.csr_matrix((np.ones(n_br), (f_row, t_row)), shape=(n_bus, n_bus))
    n_isl, labels = csgraph.connected_components(adjacency, directed=False)
    island: IntArray = np.asarray(labels, dtype=np.int64)
    ref_flag = np.asarray(tr.buses.is_reference, dtype=bool)
    ref_rows = np.empty(n_isl, dtype=np.int64)
    for k in range(n_isl):  # one entry per island (a handful), not per element
        members = np.flatnonzero(island == k)
        flagged = members[ref_flag[members]]
        ref_rows[k] = flagged[0] if flagged.size else members[0]
    if conv == "powermodels":
        amin, amax = np.asarray(br.angmin_deg), np.asarray(br.angmax_deg)
        limited = (amin > -_NO_ANGLE_LIMIT_DEG) | (amax < _NO_ANGLE_LIMIT_DEG)
        angle_rows = np.flatnonzero(limited).astype(np.int64)
        a_lo = np.where(amin > -_NO_ANGLE_LIMIT_DEG, np.deg2rad(amin), -np.inf)[angle_rows]
        a_hi = np.where(amax < _NO_ANGLE_LIMIT_DEG, np.deg2rad(amax), np.inf)[angle_rows]
    else:
        angle_rows = np.zeros(0, dtype=np.int64)
        a_lo = a_hi = np.zeros(0)
    return DcNetwork(
        convention=conv,
        base_mva=float(tr.base_mva),
        n_bus=n_bus,
        incidence=C,
        b_mw=np.asarray(b * tr.base_mva, dtype=np.float64),
        shift_rad=shift,
        rating_mw=np.asarray(br.rating_mva, dtype=np.float64),
        angle_rows=angle_rows,
        angle_min_rad=a_lo,
        angle_max_rad=a_hi,
        ref_rows=ref_rows,
        island=island,
    )
