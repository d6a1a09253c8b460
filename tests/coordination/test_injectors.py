"""The canonical tie-break of :mod:`tdcoord.coordination.injectors`: its size and order, and the
one dispatch that every scheme solving the same problem returns among optima of equal bid cost."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.injectors import (
    TIE_BREAK_EUR_PER_MWH,
    offer_injectors,
    tie_break_eur_per_mwh,
)
from tdcoord.coordination.schemes import run_scheme

from .cases import grid, offers


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=30, unique=True),
       seed=st.integers(0, 2**31 - 1))
def test_tie_break_follows_the_id_order_not_the_row_order(ids: list[str], seed: int) -> None:
    eps = tie_break_eur_per_mwh(ids)
    assert np.all(eps > 0.0) and np.all(eps < TIE_BREAK_EUR_PER_MWH)
    by_id = [eps[ids.index(i)] for i in sorted(ids)]
    assert np.all(np.diff(by_id) > 0.0)  # strictly increasing in the id
    perm = np.random.default_rng(seed).permutation(len(ids))
    shuffled = [ids[k] for k in perm]
    assert np.array_equal(tie_break_eur_per_mwh(shuffled), eps[perm])  # rows do not matter


def test_tie_break_is_far_below_a_price_tick() -> None:
    # the largest perturbation is below half a 0.01 €/MWh tick: no merit order between bids a
    # tick apart can flip, and the bid cost of the chosen optimum is within η·MWh of the best.
    assert TIE_BREAK_EUR_PER_MWH <= 0.005
    eps = tie_break_eur_per_mwh([f"o{i}" for i in range(1000)])
    assert eps.max() - eps.min() < 0.005


def test_injectors_price_bid_plus_tie_break() -> None:
    rows = [("b", 0, 2, 1, 1.0, 20.0), ("a", 0, 3, 1, 1.0, 20.0)]
    case = build_case(grid(), offers(rows, 1), tso_need_mw=np.array([1.0]))
    inj = offer_injectors(case)
    eps = tie_break_eur_per_mwh(["b", "a"])
    assert eps[1] < eps[0]  # "a" sorts first
    assert np.allclose(inj.price[:, 0], 20.0 + eps, rtol=0.0, atol=1e-15)


TIED = [("tie_z", 0, 2, 1, 2.0, 25.0), ("tie_a", 0, 4, 1, 2.0, 25.0), ("up_t", -1, 1, 1, 9.0, 60.0)]


@pytest.mark.parametrize("rows", [TIED, TIED[::-1]])
def test_equal_cost_optima_resolve_to_the_smaller_id_in_every_scheme(
    rows: list[tuple[str, int, int, int, float, float]],
) -> None:
    # Two 25 €/MWh offers in an uncongested feeder: any split of the 1.5 MW need is optimal in
    # bid cost. Central and decentralized common both pick the offer with the smaller id.
    case = build_case(grid(1, 10.0), offers(rows, 2), tso_need_mw=np.array([1.5, 1.5]))
    ids = list(case.offers.offer_id)
    want = np.zeros((3, 2))
    want[ids.index("tie_a")] = 1.5
    for variant in ("centralized", "decentralized"):
        o = run_scheme("common", case, {"variant": variant})
        assert np.allclose(o.activation_mw, want, atol=1e-6), variant
