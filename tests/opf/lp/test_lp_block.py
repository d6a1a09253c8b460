"""BlockWarmLp (block-diagonal warm re-solves), WarmLp presolve switch and lean solves."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp import BlockWarmLp, LinearProgram, LpBuilder, WarmLp, solve


def transport(K: int, seed: int = 0) -> tuple[LinearProgram, np.ndarray, np.ndarray]:
    """K independent 2-supplier / 3-market transport LPs stacked block-diagonally (supply caps
    binding, so duals are non-trivial); returns the LP and its column / row block labels."""
    rng = np.random.default_rng(seed)
    b = LpBuilder()
    x = b.add_columns("ship", 6 * K, 0.0, np.inf, rng.uniform(1.0, 10.0, 6 * K))
    one = sp.kron(sp.identity(K), sp.kron(sp.identity(2), np.ones((1, 3))))  # 2K supply rows
    dem = sp.kron(sp.identity(K), sp.kron(np.ones((1, 2)), sp.identity(3)))  # 3K demand rows
    b.add_rows("supply", [(x, one)], -np.inf, rng.uniform(4.0, 6.0, 2 * K))
    b.add_rows("demand", [(x, dem)], rng.uniform(1.0, 3.0, 3 * K), np.inf)
    lp = b.build()
    cols = np.repeat(np.arange(K), 6)
    rows = np.concatenate([np.repeat(np.arange(K), 2), np.repeat(np.arange(K), 3)])
    return lp, cols, rows


def test_blocks_equal_the_whole_and_only_changed_blocks_resolve() -> None:
    lp, cols, rows = transport(4)
    block = BlockWarmLp(lp, cols, rows, method="simplex")
    assert block.n_blocks == 4 and block.dirty.all()
    first, cold = block.solve(), solve(lp)
    assert first.objective == pytest.approx(cold.objective, rel=1e-12)
    np.testing.assert_allclose(first.row_duals, cold.row_duals, atol=1e-9)
    assert not block.dirty.any()
    block.update_costs(np.arange(6), lp.cost[:6])  # same values: nothing to re-solve
    assert not block.dirty.any()
    block.update_costs([7, 20], [50.0, 0.5])  # blocks 1 and 3
    np.testing.assert_array_equal(block.dirty, [False, True, False, True])
    block.update_row_bounds([0], -np.inf, 3.5)  # block 0 supply
    block.update_col_bounds([13], 0.0, 0.2)  # block 2
    assert block.dirty.all()
    hot, cold = block.solve(lean=True), solve(block.lp)
    assert hot.status == "optimal"
    assert hot.objective == pytest.approx(cold.objective, rel=1e-12)
    np.testing.assert_allclose(hot.x, cold.x, atol=1e-9)
    np.testing.assert_allclose(hot.row_duals, cold.row_duals, atol=1e-9)
    np.testing.assert_allclose(hot.col_duals, cold.col_duals, atol=1e-9)
    np.testing.assert_allclose(hot.row_activity, block.lp.A @ cold.x, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 17), st.floats(0.5, 20.0), st.floats(0.5, 6.0)),
                min_size=1, max_size=6))
def test_random_updates_warm_blocks_equal_cold(changes: list[tuple[int, float, float]]) -> None:
    lp, cols, rows = transport(3, seed=1)
    block = BlockWarmLp(lp, cols, rows, method="simplex")
    block.solve()
    for col, cost, cap in changes:
        block.update_costs([col], [cost])
        block.update_col_bounds([col], 0.0, cap)
        hot, cold = block.solve(), solve(block.lp)
        assert hot.status == cold.status
        if cold.ok:
            assert hot.objective == pytest.approx(cold.objective, rel=1e-9)


def test_infeasible_block_makes_the_whole_infeasible() -> None:
    lp, cols, rows = transport(2)
    block = BlockWarmLp(lp, cols, rows)
    block.update_row_bounds([2], -np.inf, 0.0)  # block 1 loses its first supplier …
    block.update_row_bounds([3], -np.inf, 0.0)  # … and its second: demand cannot be met
    sol = block.solve()
    assert sol.status == "infeasible" and np.isnan(sol.objective)
    assert solve(block.lp).status == "infeasible"


def test_coupled_or_mislabelled_programs_are_rejected() -> None:
    lp, cols, rows = transport(2)
    wrong = cols.copy()
    wrong[0] = 1  # column of block 0 labelled 1: its supply row (block 0) couples the blocks
    with pytest.raises(OptimizationError, match="not block-diagonal"):
        BlockWarmLp(lp, wrong, rows)
    with pytest.raises(OptimizationError, match="block labels"):
        BlockWarmLp(lp, cols[:-1], rows)
    with pytest.raises(OptimizationError, match="negative"):
        BlockWarmLp(lp, cols - 1, rows - 1)


def test_presolve_switch_is_public_and_survives_an_undecided_status() -> None:
    lp, _, _ = transport(1)
    warm = WarmLp(lp, presolve=False)
    assert warm.presolve is False
    warm.set_presolve(True)
    assert warm.presolve is True
    warm.set_presolve(False)
    assert warm.solve().objective == pytest.approx(solve(lp).objective, rel=1e-12)
    # a solve that ends unbounded leaves the user's presolve choice as it was
    b = LpBuilder()
    x = b.add_columns("x", 2, -np.inf, np.inf, [-1.0, -1.0])
    b.add_rows("r", [(x, np.array([[1.0, -1.0]]))], 0.0, 0.0)
    unbounded = WarmLp(b.build(), presolve=True)
    assert unbounded.solve().status in ("unbounded", "infeasible")
    assert unbounded.presolve is True


def test_lean_solve_derives_activity_and_reduced_costs() -> None:
    lp, _, _ = transport(2, seed=3)
    full, lean = WarmLp(lp).solve(), WarmLp(lp).solve(lean=True)
    np.testing.assert_array_equal(lean.x, full.x)
    np.testing.assert_array_equal(lean.row_duals, full.row_duals)
    np.testing.assert_allclose(lean.row_activity, full.row_activity, atol=1e-12)
    np.testing.assert_allclose(lean.col_duals, full.col_duals, atol=1e-12)
