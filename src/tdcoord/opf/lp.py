"""Sparse linear / convex-quadratic programs assembled with numpy + scipy.sparse, solved by HiGHS.

The problem form is

.. math::

    \\min_x \\; \\tfrac12 x^\\top H x + c^\\top x + c_0
    \\quad\\text{s.t.}\\quad r^{lo} \\le A x \\le r^{up}, \\qquad l \\le x \\le u,

with :math:`H` symmetric positive semi-definite (``None`` for an LP). Columns and rows are grouped
in named blocks in a fixed order (:class:`LpBuilder`), so the same input always gives the same
matrix — simplex paths, and therefore timings and degenerate duals, depend on that order.

The model is handed to HiGHS through ``highspy.Highs.passModel`` with numpy arrays (one copy, no
modelling layer: see ``performance-notes.md``, 10× faster than linopy / pyoptinterface).

Dual sign convention (tested in ``tests/opf/test_lp.py``)
---------------------------------------------------------
``row_duals[i]`` is the sensitivity of the optimal objective to the *active* bound of row ``i``:
:math:`y_i = \\partial f^* / \\partial r_i` (positive when raising a binding lower bound raises the
cost, negative when raising a binding upper bound lowers it; zero for a non-binding row). For a
balance row ``supply − demand = d`` the dual is the marginal cost of one more unit of demand, i.e.
the nodal price (Schweppe, Caramanis, Tabors & Bohn, *Spot Pricing of Electricity*, 1988).
``col_duals[j]`` are the reduced costs, i.e. :math:`\\partial f^* / \\partial` (active bound of
column ``j``). This is HiGHS's native convention for a minimisation.

Determinism: every solve uses ``threads = 1`` and ``random_seed = 0``; same LP, same answer.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tdcoord.errors import OptimizationError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Method = Literal["auto", "simplex", "ipm"]
Status = Literal["optimal", "infeasible", "unbounded", "time_limit", "error"]

INF = float("inf")

_METHOD_OPTION: dict[str, str] = {"auto": "choose", "simplex": "simplex", "ipm": "ipm"}


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


# ---------------------------------------------------------------------------------------------
# The program
# ---------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True, eq=False)
class LinearProgram:
    """An LP/QP ``min ½xᵀHx + costᵀx + offset s.t. row_lower ≤ A x ≤ row_upper, col bounds``.

    ``A`` is CSR (m × n); ``hessian`` is ``None`` or a symmetric PSD sparse n × n matrix (both
    triangles stored). ``col_blocks`` / ``row_blocks`` name contiguous ranges in a fixed order.
    """

    cost: FloatArray
    A: sp.csr_matrix
    row_lower: FloatArray
    row_upper: FloatArray
    col_lower: FloatArray
    col_upper: FloatArray
    hessian: sp.csc_matrix | None = None
    offset: float = 0.0
    col_blocks: Mapping[str, slice] = dataclasses.field(default_factory=dict)
    row_blocks: Mapping[str, slice] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        n, m = len(self.cost), len(self.row_lower)
        shapes_ok = (
            self.A.shape == (m, n)
            and len(self.row_upper) == m
            and len(self.col_lower) == n
            and len(self.col_upper) == n
            and (self.hessian is None or self.hessian.shape == (n, n))
        )
        if not shapes_ok:
            raise OptimizationError(
                f"inconsistent LP dimensions: cost has {n} columns, A is {self.A.shape}, "
                f"row bounds {len(self.row_lower)}/{len(self.row_upper)}, column bounds "
                f"{len(self.col_lower)}/{len(self.col_upper)}",
                where="LinearProgram",
                fix="build the program with LpBuilder, which keeps every array aligned",
            )

    @property
    def n_col(self) -> int:
        """Number of columns (variables)."""
        return len(self.cost)

    @property
    def n_row(self) -> int:
        """Number of rows (constraints)."""
        return len(self.row_lower)

    @property
    def is_qp(self) -> bool:
        """True when a non-empty Hessian is present."""
        return self.hessian is not None and self.hessian.nnz > 0

    def objective_value(self, x: FloatArray) -> float:
        """Objective ``½xᵀHx + costᵀx + offset`` at ``x``."""
        value = float(self.cost @ x) + self.offset
        if self.hessian is not None:
            value += 0.5 * float(x @ (self.hessian @ x))
        return value


# ---------------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------------
def _broadcast(value: ArrayLike, n: int, what: str, block: str) -> FloatArray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n, float(arr))
    arr = arr.reshape(-1)
    if arr.shape[0] != n:
        raise OptimizationError(
            f"{what} of block {block!r} has {arr.shape[0]} entries, expected {n}",
            where=f"LpBuilder block {block!r}",
            fix=f"pass a scalar or an array of length {n}",
        )
    return arr.copy()


class LpBuilder:
    """Assemble a :class:`LinearProgram` from named column and row families.

    Each ``add_rows`` call takes sparse blocks (one per column range it touches); the blocks are
    converted to COO once and shifted to global column indices, and :meth:`build` stacks all
    families with a single CSR construction — no per-element Python loops.

    Example::

        b = LpBuilder()
        p = b.add_columns("p", 3, lower=0, upper=[10, 20, 30], cost=[1, 2, 3])
        b.add_rows("balance", [(p, sp.csr_matrix(np.ones((1, 3))))], lower=25, upper=25)
        lp = b.build()
    """

    def __init__(self) -> None:
        self._n_col = 0
        self._n_row = 0
        self._col_blocks: dict[str, slice] = {}
        self._row_blocks: dict[str, slice] = {}
        self._cost: list[FloatArray] = []
        self._col_lower: list[FloatArray] = []
        self._col_upper: list[FloatArray] = []
        self._row_lower: list[FloatArray] = []
        self._row_upper: list[FloatArray] = []
        self._rows: list[IntArray] = []
        self._cols: list[IntArray] = []
        self._vals: list[FloatArray] = []
        self._q_rows: list[IntArray] = []
        self._q_cols: list[IntArray] = []
        self._q_vals: list[FloatArray] = []
        self._offset = 0.0

    @property
    def n_col(self) -> int:
        """Columns added so far."""
        return self._n_col

    @property
    def n_row(self) -> int:
        """Rows added so far."""
        return self._n_row

    def add_columns(
        self,
        name: str,
        n: int,
        lower: ArrayLike = 0.0,
        upper: ArrayLike = INF,
        cost: ArrayLike = 0.0,
    ) -> slice:
        """Append ``n`` columns named ``name``; return their slice. Bounds/cost broadcast."""
        self._check_name(name, self._col_blocks, "column")
        lo = _broadcast(lower, n, "lower bound", name)
        up = _broadcast(upper, n, "upper bound", name)
        bad = np.flatnonzero(lo > up)
        if bad.size:
            raise OptimizationError(
                f"column block {name!r}: lower bound above upper bound at position {int(bad[0])} "
                f"({lo[bad[0]]} > {up[bad[0]]})",
                where=f"LpBuilder block {name!r}",
                fix="check the data that set these bounds",
            )
        s = slice(self._n_col, self._n_col + n)
        self._col_blocks[name] = s
        self._cost.append(_broadcast(cost, n, "cost", name))
        self._col_lower.append(lo)
        self._col_upper.append(up)
        self._n_col += n
        return s

    def add_rows(
        self,
        name: str,
        blocks: Sequence[tuple[slice, sp.spmatrix | sp.sparray | NDArray[Any]]],
        lower: ArrayLike = -INF,
        upper: ArrayLike = INF,
        *,
        n: int | None = None,
    ) -> slice:
        """Append rows ``lower ≤ Σ_k M_k x[cols_k] ≤ upper``; return their slice.

        ``blocks`` is a list of ``(column slice, matrix)`` pairs; every matrix has the same
        number of rows and as many columns as its slice. Repeated entries are summed. ``n``
        gives the row count when ``blocks`` is empty (rows on constants only).
        """
        self._check_name(name, self._row_blocks, "row")
        m = n
        coos = [(cols, sp.coo_matrix(mat)) for cols, mat in blocks]  # type: ignore[arg-type]
        for cols, coo in coos:
            shape = coo.shape
            width = cols.stop - cols.start
            if m is None:
                m = int(shape[0])
            if shape != (m, width):
                raise OptimizationError(
                    f"row block {name!r}: a matrix is {shape[0]}×{shape[1]}, expected {m}×{width}",
                    where=f"LpBuilder block {name!r}",
                    fix="give every block the same number of rows and one column per variable",
                )
        if m is None:
            raise OptimizationError(
                f"row block {name!r} has no matrix and no row count",
                where=f"LpBuilder block {name!r}",
                fix="pass n= for a family with no variables",
            )
        for cols, coo in coos:
            self._rows.append(coo.row.astype(np.int64) + self._n_row)
            self._cols.append(coo.col.astype(np.int64) + cols.start)
            self._vals.append(coo.data.astype(np.float64))
        s = slice(self._n_row, self._n_row + m)
        self._row_blocks[name] = s
        self._row_lower.append(_broadcast(lower, m, "lower bound", name))
        self._row_upper.append(_broadcast(upper, m, "upper bound", name))
        self._n_row += m
        return s

    def add_quadratic(
        self, cols: slice, matrix: sp.spmatrix | sp.sparray | NDArray[Any] | ArrayLike
    ) -> None:
        """Add ``½ x[cols]ᵀ Q x[cols]`` to the objective (``Q`` a 1-D diagonal or a square PSD)."""
        width = cols.stop - cols.start
        if isinstance(matrix, (sp.spmatrix, sp.sparray)) or np.ndim(matrix) == 2:
            coo = sp.coo_matrix(matrix)  # type: ignore[arg-type]
            if coo.shape != (width, width):
                raise OptimizationError(
                    f"quadratic block is {coo.shape}, expected {width}×{width}",
                    where="LpBuilder.add_quadratic",
                    fix="pass one row and column per variable of the slice",
                )
            r, c, v = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
        else:
            d = _broadcast(matrix, width, "quadratic diagonal", "hessian")
            nz = np.flatnonzero(d)
            r, c, v = nz.astype(np.int64), nz.astype(np.int64), d[nz]
        self._q_rows.append(r + cols.start)
        self._q_cols.append(c + cols.start)
        self._q_vals.append(np.asarray(v, dtype=np.float64))

    def add_offset(self, value: float) -> None:
        """Add a constant to the objective."""
        self._offset += float(value)

    def build(self) -> LinearProgram:
        """Stack every family into one :class:`LinearProgram` (CSR, duplicates summed)."""

        def cat(parts: list[NDArray[Any]], dtype: type) -> NDArray[Any]:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)

        A = sp.csr_matrix(
            (cat(self._vals, np.float64), (cat(self._rows, np.int64), cat(self._cols, np.int64))),
            shape=(self._n_row, self._n_col),
        )
        A.sum_duplicates()
        hessian: sp.csc_matrix | None = None
        if self._q_vals:
            q = sp.csc_matrix(
                (
                    cat(self._q_vals, np.float64),
                    (cat(self._q_rows, np.int64), cat(self._q_cols, np.int64)),
                ),
                shape=(self._n_col, self._n_col),
            )
            q.sum_duplicates()
            q.eliminate_zeros()
            if q.nnz:
                hessian = q
        return LinearProgram(
            cost=_readonly(cat(self._cost, np.float64)),
            A=A,
            row_lower=_readonly(cat(self._row_lower, np.float64)),
            row_upper=_readonly(cat(self._row_upper, np.float64)),
            col_lower=_readonly(cat(self._col_lower, np.float64)),
            col_upper=_readonly(cat(self._col_upper, np.float64)),
            hessian=hessian,
            offset=self._offset,
            col_blocks=dict(self._col_blocks),
            row_blocks=dict(self._row_blocks),
        )

    @staticmethod
    def _check_name(name: str, blocks: dict[str, slice], kind: str) -> None:
        if name in blocks:
            raise OptimizationError(
                f"{kind} block {name!r} added twice",
                where="LpBuilder",
                fix=f"give every {kind} family a unique name",
            )


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


def _new_highs() -> Any:
    """A fresh ``highspy.Highs`` (typed ``Any``: highspy's stubs are partial)."""
    return highspy.Highs()  # type: ignore[no-untyped-call]


def solver_version() -> str:
    """The HiGHS version string, e.g. ``"1.15.1"``."""
    h = _new_highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


_VERSION: str | None = None


def _version() -> str:
    global _VERSION
    if _VERSION is None:
        _VERSION = solver_version()
    return _VERSION


def _configure(h: Any, method: str, time_limit_s: float | None) -> None:
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


def _pass_model(h: Any, lp: LinearProgram) -> None:
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


def _option(h: Any, name: str) -> Any:
    """An option's current value (highspy returns ``(status, value)``)."""
    got = h.getOptionValue(name)
    return got[1] if isinstance(got, tuple) else got


def _vec(values: Sequence[float], n: int) -> FloatArray:
    """A HiGHS solution vector (a Python list) as a float array; ``fromiter`` is 3× faster than
    ``asarray`` on a list and gives the same values."""
    return np.fromiter(values, dtype=np.float64, count=len(values))


def _run(h: Any, lp: LinearProgram, *, lean: bool = False) -> LpSolution:
    t0 = time.perf_counter()
    h.run()
    name = _model_status_name(h)
    if name == "kUnboundedOrInfeasible":
        # Presolve could not tell; one re-run without presolve decides (then restore the option).
        before = _option(h, "presolve")
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
        solver_version=_version(),
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
    h = _new_highs()
    _configure(h, method, time_limit_s)
    _pass_model(h, lp)
    return _run(h, lp)


# ---------------------------------------------------------------------------------------------
# Warm re-solve
# ---------------------------------------------------------------------------------------------
def _idx(cols: slice | ArrayLike, n: int) -> NDArray[np.int32]:
    if isinstance(cols, slice):
        return np.arange(n, dtype=np.int32)[cols]
    idx = np.asarray(cols, dtype=np.int64).reshape(-1)
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise OptimizationError(
            "index out of range in a warm update",
            where="WarmLp",
            fix=f"use positions in [0, {n})",
        )
    return idx.astype(np.int32)


class WarmLp:
    """One ``highspy.Highs`` object kept alive: change costs/bounds and re-solve from the basis.

    ``devex=True`` prices the dual simplex with Devex weights (cheap to restart; see ``__init__``).

    The matrix, row/column order and names never change; only ``cost``, column bounds and row
    bounds can be updated (``changeColsCost`` / ``changeColsBounds`` / ``changeRowsBounds``).
    :attr:`lp` tracks the current data, so ``solve(warm.lp)`` is the equivalent cold solve.
    """

    def __init__(
        self,
        lp: LinearProgram,
        *,
        method: Method = "auto",
        time_limit_s: float | None = None,
        devex: bool = False,
        presolve: bool = True,
    ) -> None:
        self._h = _new_highs()
        _configure(self._h, method, time_limit_s)
        self.set_presolve(presolve)
        if devex:
            # Devex pricing instead of dual steepest edge: after a row is added or a basis is
            # set, HiGHS recomputes the exact DSE weights (one solve per row, ~0.5 s on a
            # 2,000-bus master); Devex starts from unit weights — the right choice for warm
            # re-solves that take tens of iterations.
            self._h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        _pass_model(self._h, lp)
        self._lp = lp
        self._solved = False

    def set_presolve(self, on: bool) -> None:
        """Switch HiGHS presolve on (``"choose"``, the default) or off for later solves.

        HiGHS skips presolve anyway when it holds a valid basis; switching it off also makes a
        solve whose basis was invalidated (or the first one) start from the slack basis instead.
        """
        self._h.setOptionValue("presolve", "choose" if on else "off")

    @property
    def highs(self) -> Any:
        """The HiGHS object itself, for callers that drive it directly in a hot loop (e.g. the
        parametric interface-offer LP). Changes made through it bypass :attr:`lp`; callers
        that do so must not use :meth:`update_costs` & co. afterwards."""
        return self._h

    @property
    def presolve(self) -> bool:
        """True unless presolve was switched off (:meth:`set_presolve`)."""
        return bool(_option(self._h, "presolve") != "off")

    @property
    def solved(self) -> bool:
        """True once :meth:`solve` has run (the object then holds a basis of its own)."""
        return self._solved

    @property
    def lp(self) -> LinearProgram:
        """The program with every update applied so far."""
        return self._lp

    def _replace(self, **changes: FloatArray) -> None:
        fields: dict[str, Any] = {k: _readonly(v) for k, v in changes.items()}
        self._lp = dataclasses.replace(self._lp, **fields)

    def update_costs(self, cols: slice | ArrayLike, values: ArrayLike) -> None:
        """Set ``cost[cols] = values``."""
        idx = _idx(cols, self._lp.n_col)
        v = _broadcast(values, idx.size, "cost", "update_costs")
        self._h.changeColsCost(idx.size, idx, v)
        cost = self._lp.cost.copy()
        cost[idx] = v
        self._replace(cost=cost)

    def update_col_bounds(
        self, cols: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set ``col_lower[cols] = lower`` and ``col_upper[cols] = upper``."""
        idx = _idx(cols, self._lp.n_col)
        lo = _broadcast(lower, idx.size, "lower bound", "update_col_bounds")
        up = _broadcast(upper, idx.size, "upper bound", "update_col_bounds")
        self._h.changeColsBounds(idx.size, idx, lo, up)
        cl, cu = self._lp.col_lower.copy(), self._lp.col_upper.copy()
        cl[idx], cu[idx] = lo, up
        self._replace(col_lower=cl, col_upper=cu)

    def update_row_bounds(
        self, rows: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set ``row_lower[rows] = lower`` and ``row_upper[rows] = upper``."""
        idx = _idx(rows, self._lp.n_row)
        lo = _broadcast(lower, idx.size, "lower bound", "update_row_bounds")
        up = _broadcast(upper, idx.size, "upper bound", "update_row_bounds")
        self._h.changeRowsBounds(idx.size, idx, lo, up)
        rl, ru = self._lp.row_lower.copy(), self._lp.row_upper.copy()
        rl[idx], ru[idx] = lo, up
        self._replace(row_lower=rl, row_upper=ru)

    def basis(self) -> Any:
        """The current simplex basis (a ``highspy.HighsBasis``), to warm-start a twin program."""
        return self._h.getBasis()

    def set_basis(self, basis: Any) -> None:
        """Start the next solve from ``basis`` (taken from a program of the same dimensions)."""
        self._h.setBasis(basis)

    def add_rows(self, A: sp.spmatrix | sp.sparray, lower: ArrayLike, upper: ArrayLike) -> None:
        """Append rows ``lower ≤ A x ≤ upper`` (``A`` is k × n_col); the basis is kept (the new
        rows enter it as slacks), so the next :meth:`solve` is warm (Benders cuts)."""
        csr = sp.csr_matrix(A)  # type: ignore[call-overload]
        k, n = csr.shape
        if n != self._lp.n_col:
            raise OptimizationError(
                f"new rows have {n} columns, the program {self._lp.n_col}",
                where="WarmLp.add_rows",
                fix="give one coefficient per column of the program",
            )
        lo = _broadcast(lower, k, "lower bound", "add_rows")
        up = _broadcast(upper, k, "upper bound", "add_rows")
        inf = highspy.kHighsInf
        self._h.addRows(
            k,
            np.clip(lo, -inf, inf),
            np.clip(up, -inf, inf),
            int(csr.nnz),
            csr.indptr[:-1].astype(np.int32),
            csr.indices.astype(np.int32),
            csr.data.astype(np.float64),
        )
        lp = self._lp
        self._lp = dataclasses.replace(
            lp,
            A=sp.csr_matrix(sp.vstack([lp.A, csr], format="csr")),
            row_lower=_readonly(np.concatenate([lp.row_lower, lo])),
            row_upper=_readonly(np.concatenate([lp.row_upper, up])),
        )

    def solve(self, *, lean: bool = False) -> LpSolution:
        """Re-solve from the current basis (the first call is a cold solve).

        ``lean=True`` copies only the primal values and row duals out of HiGHS and derives
        ``row_activity = A x`` and ``col_duals = c + Hx − Aᵀy`` (equal to rounding; two vector
        copies fewer — they dominate a warm re-solve that takes a few iterations).
        """
        self._solved = True
        return _run(self._h, self._lp, lean=lean)


# ---------------------------------------------------------------------------------------------
# Block-diagonal warm re-solve
# ---------------------------------------------------------------------------------------------
def _changed(mask: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Positions of the entries an update really changes (the others leave their block clean)."""
    return np.flatnonzero(mask)


class BlockWarmLp:
    """A block-diagonal LP kept warm as independent :class:`WarmLp` blocks.

    ``col_block[j]`` / ``row_block[i]`` give the block (0..K−1) of every column and row; every
    matrix entry must join a row and a column of the same block (checked). Without coupling the
    optimum of the whole is the union of the blocks' optima (the Lagrangian separates), so each
    block is its own HiGHS object: an update marks only the blocks whose data it changes, and
    :meth:`solve` re-solves only those (the others keep their last solution). Small LPs also
    restart cheaply. Same update interface as :class:`WarmLp`; :attr:`lp` tracks the whole
    program, so ``solve(block.lp)`` is the equivalent cold solve.
    """

    def __init__(
        self,
        lp: LinearProgram,
        col_block: ArrayLike,
        row_block: ArrayLike,
        *,
        method: Method = "auto",
        time_limit_s: float | None = None,
        presolve: bool = True,
    ) -> None:
        cb = np.asarray(col_block, dtype=np.int64).reshape(-1)
        rb = np.asarray(row_block, dtype=np.int64).reshape(-1)
        if cb.shape != (lp.n_col,) or rb.shape != (lp.n_row,):
            raise OptimizationError(
                f"block labels for {cb.size} columns / {rb.size} rows, the LP has "
                f"{lp.n_col} / {lp.n_row}",
                where="BlockWarmLp",
                fix="give one block label per column and per row",
            )
        if lp.is_qp:
            raise OptimizationError(
                "BlockWarmLp takes linear programs only",
                where="BlockWarmLp",
                fix="use WarmLp for a QP",
            )
        if min(cb.min(initial=0), rb.min(initial=0)) < 0:
            raise OptimizationError(
                "negative block label", where="BlockWarmLp", fix="label blocks 0..K-1"
            )
        coo = lp.A.tocoo()
        crossing = np.flatnonzero(rb[coo.row] != cb[coo.col])
        if crossing.size:
            i = int(crossing[0])
            raise OptimizationError(
                f"row {int(coo.row[i])} (block {int(rb[coo.row[i]])}) has an entry in column "
                f"{int(coo.col[i])} (block {int(cb[coo.col[i]])}): the LP is not block-diagonal",
                where="BlockWarmLp",
                fix="solve a coupled program with WarmLp",
            )
        n_blocks = int(max(cb.max(initial=-1), rb.max(initial=-1))) + 1
        order_c = np.argsort(cb, kind="stable")
        order_r = np.argsort(rb, kind="stable")
        self._cols = np.split(order_c, np.cumsum(np.bincount(cb, minlength=n_blocks))[:-1])
        self._rows = np.split(order_r, np.cumsum(np.bincount(rb, minlength=n_blocks))[:-1])
        self._col_block, self._row_block = cb, rb
        self._local_col = np.empty(lp.n_col, dtype=np.int64)
        self._local_row = np.empty(lp.n_row, dtype=np.int64)
        for cols, rows in zip(self._cols, self._rows, strict=True):
            self._local_col[cols] = np.arange(cols.size)
            self._local_row[rows] = np.arange(rows.size)
        csr = lp.A.tocsr()
        self._blocks = [
            WarmLp(
                LinearProgram(
                    cost=lp.cost[cols],
                    A=sp.csr_matrix(csr[rows][:, cols]),
                    row_lower=lp.row_lower[rows],
                    row_upper=lp.row_upper[rows],
                    col_lower=lp.col_lower[cols],
                    col_upper=lp.col_upper[cols],
                ),
                method=method,
                time_limit_s=time_limit_s,
                presolve=presolve,
            )
            for cols, rows in zip(self._cols, self._rows, strict=True)
        ]
        self._lp = lp
        self._dirty = np.ones(n_blocks, dtype=bool)
        self._last: list[LpSolution | None] = [None] * n_blocks

    @property
    def n_blocks(self) -> int:
        """Number of blocks."""
        return len(self._blocks)

    @property
    def lp(self) -> LinearProgram:
        """The whole program with every update applied so far."""
        return self._lp

    @property
    def dirty(self) -> NDArray[np.bool_]:
        """Blocks the next :meth:`solve` re-solves (changed since their last solve)."""
        return self._dirty.copy()

    def set_presolve(self, on: bool) -> None:
        """:meth:`WarmLp.set_presolve` on every block."""
        for b in self._blocks:
            b.set_presolve(on)

    def _scatter(
        self, idx: NDArray[np.int32], labels: IntArray, local: IntArray, *values: FloatArray
    ) -> list[tuple[int, IntArray, list[FloatArray]]]:
        """Group an update by block: (block, local positions, value slices)."""
        lab = labels[idx]
        out = []
        for k in np.unique(lab).tolist():
            sel = np.flatnonzero(lab == k)
            out.append((int(k), local[idx[sel]], [v[sel] for v in values]))
            self._dirty[k] = True
        return out

    def update_costs(self, cols: slice | ArrayLike, values: ArrayLike) -> None:
        """Set ``cost[cols] = values`` (marks the blocks touched)."""
        idx = _idx(cols, self._lp.n_col)
        v = _broadcast(values, idx.size, "cost", "update_costs")
        ch = _changed(self._lp.cost[idx] != v)
        for k, loc, (vk,) in self._scatter(idx[ch], self._col_block, self._local_col, v[ch]):
            self._blocks[k].update_costs(loc, vk)
        cost = self._lp.cost.copy()
        cost[idx] = v
        self._lp = dataclasses.replace(self._lp, cost=_readonly(cost))

    def update_col_bounds(
        self, cols: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set the bounds of columns ``cols`` (marks the blocks touched)."""
        self._update_bounds("col", cols, lower, upper)

    def update_row_bounds(
        self, rows: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set the bounds of rows ``rows`` (marks the blocks touched)."""
        self._update_bounds("row", rows, lower, upper)

    def _update_bounds(
        self, kind: str, where: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Bounds of columns (``kind="col"``) or rows (``"row"``): the changed entries go to
        their blocks, the whole program keeps the new values."""
        name = f"update_{kind}_bounds"
        idx = _idx(where, self._lp.n_col if kind == "col" else self._lp.n_row)
        lo = _broadcast(lower, idx.size, "lower bound", name)
        up = _broadcast(upper, idx.size, "upper bound", name)
        old_lo, old_up = getattr(self._lp, f"{kind}_lower"), getattr(self._lp, f"{kind}_upper")
        ch = _changed((old_lo[idx] != lo) | (old_up[idx] != up))
        if kind == "col":
            block, local = self._col_block, self._local_col
        else:
            block, local = self._row_block, self._local_row
        for k, loc, (lk, uk) in self._scatter(idx[ch], block, local, lo[ch], up[ch]):
            getattr(self._blocks[k], name)(loc, lk, uk)
        new_lo, new_up = old_lo.copy(), old_up.copy()
        new_lo[idx], new_up[idx] = lo, up
        bounds: dict[str, Any] = {
            f"{kind}_lower": _readonly(new_lo),
            f"{kind}_upper": _readonly(new_up),
        }
        self._lp = dataclasses.replace(self._lp, **bounds)

    def solve(self, *, lean: bool = False) -> LpSolution:
        """Re-solve the changed blocks from their bases and assemble the whole solution.

        Status: ``"optimal"`` when every block is; otherwise the first block's failing status
        (its arrays NaN). ``time_s`` (HiGHS time) and ``iterations`` sum over the blocks solved
        in this call.
        """
        iterations, elapsed = 0, 0.0
        for k in np.flatnonzero(self._dirty).tolist():
            sol = self._blocks[k].solve(lean=lean)
            self._last[k] = sol
            iterations += sol.iterations
            elapsed += sol.time_s
        self._dirty[:] = False
        sols = [s for s in self._last if s is not None]
        assert len(sols) == self.n_blocks  # every block was dirty before its first solve
        lp = self._lp
        x, yc = np.empty(lp.n_col), np.empty(lp.n_col)
        yr, act = np.empty(lp.n_row), np.empty(lp.n_row)
        for sol, cols, rows in zip(sols, self._cols, self._rows, strict=True):
            x[cols], yc[cols] = sol.x, sol.col_duals
            yr[rows], act[rows] = sol.row_duals, sol.row_activity
        bad = next((s for s in sols if s.status != "optimal"), None)
        status: Status = "optimal" if bad is None else bad.status
        objective = (
            float(lp.offset + sum(s.objective for s in sols)) if bad is None else float("nan")
        )
        return LpSolution(
            status=status,
            objective=objective,
            x=x,
            row_duals=yr,
            col_duals=yc,
            row_activity=act,
            solver="highs",
            solver_version=_version(),
            time_s=elapsed,
            iterations=iterations,
            model_status="kOptimal" if bad is None else bad.model_status,
        )
