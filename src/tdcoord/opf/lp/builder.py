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
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from tdcoord.errors import OptimizationError
from tdcoord.types import FloatArray, IntArray

INF = float("inf")


def readonly(a: NDArray[Any]) -> NDArray[Any]:
    """``a`` itself, marked read-only (the arrays of a :class:`LinearProgram` are never edited)."""
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


@dataclasses.dataclass(frozen=True, eq=False)
class SocSpec:
    """Second-order cones ``G x + h ∈ SOC(d₁) × SOC(d₂) × …`` (rows stacked cone after cone)."""

    G: sp.csr_matrix
    h: FloatArray
    dims: tuple[int, ...]


# ---------------------------------------------------------------------------------------------
# Builder
# ---------------------------------------------------------------------------------------------
def broadcast(value: ArrayLike, n: int, what: str, block: str) -> FloatArray:
    """A scalar or ``n`` values as a fresh float array of length ``n`` (clear error otherwise)."""
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
        lo = broadcast(lower, n, "lower bound", name)
        up = broadcast(upper, n, "upper bound", name)
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
        self._cost.append(broadcast(cost, n, "cost", name))
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
        self._row_lower.append(broadcast(lower, m, "lower bound", name))
        self._row_upper.append(broadcast(upper, m, "upper bound", name))
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
            d = broadcast(matrix, width, "quadratic diagonal", "hessian")
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
            cost=readonly(cat(self._cost, np.float64)),
            A=A,
            row_lower=readonly(cat(self._row_lower, np.float64)),
            row_upper=readonly(cat(self._row_upper, np.float64)),
            col_lower=readonly(cat(self._col_lower, np.float64)),
            col_upper=readonly(cat(self._col_upper, np.float64)),
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
