"""Heat pump: indoor temperature stays in the comfort band under feasible activations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import HeatPump

from ._drive import drive


@st.composite
def heat_pumps(draw: st.DrawFn) -> tuple[HeatPump, np.ndarray, float]:
    n = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 16))
    t_min = np.array(draw(st.lists(st.floats(18.0, 20.0), min_size=n, max_size=n)))
    band = np.array(draw(st.lists(st.floats(0.5, 4.0), min_size=n, max_size=n)))
    r = np.array(draw(st.lists(st.floats(2000.0, 8000.0), min_size=n, max_size=n)))
    cop = np.array(draw(st.lists(st.floats(2.0, 5.0), min_size=n, max_size=n)))
    t_out = draw(arrays(np.float64, (n, steps), elements=st.floats(-15.0, 15.0)))
    # enough power to hold the band in the coldest hour (the model's feasibility condition)
    p_max = 1.2 * (t_min + band - t_out.min(axis=1)) / (r * cop)
    hp = HeatPump.create(
        [f"hp{i}" for i in range(n)],
        p_el_max_mw=p_max,
        cop=cop,
        c_th_mwh_per_k=draw(st.lists(st.floats(0.003, 0.03), min_size=n, max_size=n)),
        r_th_k_per_mw=r,
        t_min_c=t_min,
        t_max_c=t_min + band,
        t_out_c=t_out,
    )
    fracs = draw(arrays(np.float64, (n, steps), elements=st.floats(-1.0, 1.0)))
    return hp, fracs, draw(st.sampled_from([0.25, 1.0]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(case=heat_pumps())
def test_temperature_stays_in_comfort_band(case: tuple[HeatPump, np.ndarray, float]) -> None:
    hp0, fracs, dt = case

    def check(hp: HeatPump) -> None:
        assert np.all(hp.temp_c >= hp.t_min_c - 1e-6)
        assert np.all(hp.temp_c <= hp.t_max_c + 1e-6)

    _, realised = drive(hp0, fracs, dt, fracs.shape[1], check)
    assert np.all(realised <= 1e-12)
    assert np.all(realised >= -hp0.p_el_max_mw[:, None] - 1e-12)


def test_steady_state_baseline_balances_losses() -> None:
    # at the set point, the baseline replaces exactly the heat lost: P = (T - T_out)/(R·COP)
    hp = HeatPump.create(
        ["h"],
        p_el_max_mw=0.01,
        cop=3.0,
        c_th_mwh_per_k=0.01,
        r_th_k_per_mw=4000.0,
        t_min_c=20.0,
        t_max_c=22.0,
        t_out_c=[0.0, 0.0],
    )
    assert -hp.baseline_p_mw(1, 1.0)[0, 0] == pytest.approx(21.0 / (4000.0 * 3.0))


def test_flex_is_zero_when_band_is_unreachable() -> None:
    # time constant R·C = 0.4 h, far too little power for -20 °C: full power, no flexibility
    hp = HeatPump.create(
        ["h"],
        p_el_max_mw=0.0001,
        cop=3.0,
        c_th_mwh_per_k=0.0001,
        r_th_k_per_mw=4000.0,
        t_min_c=20.0,
        t_max_c=22.0,
        t_out_c=[-20.0],
    )
    f = hp.flexibility(1, 1.0)
    assert f.up_mw[0, 0] == 0.0 and f.down_mw[0, 0] == 0.0
    assert hp.baseline_p_mw(1, 1.0)[0, 0] == pytest.approx(-0.0001)
