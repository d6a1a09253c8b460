"""Requests → DER response: flexibility cuts, response model, minimum duration, state carry-over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tdcoord.der import Battery, FlexibleLoad
from tdcoord.simulation.activation import (
    ResponseModel,
    activate,
    apply_min_duration,
    available_flexibility,
    min_duration_intervals,
    requests_from_frame,
)
from tdcoord.simulation.errors import SimulationError

DT = 0.25


def batteries(n: int = 3, soc: float = 0.5) -> Battery:
    return Battery.create(
        [f"b{i}" for i in range(n)],
        e_max_mwh=1.0,
        p_charge_max_mw=0.5,
        p_discharge_max_mw=0.5,
        eta_charge=0.9,
        eta_discharge=0.9,
        soc_min=0.1,
        soc_max=0.9,
        soc_init=soc,
    )


def e_after(e0: np.ndarray, p: np.ndarray, eta_c: float = 0.9, eta_d: float = 0.9) -> np.ndarray:
    """Independent battery energy bookkeeping from realised power (units × k)."""
    e = e0.copy()
    for k in range(p.shape[1]):
        e = e - DT * np.where(p[:, k] > 0, p[:, k] / eta_d, p[:, k] * eta_c)
    return e


requests = arrays(np.float64, (3, 8), elements=st.floats(-1.0, 1.0, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(r=requests, split=st.integers(1, 7), soc=st.floats(0.1, 0.9))
def test_soc_within_limits_and_continuous_across_stages(
    r: np.ndarray, split: int, soc: float
) -> None:
    b0 = batteries(soc=soc)
    stage1 = activate([b0], r[:, :split], DT, start_interval=0)
    b1 = stage1.models[0]
    stage2 = activate([b1], r[:, split:], DT, start_interval=split)
    b2 = stage2.models[0]
    assert np.all(b2.e_mwh >= 0.1 - 1e-9) and np.all(b2.e_mwh <= 0.9 + 1e-9)
    # the second stage starts exactly where the first ended, and the energy matches the
    # independent bookkeeping of the realised power over both stages
    p = np.hstack([stage1.realised_p_mw, stage2.realised_p_mw])
    assert np.allclose(b2.e_mwh, e_after(b0.e_mwh, p), atol=1e-9)
    assert np.allclose(b1.e_mwh, e_after(b0.e_mwh, stage1.realised_p_mw), atol=1e-9)
    # one window over the same requests gives the same end state (no randomness here)
    whole = activate([b0], r, DT, start_interval=0)
    assert np.allclose(whole.models[0].e_mwh, b2.e_mwh)


@settings(max_examples=40, deadline=None)
@given(
    r=requests,
    p=st.floats(0, 1),
    frac=st.floats(0, 1),
    delay=st.integers(0, 3),
    m=st.integers(1, 4),
    mode=st.sampled_from(["extend", "reject"]),
    seed=st.integers(0, 2**31),
)
def test_delivered_never_exceeds_request_and_accounting_closes(
    r: np.ndarray, p: float, frac: float, delay: int, m: int, mode: str, seed: int
) -> None:
    resp = ResponseModel(p, frac, delay, m, mode)  # type: ignore[arg-type]
    out = activate([batteries()], r, DT, start_interval=0, response=resp, seed=seed)
    eff = out.effective_mw
    assert np.all(np.abs(out.delivered_mw) <= np.abs(eff) + 1e-12)
    assert np.all(out.delivered_mw * eff >= -1e-15)  # same sign as the request
    assert np.allclose(eff, out.requested_mw + out.extended_mw - out.rejected_mw)
    assert np.allclose(eff, out.delivered_mw + out.cut_mw + out.shortfall_mw)
    again = activate([batteries()], r, DT, start_interval=0, response=resp, seed=seed)
    assert np.array_equal(again.delivered_mw, out.delivered_mw)


@settings(max_examples=30, deadline=None)
@given(fr=arrays(np.float64, (3, 6), elements=st.floats(-1.0, 1.0, allow_nan=False)))
def test_perfect_response_delivers_what_flexibility_allows(fr: np.ndarray) -> None:
    """No non-delivery, no delay: delivered == request whenever the request is within the
    flexibility reported from the current state (built step by step here)."""
    b = batteries()
    req = np.zeros_like(fr)
    model = b
    for k in range(fr.shape[1]):
        f = model.flexibility(1, DT)
        up, dn = f.up_mw[:, 0], f.down_mw[:, 0]
        req[:, k] = np.where(fr[:, k] >= 0, fr[:, k] * up, fr[:, k] * dn)
        model = model.apply(req[:, k], DT)
    out = activate([b], req, DT, start_interval=0)
    assert np.allclose(out.delivered_mw, req, atol=1e-12)
    assert np.allclose(out.cut_mw, 0.0, atol=1e-12)


def test_depleted_battery_is_never_called() -> None:
    b = batteries(n=2, soc=0.1)  # at soc_min: nothing to discharge
    assert np.all(available_flexibility([b], 4, DT).up_mw == 0.0)
    out = activate([b], np.full((2, 4), 0.3), DT, start_interval=0)
    assert np.all(out.delivered_mw == 0.0)
    assert np.allclose(out.cut_mw, 0.3)
    assert np.allclose(out.models[0].e_mwh, 0.1)
    rep = out.report()
    assert len(rep) == 8 and np.allclose(rep["cut_mw"], 0.3)


def test_battery_empties_mid_window_and_request_is_cut_then() -> None:
    b = batteries(n=1, soc=0.3)  # 0.2 MWh above soc_min: 0.5 MW for 0.25 h uses 0.139 MWh
    out = activate([b], np.full((1, 3), 0.5), DT, start_interval=0)
    assert out.delivered_mw[0, 0] == pytest.approx(0.5)
    # second interval: 0.2 - 0.5*0.25/0.9 = 0.0611 MWh left → 0.0611*0.9/0.25 = 0.22 MW
    assert out.delivered_mw[0, 1] == pytest.approx((0.2 - 0.5 * DT / 0.9) * 0.9 / DT)
    assert out.delivered_mw[0, 2] == pytest.approx(0.0, abs=1e-12)
    assert out.models[0].e_mwh[0] == pytest.approx(0.1)


def test_min_duration_extend_reject_and_conflict() -> None:
    r = np.array([[1.0, 0, 0, 0, 0], [1.0, 1.0, 1.0, 0, 0], [1.0, -1.0, 0, 0, 0]])
    eff, ext, rej = apply_min_duration(r, 3, "extend")
    assert np.array_equal(eff, [[1, 1, 1, 0, 0], [1, 1, 1, 0, 0], [1, 1, 1, 0, 0]])
    assert np.array_equal(ext[0], [0, 1, 1, 0, 0]) and np.array_equal(rej[2], [0, -1, 0, 0, 0])
    eff, _, rej = apply_min_duration(r, 3, "reject")
    assert np.array_equal(eff, [[0] * 5, [1, 1, 1, 0, 0], [0] * 5])
    assert np.array_equal(rej[0], r[0])
    assert min_duration_intervals(15.0, 15.0) == 1 and min_duration_intervals(20.0, 15.0) == 2
    assert min_duration_intervals(None, 15.0) == 1


def test_delay_and_non_delivery() -> None:
    b = batteries(n=1)
    r = np.array([[0.2, 0.2, 0.2, 0.0]])
    late = activate([b], r, DT, start_interval=0, response=ResponseModel(delay_intervals=1))
    assert np.allclose(late.delivered_mw, [[0.0, 0.2, 0.2, 0.0]])
    assert np.allclose(late.shortfall_mw, [[0.2, 0, 0, 0]])
    none = activate([b], r, DT, start_interval=0, response=ResponseModel(non_delivery_prob=1.0))
    assert np.all(none.delivered_mw == 0) and np.allclose(none.shortfall_mw, r)
    half = activate([b], r, DT, start_interval=0, response=ResponseModel(delivery_fraction=0.5))
    assert np.allclose(half.delivered_mw, r / 2)
    # non-delivery is drawn per run: about p of 2000 single-run DERs fail, each all-or-nothing
    many = batteries(n=2000)
    out = activate(
        [many],
        np.full((2000, 3), 0.1),
        DT,
        start_interval=0,
        response=ResponseModel(non_delivery_prob=0.3),
        seed=5,
    )
    failed = out.delivered_mw[:, 0] == 0
    assert np.all((out.delivered_mw == 0).all(axis=1) == failed)
    assert failed.mean() == pytest.approx(0.3, abs=0.04)


def test_shifted_load_rebound_is_carried_to_the_next_stage() -> None:
    load = FlexibleLoad.create(
        ["h1"], demand_mw=np.full(8, 0.4), shift_max_mw=0.2, window_intervals=8
    )
    s1 = activate([load], [[0.2, 0.2]], DT, start_interval=0)  # consume 0.2 MW less, twice
    assert np.allclose(s1.delivered_mw, 0.2)
    s2 = activate(list(s1.models), np.zeros((1, 6)), DT, start_interval=2)
    # energy neutrality over the window: the 0.1 MWh reduction is consumed later (rebound)
    consumed = -np.hstack([s1.realised_p_mw, s2.realised_p_mw]).sum() * DT
    assert consumed == pytest.approx(0.4 * 8 * DT)
    assert s2.realised_p_mw[0, 0] < -0.4  # rebound starts right away


def test_requests_from_frame_and_bad_input() -> None:
    b = batteries(n=2)
    frame = pd.DataFrame(
        {
            "der_id": ["b0", "b0", "b1"],
            "interval": [4, 4, 5],
            "direction": [1, 1, -1],
            "mw": [0.1, 0.2, 0.3],
        }
    )
    r = requests_from_frame(frame, b.ids, 4, 2)
    assert np.allclose(r, [[0.3, 0.0], [0.0, -0.3]])
    with pytest.raises(SimulationError, match="unknown DER"):
        requests_from_frame(frame.assign(der_id="x"), b.ids, 4, 2)
    with pytest.raises(SimulationError, match="window starts at 3"):
        activate([b], np.zeros((2, 2)), DT, start_interval=3)
    with pytest.raises(SimulationError, match="shape"):
        activate([b], np.zeros((3, 2)), DT, start_interval=0)
    with pytest.raises(SimulationError, match="appears in two models"):
        activate([b, b], np.zeros((4, 2)), DT, start_interval=0)
    with pytest.raises(SimulationError, match="non_delivery_prob"):
        ResponseModel(non_delivery_prob=1.5)
