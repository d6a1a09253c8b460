"""Stages and gate closures per preset; the no-lookahead guard (issue 6 timeline invariant)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.errors import TdcoordError
from tdcoord.market.rules import available_presets, load_preset
from tdcoord.simulation.errors import LookaheadError, SimulationError
from tdcoord.simulation.stages import (
    StudyClock,
    assert_no_lookahead,
    information_cutoff,
    parse_day_ahead_gate,
    stages_for,
)

PRESETS = {name: load_preset(name) for name in available_presets()}
START = np.arange(96) * 15.0


def test_eu_generic_gate_closures_by_hand() -> None:
    da, idm, rt = stages_for(PRESETS["eu_generic"])
    assert np.all(da.gate_closure_min == -720.0)  # 12:00 CET D-1
    assert np.array_equal(idm.gate_closure_min, START - 60.0)  # ACER 04/2018: H-1
    assert np.array_equal(rt.gate_closure_min, START - 15.0)  # 15-min MTU as dispatch interval
    assert (da.block_intervals, idm.block_intervals, rt.block_intervals) == (1, 1, 1)
    assert "CACM" in da.source


def test_us_five_minute_preset_maps_onto_15_min_grid() -> None:
    da, _idm, rt = stages_for(PRESETS["pjm"])
    assert da.block_intervals == 4  # hourly day-ahead market on 15-min intervals
    assert np.all(da.gate_closure_min == -720.0) and "default" in da.source
    assert rt.market_time_unit_min == 5.0 and rt.block_intervals == 1
    assert np.array_equal(rt.gate_closure_min, START - 5.0)
    caiso_da = stages_for(PRESETS["caiso"])[0]
    assert caiso_da.gate_closure_min[0] == -840.0  # 10:00 PT D-1


def test_half_hour_units_form_blocks() -> None:
    _, idm, rt = stages_for(PRESETS["gb"])
    assert idm.block_intervals == 2
    # intervals 0 and 1 form one settlement period, gate closure one hour before its start
    assert idm.gate_closure_min[0] == idm.gate_closure_min[1] == -60.0
    assert idm.gate_closure_min[2] == -30.0
    assert rt.gate_closure_min[3] == 0.0  # period 1 starts at 30 min, decided 30 min ahead


def test_product_gate_closure_override() -> None:
    _, idm, _ = stages_for(PRESETS["eu_generic"], product_id="mfrr")
    assert idm.gate_closure_min[10] == START[10] - 25.0
    assert "03/2020" in idm.source


def test_open_intervals() -> None:
    _, idm, _ = stages_for(PRESETS["eu_generic"])
    open_now = idm.open_intervals(now_min=100.0)  # 01:40: intervals starting at >= 02:40 open
    assert not open_now[:11].any() and open_now[11:].all()


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(PRESETS)), t=st.integers(0, 95))
def test_cutoffs_increase_through_the_stages(name: str, t: int) -> None:
    da, idm, rt = stages_for(PRESETS[name])
    c = [float(information_cutoff(s, t)) for s in (da, idm, rt)]
    assert c[0] < c[1] < c[2] <= START[t]


@settings(max_examples=80, deadline=None)
@given(
    name=st.sampled_from(sorted(PRESETS)),
    t_use=st.integers(0, 95),
    t_dec=st.integers(0, 95),
    later=st.integers(1, 2),
    earlier=st.integers(0, 1),
)
def test_activation_decided_after_gate_closure_never_used_earlier(
    name: str, t_use: int, t_dec: int, later: int, earlier: int
) -> None:
    """A decision of a later stage (taken at its gate closure) used by an earlier stage for the
    same or a later interval is always rejected; the guard accepts exactly the uses whose
    time-stamp is not after the cut-off."""
    stages = stages_for(PRESETS[name])
    if earlier >= later:
        earlier = later - 1
    decided_at = float(information_cutoff(stages[later], t_dec))
    cutoff = float(information_cutoff(stages[earlier], t_use))
    if decided_at > cutoff:
        with pytest.raises(LookaheadError):
            assert_no_lookahead(stages[earlier], t_use, decided_at, what="RT activation")
    else:
        assert_no_lookahead(stages[earlier], t_use, decided_at)
    if t_dec <= t_use:
        same_or_before = float(information_cutoff(stages[later], t_use))
        with pytest.raises(LookaheadError, match="cut-off"):
            assert_no_lookahead(stages[earlier], t_use, same_or_before)


def test_vector_guard_names_first_late_interval() -> None:
    _, idm, _rt = stages_for(PRESETS["eu_generic"])
    times = information_cutoff(idm, np.arange(96))
    assert_no_lookahead(idm, np.arange(96), times)  # exactly at the cut-off is allowed
    times = times.copy()
    times[40] += 1.0
    with pytest.raises(LookaheadError, match="interval 40"):
        assert_no_lookahead(idm, np.arange(96), times)


def test_bad_inputs() -> None:
    with pytest.raises(SimulationError, match="HH:MM"):
        parse_day_ahead_gate("noon yesterday")
    assert parse_day_ahead_gate("09:30 D-2") == 9.5 * 60 - 2880
    with pytest.raises(SimulationError, match="whole number"):
        stages_for(PRESETS["gb"], StudyClock(96, 20.0))
    with pytest.raises(TdcoordError):
        information_cutoff(stages_for(PRESETS["gb"])[0], 96)
