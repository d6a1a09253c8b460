"""The deliverable part of a dispatch (tdcoord.coordination.deliverable), checked against an
independent LP with every energy row written at once and against the DER models' own cut."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tdcoord.coordination.deliverable import (
    block_minimum,
    deliverable_activation,
    energy_violations,
)
from tdcoord.coordination.intertemporal import min_duration_rows
from tdcoord.market.offers import OfferBook

from .coupling_cases import T, all_rows, book, coupling, two_batteries, walk_cut


def full_row_optimum(act: np.ndarray) -> float:
    """Independent: max Σ a' over 0 ≤ a' ≤ act with every row of every family (scipy HiGHS)."""
    offers, members = book(T)
    tc, _ = coupling([two_batteries()], offers, members)
    A, cap = all_rows(tc)
    ub = act.T.ravel()
    res = linprog(-np.ones(ub.size), A_ub=A.toarray(), b_ub=cap,
                  bounds=list(zip(np.zeros(ub.size), ub, strict=True)), method="highs")
    assert res.status == 0
    return float(-res.fun)


def test_an_over_request_is_cut_to_what_the_batteries_hold() -> None:
    """2 MW up for 4 h from 0.5 + 0.6 MWh of stored energy: the projection keeps exactly the
    full-row LP's optimum, the DER models deliver it without a cut, and the input was cut."""
    offers, members = book(T)
    bat = two_batteries()
    tc, flex = coupling([bat], offers, members)
    act = np.vstack([np.full(T, 2.0), np.zeros(T)])
    assert energy_violations(tc, act) > 0
    assert walk_cut([bat], offers, members, flex, act) > 1e-3
    out = deliverable_activation(tc, act)
    assert energy_violations(tc, out) == 0
    assert walk_cut([bat], offers, members, flex, out) < 1e-7
    np.testing.assert_allclose(out.sum(), full_row_optimum(act), rtol=1e-7)
    assert np.all(out <= act + 1e-12) and np.all(out >= 0.0)


def test_a_deliverable_dispatch_is_left_unchanged() -> None:
    offers, members = book(T)
    tc, _ = coupling([two_batteries()], offers, members)
    act = np.vstack([np.full(T, 0.05), np.full(T, 0.02)])
    assert energy_violations(tc, act) == 0
    np.testing.assert_array_equal(deliverable_activation(tc, act), act)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0.0, 2.0), min_size=2 * T, max_size=2 * T))
def test_projection_is_the_full_row_optimum(values: list[float]) -> None:
    """Invariant: below the input, inside every row, and as large (in total) as the independent
    LP with all rows; projecting twice changes nothing."""
    offers, members = book(T)
    tc, _ = coupling([two_batteries()], offers, members)
    act = np.asarray(values).reshape(2, T)
    out = deliverable_activation(tc, act)
    assert np.all(out <= act + 1e-12) and np.all(out >= 0.0)
    assert energy_violations(tc, out) == 0
    np.testing.assert_allclose(out.sum(), full_row_optimum(act), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(deliverable_activation(tc, out), out, atol=1e-9)


def test_minimum_duration_blocks() -> None:
    """Blocks of 2: the activation falls to its block minimum; the rows tie each block."""
    act = np.array([[1.0, 0.5, 0.2, 0.3, 0.9]])
    np.testing.assert_array_equal(block_minimum(act, 2), [[0.5, 0.5, 0.2, 0.2, 0.9]])
    np.testing.assert_array_equal(block_minimum(act, 1), act)
    rows = min_duration_rows(np.arange(1), 1, 5, 2).toarray()
    # interval-major columns t·n_offer + k with one offer: a1 − a0 = 0 and a3 − a2 = 0
    np.testing.assert_array_equal(rows, [[-1, 1, 0, 0, 0], [0, 0, -1, 1, 0]])
    assert min_duration_rows(np.arange(3), 3, 5, 1).shape == (0, 15)


def test_an_offer_no_energy_row_touches_keeps_its_request() -> None:
    """A third step with no storage member (no energy row touches it) stays out of the
    projection LP and keeps its whole request; the two battery steps are cut exactly as the
    independent all-rows LP cuts them."""
    _, members = book(T)
    three = OfferBook(
        offer_id=["up", "dn", "other"], der_id=["bundle", "bundle", "x"],
        aggregator_id=["a", "a", "a"], product_id=["mfrr"] * 3,
        der_type=["battery", "battery", "pv"], direction=[1, -1, 1], feeder=[0, 0, 0],
        node=[1, 1, 2], reactive=[False] * 3, quantity_mw=np.full((3, T), 2.0),
        price_eur_per_mwh=np.full((3, T), 1.0),
    )
    members3 = sp.vstack([members, sp.csr_matrix((1, 2))]).tocsr()
    tc, _ = coupling([two_batteries()], three, members3)
    act = np.vstack([np.full(T, 2.0), np.zeros(T), np.array([0.3, 1.7, 0.0, 2.0])])
    out = deliverable_activation(tc, act)
    np.testing.assert_array_equal(out[2], act[2])
    np.testing.assert_allclose(out[:2].sum(), full_row_optimum(act[:2]), rtol=1e-7)
    assert energy_violations(tc, out) == 0
