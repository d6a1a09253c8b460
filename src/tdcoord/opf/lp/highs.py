"""Solve a :class:`~tdcoord.opf.lp.builder.LinearProgram` with HiGHS, one call, and read the
solution back in the dual sign convention of :mod:`tdcoord.opf.lp.builder`.

Determinism: every solve uses ``threads = 1`` and ``random_seed = 0``; same LP, same answer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp.builder import INF, LinearProgram
from tdcoord.types import FloatArray

Method = Literal["auto", "simplex", "ipm"]
Status = Literal["optimal", "infeasible", "unbounded", "time_limit", "error"]

_METHOD_OPTION: dict[str, str] = {"auto": "choose", "simplex": "simplex", "ipm": "ipm"}


# ---------------------------------------------------------------------------------------------
# Solution
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class LpSolution:
    """Result of one HiGHS solve. Arrays are NaN when HiGHS has no valid point/duals.

    ``row_duals[i] = ∂f*/∂(active bound of row i)``; ``col_duals`` are reduced costs (same sign
    convention) — see the module docstring.
    """

    status: Status
    objective: float
    x: FloatArray
    row_duals: FloatArray
    col_duals: FloatArray
    row_activity: FloatArray
    solver: str
    solver_version: str
    time_s: float
    iterations: int
    model_status: str

    @property
    def ok(self) -> bool:
        """True for an optimal solution."""
        return self.status == "optimal"


def new_highs() -> Any:
    """A fresh ``highspy.Highs`` (typed ``Any``: highspy's stubs are partial)."""
    return highspy.Highs()  # type: ignore[no-untyped-call]


def solver_version() -> str:
    """The HiGHS version string, e.g. ``"1.15.1"``."""
    h = new_highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


_VERSION: str | None = None


def cached_version() -> str:
    """:func:`solver_version`, computed once per process."""
    global _VERSION
    if _VERSION is None:
        _VERSION = solver_version()
    return _VERSION


def configure(h: Any, method: str, time_limit_s: float | None) -> None:
    """Set the deterministic options (one thread, seed 0, no output), method and time limit."""
    if method not in _METHOD_OPTION:
        raise OptimizationError(
            f"unknown LP method {method!r}",
            where="tdcoord.opf.lp.solve",
            fix="use one of 'auto', 'simplex', 'ipm'",
        )
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("solver", _METHOD_OPTION[method])
    h.setOptionValue("time_limit", float(time_limit_s) if time_limit_s is not None else INF)


def pass_model(h: Any, lp: LinearProgram) -> None:
    """Hand the model to HiGHS as column-wise arrays (one call, no per-element work)."""
    inf = highspy.kHighsInf
    n, m = lp.n_col, lp.n_row
    csc = lp.A.tocsc()
    csc.sort_indices()

    def clip(a: FloatArray) -> FloatArray:
        return np.clip(np.asarray(a, dtype=np.float64), -inf, inf)

    common = (
        float(lp.offset),
        np.ascontiguousarray(lp.cost, dtype=np.float64),
        clip(lp.col_lower),
        clip(lp.col_upper),
        clip(lp.row_lower),
        clip(lp.row_upper),
        csc.indptr[:-1].astype(np.int32),
        csc.indices.astype(np.int32),
        csc.data.astype(np.float64),
    )
    integrality = np.zeros(n, dtype=np.int32)
    colwise = int(highspy.MatrixFormat.kColwise)
    minimize = int(highspy.ObjSense.kMinimize)
    if lp.is_qp:
        assert lp.hessian is not None
        lower = sp.tril(lp.hessian, format="csc")
        lower.sort_indices()
        status = h.passModel(
            n,
            m,
            int(csc.nnz),
            int(lower.nnz),
            colwise,
            int(highspy.HessianFormat.kTriangular),
            minimize,
            *common,
            lower.indptr[:-1].astype(np.int32),
            lower.indices.astype(np.int32),
            lower.data.astype(np.float64),
            integrality,
        )
    else:
        status = h.passModel(n, m, int(csc.nnz), colwise, minimize, *common, integrality)
    if status == highspy.HighsStatus.kError:
        raise OptimizationError(
            "HiGHS rejected the model",
            where=f"LP with {n} columns and {m} rows",
            fix="check for NaN in costs, bounds or matrix entries",
        )


_STATUS_MAP: dict[str, Status] = {
    "kOptimal": "optimal",
    "kModelEmpty": "optimal",
    "kInfeasible": "infeasible",
    "kUnbounded": "unbounded",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "time_limit",
}


def _model_status_name(h: Any) -> str:
    return str(h.getModelStatus()).rsplit(".", 1)[-1]


def option_value(h: Any, name: str) -> Any:
    """An option's current value (highspy returns ``(status, value)``)."""
    got = h.getOptionValue(name)
    return got[1] if isinstance(got, tuple) else got


def _vec(values: Sequence[float], n: int) -> FloatArray:
    """A HiGHS solution vector (a Python list) as a float array; ``fromiter`` is 3× faster than
    ``asarray`` on a list and gives the same values."""
    return np.fromiter(values, dtype=np.float64, count=len(values))


def run_highs(h: Any, lp: LinearProgram, *, lean: bool = False) -> LpSolution:
    """Run HiGHS on the model it holds (``lp``) and read the solution (``lean``: see
    :meth:`~tdcoord.opf.lp.warm.WarmLp.solve`)."""
    t0 = time.perf_counter()
    h.run()
    name = _model_status_name(h)
    if name == "kUnboundedOrInfeasible":
        # Presolve could not tell; one re-run without presolve decides (then restore the option).
        before = option_value(h, "presolve")
        h.setOptionValue("presolve", "off")
        h.run()
        h.setOptionValue("presolve", before)
        name = _model_status_name(h)
    elapsed = time.perf_counter() - t0
    status: Status = _STATUS_MAP.get(name, "error")
    if name == "kUnboundedOrInfeasible":
        status = "infeasible"
    info = h.getInfo()
    sol = h.getSolution()
    n, m = lp.n_col, lp.n_row
    nan_n, nan_m = np.full(n, np.nan), np.full(m, np.nan)
    x = _vec(sol.col_value, n) if sol.value_valid else nan_n
    yr = _vec(sol.row_dual, m) if sol.dual_valid else nan_m.copy()
    if lean:
        # Derived instead of copied (each copy of a HiGHS vector is a Python list): the row
        # activity A·x and the reduced costs c + Hx − Aᵀy (stationarity), equal to HiGHS's to
        # rounding.
        act = np.asarray(lp.A @ x, dtype=np.float64) if sol.value_valid else nan_m
        if sol.dual_valid and sol.value_valid:
            grad = lp.cost if lp.hessian is None else lp.cost + lp.hessian @ x
            yc = np.asarray(grad - lp.A.T @ yr, dtype=np.float64)
        else:
            yc = nan_n.copy()
    else:
        act = _vec(sol.row_value, m) if sol.value_valid else nan_m
        yc = _vec(sol.col_dual, n) if sol.dual_valid else nan_n.copy()
    if name == "kModelEmpty":
        x, act, yr, yc = np.zeros(n), np.zeros(m), np.zeros(m), np.zeros(n)
    objective = float(info.objective_function_value) if status == "optimal" else float("nan")
    if name == "kModelEmpty":
        objective = float(lp.offset)
    iterations = sum(
        max(int(v), 0)
        for v in (info.simplex_iteration_count, info.ipm_iteration_count, info.qp_iteration_count)
    )
    return LpSolution(
        status=status,
        objective=objective,
        x=x,
        row_duals=yr,
        col_duals=yc,
        row_activity=act,
        solver="highs",
        solver_version=cached_version(),
        time_s=elapsed,
        iterations=iterations,
        model_status=name,
    )


def solve(
    lp: LinearProgram, *, method: Method = "auto", time_limit_s: float | None = None
) -> LpSolution:
    """Solve ``lp`` once with HiGHS (``auto`` lets HiGHS choose; QPs use its QP solver).

    Returns an :class:`LpSolution`; infeasibility, unboundedness and time-outs are statuses.
    """
    h = new_highs()
    configure(h, method, time_limit_s)
    pass_model(h, lp)
    return run_highs(h, lp)
