"""Residual flexibility after committed activations, and offers rescaled to it."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.der import Battery, Pv
from tdcoord.der.base import Flexibility
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import activate
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.residual import rescaled_quantities, residual_flexibility


def one_battery(e_mwh: float = 0.5) -> Battery:
    """1 MWh, 0.5 MW, lossless, full SoC range: energy bookkeeping by hand."""
    return Battery.create(
        ["b"],
        e_max_mwh=1.0,
        p_charge_max_mw=0.5,
        p_discharge_max_mw=0.5,
        eta_charge=1.0,
        eta_discharge=1.0,
        soc_min=0.0,
        soc_max=1.0,
        soc_init=e_mwh,
    )


def test_energy_committed_for_later_is_not_offered_earlier() -> None:
    # 0.5 MWh stored; a discharge of 0.5 MW for 1 h is committed at interval 5: by hand nothing
    # is left to discharge before it (it would make the evening discharge undeliverable), and
    # charging room is 0.5 MWh throughout until then.
    plan = np.zeros((1, 8))
    plan[0, 5] = 0.5
    res = residual_flexibility([one_battery()], plan, 1.0)
    np.testing.assert_allclose(res.up_mw[0], [0, 0, 0, 0, 0, 0, 0, 0], atol=1e-12)
    np.testing.assert_allclose(res.down_mw[0, :5], 0.5, atol=1e-12)
    # at 5 the committed discharge can be undone (down 0.5) and charging added (+0.5): 1.0
    np.testing.assert_allclose(res.down_mw[0, 5], 1.0, atol=1e-12)
    np.testing.assert_allclose(res.down_mw[0, 6:], 0.5, atol=1e-12)
    # without the plan the battery offers its full power in every interval
    free = one_battery().flexibility(8, 1.0)
    np.testing.assert_allclose(free.up_mw[0], 0.5)


def test_past_commitment_lowers_state_for_inverter_types() -> None:
    # PV with 1 MW available: 0.4 MW curtailed at interval 1 leaves 0.6 down, 0.4 up there
    pv = Pv.create(["pv"], available_p_mw=np.ones((1, 3)), s_inverter_mva=1.0)
    plan = np.array([[0.0, -0.4, 0.0]])
    res = residual_flexibility([pv], plan, 1.0)
    np.testing.assert_allclose(res.down_mw[0], [1.0, 0.6, 1.0])
    np.testing.assert_allclose(res.up_mw[0], [0.0, 0.4, 0.0])


@settings(max_examples=40, deadline=None)
@given(
    e0=st.floats(0.0, 1.0),
    plan=st.lists(st.floats(-0.5, 0.5), min_size=6, max_size=6),
    t=st.integers(0, 5),
    frac=st.floats(0.0, 1.0),
    up=st.booleans(),
)
def test_extra_activation_within_residual_keeps_the_plan_deliverable(
    e0: float, plan: list[float], t: int, frac: float, up: bool
) -> None:
    b = one_battery(e0)
    # a deliverable plan: what the battery actually does when asked for ``plan``
    feasible = activate([b], np.array([plan]), 1.0, start_interval=0).delivered_mw
    res = residual_flexibility([b], feasible, 1.0)
    extra = np.zeros_like(feasible)
    extra[0, t] = frac * (res.up_mw[0, t] if up else -res.down_mw[0, t])
    out = activate([b], feasible + extra, 1.0, start_interval=0)
    assert np.abs(out.cut_mw).max() <= 1e-9


def book(direction: list[int], quantity: list[float], reactive: list[bool]) -> OfferBook:
    n = len(direction)
    return OfferBook(
        offer_id=tuple(f"o{i}" for i in range(n)),
        der_id=("g",) * n,
        aggregator_id=("a",) * n,
        product_id=("p",) * n,
        der_type=("battery",) * n,
        direction=np.array(direction, dtype=np.int64),
        feeder=np.zeros(n, dtype=np.int64),
        node=np.ones(n, dtype=np.int64),
        reactive=np.array(reactive),
        quantity_mw=np.array(quantity, dtype=np.float64)[:, None],
        price_eur_per_mwh=np.full((n, 1), 50.0),
    )


def test_rescaled_quantities_by_hand() -> None:
    # one seller of two DERs (flex up 4 + 6 = 10), two up steps of 3 and 2 (strategy share 0.5),
    # one reactive row of 1
    offers = book([1, 1, 1], [3.0, 2.0, 1.0], [False, False, True])
    members = sp.csr_matrix(np.ones((3, 2)))
    original = Flexibility(np.array([[4.0], [6.0]]), np.zeros((2, 1)))
    left = np.array([[1.0], [2.0], [1.0]])  # 2 of step 1 sold earlier
    # nothing bound by state: residual = 10 − 2 = 8 → cap 0.5·8 = 4 ≥ 3 left → unchanged
    same = rescaled_quantities(
        offers, members, left, original, Flexibility(np.array([[2.0], [6.0]]), np.zeros((2, 1)))
    )
    np.testing.assert_allclose(same, left)
    # the DERs can only do 2 more: cap 0.5·2 = 1 of the 3 left → every row × 1/3, reactive kept
    tight = rescaled_quantities(
        offers, members, left, original, Flexibility(np.array([[0.0], [2.0]]), np.zeros((2, 1)))
    )
    np.testing.assert_allclose(tight, [[1 / 3], [2 / 3], [1.0]])
    # depleted: nothing offered
    gone = rescaled_quantities(
        offers, members, left, original, Flexibility(np.zeros((2, 1)), np.zeros((2, 1)))
    )
    np.testing.assert_allclose(gone[:2], 0.0)


def test_bad_shapes_are_rejected() -> None:
    with pytest.raises(SimulationError, match="plan has shape"):
        residual_flexibility([one_battery()], np.zeros((2, 4)), 1.0)
    offers = book([1], [1.0], [False])
    with pytest.raises(SimulationError, match="do not match"):
        rescaled_quantities(
            offers,
            sp.csr_matrix(np.ones((1, 1))),
            np.zeros((2, 1)),
            Flexibility(np.ones((1, 1)), np.ones((1, 1))),
            Flexibility(np.ones((1, 1)), np.ones((1, 1))),
        )
