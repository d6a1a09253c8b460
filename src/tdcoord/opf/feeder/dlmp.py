"""Distribution LMPs and their exact decomposition from the KKT conditions of the feeder program.

The active DLMP of node j in period t is the dual of its active balance row (€/MWh after division
by Δt). Stationarity of the free flow and voltage columns ``(P_b, Q_b, w_b)`` of every branch
(:mod:`tdcoord.opf.feeder.program`) reads

.. math::

    A_{U,C}^\\top y_U \\;=\\; -A_{\\text{root},C}^\\top y_{\\text{root}}
        - A_{\\text{thermal},C}^\\top \\kappa - A_{\\text{vlim},C}^\\top \\nu - g_C ,

with U the non-root balance rows (λ_j, μ_j) and the voltage-drop rows (β_b), ``κ`` the polygon
duals, ``ν`` the voltage-limit duals and ``g`` the cone duals' share (SOCP losses; zero for the
LP). ``A_{U,C}`` is square and triangular up to 2×2 blocks along the radial path structure (each
branch column touches its own receiving node, its parent and the voltage rows of its subtree),
so it is non-singular. Because the system is linear, solving it once per group of right-hand
sides splits the DLMP exactly into

* **energy**: the root price π_t (at every node);
* **loss**: the effect of the root prices (π_t, reactive price) through the loss factors
  (LinDistFlow) or the cone duals (SOCP), i.e. ``response(π) − π + response(g)``;
* **congestion**: branch-polygon duals κ and any substation-limit premium ``λ_root − π``;
* **voltage**: voltage-limit duals ν.

In the lossless case this is the classic path form (Papavasiliou 2018, "Analysis of distribution
locational marginal prices", IEEE Trans. Smart Grid 9(5); Bai, Wang, Wang, Chen & Li 2018,
"Distribution locational marginal pricing (DLMP) for congestion management and voltage support",
IEEE Trans. Power Systems 33(4)):
``λ = π·1 − B·(a_pᵀκ) + 2·B·diag(r/S_base)·Bᵀ·ν`` with B the path matrix
(:func:`tdcoord.grid.topology.path_matrix`). The sum of the components is checked against the
balance duals; a mismatch above ``tol`` raises :class:`~tdcoord.errors.OptimizationError`.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from tdcoord.errors import OptimizationError
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.feeder.program import FeederProgram
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class DlmpComponents:
    """Active DLMPs and components, €/MWh, arrays (n_node, T); ``reactive`` in €/Mvarh."""

    total: FloatArray
    energy: FloatArray
    loss: FloatArray
    congestion: FloatArray
    voltage: FloatArray
    reactive: FloatArray
    max_residual: float

    def sum(self) -> FloatArray:
        """energy + loss + congestion + voltage."""
        return np.asarray(self.energy + self.loss + self.congestion + self.voltage)


def _rng(s: slice) -> np.ndarray:
    return np.arange(s.start, s.stop)


@dataclasses.dataclass(frozen=True, eq=False)
class DlmpKkt:
    """The part of the decomposition that depends only on the program's matrix.

    A price, bound or load change leaves ``A`` as it is, so a warm re-solve
    (:class:`~tdcoord.opf.feeder.distflow.WarmDistFlow`) builds this once — the sparse LU of the
    square
    stationarity block ``A_{U,C}ᵀ`` and the source blocks ``A_{root|thermal|vlim,C}ᵀ`` — and
    each :func:`decompose` is then one triangular solve pair and three sparse products. The
    factorisation does not depend on the basis or the active set: ``A_{U,C}`` holds equality
    rows and free columns only. :meth:`fits` checks (by identity) that a program still has the
    matrix it was built from.
    """

    A: sp.csr_matrix
    lu: spla.SuperLU
    src_root: sp.csr_matrix
    src_thermal: sp.csr_matrix
    src_vlimit: sp.csr_matrix
    cols: IntArray
    pb: IntArray
    qb: IntArray
    root_rows: IntArray
    thermal: IntArray
    vlimit: IntArray
    n_node: int
    n_periods: int

    @classmethod
    def of(cls, program: FeederProgram, case: FeederCase) -> DlmpKkt:
        """Factorise the stationarity block of ``program`` (once per matrix)."""
        lp = program.lp
        n, T = case.feeder.n_node, case.n_periods
        cb, rb = lp.col_blocks, lp.row_blocks
        C = np.concatenate([_rng(cb["p_flow"]), _rng(cb["q_flow"]), _rng(cb["w"])])
        pb, qb = _rng(rb["p_balance"]), _rng(rb["q_balance"])
        is_root = (np.arange(T * n) % n) == 0
        U = np.concatenate([pb[~is_root], qb[~is_root], _rng(rb["v_drop"])])
        AC = sp.csr_matrix(sp.csc_matrix(lp.A)[:, C].T)  # |C| × rows
        ACc = AC.tocsc()
        root_rows = np.concatenate([pb[is_root], qb[is_root]])
        th, vl = _rng(rb["thermal"]), _rng(rb["v_limit"])

        def block(rows: np.ndarray) -> sp.csr_matrix:
            return sp.csr_matrix(-ACc[:, rows])

        return cls(
            A=lp.A,
            lu=spla.splu(sp.csc_matrix(ACc[:, U])),
            src_root=block(root_rows),
            src_thermal=block(th),
            src_vlimit=block(vl),
            cols=C,
            pb=pb,
            qb=qb,
            root_rows=root_rows,
            thermal=th,
            vlimit=vl,
            n_node=n,
            n_periods=T,
        )

    def fits(self, program: FeederProgram, case: FeederCase) -> bool:
        """True when ``program`` still has the matrix (and shape) this was built from."""
        return (
            program.lp.A is self.A
            and case.feeder.n_node == self.n_node
            and case.n_periods == self.n_periods
        )


def decompose(
    program: FeederProgram,
    case: FeederCase,
    row_duals: FloatArray,
    cone_term: FloatArray | None = None,
    *,
    tol: float = 1e-6,
    kkt: DlmpKkt | None = None,
) -> DlmpComponents:
    """Decompose the balance duals of a solved feeder program (see the module docstring).

    ``kkt`` (:class:`DlmpKkt`, optional) reuses the factorisation of an earlier call on a program
    with the same matrix; it is rebuilt when it does not fit.
    """
    if kkt is None or not kkt.fits(program, case):
        kkt = DlmpKkt.of(program, case)
    n, T = case.feeder.n_node, case.n_periods
    dt = case.dt_h
    y = np.asarray(row_duals, dtype=np.float64)
    lam = y[kkt.pb].reshape(T, n)
    mu = y[kkt.qb].reshape(T, n)
    energy_vals = np.concatenate(
        [case.price_eur_per_mwh * dt, np.full(T, case.q_price_eur_per_mvarh * dt)]
    )
    actual_root = y[kkt.root_rows]
    cone = np.zeros(len(kkt.cols)) if cone_term is None else -np.asarray(cone_term)[kkt.cols]
    rhs = np.column_stack(
        [
            kkt.src_root @ energy_vals,
            kkt.src_root @ (actual_root - energy_vals) + kkt.src_thermal @ y[kkt.thermal],
            kkt.src_vlimit @ y[kkt.vlimit],
            cone,
        ]
    )
    sol = kkt.lu.solve(rhs)
    m_nr = T * (n - 1)

    def node_grid(col: FloatArray, root_value: FloatArray) -> FloatArray:
        out = np.empty((T, n))
        out[:, 0] = root_value
        out[:, 1:] = col[:m_nr].reshape(T, n - 1)
        return np.asarray(out.T / dt)

    price = case.price_eur_per_mwh
    energy = np.repeat((price * dt)[None, :], n, axis=0) / dt
    resp_energy = node_grid(sol[:, 0], price * dt)
    loss = resp_energy - energy + node_grid(sol[:, 3], np.zeros(T))
    congestion = node_grid(sol[:, 1], lam[:, 0] - price * dt)
    voltage = node_grid(sol[:, 2], np.zeros(T))
    total = np.asarray(lam.T / dt)
    comp = DlmpComponents(
        total=total,
        energy=energy,
        loss=loss,
        congestion=congestion,
        voltage=voltage,
        reactive=np.asarray(mu.T / dt),
        max_residual=0.0,
    )
    residual = float(np.max(np.abs(comp.sum() - total))) if total.size else 0.0
    scale = max(1.0, float(np.max(np.abs(total))) if total.size else 1.0)
    if not residual <= tol * scale:
        raise OptimizationError(
            f"DLMP components do not sum to the DLMP (max residual {residual:.3g} €/MWh)",
            where=f"feeder {case.feeder.id!r}",
            fix="the solver's duals are inaccurate: tighten the solver tolerance",
        )
    return dataclasses.replace(comp, max_residual=residual)
