"""Energy rows of the time-coupled clearing (tdcoord.coordination.intertemporal), checked against
the DER models themselves: an activation the rows allow is delivered without a cut, one slightly
beyond the binding row is cut."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.intertemporal import (
    TimeCoupling,
    decay_weights,
    decayed_cumsum,
    kind_lhs,
    kind_rows,
    min_duration_rows,
    row_kinds,
)
from tdcoord.der.heat_pump import HeatPump
from tdcoord.simulation.activation import activate
from tdcoord.simulation.timeline import der_requests

from .coupling_cases import DT, T, all_rows, book, coupling, two_batteries, walk_cut


def test_rows_as_matrix_equal_the_recursion() -> None:
    """The sparse rows times the activations equal the cumulative sums of kind_lhs."""
    offers, members = book(T)
    tc, _ = coupling([two_batteries()], offers, members)
    rng = np.random.default_rng(0)
    act = rng.uniform(0, 0.5, (2, T))
    S = len(tc.store_id)
    store = np.repeat(np.arange(S), T)
    t_row = np.tile(np.arange(T), S)
    for k in row_kinds(tc):
        m = kind_rows(k, tc, np.arange(2)[tc.pair_offer], store, t_row, 2)
        np.testing.assert_allclose(m @ act.T.ravel(), kind_lhs(k, tc, act).ravel(), atol=1e-12)


def test_battery_rows_are_exact_for_discharge_only() -> None:
    """Maximise the up activation over 4 intervals under the rows: the batteries end exactly
    empty (independent: stored energy ÷ η_dis split pro rata), nothing is cut, and 0.1 % more
    in the last interval is cut."""
    bat = two_batteries()
    offers, members = book(T)
    tc, flex = coupling([bat], offers, members)
    A, cap = all_rows(tc)
    n_col = 2 * T
    up_cols = np.arange(T) * 2  # column of the up step in each interval
    c = np.zeros(n_col)
    c[up_cols] = -1.0
    ub = np.zeros(n_col)
    ub[up_cols] = 2.0
    res = linprog(c, A_ub=A.toarray(), b_ub=cap, bounds=list(zip(np.zeros(n_col), ub, strict=True)),
                  method="highs")
    assert res.status == 0
    act = res.x.reshape(T, 2).T
    assert walk_cut([bat], offers, members, flex, act) < 1e-9
    # the rows are tight: every battery's energy above its minimum is used up by the end
    req, _, _ = der_requests(offers, members, act, flex.up_mw, flex.down_mw)
    used = (req.clip(min=0) / bat.eta_discharge[:, None]).sum(axis=1) * DT
    np.testing.assert_allclose(used, bat.e_mwh - bat.e_min_mwh, rtol=1e-9)
    more = act.copy()
    more[0, -1] *= 1.001
    more[0, -1] += 1e-3
    assert walk_cut([bat], offers, members, flex, more) > 1e-6


def test_committed_plan_reduces_the_limits() -> None:
    """Energy already committed by an earlier stage (1 h at 0.3 MW from b0) is gone."""
    bat = two_batteries()
    offers, members = book(T)
    plan = np.zeros((2, T))
    plan[0, 0] = 0.3
    free, _ = coupling([bat], offers, members)
    tc, _ = coupling([bat], offers, members, plan)
    np.testing.assert_allclose(
        free.drop_max_mwh[0, 1:] - tc.drop_max_mwh[0, 1:], 0.3 / 0.95, rtol=1e-9
    )


def test_random_activations_inside_the_rows_are_delivered() -> None:
    """Brute check: random up/down activations scaled into the rows never meet a cut."""
    bat = two_batteries()
    offers, members = book(T)
    tc, flex = coupling([bat], offers, members)
    A, cap = all_rows(tc)
    rng = np.random.default_rng(1)
    for _ in range(50):
        act = rng.uniform(0, 1.0, (2, T)) * np.minimum(
            offers.quantity_mw, np.vstack([flex.up_mw.sum(0), flex.down_mw.sum(0)])
        )
        lhs = A @ act.T.ravel()
        pos = lhs > 0
        scale = min(1.0, float(np.min(cap[pos] / lhs[pos]))) if pos.any() else 1.0
        assert walk_cut([bat], offers, members, flex, act * scale * (1 - 1e-9)) < 1e-9


def test_decay_weights_are_the_products() -> None:
    rng = np.random.default_rng(2)
    decay = rng.uniform(0.5, 1.0, (3, 6))
    decay[1, 3] = 0.0
    x = rng.normal(size=(3, 6))
    y = decayed_cumsum(x, decay)
    for s in range(3):
        for t in range(6):
            taus = np.arange(t + 1)
            w = decay_weights(decay, np.full(t + 1, s), np.full(t + 1, t), taus)
            brute = [np.prod(decay[s, tau + 1 : t + 1]) for tau in taus]
            np.testing.assert_allclose(w, brute, atol=1e-12)
            assert y[s, t] == pytest.approx(float(np.dot(w, x[s, : t + 1])), abs=1e-12)


def test_heat_pump_rows_keep_it_deliverable() -> None:
    """A heat pump bundle switched off as long as the rows allow, then asked to consume more:
    the split requests meet no cut (temperature band and rebound)."""
    hp = HeatPump(
        ids=("h0", "h1"), p_el_max_mw=np.array([0.05, 0.08]), cop=np.array([3.0, 3.5]),
        c_th_mwh_per_k=np.array([0.02, 0.03]), r_th_k_per_mw=np.array([300.0, 250.0]),
        t_min_c=np.array([20.0, 20.0]), t_max_c=np.array([22.0, 22.5]),
        t_out_c=np.full(T, -2.0),
    )
    offers, members = book(T)
    tc, flex = coupling([hp], offers, members)
    A, cap = all_rows(tc)
    c = np.array([-1.0, -0.5] * T)  # prefer up, then down
    res = linprog(c, A_ub=A.toarray(), b_ub=cap,
                  bounds=[(0, q) for q in np.vstack([flex.up_mw.sum(0),
                                                     flex.down_mw.sum(0)]).T.ravel()],
                  method="highs")
    assert res.status == 0
    act = res.x.reshape(T, 2).T
    req, _, _ = der_requests(offers, members, act, flex.up_mw, flex.down_mw)
    cut = activate([hp], req, DT, start_interval=0).cut_mw
    assert np.abs(cut).max() < 1e-9


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(CoordinationError, match="drop_coef has shape"):
        TimeCoupling(
            store_id=("s",), pair_store=np.zeros(1, dtype=np.int64),
            pair_offer=np.zeros(1, dtype=np.int64), drop_coef=np.zeros((1, 3)),
            rise_coef=np.zeros((1, 2)), drop_max_mwh=np.zeros((1, 2)),
            rise_max_mwh=np.zeros((1, 2)),
        )


def test_min_duration_rows_on_a_column_subset() -> None:
    """Blocks of 3 over 3 intervals, steps 0 and 2 of 3 per interval (interval-major)."""
    rows = min_duration_rows(np.array([0, 2]), 3, 3, 3).toarray()
    want = np.zeros((4, 9))
    for r, (t, k) in enumerate([(1, 0), (1, 2), (2, 0), (2, 2)]):
        want[r, t * 3 + k] = 1.0
        want[r, (t - 1) * 3 + k] = -1.0
    np.testing.assert_array_equal(rows, want)
