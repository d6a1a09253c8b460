"""Availability (capacity) payments for what the day-ahead market reserved, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.reservation import reserved_availability
from tdcoord.settlement.run import settle_run

from ._frames import act


def test_reserved_rows_by_hand() -> None:
    da = act(
        [
            ("d1", "a1", "capacity_nwa", 0, "dso:f1", 1, 0.5, 40.0),
            ("d1", "a1", "capacity_nwa", 0, "dso:f1", 1, 0.25, 60.0),  # same seller & interval
            ("d1", "a1", "capacity_nwa", 1, "dso:f1", 1, 1.0, 40.0),
            ("d2", "a1", "congestion_dso", 0, "dso:f1", 1, 2.0, 30.0),  # not a priced product
        ]
    )
    rows = reserved_availability(da, {"capacity_nwa": 8.0})
    assert rows["mw"].tolist() == [0.75, 1.0]
    assert rows["interval"].tolist() == [0, 1]
    assert set(rows["price_eur_per_mw_h"]) == {8.0}
    # settled: the DSO pays 8 €/MW·h × (0.75 + 1.0) MW × 0.5 h = 7 € availability, on top of
    # the utilisation (activation) payments
    s = settle_run(
        da,
        np.array([[1.75, 1.0], [2.0, 0.0]]),  # full delivery against a zero schedule
        "metered_schedule",
        "eu_generic",
        der_ids=["d1", "d2"],
        dt_h=0.5,
        schedule_mw=np.zeros((2, 2)),
        availability=rows,
    )
    items = s.transactions.groupby("item")["amount_eur"].sum()
    assert items["availability"] == pytest.approx(7.0)
    assert s.residual_eur == pytest.approx(0.0, abs=1e-9)


def test_nothing_priced_gives_no_rows() -> None:
    da = act([("d1", "a1", "capacity_nwa", 0, "dso:f1", 1, 0.5, 40.0)])
    assert reserved_availability(da, {}).empty
    assert reserved_availability(da.iloc[:0], {"capacity_nwa": 5.0}).empty


def test_bad_price_is_rejected() -> None:
    da = act([("d1", "a1", "capacity_nwa", 0, "dso:f1", 1, 0.5, 40.0)])
    with pytest.raises(SettlementError, match="availability price"):
        reserved_availability(da, {"capacity_nwa": -1.0})
