"""Baselines against hand-computed values (each case worked out in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.settlement import (
    Baseline,
    BaselineInputs,
    SettlementError,
    available_baselines,
    compute_baseline,
    get_baseline,
    register_baseline,
)
from tdcoord.settlement.baselines import schedule_baseline

# history (days × units × intervals), oldest day first; unit 0 constant per day, unit 1 varies
H0 = np.array([-1.0, -3.0, -2.0])[:, None] * np.ones(4)
H1 = np.array([[1.0, 2, 3, 4], [2, 2, 2, 2], [0, 0, 0, 8]])
HIST = np.stack([H0, H1], axis=1)  # (3, 2, 4)
M = np.array([[-3.0, -4.0, -5.0, -1.0], [0.0, 0.0, 0.0, 0.0]])


def _inputs(**kw: object) -> BaselineInputs:
    args: dict[str, object] = {"metered_mw": M, "history_mw": HIST, "dt_h": 1.0}
    args.update(kw)
    return BaselineInputs(**args)  # type: ignore[arg-type]


def test_registry_lists_every_method_with_a_source() -> None:
    names = available_baselines()
    for required in (
        "metered_schedule",
        "x_of_y",
        "rolling_average",
        "meter_before_after",
        "caiso_10_of_10",
        "pjm_high_4_of_5",
        "nyiso_high_5_of_10",
    ):
        assert required in names
    assert all(len(get_baseline(n).source) > 20 for n in names)


def test_schedule_is_the_baseline() -> None:
    sched = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.5, 0.5, 0.5]])
    out = compute_baseline("metered_schedule", _inputs(schedule_mw=sched))
    np.testing.assert_array_equal(out, sched)


def test_x_of_y_recent_days() -> None:
    # 2 of the 2 most recent days: unit 0 mean(-3, -2) = -2.5; unit 1 mean(day1, day2)
    out = compute_baseline("x_of_y", _inputs(), x=2, y=2)
    np.testing.assert_allclose(out[0], [-2.5] * 4)
    np.testing.assert_allclose(out[1], [1.0, 1.0, 1.0, 5.0])


def test_x_of_y_high_consumption_and_event_weighting() -> None:
    # unit 0: lowest injection (highest load) day is day 1 (-3); 2 highest: day1, day2 → -2.5
    out1 = compute_baseline("x_of_y", _inputs(), x=1, y=3, select="high_consumption")
    np.testing.assert_allclose(out1[0], [-3.0] * 4)
    # unit 1 without events: day sums 10, 8, 8 → tie between day1 and day2, newer (day2) wins
    np.testing.assert_allclose(out1[1], [0.0, 0.0, 0.0, 8.0])
    # with an event at t=3 only the event interval ranks days: 4, 2, 8 → day1
    ev = np.zeros((2, 4), dtype=bool)
    ev[:, 3] = True
    out2 = compute_baseline("x_of_y", _inputs(event_mask=ev), x=1, y=3, select="high_consumption")
    np.testing.assert_allclose(out2[1], [2.0, 2.0, 2.0, 2.0])
    out3 = compute_baseline("x_of_y", _inputs(), x=2, y=3, select="high_consumption")
    np.testing.assert_allclose(out3[0], [-2.5] * 4)


def test_x_of_y_skips_ineligible_days() -> None:
    # day 2 excluded for unit 0: the 2 most recent eligible days are day1, day0 → mean -2
    elig = np.ones((3, 2), dtype=bool)
    elig[2, 0] = False
    out = compute_baseline("x_of_y", _inputs(history_eligible=elig), x=2, y=2)
    np.testing.assert_allclose(out[0], [-2.0] * 4)
    np.testing.assert_allclose(out[1], [1.0, 1.0, 1.0, 5.0])


def test_same_day_adjustments() -> None:
    # unit 0 activated at t=3; window 2 h ending 1 h before: t = 0, 1. Raw baseline -2.5.
    ev = np.zeros((2, 4), dtype=bool)
    ev[0, 3] = True
    common = {"x": 2, "y": 2, "adjust_window_h": 2.0, "adjust_lag_h": 1.0}
    # additive: mean(m - b) = ((-3 + 2.5) + (-4 + 2.5)) / 2 = -1 → -3.5
    add = compute_baseline("x_of_y", _inputs(event_mask=ev), adjustment="additive", **common)
    np.testing.assert_allclose(add[0], [-3.5] * 4)
    # multiplicative: Σm/Σb = -7 / -5 = 1.4 → -3.5; capped at +20 % → 1.2 → -3.0
    mul = compute_baseline("x_of_y", _inputs(event_mask=ev), adjustment="multiplicative", **common)
    np.testing.assert_allclose(mul[0], [-3.5] * 4)
    capped = compute_baseline(
        "x_of_y", _inputs(event_mask=ev), adjustment="multiplicative", adjust_cap=0.2, **common
    )
    np.testing.assert_allclose(capped[0], [-3.0] * 4)
    # unit 1 has no event: never adjusted
    np.testing.assert_allclose(capped[1], [1.0, 1.0, 1.0, 5.0])


def test_pjm_high_4_of_5_hand_case() -> None:
    # 5 days of constant injection -1..-5; highest 4 loads: -5, -4, -3, -2 → -3.5.
    # event at t=4..5; SAA window 3 h ending 1 h before: t=0..2, mean(m - b) = (-0.5-0.5-1)/3
    hist = np.array([-1.0, -2.0, -3.0, -4.0, -5.0])[:, None, None] * np.ones((1, 6))
    m = np.array([[-4.0, -4.0, -4.5, -9.0, -1.0, -1.0]])
    ev = np.zeros((1, 6), dtype=bool)
    ev[0, 4:] = True
    out = compute_baseline("pjm_high_4_of_5", BaselineInputs(m, ev, history_mw=hist, dt_h=1.0))
    np.testing.assert_allclose(out[0], [-3.5 - 2.0 / 3.0] * 6)


def test_caiso_uses_available_days_and_caps_the_ratio() -> None:
    # only 3 days (< 10): mean of all = -2; window t=0..2 (3 h, lag 1 h before t=4)
    hist = np.array([-1.0, -2.0, -3.0])[:, None, None] * np.ones((1, 6))
    m = np.array([[-4.0, -4.0, -4.0, 0.0, 0.0, 0.0]])  # ratio 2.0 → capped 1.2
    ev = np.zeros((1, 6), dtype=bool)
    ev[0, 4] = True
    out = compute_baseline("caiso_10_of_10", BaselineInputs(m, ev, history_mw=hist, dt_h=1.0))
    np.testing.assert_allclose(out[0], [-2.4] * 6)


def test_rolling_average_five_eligible_days() -> None:
    # days 1..7 (oldest first), day with value 6 excluded: last five eligible 7,5,4,3,2 → 4.2
    hist = np.arange(1.0, 8.0)[:, None, None]
    elig = np.ones((7, 1), dtype=bool)
    elig[5, 0] = False
    out = compute_baseline(
        "rolling_average",
        BaselineInputs(np.zeros((1, 1)), history_mw=hist, history_eligible=elig),
    )
    assert out[0, 0] == pytest.approx(4.2)


def test_meter_before_after() -> None:
    m = np.array([[5.0, 3.0, 1.0, 4.0, 6.0]])
    ev = np.array([[False, True, True, False, True]])
    before = compute_baseline("meter_before_after", BaselineInputs(m, ev))
    np.testing.assert_allclose(before, [[5.0, 5.0, 5.0, 4.0, 4.0]])
    mean = compute_baseline("meter_before_after", BaselineInputs(m, ev), mode="mean")
    np.testing.assert_allclose(mean, [[5.0, 4.5, 4.5, 4.0, 4.0]])
    ev0 = np.array([[True, True, False, False, False]])
    with pytest.raises(SettlementError, match="before_mw"):
        compute_baseline("meter_before_after", BaselineInputs(m, ev0))
    got = compute_baseline("meter_before_after", BaselineInputs(m, ev0, before_mw=np.array([7.0])))
    np.testing.assert_allclose(got, [[7.0, 7.0, 1.0, 4.0, 6.0]])


def test_vectorised_matches_per_unit_loop() -> None:
    rng = np.random.default_rng(3)
    d, u, t = 8, 50, 24
    hist = rng.normal(-2.0, 1.0, (d, u, t))
    elig = rng.random((d, u)) > 0.2
    elig[-1] = True
    ev = rng.random((u, t)) > 0.8
    m = rng.normal(-2.0, 1.0, (u, t))
    inp = BaselineInputs(m, ev, history_mw=hist, history_eligible=elig, dt_h=1.0)
    out = compute_baseline("x_of_y", inp, x=3, y=5, select="high_consumption")
    for k in range(u):
        days = [i for i in range(d - 1, -1, -1) if elig[i, k]][:5]  # newest first
        w = ev[k] if ev[k].any() else np.ones(t, dtype=bool)
        days.sort(key=lambda i: hist[i, k][w].sum())  # stable: newer first on ties
        np.testing.assert_allclose(out[k], hist[days[:3], k].mean(axis=0))


def test_registry_errors_and_custom_baseline() -> None:
    with pytest.raises(SettlementError, match="unknown baseline 'ten_of_ten'") as err:
        get_baseline("ten_of_ten")
    assert "meter_before_after" in err.value.fix
    with pytest.raises(SettlementError, match="already registered"):
        register_baseline(Baseline("x_of_y", schedule_baseline, "a source text here"))
    with pytest.raises(SettlementError, match="needs history_mw"):
        compute_baseline("rolling_average", BaselineInputs(np.zeros((1, 2))))
    with pytest.raises(SettlementError, match="1 <= X <= Y"):
        compute_baseline("x_of_y", _inputs(), x=5, y=2)
    with pytest.raises(SettlementError, match="bad parameter"):
        compute_baseline("x_of_y", _inputs(), z=1)
    with pytest.raises(SettlementError, match="unknown day selection 'median'"):
        compute_baseline("x_of_y", _inputs(), select="median")
    with pytest.raises(SettlementError, match="unknown adjustment 'ratio'"):
        compute_baseline("x_of_y", _inputs(), adjustment="ratio")
    with pytest.raises(SettlementError, match=r"history_mw has shape \(3, 2, 4\)"):
        BaselineInputs(np.zeros((3, 4)), history_mw=HIST)
    with pytest.raises(SettlementError, match="non-finite"):
        BaselineInputs(np.array([[np.nan]]))
