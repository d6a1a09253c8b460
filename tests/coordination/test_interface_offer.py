"""The aggregated interface offer V(x): hand-solved, against an independent LP, convexity, range."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from tdcoord.coordination.interface_offer import (
    InterfaceOfferError,
    interface_curves_from_book,
    interface_offer_book,
    interface_offer_curve,
    offers_of_feeder,
)
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.topology import path_matrix
from tdcoord.market.offers import OfferBook
from tdcoord.opf.feeder.case import FacetPolygon, FeederOptions
from tests.grid.helpers import branches, loads, nodes


def two_node(r: float = 0.01, rating: float = 1.2, v_min: float = 0.9) -> Feeder:
    return make_feeder(
        "two",
        base_mva=1.0,
        root=0,
        nodes=nodes([0, 1], v_min=[1.0, v_min], v_max=[1.0, 1.1]),
        branches=branches([(0, 1)], r=r, x=0.0, rating=[rating]),
    )


def hand_offers() -> tuple[Any, ...]:
    # up 0.5 MW at 40 €/MWh, down 0.3 MW at 10 €/MWh, both at node row 1
    return [1, 1], [1, -1], [0.5, 0.3], [40.0, 10.0]


def test_two_node_hand_solved() -> None:
    """x = 1 − p, p ∈ [−0.3, 0.5], x ≤ 1.2 (rating, Q = 0): V = 40(1 − x) left, 10(x − 1) right."""
    f = two_node()
    curve = interface_offer_curve(f, [0.0, 1.0], [0.0, 0.0], *hand_offers(), dt_h=0.25)
    assert curve.ok
    assert np.allclose(curve.x_mw, [0.5, 1.0, 1.2], atol=1e-9)
    assert np.allclose(curve.cost_eur, 0.25 * np.array([20.0, 0.0, 2.0]), atol=1e-9)
    assert np.allclose(curve.slopes_eur_per_mwh, [-40.0, 10.0])
    up_q, up_p, dn_q, dn_p = curve.steps()
    assert np.allclose(up_q, [0.5]) and np.allclose(up_p, [40.0])
    assert np.allclose(dn_q, [0.2]) and np.allclose(dn_p, [10.0])


def test_two_node_voltage_binding_baseline_outside_range() -> None:
    """r = 0.05, v_min = 0.95: w = 1 − 0.1x ≥ 0.9025 ⇒ x ≤ 0.975 < baseline 1.0."""
    f = two_node(r=0.05, v_min=0.95)
    curve = interface_offer_curve(f, [0.0, 1.0], [0.0, 0.0], *hand_offers())
    assert np.allclose(curve.x_mw, [0.5, 0.975], atol=1e-9)
    assert np.allclose(curve.cost_eur, [20.0, 1.0], atol=1e-9)
    assert not curve.baseline_feasible and curve.reference_mw == pytest.approx(0.975)
    up_q, up_p, dn_q, _ = curve.steps()
    assert np.allclose(up_q, [0.475]) and np.allclose(up_p, [40.0]) and dn_q.size == 0


def test_infeasible_feeder_is_a_status() -> None:
    f = two_node(r=0.05, v_min=0.95)
    curve = interface_offer_curve(f, [0.0, 1.0], [0.0, 0.0], [], [], [], [])
    assert curve.status == "infeasible" and not curve.ok
    assert np.isinf(curve.cost_at(1.0))
    book = interface_offer_book([curve], bus_row=0)
    assert book.n_offers == 0


# -- an independent formulation: the LinDistFlow LP in sensitivity form, solved by scipy ------------


def direct_cost(
    f: Feeder, load_p: Any, load_q: Any, rows: Any, d: Any, q: Any, c: Any, x: float
) -> float | None:
    """min Σ price·a s.t. LinDistFlow limits and Σ load − Σ dir·a = x (scipy linprog)."""
    rows, d, q, c = map(np.asarray, (rows, d, q, c))
    B = path_matrix(f).toarray()  # (n, m)
    D = B.T
    k = len(rows)
    N = np.zeros((f.n_node, k))
    N[rows, np.arange(k)] = d  # injection of step j at its node: d_j · a_j
    P0, Q0 = D @ load_p, D @ load_q
    dP = -D @ N  # flows per unit activation
    br = f.branches
    r2, x2 = 2 * br.r_pu / f.base_mva, 2 * br.x_pu / f.base_mva
    w0 = f.v_root_pu**2 - B[1:] @ (r2 * P0 + x2 * Q0)
    dw = -B[1:] @ (r2[:, None] * dP)
    A_ub = [dw, -dw]
    b_ub = [f.nodes.v_max_pu[1:] ** 2 - w0, w0 - f.nodes.v_min_pu[1:] ** 2]
    poly = FacetPolygon.regular(12)
    rated = np.flatnonzero(np.isfinite(br.rating_mva))
    for ap, aq, as_ in zip(poly.a_p, poly.a_q, poly.a_s, strict=True):
        A_ub.append(ap * dP[rated])
        b_ub.append(as_ * br.rating_mva[rated] - ap * P0[rated] - aq * Q0[rated])
    res = linprog(
        c,
        A_ub=np.vstack(A_ub),
        b_ub=np.concatenate(b_ub),
        A_eq=-d[None, :].astype(float),
        b_eq=[x - load_p.sum()],
        bounds=list(zip(np.zeros(k), q, strict=True)),
        method="highs",
    )
    return float(res.fun) if res.status == 0 else None


def random_tree(n: int, seed: int, rating_first: float = np.inf) -> Feeder:
    """A random radial feeder (no pandapower: these tests stay fast)."""
    rng = np.random.default_rng(seed)
    ids = list(range(n))
    parents = [int(rng.integers(max(0, i - 4), i)) for i in range(1, n)]
    rating = np.full(n - 1, np.inf)
    rating[:3] = rating_first
    return make_feeder(
        f"tree{seed}",
        base_mva=1.0,
        root=0,
        nodes=nodes(ids, v_min=[1.0] + [0.9] * (n - 1), v_max=[1.0] + [1.1] * (n - 1)),
        branches=branches(
            [(parents[i - 1], i) for i in range(1, n)],
            r_list=list(rng.uniform(0.002, 0.008, n - 1)),
            x_list=list(rng.uniform(0.002, 0.008, n - 1)),
            rating=list(rating),
        ),
        loads=loads(ids[1:], list(rng.uniform(0.05, 0.2, n - 1))),
    )


@pytest.fixture(scope="module")
def congested() -> tuple[Feeder, Any, Any, tuple[Any, ...]]:
    f = random_tree(33, seed=3, rating_first=3.0)
    rng = np.random.default_rng(7)
    rows = np.arange(1, f.n_node)
    k = len(rows)
    offers = (
        np.concatenate([rows, rows]),
        np.concatenate([np.ones(k), -np.ones(k)]).astype(np.int64),
        rng.uniform(0.02, 0.15, 2 * k),
        np.concatenate([rng.uniform(30, 90, k), rng.uniform(-5, 25, k)]),
    )
    return f, f.node_load_mw(), f.node_load_mvar(), offers


def test_matches_direct_resolves_and_is_convex(congested: Any) -> None:
    f, lp, lq, offers = congested
    curve = interface_offer_curve(f, lp, lq, *offers)
    assert curve.ok and len(curve.x_mw) > 5
    # a feeder limit binds: the range is narrower than the offers alone allow
    up, down = offers[1] > 0, offers[1] < 0
    assert curve.x_max_mw < lp.sum() + offers[2][down].sum() - 1e-3
    assert curve.x_min_mw == pytest.approx(lp.sum() - offers[2][up].sum())
    assert np.all(np.diff(curve.slopes_eur_per_mwh) >= -1e-9)  # convex
    xs = np.linspace(curve.x_min_mw, curve.x_max_mw, 17)[1:-1]
    for x in xs:
        direct = direct_cost(f, lp, lq, *offers, x=float(x))
        assert direct is not None
        assert float(curve.cost_at(x)) == pytest.approx(direct, abs=1e-6 * (1 + abs(direct)))
    for x in curve.x_mw:  # breakpoints too
        direct = direct_cost(f, lp, lq, *offers, x=float(x))
        assert direct is not None
        assert float(curve.cost_at(x)) == pytest.approx(direct, abs=1e-6 * (1 + abs(direct)))


def test_range_ends_are_tight(congested: Any) -> None:
    f, lp, lq, offers = congested
    curve = interface_offer_curve(f, lp, lq, *offers)
    for x, out in ((curve.x_min_mw, -1e-4), (curve.x_max_mw, 1e-4)):
        assert direct_cost(f, lp, lq, *offers, x=x + out) is None
        assert np.isinf(curve.cost_at(x + out))
        assert np.isfinite(curve.cost_at(x))


def test_offer_book_clears_to_the_curve(congested: Any) -> None:
    """Merit-order activation of the steps costs exactly V(x_ref ∓ a) − V(x_ref)."""
    f, lp, lq, offers = congested
    curve = interface_offer_curve(f, lp, lq, *offers, dt_h=0.5)
    book = interface_offer_book([curve, curve], bus_row=4)
    assert set(book.feeder.tolist()) == {-1} and set(book.node.tolist()) == {4}
    assert set(book.der_id) == {f"interface:{f.id}"}
    ref = curve.reference_mw
    for direction in (1, -1):
        sel = book.direction == direction
        q, p = book.quantity_mw[sel, 0], book.price_eur_per_mwh[sel, 0]
        assert np.all(np.diff(p[q > 0]) >= -1e-9)  # ladders ascend: merit order = row order
        for a in np.linspace(0, q.sum(), 9)[1:]:
            take = np.clip(a - np.concatenate([[0], np.cumsum(q)[:-1]]), 0, q)
            paid = float((take * p).sum()) * 0.5
            x = ref - direction * a
            assert paid == pytest.approx(
                float(curve.cost_at(x) - curve.cost_at(ref)), abs=1e-6 * (1 + paid)
            )


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 7),
    rating=st.floats(0.4, 3.0),
)
def test_random_chains_match_direct(seed: int, n: int, rating: float) -> None:
    rng = np.random.default_rng(seed)
    ids = list(range(n))
    parents = [0] + [int(rng.integers(0, i)) for i in range(1, n)]
    f = make_feeder(
        "rand",
        base_mva=1.0,
        root=0,
        nodes=nodes(ids, v_min=[1.0] + [0.9] * (n - 1), v_max=[1.0] + [1.1] * (n - 1)),
        branches=branches(
            [(parents[i], i) for i in range(1, n)],
            r_list=list(rng.uniform(0.005, 0.05, n - 1)),
            x_list=list(rng.uniform(0.005, 0.05, n - 1)),
            rating=list(rng.uniform(rating, 2 * rating, n - 1)),
        ),
    )
    lp = np.r_[0.0, rng.uniform(0.0, 0.4, n - 1)]
    lq = 0.3 * lp
    k = int(rng.integers(1, 8))
    offers = (
        rng.integers(1, n, k),
        rng.choice([-1, 1], k),
        rng.uniform(0.0, 0.5, k),
        rng.uniform(-20, 80, k),
    )
    curve = interface_offer_curve(f, lp, lq, *offers)
    if not curve.ok:
        assert direct_cost(f, lp, lq, *offers, x=float(lp.sum())) is None
        return
    assert np.all(np.diff(curve.slopes_eur_per_mwh) >= -1e-7)
    for x in np.linspace(curve.x_min_mw, curve.x_max_mw, 7):
        direct = direct_cost(f, lp, lq, *offers, x=float(x))
        assert direct is not None
        assert float(curve.cost_at(x)) == pytest.approx(direct, abs=1e-6 * (1 + abs(direct)))


def test_offers_of_feeder_reads_a_book() -> None:
    book = OfferBook(
        offer_id=("a", "b", "c"),
        der_id=("a", "b", "c"),
        aggregator_id=("x",) * 3,
        product_id=("p",) * 3,
        der_type=("pv",) * 3,
        direction=np.array([1, -1, 1]),
        feeder=np.array([0, 0, 1]),
        node=np.array([1, 1, 2]),
        reactive=np.array([False, False, False]),
        quantity_mw=np.array([[0.5, 0.1], [0.3, 0.2], [9.0, 9.0]]),
        price_eur_per_mwh=np.array([[40.0, 1.0], [10.0, 2.0], [5.0, 5.0]]),
    )
    rows, d, q, c = offers_of_feeder(book, 0, 0)
    assert rows.tolist() == [1, 1] and d.tolist() == [1, -1]
    curve = interface_offer_curve(two_node(), [0.0, 1.0], [0.0, 0.0], rows, d, q, c)
    assert np.allclose(curve.x_mw, [0.5, 1.0, 1.2], atol=1e-9)
    both = interface_curves_from_book(two_node(), 0, book, [[0.0, 0.0], [1.0, 0.8]], [0.0, 0.0])
    assert np.allclose(both[0].x_mw, curve.x_mw) and np.allclose(both[0].cost_eur, curve.cost_eur)
    # interval 1: load 0.8, up 0.1 at 1 €/MWh, down 0.2 at 2 €/MWh
    assert np.allclose(both[1].x_mw, [0.7, 0.8, 1.0], atol=1e-9)
    assert np.allclose(both[1].cost_eur, [0.1, 0.0, 0.4], atol=1e-9)
    book2 = interface_offer_book(both, bus_row=2)
    assert book2.quantity_mw.shape == (2, 2)
    assert np.allclose(book2.quantity_mw, [[0.5, 0.1], [0.2, 0.2]])
    assert np.allclose(book2.price_eur_per_mwh, [[40.0, 1.0], [10.0, 2.0]])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"offer_node_row": [0]}, "outside"),
        ({"offer_direction": [2]}, "direction"),
        ({"offer_quantity_mw": [-1.0]}, "negative"),
        ({"load_p_mw": [0.0, np.nan]}, "NaN"),
        ({"load_p_mw": [1.0]}, "shape"),
        ({"options": FeederOptions(losses="loss_factors")}, "losses"),
    ],
)
def test_bad_input(kwargs: dict[str, Any], match: str) -> None:
    args: dict[str, Any] = {
        "load_p_mw": [0.0, 1.0],
        "load_q_mvar": [0.0, 0.0],
        "offer_node_row": [1],
        "offer_direction": [1],
        "offer_quantity_mw": [0.5],
        "offer_price_eur_per_mwh": [40.0],
    }
    args.update(kwargs)
    with pytest.raises(InterfaceOfferError, match=match):
        interface_offer_curve(two_node(), **args)
