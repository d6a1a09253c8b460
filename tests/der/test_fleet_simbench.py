"""Fleets from SimBench elements, checked against the raw SimBench data (the simbench package)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der.fleet_spec import FleetSpec, build_fleet
from tdcoord.grid.io.source import load_grid

CODE = "1-LV-rural1--0-sw"


@pytest.fixture(scope="module")
def grid():  # type: ignore[no-untyped-def]
    return load_grid(f"simbench:{CODE}")


def test_simbench_fleet_matches_the_raw_data(grid) -> None:  # type: ignore[no-untyped-def]
    simbench = pytest.importorskip("simbench")
    net = simbench.get_simbench_net(CODE)
    spec = FleetSpec(builder="simbench", n_intervals=96, dt_h=0.25)
    fleet = build_fleet(grid, spec)
    pv_raw = net.sgen[net.sgen["type"].astype(str).str.contains("PV")]
    is_pv = fleet.der_type == "pv"
    assert int(is_pv.sum()) == len(pv_raw)
    # inverter ratings are the sgens' p_mw (sorted: ids differ between the two data sets)
    np.testing.assert_allclose(np.sort(fleet.p_max_mw[is_pv]), np.sort(pv_raw["p_mw"].to_numpy()))
    # PV available power never exceeds its rating and follows the day (zero at midnight)
    base = fleet.baseline_p_mw(96, 0.25)[is_pv]
    assert (base <= fleet.p_max_mw[is_pv][:, None] + 1e-12).all() and (base >= 0).all()
    # every load becomes an embedded flexible load
    assert int((fleet.der_type == "flexible_load").sum()) == len(net.load)
    assert fleet.embedded_in_load.all()


def test_simbench_fleet_is_deterministic(grid) -> None:  # type: ignore[no-untyped-def]
    spec = FleetSpec(builder="simbench", n_intervals=8, dt_h=0.25, seed=4)
    a, b = build_fleet(grid, spec), build_fleet(grid, spec)
    assert tuple(a.der_id) == tuple(b.der_id)
    np.testing.assert_array_equal(a.baseline_p_mw(8, 0.25), b.baseline_p_mw(8, 0.25))
