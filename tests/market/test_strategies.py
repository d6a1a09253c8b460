"""Bidding strategies: hand-checked cost-based prices, step ordering, markup, withholding."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der.battery import Battery
from tdcoord.der.chp import Chp
from tdcoord.der.fleet import Fleet
from tdcoord.der.pv import Pv
from tdcoord.market.errors import MarketError
from tdcoord.market.strategies import (
    CostAssumptions,
    available_strategies,
    der_costs,
    get_strategy,
)


def _fleet() -> Fleet:
    pv = Pv.create(["pv0"], s_inverter_mva=0.01, available_p_mw=np.array([0.0, 0.005]))
    bat = Battery.create(
        ["b0"],
        e_max_mwh=0.02,
        p_charge_max_mw=0.005,
        p_discharge_max_mw=0.005,
        eta_charge=0.9,
        eta_discharge=0.8,
    )
    chp = Chp.create(
        ["c0", "c1"],
        p_min_mw=0.0,
        p_max_mw=0.1,
        ramp_mw_per_h=1.0,
        fuel_cost_eur_per_mwh=np.array([60.0, 95.0]),
        p_set_mw=0.05,
    )
    return Fleet({"pv": pv, "battery": bat, "chp": chp}, [0] * 4, [1] * 4, ["a"] * 4, [False] * 4)


def test_registry_names() -> None:
    assert available_strategies() == ["cost_based", "markup", "withholding"]
    with pytest.raises(MarketError, match="unknown bidding strategy"):
        get_strategy("greedy")
    with pytest.raises(MarketError, match="bad parameters"):
        get_strategy("markup", nonsense=1)


def test_cost_based_values_by_hand() -> None:
    c = der_costs(_fleet())
    # fleet order: pv, battery, chp, chp
    deg = 150_000 / (2 * 3000 * 0.8)  # 31.25 EUR/MWh of throughput
    bat = deg + 80 * (1 / (0.9 * 0.8) - 1)  # round-trip loss 1/0.72 − 1 = 0.3889 → 31.11
    np.testing.assert_allclose(c["up"], [0.0, bat, 60.0, 95.0])
    np.testing.assert_allclose(c["down"], [82.0, bat, 20.0, 0.0])  # CHP: max(V − fuel, 0)
    np.testing.assert_allclose(c["q"], [1.6] * 4)
    assert CostAssumptions().battery_degradation_eur_per_mwh == pytest.approx(31.25)
    assert (np.concatenate(list(c.values())) >= 0).all()


def test_step_prices_increase_and_values() -> None:
    s = get_strategy("cost_based")
    p = s.prices(np.array([[82.0, 0.0, 2.0]]), np.random.default_rng(0))
    assert p.shape == (2, 1, 3)
    np.testing.assert_allclose(p[:, 0, 0], [82.0, 102.5])  # +0.25·82
    np.testing.assert_allclose(p[:, 0, 1], [0.0, 1.0])  # minimum step 1 EUR/MWh
    np.testing.assert_allclose(p[:, 0, 2], [2.0, 3.0])
    assert (np.diff(p, axis=0) > 0).all()
    np.testing.assert_allclose(s.fractions(), [0.5, 0.5])
    three = get_strategy("cost_based", step_fractions=(0.2, 0.3, 0.5))
    assert (
        np.diff(three.prices(np.array([[10.0, -4.0]]), np.random.default_rng(0)), axis=0) > 0
    ).all()


def test_markup_and_withholding() -> None:
    rng = np.random.default_rng(0)
    cost = np.array([[82.0], [-10.0]])
    base = get_strategy("cost_based").prices(cost, rng)
    mk = get_strategy("markup", markup=0.2).prices(cost, rng)
    np.testing.assert_allclose(mk[:, 0, 0], base[:, 0, 0] * 1.2)  # cost × (1 + m)
    np.testing.assert_allclose(mk[0, 1, 0], -10.0 + 0.2 * 10.0)  # negative cost moves up
    assert (mk >= base).all()
    spread = get_strategy("markup", markup=0.2, spread=0.1)
    a = spread.prices(cost, np.random.default_rng(3))
    b = spread.prices(cost, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)  # deterministic for a seed
    ratio = a[:, 0, 0] / base[:, 0, 0]
    assert ((ratio >= 1.1 - 1e-12) & (ratio <= 1.3 + 1e-12)).all()
    wh = get_strategy("withholding", offered_share=0.4)
    np.testing.assert_allclose(wh.fractions(), [0.2, 0.2])
    np.testing.assert_allclose(wh.prices(cost, rng), base)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("cost_based", {"step_fractions": (0.6, 0.6)}),
        ("cost_based", {"step_premium": -0.1}),
        ("markup", {"markup": 0.1, "spread": 0.2}),
        ("withholding", {"offered_share": 1.5}),
    ],
)
def test_bad_parameters(name: str, params: dict[str, object]) -> None:
    with pytest.raises(MarketError):
        get_strategy(name, **params)
