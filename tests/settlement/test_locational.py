"""Locational settlement: DLMP per node, load-zone basis, direction sign, rule fallback."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.settlement.errors import SettlementError
from tdcoord.settlement.locational import locational_prices


def test_up_sells_at_the_node_down_buys_back() -> None:
    p = locational_prices(
        direction=[1, -1, 1],
        nodal_eur_per_mwh=[80.0, 80.0, np.nan],
        zone_eur_per_mwh=[50.0, 50.0, 50.0],
        load_zone=[False, False, False],
        rule_eur_per_mwh=[10.0, 11.0, 12.0],
    )
    np.testing.assert_array_equal(p, [80.0, -80.0, 12.0])  # NaN: no locational price, rule


def test_load_zone_basis_pays_the_zone_not_the_node() -> None:
    p = locational_prices([1, -1], [80.0, 80.0], [50.0, 50.0], [True, True], [0.0, 0.0])
    np.testing.assert_array_equal(p, [50.0, -50.0])


def test_cap_and_floor_clip_the_locational_price() -> None:
    p = locational_prices(
        [1, -1],
        [9000.0, 9000.0],
        [0.0, 0.0],
        [False, False],
        [0.0, 0.0],
        price_floor=-250.0,
        price_cap=5000.0,
    )
    np.testing.assert_array_equal(p, [5000.0, -250.0])


def test_bad_shapes_and_missing_zone_price() -> None:
    with pytest.raises(SettlementError, match="one value per activation row"):
        locational_prices([1, 1], [1.0], [1.0, 1.0], [False, False], [0.0, 0.0])
    with pytest.raises(SettlementError, match="no load-zone price"):
        locational_prices([1], [1.0], [np.nan], [True], [0.0])


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([-1, 1]),
            st.floats(-500, 500),
            st.floats(-500, 500),
            st.booleans(),
            st.floats(-500, 500),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_each_row_gets_its_basis_price(rows: list[tuple[int, float, float, bool, float]]) -> None:
    d, nodal, zone, lz, rule = (np.array(c) for c in zip(*rows, strict=True))
    p = locational_prices(d, nodal, zone, lz, rule)
    np.testing.assert_array_equal(p, d * np.where(lz, zone, nodal))
