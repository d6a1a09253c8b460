"""Energy-limited microgrid islands (simulation/island.py) and the unavoidable shedding of events
(island and line trip), against hand computations."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.der import Battery
from tdcoord.grid.model import Transmission
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.island import (
    hold_island,
    island_requests,
    unavoidable_shed_mw,
    walk_island,
)
from tdcoord.simulation.line_trip import splits_grid, without_branch
from tdcoord.simulation.line_trip import unavoidable_shed_mw as trip_unavoidable
from tests.grid.helpers import three_bus

DT = 0.25


def _battery(stored_mwh: float) -> Battery:
    """One 2 MWh battery holding ``stored_mwh``, lossless, 2 MW both ways."""
    return Battery(
        ids=("b1",),
        e_max_mwh=np.array([2.0]),
        p_charge_max_mw=np.array([2.0]),
        p_discharge_max_mw=np.array([2.0]),
        eta_charge=np.array(1.0),
        eta_discharge=np.array(1.0),
        soc_init=np.array(stored_mwh / 2.0),
    )


def test_island_holds_as_long_as_the_stored_energy_lasts() -> None:
    # 1 MWh stored, the island needs 1 MW: 0.25 MWh per interval -> 4 intervals, then shed
    need = np.full(6, 1.0)
    got = walk_island([_battery(1.0)], np.zeros((1, 6)), np.array([0]), np.arange(6), need, DT)
    assert np.allclose(got, [1, 1, 1, 1, 0, 0])
    load = np.full(6, 3.0)
    isl = hold_island(need, got, load, formed=True, reason="test")
    assert isl.held_intervals == 4
    assert np.allclose(isl.shed_mw, [0, 0, 0, 0, 3, 3])
    assert isl.shed_mwh(DT) == pytest.approx(2 * 3.0 * DT)
    assert "ran out after 4 of 6" in isl.reason


def test_island_starts_from_the_state_the_plan_left() -> None:
    # the market discharged 1 MW for intervals 0-1 (0.5 MWh): the island at 2.. holds 2 intervals
    plan = np.zeros((1, 8))
    plan[0, :2] = 1.0
    got = walk_island([_battery(1.0)], plan, np.array([0]), np.arange(2, 8), np.full(6, 1.0), DT)
    assert np.allclose(got, [1, 1, 0, 0, 0, 0])
    # the section's own commitments inside the fault are void (cut off): same answer
    plan[0, 2:] = -2.0
    again = walk_island([_battery(1.0)], plan, np.array([0]), np.arange(2, 8), np.full(6, 1.0), DT)
    assert np.allclose(again, got)


def test_island_absorbs_surplus_until_the_battery_is_full() -> None:
    # 1.5 MWh of 2 stored, surplus 1 MW: room for 0.5 MWh = 2 intervals
    got = walk_island([_battery(1.5)], np.zeros((1, 4)), np.array([0]), np.arange(4),
                      np.full(4, -1.0), DT)
    assert np.allclose(got, [-1, -1, 0, 0])


def test_not_formed_island_sheds_everything_and_bad_shapes_are_refused() -> None:
    isl = hold_island(np.ones(3), np.ones(3), np.full(3, 2.0), formed=False, reason="no unit")
    assert isl.held_intervals == 0 and np.allclose(isl.shed_mw, 2.0)
    with pytest.raises(SimulationError, match="differ"):
        hold_island(np.ones(3), np.ones(2), np.ones(3), formed=True, reason="x")
    with pytest.raises(SimulationError, match="does not match"):
        island_requests(np.ones(3), np.ones((2, 2)), np.ones((2, 2)))


@settings(max_examples=60, deadline=None)
@given(
    need=st.lists(st.floats(-5, 5), min_size=1, max_size=8),
    short_at=st.integers(0, 8),
    load=st.floats(0, 10),
)
def test_island_accounting_is_exact(need: list[float], short_at: int, load: float) -> None:
    n = np.array(need)
    got = n.copy()
    if short_at < n.size:
        got[short_at] = n[short_at] - 1.0
    isl = hold_island(n, got, np.full(n.size, load), formed=True, reason="h")
    assert np.allclose(isl.served_mw + isl.shed_mw, load)
    assert isl.held_intervals == min(short_at, n.size)
    assert np.all(isl.shed_mw[: isl.held_intervals] == 0)
    assert np.allclose(isl.shed_mw[isl.held_intervals :], load)


def test_island_requests_split_pro_rata_and_never_exceed_flexibility() -> None:
    up = np.array([[1.0, 1.0], [3.0, 0.5]])
    down = np.array([[2.0, 0.0], [2.0, 0.0]])
    r = island_requests(np.array([2.0, -1.0]), up, down)
    assert np.allclose(r[:, 0], [0.5, 1.5])  # 2 MW over 1:3
    assert np.allclose(r[:, 1], 0.0)  # no down flexibility: nothing requested
    big = island_requests(np.array([10.0, 0.0]), up, down)
    assert np.allclose(big[:, 0], up[:, 0])  # capped at the flexibility


def test_unavoidable_island_shed_by_hand() -> None:
    load = np.array([2.0, 2.0, 2.0])
    need = np.array([1.0, 3.0, 1.0])
    up = np.array([2.0, 2.0, 2.0])
    # the DERs' full power cannot follow 3 MW in interval 1: lost from there on
    assert np.allclose(unavoidable_shed_mw(need, up, up, load, grid_forming=True), [0, 2, 2])
    assert np.allclose(unavoidable_shed_mw(need, up + 5, up, load, grid_forming=True), 0)
    assert np.allclose(unavoidable_shed_mw(need, up, up, load, grid_forming=False), load)


def _radial() -> Transmission:
    return three_bus(
        bus={
            "id": [1, 2, 3, 4], "vn_kv": [230.0] * 4, "v_min_pu": [0.9] * 4,
            "v_max_pu": [1.1] * 4, "gs_mw": [0.0] * 4, "bs_mvar": [0.0] * 4,
            "is_reference": [True, False, False, False],
        },
        branch={
            "id": [1, 2, 3, 4], "name": list("abcd"), "from_bus": [1, 2, 1, 3],
            "to_bus": [2, 3, 3, 4], "r_pu": [0.01] * 4, "x_pu": [0.1] * 4, "b_pu": [0.0] * 4,
            "rating_mva": [500.0] * 4, "tap_ratio": [1.0] * 4, "shift_deg": [0.0] * 4,
            "angmin_deg": [-360.0] * 4, "angmax_deg": [360.0] * 4,
            "is_transformer": [False] * 4,
        },
    )


def test_trip_unavoidable_shed_and_split_by_hand() -> None:
    tr = _radial()
    load = np.array([[0.0], [0.0], [100.0], [20.0]])
    assert splits_grid(tr, [4]) and not splits_grid(tr, [3])  # bus 4 hangs on branch 4
    # bus 4 has no generator: its 20 MW are lost whatever was dispatched
    shed = trip_unavoidable(tr, [4], load)
    assert np.allclose(shed[:, 0], [0, 0, 0, 20.0])
    assert np.allclose(trip_unavoidable(tr, [3], load), 0.0)  # meshed: nothing lost
    reduced = without_branch(tr, 3)
    assert reduced.branches.id.tolist() == [1, 2, 4]
    with pytest.raises(SimulationError, match="unknown transmission branch"):
        without_branch(tr, 99)
