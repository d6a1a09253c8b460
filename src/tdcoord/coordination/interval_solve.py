"""Solve a clearing LP interval by interval when nothing couples the intervals.

The flexibility-clearing LP (:mod:`tdcoord.coordination.clearing`) has no inter-temporal
constraint: every row touches the columns of one interval only, so the LP is block diagonal
(one block per interval t) and its optimum is the union of the blocks' optima — the objective,
primal values, row duals and reduced costs of each block are those of the joint LP (the KKT
conditions separate by block). Solving T small LPs is much faster than one large one (simplex
work grows faster than linearly in the size).

Every interval's block has the *same* matrix in the clearing LP (only costs and bounds change
with t), so one HiGHS object is reused: the block of interval 0 is passed once, and for each
next interval only costs, column bounds and row bounds are changed and the simplex restarts
from the previous interval's basis (:class:`tdcoord.opf.lp.WarmLp`). Blocks whose matrices
differ are solved one by one. The result is a :class:`~tdcoord.opf.lp.LpSolution` of the whole
LP, indexed exactly like a direct :func:`tdcoord.opf.lp.solve`; deterministic (fixed order,
fixed solver options).

A program that is not block diagonal (or has rows without any column) is solved directly.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp

from tdcoord.opf.lp import LinearProgram, LpSolution, Status, WarmLp, solve
from tdcoord.types import FloatArray, IntArray

_RANK: dict[str, int] = {"optimal": 0, "time_limit": 1, "unbounded": 2, "infeasible": 3, "error": 4}


def row_intervals(A: sp.csr_matrix, col_interval: IntArray) -> IntArray | None:
    """Interval of each row, or ``None`` when a row is empty or spans two intervals."""
    A = sp.csr_matrix(A)
    counts = np.diff(A.indptr)
    if (counts == 0).any():
        return None
    ci = col_interval[A.indices]
    first = ci[A.indptr[:-1]]
    if not np.array_equal(ci, np.repeat(first, counts)):
        return None
    return np.asarray(first, dtype=np.int64)


def _block(
    lp: LinearProgram, cols: slice | IntArray, rows: slice | IntArray, A: sp.csr_matrix,
    col_idx: IntArray | None = None, row_idx: IntArray | None = None,
) -> LinearProgram:
    """One interval's block. With slices, ``A`` is already permuted to interval order
    (contiguous, block diagonal) and the block is a row slice of the CSR arrays with column
    indices shifted by ``cols.start``; with ``col_idx``/``row_idx`` it is sliced by index."""
    if col_idx is not None and row_idx is not None:
        sub = sp.csr_matrix(A[row_idx][:, col_idx])
        return LinearProgram(
            cost=lp.cost[col_idx], A=sub, row_lower=lp.row_lower[row_idx],
            row_upper=lp.row_upper[row_idx], col_lower=lp.col_lower[col_idx],
            col_upper=lp.col_upper[col_idx], hessian=None, offset=0.0, col_blocks={},
            row_blocks={},
        )
    assert isinstance(cols, slice) and isinstance(rows, slice)
    p0, p1 = int(A.indptr[rows.start]), int(A.indptr[rows.stop])
    sub = sp.csr_matrix(
        (A.data[p0:p1], A.indices[p0:p1] - cols.start, A.indptr[rows.start : rows.stop + 1] - p0),
        shape=(rows.stop - rows.start, cols.stop - cols.start),
    )
    return LinearProgram(
        cost=lp.cost[cols], A=sub, row_lower=lp.row_lower[rows], row_upper=lp.row_upper[rows],
        col_lower=lp.col_lower[cols], col_upper=lp.col_upper[cols], hessian=None, offset=0.0,
        col_blocks={}, row_blocks={},
    )


def _same(a: sp.csr_matrix, b: sp.csr_matrix) -> bool:
    return (
        a.shape == b.shape and a.nnz == b.nnz and np.array_equal(a.indptr, b.indptr)
        and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data)
    )


def solve_by_interval(lp: LinearProgram, col_interval: IntArray, T: int) -> LpSolution:
    """Solve ``lp`` (an LP, no Hessian) block by block over intervals (see module docstring)."""
    return solve_with_basis(lp, col_interval, T)[0]


def solve_with_basis(
    lp: LinearProgram, col_interval: IntArray, T: int
) -> tuple[LpSolution, Any | None]:
    """:func:`solve_by_interval` and the optimal simplex basis of the whole LP (a
    ``highspy.HighsBasis``: the union of the blocks' bases, which is an optimal basis of the
    block-diagonal LP), or ``None`` when the LP was solved directly. A time-coupled clearing
    adds its coupling rows to this basis and re-solves warm
    (:func:`tdcoord.coordination.intertemporal.enforce_energy`)."""
    col_t = np.asarray(col_interval, dtype=np.int64)
    row_t = row_intervals(lp.A, col_t) if lp.hessian is None and T > 1 else None
    if row_t is None:
        return solve(lp, method="simplex"), None
    col_perm = np.argsort(col_t, kind="stable")
    row_perm = np.argsort(row_t, kind="stable")
    A = sp.csr_matrix(sp.csr_matrix(lp.A)[row_perm][:, col_perm])
    A.sort_indices()
    perm = dataclasses.replace(
        lp, cost=lp.cost[col_perm], A=A, row_lower=lp.row_lower[row_perm],
        row_upper=lp.row_upper[row_perm], col_lower=lp.col_lower[col_perm],
        col_upper=lp.col_upper[col_perm],
    )
    c_end = np.searchsorted(col_t[col_perm], np.arange(T + 1), side="left")
    r_end = np.searchsorted(row_t[row_perm], np.arange(T + 1), side="left")
    x = np.zeros(lp.n_col)
    yc = np.zeros(lp.n_col)
    yr = np.zeros(lp.n_row)
    act = np.zeros(lp.n_row)
    objective = float(lp.offset)
    iterations = 0
    time_s = 0.0
    status: Status = "optimal"
    model_status = "kOptimal"
    warm: WarmLp | None = None
    first: sp.csr_matrix | None = None
    last: LpSolution | None = None
    col_status = np.empty(lp.n_col, dtype=object)
    row_status = np.empty(lp.n_row, dtype=object)
    basis_ok = True
    for t in range(T):  # T blocks; each block's data is a contiguous slice
        cols = slice(int(c_end[t]), int(c_end[t + 1]))
        rows = slice(int(r_end[t]), int(r_end[t + 1]))
        block = _block(perm, cols, rows, A)
        sol, solver, warm, first = _solve_block(block, warm, first)
        b = solver.basis()
        basis_ok = basis_ok and bool(b.valid)
        if basis_ok:
            col_status[col_perm[cols]] = list(b.col_status)
            row_status[row_perm[rows]] = list(b.row_status)
        last = sol
        iterations += sol.iterations
        time_s += sol.time_s
        if _RANK.get(sol.status, 4) > _RANK.get(status, 4):
            status, model_status = sol.status, sol.model_status
        gc, gr = col_perm[cols], row_perm[rows]
        x[gc], yc[gc] = sol.x, sol.col_duals
        yr[gr], act[gr] = sol.row_duals, sol.row_activity
        objective += sol.objective
    assert last is not None
    if status != "optimal":
        objective = float("nan")
    whole = dataclasses.replace(
        last, status=status, objective=objective, x=x, row_duals=yr, col_duals=yc,
        row_activity=act, time_s=time_s, iterations=iterations, model_status=model_status,
    )
    basis = _basis(col_status, row_status) if basis_ok and status == "optimal" else None
    return whole, basis


def _solve_block(
    block: LinearProgram, warm: WarmLp | None, first: sp.csr_matrix | None
) -> tuple[LpSolution, WarmLp, WarmLp, sp.csr_matrix]:
    """Solve one interval's block: warm when its matrix equals the first block's, else cold.
    Returns the solution, the solver that holds it, and the (new) warm solver and its matrix."""
    if warm is not None and first is not None and _same(block.A, first):
        warm.update_costs(slice(None), block.cost)
        warm.update_col_bounds(slice(None), block.col_lower, block.col_upper)
        warm.update_row_bounds(slice(None), block.row_lower, block.row_upper)
        sol = warm.solve()
        if sol.status != "optimal":
            # a warm start without presolve can stall on badly scaled slack prices: the
            # interval is re-solved cold before any status is reported
            cold = WarmLp(block, method="simplex")
            return cold.solve(), cold, warm, first
        return sol, warm, warm, first
    warm = WarmLp(block, method="simplex")
    sol = warm.solve()
    warm.set_presolve(False)  # later intervals start from a basis
    return sol, warm, warm, block.A


def _basis(col_status: Any, row_status: Any) -> Any:
    """A valid ``highspy.HighsBasis`` from per-column and per-row statuses."""
    basis = highspy.HighsBasis()
    basis.col_status = list(col_status)
    basis.row_status = list(row_status)
    basis.valid = True
    return basis


class IntervalSolver:
    """A block-diagonal LP kept alive across re-solves: one warm HiGHS object per interval.

    For iterative schemes (the decentralized ``common`` market re-solves every DSO's feeder LP
    with new interface quantities at each price/quantity exchange): :meth:`set_row_bounds`
    changes the bounds of some rows (global indices), :meth:`solve` re-solves only the
    intervals whose data changed, each from its previous basis, and returns the whole solution
    (indexed like the program). Requires a block-diagonal program (see :func:`row_intervals`).
    """

    def __init__(self, lp: LinearProgram, col_interval: IntArray, T: int) -> None:
        col_t = np.asarray(col_interval, dtype=np.int64)
        row_t = row_intervals(lp.A, col_t)
        if row_t is None or lp.hessian is not None:
            raise ValueError("IntervalSolver needs a block-diagonal LP")
        self._lp = lp
        self._cols = [np.flatnonzero(col_t == t) for t in range(T)]
        self._rows = [np.flatnonzero(row_t == t) for t in range(T)]
        self._row_t = row_t
        self._row_pos = np.zeros(lp.n_row, dtype=np.int64)
        for rows in self._rows:  # position of each row inside its block
            self._row_pos[rows] = np.arange(rows.size)
        A = sp.csr_matrix(lp.A)
        self._warm = [
            WarmLp(_block(lp, np.arange(0), np.arange(0), A, cols, rows), method="simplex")
            for cols, rows in zip(self._cols, self._rows, strict=True)
        ]
        for w in self._warm:  # warm re-solves from a basis: presolve only costs time
            w.set_presolve(False)
        self._sol: list[LpSolution | None] = [None] * T

    def set_row_bounds(self, rows: IntArray, lower: FloatArray, upper: FloatArray) -> None:
        """Set the bounds of global rows ``rows``."""
        rows = np.asarray(rows, dtype=np.int64)
        lower = np.asarray(lower, dtype=np.float64)
        upper = np.asarray(upper, dtype=np.float64)
        for t in np.unique(self._row_t[rows]).tolist():
            sel = self._row_t[rows] == t
            pos = self._row_pos[rows[sel]]
            cur = self._warm[t].lp
            if np.array_equal(cur.row_lower[pos], lower[sel]) and np.array_equal(
                cur.row_upper[pos], upper[sel]
            ):
                continue  # unchanged: the interval keeps its solution
            self._warm[t].update_row_bounds(pos, lower[sel], upper[sel])
            self._sol[t] = None

    def solve(self) -> LpSolution:
        """Re-solve the changed intervals; the solution of the whole program."""
        lp = self._lp
        x, yc = np.zeros(lp.n_col), np.zeros(lp.n_col)
        yr, act = np.zeros(lp.n_row), np.zeros(lp.n_row)
        objective, iterations, time_s = float(lp.offset), 0, 0.0
        status: Status = "optimal"
        model_status = "kOptimal"
        last: LpSolution | None = None
        for t, warm in enumerate(self._warm):  # T small warm solves
            sol = self._sol[t]
            if sol is None:
                sol = warm.solve()
                self._sol[t] = sol
                iterations += sol.iterations
                time_s += sol.time_s
            last = sol
            if _RANK.get(sol.status, 4) > _RANK.get(status, 4):
                status, model_status = sol.status, sol.model_status
            cols, rows = self._cols[t], self._rows[t]
            x[cols], yc[cols] = sol.x, sol.col_duals
            yr[rows], act[rows] = sol.row_duals, sol.row_activity
            objective += sol.objective
        assert last is not None
        return dataclasses.replace(
            last, status=status, objective=objective if status == "optimal" else float("nan"),
            x=x, row_duals=yr, col_duals=yc, row_activity=act, time_s=time_s,
            iterations=iterations, model_status=model_status,
        )
