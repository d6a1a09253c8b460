"""Baran & Wu 33-bus feeder (pandapower.networks.case33bw; M. E. Baran and F. F. Wu, IEEE Trans.
Power Delivery 4(2), 1989). Reference numbers from ``reference/README.md``: AC power flow losses
202.68 kW, minimum voltage 0.91309 pu at bus 18 (1-based = node id 17), substation import
3.91768 MW; the Farivar–Low SOCP is exact here; lossless LinDistFlow gives 0.91593 pu.
"""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder
from tdcoord.opf.feeder.case import FeederCase, FeederOptions
from tdcoord.opf.feeder.distflow import solve_distflow
from tdcoord.opf.feeder.socp import solve_socp


@pytest.fixture(scope="module")
def feeder() -> Feeder:
    return load_grid("pandapower:case33bw").feeders[0]


def test_socp_equals_ac_power_flow(feeder: Feeder) -> None:
    r = solve_socp(FeederCase.build(feeder, price_eur_per_mwh=50.0))
    assert r.status == "optimal"
    assert r.losses_mw[0] * 1e3 == pytest.approx(202.68, abs=0.01)
    assert r.v_min_pu == pytest.approx(0.91309, abs=1e-5)
    assert r.node_ids[int(np.argmin(r.v_pu[:, 0]))] == 17
    assert r.p_root_mw[0] == pytest.approx(3.91768, abs=1e-5)
    assert r.relaxation_gap < 1e-6


def test_lossless_lindistflow_min_voltage(feeder: Feeder) -> None:
    r = solve_distflow(FeederCase.build(feeder), FeederOptions(losses="none"))
    assert r.v_min_pu == pytest.approx(0.91593, abs=1e-5)
    assert r.losses_mw[0] == 0.0
    assert r.p_root_mw[0] == pytest.approx(3.715, abs=1e-9)


def test_loss_factor_iteration_reaches_the_ac_solution(feeder: Feeder) -> None:
    r = solve_distflow(FeederCase.build(feeder))
    assert r.iterations > 1
    assert r.losses_mw[0] * 1e3 == pytest.approx(202.68, abs=0.01)
    assert r.v_min_pu == pytest.approx(0.91309, abs=1e-5)
    assert r.p_root_mw[0] == pytest.approx(3.91768, abs=1e-5)
