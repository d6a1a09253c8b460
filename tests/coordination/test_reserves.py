"""Balancing reserves close the residual balance gap in merit order (coordination/reserves.py):
checked against an independent LP (scipy's HiGHS), by hand on the designed case, and as
invariants (hypothesis)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tdcoord.coordination.reserves import activate_reserves, merit_order_fill
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import validate_outcome
from tests.coordination.cases import designed_case

_room = st.lists(st.floats(0.0, 50.0), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(room=_room, amount=st.floats(-10.0, 200.0), seed=st.integers(0, 10_000))
def test_merit_order_fill_is_the_cheapest_cover(room: list[float], amount: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    head = np.asarray(room)[:, None]
    price = rng.uniform(-20.0, 80.0, size=len(room))
    x = merit_order_fill(np.asarray([amount]), head, price)
    target = min(max(amount, 0.0), float(head.sum()))
    assert np.all(x >= -1e-12) and np.all(x <= head + 1e-12)
    assert x.sum() == pytest.approx(target, abs=1e-9)
    lp = linprog(price, A_eq=np.ones((1, len(room))), b_eq=[target],
                 bounds=list(zip([0.0] * len(room), room, strict=True)), method="highs")
    assert lp.status == 0
    assert float(price @ x[:, 0]) == pytest.approx(lp.fun, abs=1e-7)


def test_shortfall_is_covered_by_the_cheapest_generator_first() -> None:
    case = designed_case((4.0, -1.0))  # DC-OPF schedule: g1 (20 €/MWh) 104 MW, g2 (50) 0 MW
    assert case.gen_schedule_mw[:, 0] == pytest.approx([104.0, 0.0])
    gap = np.asarray([-3.0, 2.0])  # 3 MW short, then 2 MW surplus
    r = activate_reserves(case, np.zeros_like(case.gen_schedule_mw), gap)
    assert r.up_mw[:, 0] == pytest.approx([3.0, 0.0])  # the cheaper g1 goes up
    assert r.down_mw[:, 1] == pytest.approx([2.0, 0.0])  # g2 at 0 MW has no room down
    assert r.gap_left_mw == pytest.approx([0.0, 0.0])
    assert r.cost_eur == pytest.approx(20.0 * 3.0 - 20.0 * 2.0)
    # with g2 redispatched up by 5 MW it is the one to come down (it saves 50 €/MWh)
    red = np.zeros_like(case.gen_schedule_mw)
    red[1] = 5.0
    r2 = activate_reserves(case, red, gap)
    assert r2.down_mw[:, 1] == pytest.approx([0.0, 2.0])
    assert r2.cost_eur == pytest.approx(20.0 * 3.0 - 50.0 * 2.0)


def test_markup_prices_both_directions() -> None:
    case = dataclasses.replace(designed_case((0.0,)), redispatch_premium_eur_per_mwh=7.0)
    r = activate_reserves(case, np.zeros_like(case.gen_schedule_mw), np.asarray([-1.5]))
    assert r.cost_eur == pytest.approx((20.0 + 7.0) * 1.5)
    assert r.energy_mwh(case.dt_h) == pytest.approx(1.5)


def test_gap_beyond_all_headroom_stays() -> None:
    case = designed_case((0.0,))
    head = float((case.grid.transmission.generators.p_max_mw[:, None]  # type: ignore[union-attr]
                  - case.gen_schedule_mw).sum())
    r = activate_reserves(case, np.zeros_like(case.gen_schedule_mw), np.asarray([-(head + 5.0)]))
    assert r.gap_left_mw == pytest.approx([-5.0])


def test_validation_covers_non_delivery_with_reserves() -> None:
    case = designed_case((4.0, -1.0))
    out = run_scheme("shared_balancing", case, {})
    short = dataclasses.replace(out, activation_mw=out.activation_mw * 0.5)  # half not delivered
    v = validate_outcome(case, short, ac=False)
    gap = float(np.abs(out.activation_mw - short.activation_mw).sum())
    assert v.energy_not_served_mwh == pytest.approx(0.0, abs=1e-9)
    assert v.surplus_mwh == pytest.approx(0.0, abs=1e-9)
    assert v.reserve_mwh > 0.0
    assert not (v.violations["kind"] == "imbalance").any()
    assert v.reserve_mwh <= gap + 1e-9
