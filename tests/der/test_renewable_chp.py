"""PV/wind curtailment and reactive capability; CHP operating range and ramps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import Chp, DerError, Pv, Wind

from ._drive import drive


def test_pv_down_flex_is_curtailment_and_q_follows_circle() -> None:
    pv = Pv.create(
        ["a", "b"], s_inverter_mva=[0.005, 0.010], available_p_mw=[[0.003, 0.0], [0.010, 0.006]]
    )
    f = pv.flexibility(2, 0.25)
    assert f.up_mw.max() == 0.0
    np.testing.assert_allclose(f.down_mw, [[0.003, 0.0], [0.010, 0.006]])
    np.testing.assert_allclose(f.q_max_mvar, [[0.004, 0.005], [0.0, 0.008]])


def test_pv_cannot_be_asked_to_produce_more() -> None:
    pv = Pv.create(["a"], s_inverter_mva=0.005, available_p_mw=[0.003])
    with pytest.raises(DerError, match="above the reported up-flexibility"):
        pv.apply([0.001], 0.25)
    assert pv.apply([-0.003], 0.25).t == 1


def test_oversized_pv_array_is_clipped_to_inverter() -> None:
    pv = Pv.create(["a"], s_inverter_mva=0.005, available_p_mw=[0.006])
    assert pv.baseline_p_mw(1, 0.25)[0, 0] == pytest.approx(0.005)


def test_wind_is_its_own_type_with_the_same_physics() -> None:
    w = Wind.create(["w"], s_inverter_mva=2.0, available_p_mw=[1.2, 2.0])
    assert w.baseline_p_mw(3, 1.0)[0].tolist() == [1.2, 2.0, 0.0]  # unavailable past profile
    with pytest.raises(DerError, match="Wind"):
        Wind.create(["w"], s_inverter_mva=2.0, available_p_mw=[-1.0])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    fracs=arrays(np.float64, (3, 10), elements=st.floats(-1.0, 1.0)),
    sched=arrays(np.float64, (3, 10), elements=st.floats(0.2, 1.0)),
    dt=st.sampled_from([0.25, 1.0]),
)
def test_chp_respects_range_and_ramps(fracs: np.ndarray, sched: np.ndarray, dt: float) -> None:
    chp = Chp.create(
        ["c0", "c1", "c2"],
        p_min_mw=0.2,
        p_max_mw=1.0,
        ramp_mw_per_h=[0.1, 0.5, 4.0],
        fuel_cost_eur_per_mwh=80.0,
        schedule_p_mw=sched,
        p_prev_mw=0.5,
    )
    _, p = drive(chp, fracs, dt, 10, lambda _m: None)
    assert np.all(p >= 0.2 - 1e-12) and np.all(p <= 1.0 + 1e-12)
    prev = np.concatenate([np.full((3, 1), 0.5), p[:, :-1]], axis=1)
    assert np.all(np.abs(p - prev) <= chp.ramp_mw_per_h[:, None] * dt + 1e-12)


def test_chp_ramps_back_to_schedule_after_activation() -> None:
    chp = Chp.create(
        ["c"],
        p_min_mw=0.2,
        p_max_mw=1.0,
        ramp_mw_per_h=0.2,
        fuel_cost_eur_per_mwh=80.0,
        p_prev_mw=0.5,
    )
    up = chp.apply([0.2], 1.0)
    assert up.p_prev_mw[0] == pytest.approx(0.7)
    assert up.baseline_p_mw(2, 1.0)[0].tolist() == pytest.approx([0.5, 0.5])
