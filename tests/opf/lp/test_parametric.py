"""The parametric LP (tdcoord.opf.lp.parametric): V(x) of a small LP by the sandwich method."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.opf.lp import LpBuilder
from tdcoord.opf.lp.parametric import ParametricLp, prune_breakpoints, value_function


def two_supplies() -> tuple[ParametricLp, int]:
    """min 10 a + 30 b s.t. a + b = x (0 ≤ a ≤ 5, 0 ≤ b ≤ 5): V(x) = 10x to 5, then 30 per MW."""
    b = LpBuilder()
    x = b.add_columns("x", 1, -np.inf, np.inf)
    g = b.add_columns("g", 2, 0.0, 5.0, [10.0, 30.0])
    b.add_rows("bal", [(x, sp.csr_matrix([[1.0]])), (g, sp.csr_matrix([[-1.0, -1.0]]))], 0.0, 0.0)
    return ParametricLp(b.build(), x.start), x.start


def test_value_function_breakpoints() -> None:
    oracle, _ = two_supplies()
    vf = value_function(oracle)
    assert vf.status == "optimal"
    np.testing.assert_allclose(vf.x, [0.0, 5.0, 10.0], atol=1e-9)
    np.testing.assert_allclose(vf.v, [0.0, 50.0, 200.0], atol=1e-7)
    assert vf.n_solves <= 2 * 2 + 1 + 2  # pieces + range ends


def test_range_and_infeasible() -> None:
    oracle, _ = two_supplies()
    part = value_function(oracle, x_range=(2.0, 4.0))
    np.testing.assert_allclose(part.x, [2.0, 4.0], atol=1e-9)
    assert oracle(12.0) is None
    assert value_function(oracle, x_range=(11.0, 12.0)).status == "infeasible"


@pytest.mark.parametrize("tol", [1e-9, 1e-3])
def test_prune_keeps_only_breakpoints(tol: float) -> None:
    xs, vs = prune_breakpoints([0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 5.0], tol)
    np.testing.assert_array_equal(xs, [0.0, 2.0, 3.0])
    np.testing.assert_array_equal(vs, [0.0, 2.0, 5.0])


def test_a_failed_warm_solve_is_retried_cold_once() -> None:
    # an infeasible point costs the warm solve and one cold retry; the next feasible point
    # solves as before (the cold start does not lose the model)
    oracle, _ = two_supplies()
    assert oracle(3.0) == pytest.approx((30.0, 10.0))
    before = oracle.n_solves
    assert oracle(12.0) is None
    assert oracle.n_solves == before + 2
    assert oracle(7.0) == pytest.approx((110.0, 30.0))
    assert oracle.n_solves == before + 3
