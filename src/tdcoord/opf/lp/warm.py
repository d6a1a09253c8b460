"""Warm re-solves: one HiGHS object kept alive (:class:`WarmLp`) or one per independent block
(:class:`BlockWarmLp`); costs and bounds change, the matrix does not (rows and columns can be
appended to a :class:`WarmLp`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp.builder import LinearProgram, broadcast, readonly
from tdcoord.opf.lp.highs import (
    LpSolution,
    Method,
    Status,
    cached_version,
    configure,
    new_highs,
    option_value,
    pass_model,
    run_highs,
)
from tdcoord.types import FloatArray, IntArray


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
        self._h = new_highs()
        configure(self._h, method, time_limit_s)
        self.set_presolve(presolve)
        if devex:
            # Devex pricing instead of dual steepest edge: after a row is added or a basis is
            # set, HiGHS recomputes the exact DSE weights (one solve per row, ~0.5 s on a
            # 2,000-bus master); Devex starts from unit weights — the right choice for warm
            # re-solves that take tens of iterations.
            self._h.setOptionValue("simplex_dual_edge_weight_strategy", 1)
        pass_model(self._h, lp)
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
        return bool(option_value(self._h, "presolve") != "off")

    @property
    def solved(self) -> bool:
        """True once :meth:`solve` has run (the object then holds a basis of its own)."""
        return self._solved

    @property
    def lp(self) -> LinearProgram:
        """The program with every update applied so far."""
        return self._lp

    def _replace(self, **changes: FloatArray) -> None:
        fields: dict[str, Any] = {k: readonly(v) for k, v in changes.items()}
        self._lp = dataclasses.replace(self._lp, **fields)

    def update_costs(self, cols: slice | ArrayLike, values: ArrayLike) -> None:
        """Set ``cost[cols] = values``."""
        idx = _idx(cols, self._lp.n_col)
        v = broadcast(values, idx.size, "cost", "update_costs")
        self._h.changeColsCost(idx.size, idx, v)
        cost = self._lp.cost.copy()
        cost[idx] = v
        self._replace(cost=cost)

    def update_col_bounds(
        self, cols: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set ``col_lower[cols] = lower`` and ``col_upper[cols] = upper``."""
        idx = _idx(cols, self._lp.n_col)
        lo = broadcast(lower, idx.size, "lower bound", "update_col_bounds")
        up = broadcast(upper, idx.size, "upper bound", "update_col_bounds")
        self._h.changeColsBounds(idx.size, idx, lo, up)
        cl, cu = self._lp.col_lower.copy(), self._lp.col_upper.copy()
        cl[idx], cu[idx] = lo, up
        self._replace(col_lower=cl, col_upper=cu)

    def update_row_bounds(
        self, rows: slice | ArrayLike, lower: ArrayLike, upper: ArrayLike
    ) -> None:
        """Set ``row_lower[rows] = lower`` and ``row_upper[rows] = upper``."""
        idx = _idx(rows, self._lp.n_row)
        lo = broadcast(lower, idx.size, "lower bound", "update_row_bounds")
        up = broadcast(upper, idx.size, "upper bound", "update_row_bounds")
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

    def add_columns(
        self, cost: FloatArray, lower: FloatArray, upper: FloatArray, A: sp.csc_matrix
    ) -> None:
        """Append ``len(cost)`` columns with entries ``A`` (n_row × k) in the existing rows
        (``addCols``; the basis stays valid: new columns enter nonbasic at a bound)."""
        csc = sp.csc_matrix(A)
        csc.sort_indices()
        k = len(cost)
        inf = highspy.kHighsInf
        self._h.addCols(
            k,
            np.asarray(cost, dtype=np.float64),
            np.clip(lower, -inf, inf),
            np.clip(upper, -inf, inf),
            int(csc.nnz),
            csc.indptr[:-1].astype(np.int32),
            csc.indices.astype(np.int32),
            csc.data.astype(np.float64),
        )
        lp = self._lp
        self._lp = dataclasses.replace(
            lp,
            cost=np.concatenate([lp.cost, cost]),
            A=sp.csr_matrix(sp.hstack([lp.A, csc], format="csr")),
            col_lower=np.concatenate([lp.col_lower, lower]),
            col_upper=np.concatenate([lp.col_upper, upper]),
        )

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
        lo = broadcast(lower, k, "lower bound", "add_rows")
        up = broadcast(upper, k, "upper bound", "add_rows")
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
            row_lower=readonly(np.concatenate([lp.row_lower, lo])),
            row_upper=readonly(np.concatenate([lp.row_upper, up])),
        )

    def solve(self, *, lean: bool = False) -> LpSolution:
        """Re-solve from the current basis (the first call is a cold solve).

        ``lean=True`` copies only the primal values and row duals out of HiGHS and derives
        ``row_activity = A x`` and ``col_duals = c + Hx − Aᵀy`` (equal to rounding; two vector
        copies fewer — they dominate a warm re-solve that takes a few iterations).
        """
        self._solved = True
        return run_highs(self._h, self._lp, lean=lean)


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
        v = broadcast(values, idx.size, "cost", "update_costs")
        ch = _changed(self._lp.cost[idx] != v)
        for k, loc, (vk,) in self._scatter(idx[ch], self._col_block, self._local_col, v[ch]):
            self._blocks[k].update_costs(loc, vk)
        cost = self._lp.cost.copy()
        cost[idx] = v
        self._lp = dataclasses.replace(self._lp, cost=readonly(cost))

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
        lo = broadcast(lower, idx.size, "lower bound", name)
        up = broadcast(upper, idx.size, "upper bound", name)
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
            f"{kind}_lower": readonly(new_lo),
            f"{kind}_upper": readonly(new_up),
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
            solver_version=cached_version(),
            time_s=elapsed,
            iterations=iterations,
            model_status="kOptimal" if bad is None else bad.model_status,
        )
