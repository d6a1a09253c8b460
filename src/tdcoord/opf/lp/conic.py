"""Solve a LinearProgram plus second-order cones with Clarabel's native API.

Clarabel (Goulart & Chen 2024, arXiv 2405.12762) solves ``min ½xᵀPx + qᵀx s.t. Ax + s = b,
s ∈ K``. The LP is mapped without a modelling layer: equality rows → zero cone; finite row and
column bounds → non-negative cone rows (``a x ≤ u`` as ``a x + s = u``, ``a x ≥ l`` as
``−a x + s = −l``); cones ``G x + h ∈ SOC`` → ``−G x + s = h``.

Duals are returned in the convention of :mod:`tdcoord.opf.lp` (``y = ∂f*/∂(active bound)``):
for Clarabel's ``z`` (stationarity ``Px + q + Aᵀz = 0``) an upper/equality bound gets ``−z`` and a
lower bound ``+z``. ``cone_term = Gᵀ z_cone`` is the cone rows' share of the stationarity
``c − Aᵀy − col_duals − cone_term = 0`` (used by the DLMP decomposition).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import clarabel
import numpy as np
import scipy.sparse as sp

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp.builder import LinearProgram, SocSpec
from tdcoord.opf.lp.highs import LpSolution
from tdcoord.types import FloatArray

_STATUS = {
    "Solved": "optimal",
    "AlmostSolved": "optimal",
    "PrimalInfeasible": "infeasible",
    "AlmostPrimalInfeasible": "infeasible",
    "DualInfeasible": "unbounded",
    "AlmostDualInfeasible": "unbounded",
    "MaxIterations": "time_limit",
    "MaxTime": "time_limit",
}


@dataclasses.dataclass(frozen=True, eq=False)
class ConicSolution:
    """A Clarabel solution in LP conventions (see the module docstring)."""

    status: str
    objective: float
    x: FloatArray
    row_duals: FloatArray
    col_duals: FloatArray
    cone_term: FloatArray
    solver: str
    solver_version: str
    time_s: float
    iterations: int


def _settings(tol: float) -> Any:
    s = clarabel.DefaultSettings()
    s.verbose = False
    s.tol_gap_abs = tol
    s.tol_gap_rel = tol
    s.tol_feas = tol
    s.tol_ktratio = tol
    return s


def conic_data(
    lp: LinearProgram, cones: SocSpec | None
) -> tuple[sp.csc_matrix, FloatArray, list[Any], dict[str, Any]]:
    """Clarabel's (A, b, cones) for ``lp`` + ``cones`` and the index maps to read duals back."""
    A = lp.A.tocsr()
    n = lp.n_col
    eq = np.flatnonzero(lp.row_lower == lp.row_upper)
    up = np.flatnonzero((lp.row_upper < np.inf) & (lp.row_lower != lp.row_upper))
    lo = np.flatnonzero((lp.row_lower > -np.inf) & (lp.row_lower != lp.row_upper))
    cup = np.flatnonzero(lp.col_upper < np.inf)
    clo = np.flatnonzero(lp.col_lower > -np.inf)
    eye = sp.identity(n, format="csr")
    parts = [A[eq], A[up], -A[lo], eye[cup], -eye[clo]]
    rhs = [
        lp.row_upper[eq],
        lp.row_upper[up],
        -lp.row_lower[lo],
        lp.col_upper[cup],
        -lp.col_lower[clo],
    ]
    cone_list: list[Any] = [clarabel.ZeroConeT(len(eq))] if len(eq) else []
    n_nonneg = len(up) + len(lo) + len(cup) + len(clo)
    if n_nonneg:
        cone_list.append(clarabel.NonnegativeConeT(n_nonneg))
    if cones is not None and cones.G.shape[0]:
        parts.append(-cones.G)
        rhs.append(cones.h)
        cone_list += [clarabel.SecondOrderConeT(int(d)) for d in cones.dims]
    Acl = sp.csc_matrix(sp.vstack(parts, format="csc"))
    bcl = np.concatenate(rhs)
    maps = {"eq": eq, "up": up, "lo": lo, "cup": cup, "clo": clo}
    return Acl, bcl, cone_list, maps


def solve_conic(lp: LinearProgram, cones: SocSpec | None, *, tol: float = 1e-9) -> ConicSolution:
    """Solve ``lp`` with the extra cones by Clarabel (native API, no modelling layer)."""
    Acl, bcl, cone_list, maps = conic_data(lp, cones)
    n = lp.n_col
    P = lp.hessian if lp.hessian is not None else sp.csc_matrix((n, n))
    P = sp.csc_matrix(sp.triu(P, format="csc"))
    t0 = time.perf_counter()
    try:
        solver = clarabel.DefaultSolver(P, np.asarray(lp.cost), Acl, bcl, cone_list, _settings(tol))
        sol = solver.solve()
    except Exception as exc:  # Clarabel raises plain exceptions on malformed data
        raise OptimizationError(
            f"Clarabel failed: {exc}", where="tdcoord.opf.lp.conic", fix="check the inputs"
        ) from exc
    elapsed = time.perf_counter() - t0
    status = _STATUS.get(str(sol.status), "error")
    z = np.asarray(sol.z, dtype=np.float64)
    x = np.asarray(sol.x, dtype=np.float64)
    k_eq, k_up, k_lo = len(maps["eq"]), len(maps["up"]), len(maps["lo"])
    k_cu, k_cl = len(maps["cup"]), len(maps["clo"])
    o = np.cumsum([0, k_eq, k_up, k_lo, k_cu, k_cl])
    y = np.zeros(lp.n_row)
    y[maps["eq"]] -= z[o[0] : o[1]]
    y[maps["up"]] -= z[o[1] : o[2]]
    y[maps["lo"]] += z[o[2] : o[3]]
    d = np.zeros(n)
    d[maps["cup"]] -= z[o[3] : o[4]]
    d[maps["clo"]] += z[o[4] : o[5]]
    cone_term = np.zeros(n)
    if cones is not None and cones.G.shape[0]:
        cone_term = np.asarray(cones.G.T @ z[o[5] :], dtype=np.float64)
    if status != "optimal":
        x = np.full(n, np.nan)
        y[:] = np.nan
    return ConicSolution(
        status=status,
        objective=float(lp.cost @ x + lp.offset) if status == "optimal" else float("nan"),
        x=x,
        row_duals=y,
        col_duals=d,
        cone_term=cone_term,
        solver="clarabel",
        solver_version=str(clarabel.__version__),
        time_s=elapsed,
        iterations=int(sol.iterations),
    )


def solve_qp_interior(lp: LinearProgram) -> LpSolution:
    """A QP by Clarabel's interior point (HiGHS's active-set QP solver stalls on large grids:
    >60 s on case2000_goc against ~1 s here). Duals in the :mod:`tdcoord.opf.lp` convention."""
    sol = solve_conic(lp, None, tol=1e-9)
    ok = sol.status == "optimal"
    return LpSolution(
        status=sol.status,  # type: ignore[arg-type]
        objective=lp.objective_value(sol.x) if ok else float("nan"),
        x=sol.x,
        row_duals=sol.row_duals,
        col_duals=sol.col_duals,
        row_activity=np.asarray(lp.A @ sol.x, dtype=np.float64),
        solver=sol.solver,
        solver_version=sol.solver_version,
        time_s=sol.time_s,
        iterations=sol.iterations,
        model_status=sol.status,
    )
