"""Delivered flexibility, capping, pro-rata allocation and imbalance, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.settlement import SettlementError, measure_delivery
from tests.settlement._frames import act


def test_partial_over_and_wrong_direction_delivery() -> None:
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),  # up 2, delivers 1.5 → ratio 0.75
            ("d1", "a1", "mfrr", 1, "tso", 1, 2.0, 50.0),  # up 2, delivers 3 → capped at 1
            ("d2", "a1", "congestion_dso", 0, "dso:f1", -1, 1.0, 20.0),  # down 1, goes up → 0
        ]
    )
    base = np.array([[1.0, 1.0], [-2.0, -2.0]])
    metered = np.array([[2.5, 4.0], [-1.5, -2.0]])
    d = measure_delivery(frame, ["d1", "d2"], metered, base, dt_h=0.25)
    np.testing.assert_allclose(d.per_activation["delivery_ratio"], [0.75, 1.0, 0.0])
    np.testing.assert_allclose(d.per_activation["delivered_mw"], [1.5, 2.0, 0.0])
    np.testing.assert_allclose(d.per_activation["undelivered_mwh"], [0.125, 0.0, 0.25])
    np.testing.assert_allclose(d.requested_mw, [[2.0, 2.0], [-1.0, 0.0]])
    np.testing.assert_allclose(d.credited_mw, [[1.5, 2.0], [0.0, 0.0]])
    # imbalance against the baseline: m - (b + R)
    np.testing.assert_allclose(d.imbalance_mw, [[-0.5, 1.0], [1.5, 0.0]])


def test_two_buyers_share_the_delivery_ratio_and_schedule_reference() -> None:
    # TSO up 3 and DSO down 1 on the same DER and interval: net request +2, delivered +1 → 0.5
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 3.0, 50.0),
            ("d1", "a1", "congestion_dso", 0, "dso:f1", -1, 1.0, 20.0),
        ]
    )
    d = measure_delivery(frame, ["d1"], [[1.0]], [[0.0]], dt_h=1.0, schedule_mw=[[0.5]])
    np.testing.assert_allclose(d.per_activation["delivered_mw"], [1.5, 0.5])
    # imbalance against the schedule: 1 - (0.5 + 2) = -1.5
    np.testing.assert_allclose(d.imbalance_mw, [[-1.5]])


def test_bad_input() -> None:
    frame = act([("d1", "a1", "mfrr", 3, "tso", 1, 1.0, 50.0)])
    with pytest.raises(SettlementError, match="interval 3 outside") as err:
        measure_delivery(frame, ["d1"], [[0.0, 0.0]], [[0.0, 0.0]], dt_h=1.0)
    assert "row 0" in err.value.where
    with pytest.raises(SettlementError, match=r"baseline_mw has shape \(1, 1\)"):
        measure_delivery(frame, ["d1"], np.zeros((1, 4)), [[0.0]], dt_h=1.0)
    with pytest.raises(SettlementError, match="dt_h"):
        measure_delivery(frame, ["d1"], np.zeros((1, 4)), np.zeros((1, 4)), dt_h=0.0)
    neg = act([("d1", "a1", "mfrr", 0, "tso", 1, -1.0, 50.0)])
    with pytest.raises(SettlementError, match="negative activated quantity"):
        measure_delivery(neg, ["d1"], np.zeros((1, 4)), np.zeros((1, 4)), dt_h=1.0)
    with pytest.raises(SettlementError, match="lacks column"):
        measure_delivery(
            frame.drop(columns="buyer"), ["d1"], np.zeros((1, 4)), np.zeros((1, 4)), 1.0
        )
