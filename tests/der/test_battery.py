"""Battery: state of charge never leaves its limits under feasible activations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import Battery, DerError, run_activations

from ._drive import drive

TOL = 1e-9


@st.composite
def batteries(draw: st.DrawFn) -> tuple[Battery, np.ndarray]:
    n = draw(st.integers(1, 4))
    steps = draw(st.integers(1, 12))
    unit = st.floats(0.05, 2.0)
    frac = st.floats(0.0, 1.0)
    soc_a = np.array(draw(st.lists(frac, min_size=n, max_size=n)))
    soc_b = np.array(draw(st.lists(frac, min_size=n, max_size=n)))
    lo, hi = np.minimum(soc_a, soc_b), np.maximum(soc_a, soc_b)
    w = np.array(draw(st.lists(frac, min_size=n, max_size=n)))
    sched = None
    if draw(st.booleans()):
        sched = draw(arrays(np.float64, (n, steps), elements=st.floats(-2.0, 2.0)))
    b = Battery.create(
        [f"b{i}" for i in range(n)],
        e_max_mwh=draw(st.lists(unit, min_size=n, max_size=n)),
        p_charge_max_mw=draw(st.lists(unit, min_size=n, max_size=n)),
        p_discharge_max_mw=draw(st.lists(unit, min_size=n, max_size=n)),
        eta_charge=draw(st.lists(st.floats(0.5, 1.0), min_size=n, max_size=n)),
        eta_discharge=draw(st.lists(st.floats(0.5, 1.0), min_size=n, max_size=n)),
        soc_min=lo,
        soc_max=hi,
        soc_init=lo + w * (hi - lo),
        schedule_p_mw=sched,
    )
    fracs = draw(arrays(np.float64, (n, steps), elements=st.floats(-1.0, 1.0)))
    return b, fracs


@settings(max_examples=60, deadline=None, derandomize=True)
@given(case=batteries(), dt_h=st.sampled_from([0.25, 1.0]))
def test_soc_stays_within_limits_for_any_feasible_activation_sequence(
    case: tuple[Battery, np.ndarray], dt_h: float
) -> None:
    b0, fracs = case

    def check(b: Battery) -> None:
        assert np.all(b.e_mwh >= b.e_min_mwh - TOL)
        assert np.all(b.e_mwh <= b.e_hi_mwh + TOL)

    horizon = fracs.shape[1]
    drive(b0, fracs, dt_h, horizon, check)


def _unit(**kw: object) -> Battery:
    params: dict[str, object] = {
        "e_max_mwh": 1.0,
        "p_charge_max_mw": 0.5,
        "p_discharge_max_mw": 0.5,
    }
    params.update(kw)
    return Battery.create(["b"], **params)


def test_depleted_battery_offers_no_up_flex_and_full_no_down_flex() -> None:
    empty = _unit(soc_init=0.1, soc_min=0.1)
    full = _unit(soc_init=0.9, soc_max=0.9)
    assert empty.flexibility(4, 0.25).up_mw.max() == 0.0
    assert empty.flexibility(4, 0.25).down_mw.min() == pytest.approx(0.5)
    assert full.flexibility(4, 0.25).down_mw.max() == 0.0
    assert full.flexibility(4, 0.25).up_mw.min() == pytest.approx(0.5)


def test_up_flex_is_energy_limited_with_discharge_efficiency() -> None:
    # 0.1 MWh above soc_min, one hour, eta 0.8: at most 0.08 MW can be discharged
    b = _unit(soc_init=0.3, soc_min=0.2, eta_discharge=0.8)
    assert b.flexibility(1, 1.0).up_mw[0, 0] == pytest.approx(0.08)
    after = b.apply([0.08], 1.0)
    assert after.soc[0] == pytest.approx(0.2)
    assert after.flexibility(1, 1.0).up_mw[0, 0] == pytest.approx(0.0)


def test_activation_now_cannot_break_a_later_scheduled_discharge() -> None:
    # schedule: idle, then discharge 0.4 MW for 1 h; 0.5 MWh stored, soc_min 0
    b = _unit(soc_init=0.5, eta_discharge=1.0, schedule_p_mw=[[0.0, 0.4]])
    up_now = b.flexibility(2, 1.0).up_mw[0, 0]
    assert up_now == pytest.approx(0.1)  # only 0.1 MWh spare once the schedule is served


def test_activation_beyond_reported_flexibility_is_rejected() -> None:
    b = _unit(soc_init=0.1, soc_min=0.1)
    with pytest.raises(DerError, match="above the reported up-flexibility"):
        b.apply([0.2], 0.25)


def test_reactive_capability_follows_inverter_circle() -> None:
    b = _unit(s_inverter_mva=0.5, schedule_p_mw=[[0.3]])
    assert b.flexibility(1, 0.25).q_max_mvar[0, 0] == pytest.approx(0.4)


def test_run_activations_returns_realised_power() -> None:
    b = _unit(soc_init=0.5)
    final, p = run_activations(b, np.array([[0.5, -0.5, 0.0]]), 0.25)
    assert p.tolist() == [[0.5, -0.5, 0.0]]
    assert final.t == 3


def test_large_fleet_is_vectorised() -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    b = Battery.create(
        [f"b{i}" for i in range(n)],
        e_max_mwh=rng.uniform(0.005, 0.02, n),
        p_charge_max_mw=0.005,
        p_discharge_max_mw=0.005,
        soc_init=rng.uniform(0, 1, n),
    )
    f = b.flexibility(8, 0.25)
    assert f.up_mw.shape == (n, 8)
