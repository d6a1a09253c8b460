"""Interval-by-interval solves equal the direct solve of the whole block-diagonal LP."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.coordination.interval_solve import IntervalSolver, row_intervals, solve_by_interval
from tdcoord.opf.lp import LpBuilder, solve


def _program(seed: int, same_matrix: bool):  # type: ignore[no-untyped-def]
    """A random feasible LP with T independent blocks (interval-major columns and rows)."""
    rng = np.random.default_rng(seed)
    T, n, m = 5, 6, 4
    base = sp.random(m, n, density=0.6, random_state=seed, format="csr") + sp.hstack(
        [sp.identity(m), sp.csr_matrix((m, n - m))]
    )
    mats = [base if same_matrix else base.multiply(rng.uniform(0.5, 1.5, base.shape))
            for _ in range(T)]
    b = LpBuilder()
    x = b.add_columns("x", n * T, 0.0, rng.uniform(1.0, 3.0, n * T), rng.normal(0, 1, n * T))
    b.add_rows("r", [(x, sp.block_diag(mats, format="csr"))], -np.inf,
               rng.uniform(0.5, 2.0, m * T))
    return b.build(), np.repeat(np.arange(T), n), T


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("same", [True, False])
def test_blocks_equal_direct(seed: int, same: bool) -> None:
    lp, col_t, T = _program(seed, same)
    assert row_intervals(lp.A, col_t) is not None
    direct = solve(lp, method="simplex")
    blocks = solve_by_interval(lp, col_t, T)
    assert blocks.status == direct.status == "optimal"
    assert np.isclose(blocks.objective, direct.objective, atol=1e-9)
    assert np.allclose(lp.A @ blocks.x, blocks.row_activity, atol=1e-9)
    assert np.isclose(lp.cost @ blocks.x, direct.objective, atol=1e-8)  # the stitched point
    assert (lp.A @ blocks.x <= lp.row_upper + 1e-9).all()


def test_interval_solver_resolves_changed_intervals() -> None:
    lp, col_t, T = _program(3, True)
    solver = IntervalSolver(lp, col_t, T)
    first = solver.solve()
    assert np.isclose(first.objective, solve(lp, method="simplex").objective)
    rows = np.arange(4, 8)  # the rows of interval 1
    new_up = lp.row_upper[rows] * 0.5
    solver.set_row_bounds(rows, np.full(4, -np.inf), new_up)
    up = lp.row_upper.copy()
    up[rows] = new_up
    changed = solve(dataclasses.replace(lp, row_upper=up), method="simplex")
    again = solver.solve()
    assert np.isclose(again.objective, changed.objective, atol=1e-9)


def test_coupled_program_is_not_split() -> None:
    b = LpBuilder()
    x = b.add_columns("x", 4, 0.0, 1.0, [-1.0, -1.0, -1.0, -1.0])
    b.add_rows("couple", [(x, sp.csr_matrix(np.ones((1, 4))))], -np.inf, 2.5)
    lp = b.build()
    col_t = np.array([0, 0, 1, 1])
    assert row_intervals(lp.A, col_t) is None
    assert np.isclose(solve_by_interval(lp, col_t, 2).objective, -2.5)
