"""Warm feeder re-solves: cached DLMP factorisation, per-period HiGHS objects, warm == cold."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.topology import path_matrix
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import WarmDistFlow, cold_equivalent, solve_distflow_at
from tdcoord.opf.feeder.dlmp import DlmpKkt, decompose
from tdcoord.opf.feeder.program import build_program, period_labels
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.lp import solve
from tests.opf.feeder.test_dlmp import tree

LOSSLESS = FeederOptions(losses="none")
T = 3


def congested() -> Feeder:
    """Branch 3 (feeding node 104) rated 0.6 MVA, v_min 0.995: congestion and voltage bind."""
    f = tree([0, 1, 2, 1, 4], [0.6, 0.5, 2.5, 0.4, 0.3], v_min=0.995)
    rating = np.array([np.inf, np.inf, np.inf, 0.6, np.inf])
    return make_feeder("t", base_mva=10.0, root=100, nodes=f.nodes,
                       branches=f.branches.replace(rating_mva=rating), loads=f.loads)


def case3(p_max: float = 3.0) -> FeederCase:
    offers = FlexOffers(node=np.array([103, 105]), p_min_mw=0.0, p_max_mw=p_max,
                        cost_eur_per_mwh=[400.0, 300.0], q_min_mvar=0.0, q_max_mvar=0.0)
    return FeederCase.build(congested(), price_eur_per_mwh=[40.0, 55.0, 35.0],
                            load_scale=[0.9, 1.0, 1.1], offers=offers)


def assert_same(hot: FeederResult, cold: FeederResult, *, prices_atol: float = 1e-6) -> None:
    """Objective, voltages, dispatch, DLMPs and every component agree."""
    assert hot.status == cold.status
    assert hot.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-7)
    np.testing.assert_allclose(hot.v_pu, cold.v_pu, atol=1e-7)
    np.testing.assert_allclose(hot.p_offer_mw, cold.p_offer_mw, atol=1e-6)
    assert hot.prices is not None and cold.prices is not None
    for name in ("total", "energy", "loss", "congestion", "voltage", "reactive"):
        np.testing.assert_allclose(getattr(hot.prices, name), getattr(cold.prices, name),
                                   atol=prices_atol, err_msg=name)
    np.testing.assert_allclose(hot.prices.sum(), hot.prices.total, atol=1e-6)


def test_cached_factorisation_gives_the_fresh_decomposition() -> None:
    case = case3()
    program = build_program(case, FeederOptions())
    sol = solve(program.lp)
    fresh = decompose(program, case, sol.row_duals)
    kkt = DlmpKkt.of(program, case)
    assert kkt.fits(program, case)
    cached = decompose(program, case, sol.row_duals, kkt=kkt)
    for name in ("total", "energy", "loss", "congestion", "voltage", "reactive"):
        np.testing.assert_array_equal(getattr(cached, name), getattr(fresh, name))
    # a factorisation of another matrix is not used (rebuilt): same answer as fresh
    other = build_program(case3(p_max=1.0), LOSSLESS)
    assert not DlmpKkt.of(other, case).fits(program, case)
    again = decompose(program, case, sol.row_duals, kkt=DlmpKkt.of(other, case))
    np.testing.assert_array_equal(again.loss, fresh.loss)


def test_warm_lossless_dlmps_match_the_path_closed_form() -> None:
    """Independent check of the warm path: λ = π − B·(a_pᵀκ) + 2·B·diag(r/S)·Bᵀ·ν per period."""
    case = case3()
    warm = WarmDistFlow(case, LOSSLESS)
    warm.set_price([45.0, 70.0, 30.0])
    r = warm.solve()
    assert r.status == "optimal" and r.prices is not None
    assert r.binding["voltages"] and r.binding["branches"]
    f, program = case.feeder, warm.current_program
    rb, m = program.lp.row_blocks, f.n_node - 1
    B = path_matrix(f)
    r_over = f.branches.r_pu / f.base_mva
    a_p = LOSSLESS.facets().a_p
    nu = r.row_duals[rb["v_limit"]].reshape(T, m)
    kappa = r.row_duals[rb["thermal"]].reshape(T, LOSSLESS.facets().n_facets, -1)
    for t in range(T):
        volt = 2.0 * B @ (r_over * (B[1:].T @ nu[t])) / case.dt_h
        per_branch = np.zeros(m)
        per_branch[program.rated] = a_p @ kappa[t]
        cong = -(B @ per_branch) / case.dt_h
        np.testing.assert_allclose(r.prices.voltage[:, t], volt, atol=1e-7)
        np.testing.assert_allclose(r.prices.congestion[:, t], cong, atol=1e-7)
        np.testing.assert_allclose(warm.case.price_eur_per_mwh[t] + volt + cong,
                                   r.prices.total[:, t], atol=1e-7)


UPDATES: list[tuple[str, Callable[[WarmDistFlow], None]]] = [
    ("price", lambda w: w.set_price([75.0, 20.0, 48.0])),
    ("bounds", lambda w: w.set_offer_bounds(0.0, [0.4, 1.5])),
    ("bounds one period", lambda w: w.set_offer_bounds(
        0.0, np.array([[0.4, 0.4, 0.1], [1.5, 1.5, 2.0]]))),
    ("load", lambda w: w.set_load_scale([0.9, 1.05, 0.7])),
    ("price one period", lambda w: w.set_price([75.0, 20.0, 60.0])),
]


@pytest.mark.parametrize("prune", [False, True])
@pytest.mark.parametrize("per_period", [False, True])
def test_warm_equals_cold_after_each_change(prune: bool, per_period: bool) -> None:
    options = FeederOptions(prune_facets=prune)
    warm = WarmDistFlow(case3(), options, per_period=per_period)
    assert_same(warm.solve(), cold_equivalent(warm))
    for _, update in UPDATES:
        update(warm)
        hot = warm.solve()
        assert_same(hot, cold_equivalent(warm))
        direct = solve_distflow_at(warm.case, options, warm.loss_point)  # rebuilt from the case
        assert hot.objective == pytest.approx(direct.objective, rel=1e-9)
        assert set(warm.last_timing_s) == {"highs", "solve", "read"}


def test_per_period_resolves_only_changed_periods() -> None:
    warm = WarmDistFlow(case3(), LOSSLESS, per_period=True)
    warm.solve()
    price = warm.case.price_eur_per_mwh.copy()
    price[1] = 90.0
    warm.set_price(price)  # every period passed, only period 1 differs
    np.testing.assert_array_equal(warm.pending_periods, [1])
    hot = warm.solve()
    assert warm.pending_periods.size == 0
    assert_same(hot, cold_equivalent(warm))
    stacked = WarmDistFlow(warm.case, LOSSLESS, per_period=False)
    np.testing.assert_array_equal(stacked.pending_periods, [0, 1, 2])
    assert_same(hot, stacked.solve())
    hi = warm.case.offer_p_max_mw.copy()
    hi[:, 2] = 1.0
    warm.set_offer_bounds(0.0, hi)
    np.testing.assert_array_equal(warm.pending_periods, [2])
    assert_same(warm.solve(), cold_equivalent(warm))


def test_period_labels_follow_the_period_major_layout() -> None:
    case = case3()
    lp = build_program(case, FeederOptions()).lp
    cols = period_labels(lp.col_blocks, T)
    rows = period_labels(lp.row_blocks, T)
    assert cols.shape == (lp.n_col,) and rows.shape == (lp.n_row,)
    coo = lp.A.tocoo()
    np.testing.assert_array_equal(rows[coo.row], cols[coo.col])  # no entry couples periods
    p_root = lp.col_blocks["p_root"]
    np.testing.assert_array_equal(cols[p_root], np.arange(T))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["price", "bounds", "load"]),
            st.lists(st.floats(0.2, 2.0), min_size=2 * T, max_size=2 * T),
        ),
        min_size=1,
        max_size=3,
    ),
    prune=st.booleans(),
    per_period=st.booleans(),
)
def test_random_changes_warm_equals_cold(
    steps: list[tuple[str, list[float]]], prune: bool, per_period: bool
) -> None:
    options = dataclasses.replace(LOSSLESS, prune_facets=prune)
    warm = WarmDistFlow(case3(), options, per_period=per_period)
    warm.solve()
    for kind, raw in steps:
        u = np.asarray(raw)
        if kind == "price":
            warm.set_price(40.0 * u[:T])
        elif kind == "bounds":
            warm.set_offer_bounds(0.0, u.reshape(2, T))
        else:
            warm.set_load_scale(0.5 * u[:T])
        hot = warm.solve()
        cold = cold_equivalent(warm)
        assert hot.objective == pytest.approx(cold.objective, rel=1e-9, abs=1e-7)
        np.testing.assert_allclose(hot.v_pu, cold.v_pu, atol=1e-7)
        assert hot.prices is not None and cold.prices is not None
        np.testing.assert_allclose(hot.prices.sum(), hot.prices.total, atol=1e-6)
        np.testing.assert_allclose(hot.prices.total, cold.prices.total, atol=1e-6)
        np.testing.assert_allclose(hot.p_root_mw, cold.p_root_mw, atol=1e-6)


def test_per_period_object_rebuilds_when_data_leave_the_facet_box() -> None:
    options = FeederOptions(losses="none", prune_facets=True)
    warm = WarmDistFlow(case3(), options, per_period=True)
    warm.solve()
    before = warm.program
    warm.set_load_scale([0.9, 6.0, 1.1])  # period 1: flows far beyond the pruning box
    assert warm.program is not before  # rebuilt for the new box (new matrix, new HiGHS blocks)
    assert warm.pending_periods.tolist() == [0, 1, 2]
    hot = warm.solve()
    assert_same(hot, cold_equivalent(warm))
    full = solve_distflow_at(warm.case, dataclasses.replace(options, prune_facets=False))
    assert hot.objective == pytest.approx(full.objective, rel=1e-9)
