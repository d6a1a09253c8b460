"""The aggregated interface offer inside the schemes: the merit-order fast path equals the
parametric LP, and the DSO's disaggregation delivers exactly the accepted quantity at V(x)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.coordination.aggregated import (
    disaggregate,
    feeder_curves,
    margined_feeder,
    merit_curve,
)
from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.clearing import Margins
from tdcoord.coordination.injectors import offer_injectors, zero_prior
from tdcoord.coordination.interface_offer import dispatch_at_exchange, interface_offer_curve
from tdcoord.coordination.network_model import feeder_model

from .cases import DESIGNED_OFFERS, designed_case, feeder, grid, offers


@pytest.mark.parametrize("seed", range(8))
def test_merit_curve_equals_parametric_lp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    case = designed_case()
    fd_m = margined_feeder(feeder("f0", rating_12=float(rng.uniform(2.6, 6.0))), Margins())
    fm = feeder_model(case, 0)
    fm = type(fm)(fd_m, fm.down, fm.r_path, fm.x_path, fm.base_p_mw, fm.base_q_mvar)
    k = 10
    node = rng.integers(1, 5, k)
    direction = np.where(rng.random(k) < 0.5, 1, -1)
    qty = rng.uniform(0.1, 2.0, k)
    price = rng.uniform(0.0, 60.0, k)
    load_p = np.array([0.0, 1.0, 1.0, 1.0, 1.0]) * rng.uniform(0.3, 0.9)
    load_q = 0.2 * load_p
    def sandwich(rng, known):  # type: ignore[no-untyped-def]
        return interface_offer_curve(fd_m, load_p, load_q, node, direction, qty, price,
                                     dt_h=case.dt_h, x_range=rng)

    fast = merit_curve(
        case, 0, fm, fd_m, (load_p, load_q), (node, direction, qty, price), sandwich
    )
    exact = interface_offer_curve(fd_m, load_p, load_q, node, direction, qty, price,
                                  dt_h=case.dt_h)
    assert fast is not None  # no arbitrage, baseline feasible
    assert np.isclose(fast.x_min_mw, exact.x_min_mw, atol=1e-7)
    assert np.isclose(fast.x_max_mw, exact.x_max_mw, atol=1e-7)
    xs = np.linspace(exact.x_min_mw, exact.x_max_mw, 57)
    assert np.allclose(fast.cost_at(xs), exact.cost_at(xs), atol=1e-5)
    assert fast.n_solves <= exact.n_solves


def test_disaggregation_delivers_the_accepted_quantity_at_curve_cost() -> None:
    case = designed_case((3.0, -2.0))
    inj = offer_injectors(case)
    fc = feeder_curves(case, 0, inj, zero_prior(case), Margins())
    # the baseline overloads b12 in this case: no curve (the DSO must clear its need first)
    assert all(c is None for c in fc.curves)
    big = build_case(grid(1, 6.0), offers(DESIGNED_OFFERS, 2), tso_need_mw=np.array([3.0, -2.0]))
    inj_big = offer_injectors(big)
    fc = feeder_curves(big, 0, inj_big, zero_prior(big), Margins())
    o = big.offers
    price = inj_big.price  # bid + canonical tie-break: the curves price what the clearing sees
    fd_m = margined_feeder(big.grid.feeders[0], Margins(), float(big.interface_rating_mva[0]))
    rows0 = np.flatnonzero(o.feeder == 0)
    for t, delta in enumerate((1.5, -1.0)):
        cur = fc.curves[t]
        assert cur is not None
        direct = interface_offer_curve(  # one LP per interval, built on its own
            fd_m, big.feeder_p_mw[0][:, t], big.feeder_q_mvar[0][:, t], o.node[rows0],
            o.direction[rows0], o.quantity_mw[rows0, t], price[rows0, t],
            dt_h=big.dt_h,
        )
        xs = np.linspace(direct.x_min_mw, direct.x_max_mw, 41)
        assert np.allclose(cur.cost_at(xs), direct.cost_at(xs), atol=1e-6)
        d = np.zeros(big.n_periods)
        d[t] = delta
        act = disaggregate(big, fc, d, Margins())
        rows = o.feeder == 0
        assert np.isclose((o.direction[rows] * act[rows, t]).sum(), delta, atol=1e-7)
        cost = float((price[:, t] * act[:, t]).sum() * big.dt_h)
        assert np.isclose(cost, float(cur.cost_at(cur.reference_mw - delta)), atol=1e-6)
    assert len(DESIGNED_OFFERS) == o.n_offers


def test_dispatch_at_exchange_costs_v_of_x() -> None:
    fd = feeder("f0", rating_12=3.5)
    load_p = np.array([0.0, 0.8, 0.8, 0.8, 0.8])
    load_q = 0.2 * load_p
    node = np.array([1, 2, 3, 4, 2, 4])
    direction = np.array([1, 1, -1, 1, -1, -1])
    qty = np.array([1.0, 0.5, 0.7, 0.9, 0.4, 1.1])
    price = np.array([10.0, 25.0, 5.0, 40.0, 12.0, 30.0])
    cur = interface_offer_curve(fd, load_p, load_q, node, direction, qty, price, dt_h=0.25)
    for x in np.linspace(cur.x_min_mw, cur.x_max_mw, 7):
        a = dispatch_at_exchange(fd, load_p, load_q, node, direction, qty, price, float(x),
                                 dt_h=0.25)
        assert a is not None
        assert np.isclose((price * a).sum() * 0.25, float(cur.cost_at(x)), atol=1e-7)
        assert np.isclose(load_p.sum() - (direction * a).sum(), x, atol=1e-7)
    assert dispatch_at_exchange(fd, load_p, load_q, node, direction, qty, price,
                                cur.x_max_mw + 1.0, dt_h=0.25) is None
