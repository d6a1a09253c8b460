"""The public clearing program: named families, interval-major layout, exchange cuts."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.coordination.clearing import ClearingSpec, build, clear, read_result
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.exchange import FeederExchange, add_exchange_cuts
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.interval_solve import solve_by_interval
from tdcoord.coordination.program import interval_major, per_interval
from tdcoord.opf.decomposition import Cut

from .cases import designed_case


def test_layout_helpers() -> None:
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # (n=3, T=2)
    assert interval_major(a).tolist() == [1.0, 3.0, 5.0, 2.0, 4.0, 6.0]
    m = per_interval(2, np.array([[1.0, 2.0]]))
    assert m.toarray().tolist() == [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]


def test_named_families_and_read_back() -> None:
    case = designed_case((4.0,))
    inj = offer_injectors(case, [3, 4])
    spec = ClearingSpec(injectors=inj, need_mw=case.tso_need_mw, lines=True)
    program = build(case, spec)
    assert program.activation == program.columns("a")
    assert program.has_rows("balance") and program.has_rows("lines")
    assert not program.has_columns("theta")
    with pytest.raises(CoordinationError, match="no row family 'target:0'"):
        program.rows("target:0")
    lp = program.lp()
    assert program.column_interval().size == lp.n_col
    sol = solve_by_interval(lp, program.column_interval(), program.n_periods)
    res = read_result(program, lp.cost, sol, 0.0)
    direct = clear(case, spec)
    assert res.objective_eur == direct.objective_eur
    np.testing.assert_array_equal(res.activation_mw, direct.activation_mw)


def test_exchange_cut_bounds_the_value() -> None:
    # θ ≥ V + g·(x − x̂) with x = E a: a cut with slope 0 lifts θ to the value.
    case = designed_case((4.0,))
    inj = offer_injectors(case, [3, 4])
    program = build(case, ClearingSpec(injectors=inj, need_mw=case.tso_need_mw, lines=True))
    exchange = sp.csr_matrix(np.ones((1, inj.n)))
    T = case.n_periods
    cut = Cut(point=np.zeros((1, T)), value=np.full((1, T), 7.0), slope=np.zeros((1, T)))
    theta = add_exchange_cuts(program, exchange, np.zeros((1, T)), [cut])
    lp = program.lp()
    sol = solve_by_interval(lp, program.column_interval(), T)
    assert sol.x[theta] == pytest.approx([7.0] * T)
    assert program.has_rows("cut0")


def test_feeder_exchange_prices_the_target() -> None:
    case = designed_case((0.0,))
    inj = offer_injectors(case, [0, 1])
    dso = FeederExchange(case, 0, inj)
    zero = dso.deliver(np.zeros(case.n_periods))
    assert zero.interval_cost_eur.shape == (case.n_periods,)
    assert 0 in zero.target_dual_eur_per_mwh
