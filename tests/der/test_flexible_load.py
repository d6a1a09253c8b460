"""Flexible load: energy over each window equals the baseline energy (rebound included)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import FlexibleLoad

from ._drive import drive


@st.composite
def loads(draw: st.DrawFn) -> tuple[FlexibleLoad, np.ndarray, float]:
    n = draw(st.integers(1, 3))
    w = np.array(draw(st.lists(st.integers(1, 5), min_size=n, max_size=n)))
    blocks = draw(st.integers(1, 3))
    T = int(w.max()) * blocks
    demand = draw(arrays(np.float64, (n, T), elements=st.floats(0.0, 0.05)))
    shift = np.array(draw(st.lists(st.floats(0.0, 0.03), min_size=n, max_size=n)))
    fl = FlexibleLoad.create(
        [f"l{i}" for i in range(n)], demand_mw=demand, shift_max_mw=shift, window_intervals=w
    )
    fracs = draw(arrays(np.float64, (n, T), elements=st.floats(-1.0, 1.0)))
    return fl, fracs, draw(st.sampled_from([0.25, 1.0]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(case=loads())
def test_energy_is_neutral_over_each_window(case: tuple[FlexibleLoad, np.ndarray, float]) -> None:
    fl0, fracs, dt = case
    _final, realised = drive(fl0, fracs, dt, fracs.shape[1], lambda _m: None)
    consumed = -realised
    assert np.all(consumed >= -1e-12)
    assert np.all(consumed <= fl0.p_max_mw[:, None] + 1e-12)
    T = fracs.shape[1]
    for i in range(fl0.n_units):
        w = int(fl0.window_intervals[i])
        for start in range(0, T - T % w, w):
            sl = slice(start, start + w)
            assert consumed[i, sl].sum() == pytest.approx(fl0.demand_mw[i, sl].sum(), abs=1e-9)


def test_reduction_now_is_recovered_later_in_the_window() -> None:
    fl = FlexibleLoad.create(
        ["l"], demand_mw=[[1.0, 1.0, 1.0]], shift_max_mw=0.5, window_intervals=3
    )
    after = fl.apply([0.5], 1.0)  # consume 0.5 MW less
    assert after.backlog_mwh[0] == pytest.approx(0.5)
    assert after.baseline_p_mw(2, 1.0)[0].tolist() == pytest.approx([-1.5, -1.0])
    # last interval of the window: no flexibility left if the backlog must be honoured
    last = after.apply([0.0], 1.0)
    f = last.flexibility(1, 1.0)
    assert f.up_mw[0, 0] == 0.0 and f.down_mw[0, 0] == 0.0


def test_no_flex_in_single_interval_window() -> None:
    fl = FlexibleLoad.create(["l"], demand_mw=[[1.0, 1.0]], shift_max_mw=0.5, window_intervals=1)
    f = fl.flexibility(2, 1.0)
    assert f.up_mw.max() == 0.0 and f.down_mw.max() == 0.0
