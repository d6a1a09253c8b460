"""WarmLp.add_rows / basis hand-over / Devex: warm answers equal cold solves of the same LP."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.errors import OptimizationError
from tdcoord.opf.lp import LpBuilder, WarmLp, solve


def _lp():  # type: ignore[no-untyped-def]
    b = LpBuilder()
    x = b.add_columns("x", 3, lower=0.0, upper=10.0, cost=[-1.0, -2.0, -3.0])
    b.add_rows("cap", [(x, sp.csr_matrix(np.ones((1, 3))))], upper=12.0)
    return b.build()


@pytest.mark.parametrize("devex", [False, True])
def test_added_rows_match_a_cold_solve(devex: bool) -> None:
    warm = WarmLp(_lp(), method="simplex", devex=devex)
    first = warm.solve()
    assert first.objective == pytest.approx(-(3 * 10 + 2 * 2))  # x3 = 10, x2 = 2
    # cut: x2 + x3 ≤ 5  →  x3 = 5, x1 = 7 (x2 = 0)
    warm.add_rows(sp.csr_matrix([[0.0, 1.0, 1.0]]), -np.inf, 5.0)
    hot = warm.solve()
    cold = solve(warm.lp)
    assert warm.lp.n_row == 2
    assert hot.objective == pytest.approx(cold.objective) == pytest.approx(-(7 + 15))
    np.testing.assert_allclose(hot.row_duals, cold.row_duals, atol=1e-9)


def test_basis_hand_over_and_bad_rows() -> None:
    a, b = WarmLp(_lp()), WarmLp(_lp())
    a.solve()
    b.set_basis(a.basis())
    sol = b.solve()
    assert sol.iterations == 0 and sol.objective == pytest.approx(-34.0)
    with pytest.raises(OptimizationError, match="columns"):
        a.add_rows(sp.csr_matrix(np.ones((1, 2))), 0.0, 1.0)
