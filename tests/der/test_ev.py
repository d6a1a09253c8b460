"""EV charging: the energy need is met by departure under any feasible activation sequence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import DerError, EvCharger

from ._drive import drive


@st.composite
def sessions(draw: st.DrawFn) -> tuple[EvCharger, np.ndarray, float]:
    n = draw(st.integers(1, 4))
    dt = draw(st.sampled_from([0.25, 1.0]))
    arr = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)))
    stay = np.array(draw(st.lists(st.integers(1, 8), min_size=n, max_size=n)))
    dep = arr + stay
    p = np.array(draw(st.lists(st.floats(0.003, 0.022), min_size=n, max_size=n)))
    eta = np.array(draw(st.lists(st.floats(0.8, 1.0), min_size=n, max_size=n)))
    fill = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    need = fill * stay * p * eta * dt  # feasible by construction
    ev = EvCharger.create(
        [f"ev{i}" for i in range(n)],
        arrival_interval=arr,
        departure_interval=dep,
        e_need_mwh=need,
        p_charger_max_mw=p,
        eta_charge=eta,
        baseline_policy=draw(st.sampled_from(["asap", "alap"])),
    )
    steps = int(dep.max())
    fracs = draw(arrays(np.float64, (n, steps), elements=st.floats(-1.0, 1.0)))
    return ev, fracs, dt


@settings(max_examples=60, deadline=None, derandomize=True)
@given(case=sessions())
def test_need_is_met_by_departure(case: tuple[EvCharger, np.ndarray, float]) -> None:
    ev0, fracs, dt = case

    def check(ev: EvCharger) -> None:
        assert np.all(ev.e_delivered_mwh <= ev.e_need_mwh + 1e-12)

    final, realised = drive(ev0, fracs, dt, fracs.shape[1], check)
    assert np.all(realised <= 1e-12)  # charging only
    assert np.all(realised >= -ev0.p_charger_max_mw[:, None] - 1e-12)
    np.testing.assert_allclose(final.e_delivered_mwh, ev0.e_need_mwh, atol=1e-9)
    # no charging outside the plug-in window
    k = np.arange(fracs.shape[1])[None, :]
    outside = (k < ev0.arrival_interval[:, None]) | (k >= ev0.departure_interval[:, None])
    assert np.all(np.abs(realised[outside]) <= 1e-12)


def _ev(**kw: object) -> EvCharger:
    params: dict[str, object] = {
        "arrival_interval": 0,
        "departure_interval": 4,
        "e_need_mwh": 0.011,
        "p_charger_max_mw": 0.011,
        "eta_charge": 1.0,
    }
    params.update(kw)
    return EvCharger.create(["ev"], **params)


def test_asap_baseline_charges_first_and_offers_only_up_flex() -> None:
    ev = _ev()
    assert ev.baseline_p_mw(4, 1.0)[0].tolist() == pytest.approx([-0.011, 0, 0, 0])
    flex = ev.flexibility(4, 1.0)
    assert flex.up_mw[0, 0] == pytest.approx(0.011)
    assert flex.down_mw.max() == 0.0


def test_up_flex_shrinks_when_departure_is_close() -> None:
    ev = _ev(departure_interval=1)  # one interval only: must charge now
    assert ev.flexibility(1, 1.0).up_mw[0, 0] == 0.0


def test_postponed_charging_is_caught_up_later() -> None:
    ev = _ev().apply([0.011], 1.0)  # skip charging in interval 0
    assert ev.baseline_p_mw(1, 1.0)[0, 0] == pytest.approx(-0.011)


def test_unreachable_need_is_rejected_with_the_fix() -> None:
    ev = _ev(e_need_mwh=0.1)
    with pytest.raises(DerError, match="cannot be met by departure"):
        ev.flexibility(4, 1.0)
