"""Branch-flow SOCP (Farivar–Low) through Clarabel's native API."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import solve_distflow
from tdcoord.opf.feeder.program import build_program
from tdcoord.opf.feeder.socp import solve_socp
from tdcoord.opf.lp import solve
from tdcoord.opf.lp.conic import solve_conic


@pytest.fixture(scope="module")
def case33() -> Feeder:
    return load_grid("pandapower:case33bw").feeders[0]


def test_socp_with_ders_is_exact_and_close_to_loss_factor_lp(case33: Feeder) -> None:
    offers = FlexOffers(node=np.array([17, 32]), p_min_mw=0.0, p_max_mw=0.6,
                        cost_eur_per_mwh=[45.0, 55.0], q_min_mvar=-0.2, q_max_mvar=0.2)
    case = FeederCase.build(case33, price_eur_per_mwh=[50.0, 70.0], load_scale=[0.8, 1.1],
                            offers=offers)
    soc = solve_socp(case)
    lp = solve_distflow(case)
    assert soc.status == lp.status == "optimal"
    assert soc.relaxation_gap < 1e-6
    np.testing.assert_allclose(soc.losses_mw, lp.losses_mw, atol=2e-3)
    np.testing.assert_allclose(soc.v_pu, lp.v_pu, atol=2e-4)
    np.testing.assert_allclose(soc.p_offer_mw, lp.p_offer_mw, atol=2e-3)
    assert soc.objective == pytest.approx(lp.objective, rel=1e-3)
    assert soc.prices is not None and lp.prices is not None
    np.testing.assert_allclose(soc.prices.sum(), soc.prices.total, atol=1e-6)
    # the SOCP's marginal losses also see ∂loss/∂w; the loss factors hold w̄ fixed: ~0.2 % apart
    np.testing.assert_allclose(soc.prices.total, lp.prices.total, rtol=5e-3)
    payload = soc.to_json()
    assert payload["solver"] == "clarabel" and payload["relaxation_gap"] < 1e-6


def test_conic_path_reproduces_highs_on_an_lp(case33: Feeder) -> None:
    """The LP → Clarabel mapping (bounds, ranged rows, dual signs) agrees with HiGHS."""
    offers = FlexOffers(node=np.array([17]), p_min_mw=-0.2, p_max_mw=0.4, cost_eur_per_mwh=30.0)
    case = FeederCase.build(case33, offers=offers)
    program = build_program(case, FeederOptions(losses="none"))
    h = solve(program.lp)
    c = solve_conic(program.lp, None)
    assert c.objective == pytest.approx(h.objective, rel=1e-7)
    rb = program.lp.row_blocks
    np.testing.assert_allclose(c.row_duals[rb["p_balance"]], h.row_duals[rb["p_balance"]],
                               atol=1e-5)


def test_socp_undervoltage_sheds_load_and_prices_voltage(case33: Feeder) -> None:
    r = solve_socp(FeederCase.build(case33.scaled(3.0)))
    assert r.status == "optimal_with_slacks"
    assert "load_shed_mw" in r.slacks
    assert r.v_min_pu == pytest.approx(0.9, abs=1e-6)
    assert r.prices is not None
    assert r.prices.voltage.max() > 100.0  # the binding lower voltage limit prices the feeder
    np.testing.assert_allclose(r.prices.sum(), r.prices.total, atol=1e-4)
