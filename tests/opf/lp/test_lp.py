"""Tests of the sparse LP/QP layer (tdcoord.opf.lp): assembly, statuses, dual signs, warm starts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp import LinearProgram, LpBuilder, WarmLp, solve


def _dispatch_lp(demand: float = 25.0) -> tuple[LinearProgram, slice, slice]:
    """Three generators (0..10 at 1, 0..20 at 2, 0..30 at 3 per MWh) meet one demand."""
    b = LpBuilder()
    p = b.add_columns("p", 3, lower=0.0, upper=[10.0, 20.0, 30.0], cost=[1.0, 2.0, 3.0])
    bal = b.add_rows("balance", [(p, sp.csr_matrix(np.ones((1, 3))))], demand, demand)
    return b.build(), p, bal


def test_builder_blocks_and_shapes() -> None:
    b = LpBuilder()
    x = b.add_columns("x", 2, cost=[1.0, 1.0])
    y = b.add_columns("y", 3, lower=-1.0, upper=1.0)
    r = b.add_rows(
        "mix",
        [(x, sp.identity(2, format="csr")), (slice(y.start, y.start + 2), -np.eye(2))],
        lower=0.0,
    )
    lp = b.build()
    assert (lp.n_col, lp.n_row) == (5, 2)
    assert lp.col_blocks == {"x": slice(0, 2), "y": slice(2, 5)}
    assert lp.row_blocks == {"mix": r}
    np.testing.assert_array_equal(lp.A.toarray(), [[1, 0, -1, 0, 0], [0, 1, 0, -1, 0]])
    assert not lp.cost.flags.writeable


def test_builder_rejects_bad_shapes_and_names() -> None:
    b = LpBuilder()
    x = b.add_columns("x", 2)
    with pytest.raises(OptimizationError, match="expected 1×2"):
        b.add_rows("r", [(x, np.ones((1, 3)))])
    with pytest.raises(OptimizationError, match="added twice"):
        b.add_columns("x", 1)
    with pytest.raises(OptimizationError, match="lower bound above upper"):
        b.add_columns("z", 1, lower=2.0, upper=1.0)


def test_merit_order_and_price_is_marginal_cost() -> None:
    lp, p, bal = _dispatch_lp(25.0)
    sol = solve(lp)
    assert sol.status == "optimal"
    np.testing.assert_allclose(sol.x[p], [10.0, 15.0, 0.0])
    assert sol.objective == pytest.approx(10 + 30)
    # Dual sign: d(objective)/d(demand) = marginal unit's cost = 2.
    assert sol.row_duals[bal][0] == pytest.approx(2.0)
    # Finite-difference check of the convention.
    up = solve(_dispatch_lp(25.5)[0])
    assert (up.objective - sol.objective) / 0.5 == pytest.approx(sol.row_duals[0])
    assert sol.solver == "highs" and sol.solver_version.count(".") == 2


def test_upper_bound_row_dual_is_negative_sensitivity() -> None:
    # min -x s.t. x <= 2: raising the bound lowers the objective, dual = -1.
    b = LpBuilder()
    x = b.add_columns("x", 1, lower=-np.inf, cost=-1.0)
    b.add_rows("cap", [(x, np.ones((1, 1)))], upper=2.0)
    sol = solve(b.build())
    assert sol.row_duals[0] == pytest.approx(-1.0)


def test_qp_duals_and_objective() -> None:
    # min x² + x s.t. x >= 1 → x = 1, objective 2, dual = 2x + 1 = 3.
    b = LpBuilder()
    x = b.add_columns("x", 1, lower=-np.inf, cost=1.0)
    b.add_quadratic(x, [2.0])
    b.add_rows("r", [(x, np.ones((1, 1)))], lower=1.0)
    lp = b.build()
    assert lp.is_qp
    sol = solve(lp)
    assert sol.objective == pytest.approx(2.0)
    assert sol.row_duals[0] == pytest.approx(3.0, rel=1e-5)
    assert lp.objective_value(sol.x) == pytest.approx(2.0)


def test_statuses_infeasible_unbounded() -> None:
    lp, _, _ = _dispatch_lp(100.0)  # capacity is 60
    assert solve(lp).status == "infeasible"
    b = LpBuilder()
    x = b.add_columns("x", 1, lower=-np.inf, cost=1.0)
    b.add_rows("r", [(x, np.ones((1, 1)))], upper=0.0)
    sol = solve(b.build())
    assert sol.status == "unbounded"
    assert np.isnan(sol.objective)


@pytest.mark.parametrize("method", ["simplex", "ipm", "auto"])
def test_methods_agree(method: str) -> None:
    lp, _, _ = _dispatch_lp(25.0)
    sol = solve(lp, method=method)  # type: ignore[arg-type]
    assert sol.objective == pytest.approx(40.0)
    assert sol.row_duals[0] == pytest.approx(2.0, rel=1e-6)


def test_unknown_method_is_an_error() -> None:
    lp, _, _ = _dispatch_lp()
    with pytest.raises(OptimizationError, match="unknown LP method"):
        solve(lp, method="barrier")  # type: ignore[arg-type]


def test_warm_resolve_equals_cold() -> None:
    rng = np.random.default_rng(0)
    n, m = 40, 25
    b = LpBuilder()
    x = b.add_columns("x", n, lower=0.0, upper=rng.uniform(1, 5, n), cost=rng.uniform(1, 10, n))
    A = sp.random(m, n, density=0.3, random_state=1, format="csr")
    rows = b.add_rows("cover", [(x, A)], lower=rng.uniform(0.1, 1.0, m))
    lp = b.build()
    warm = WarmLp(lp)
    first = warm.solve()
    assert first.status == "optimal"
    warm.update_costs(x, rng.uniform(1, 10, n))
    warm.update_row_bounds(rows, rng.uniform(0.1, 1.2, m), np.inf)
    warm.update_col_bounds([0, 1], [0.0, 0.0], [0.5, 0.5])
    again = warm.solve()
    cold = solve(warm.lp)
    assert again.objective == pytest.approx(cold.objective, rel=1e-9)
    np.testing.assert_allclose(again.row_duals, cold.row_duals, atol=1e-7)
    # The tracked program carries the updates.
    assert warm.lp.col_upper[0] == 0.5
    # Re-solving after a small change costs fewer iterations than the cold solve.
    warm.update_costs([2], [lp.cost[2] * 1.01])
    assert warm.solve().iterations <= cold.iterations


def test_deterministic() -> None:
    lp, _, _ = _dispatch_lp(25.0)
    a, b = solve(lp), solve(lp)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.row_duals, b.row_duals)


def test_empty_program() -> None:
    b = LpBuilder()
    b.add_offset(3.0)
    sol = solve(b.build())
    assert sol.status == "optimal" and sol.objective == 3.0
