"""Joint T+D on PGLib cases: moving every load into feeders leaves the published DC optimum.

With every load of a PGLib case handed to a feeder (``attach_feeders`` scales each copy so the
feeders' load equals the bus load), lossless LinDistFlow, no local generation or offers and
limits that cannot bind, each feeder imports exactly its load: the joint optimum must equal the
PGLib-OPF ``BASELINE.md`` DC objective (PowerModels convention) to the printed 5 significant
digits, and the transmission LMPs must equal those of the transmission-only DC-OPF with the
feeders' imports as withdrawals (the decomposed solve as well).
"""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.grid.coupling import attach_feeders
from tdcoord.opf.feeder.case import FeederOptions
from tdcoord.opf.joint import joint_case, solve_joint
from tdcoord.opf.transmission import solve_dcopf
from tests.opf.feeder.test_distflow import chain
from tests.reference.test_pglib_dc import baseline_dc, load


@pytest.mark.filterwarnings("ignore:.*feeder copies carry")  # unrated template: intended
@pytest.mark.parametrize("name", ["case14_ieee", "case30_ieee"])
def test_all_load_in_feeders_reproduces_the_pglib_dc_optimum(name: str) -> None:
    tr = load(name)
    template = chain(4, load_mw=1.0, r=1e-6, x=2e-6, v_min=0.8, v_max=1.2)
    grid = attach_feeders(tr, template, rating_factor=2.0)
    assert grid.transmission is not None and len(grid.transmission.loads) == 0
    case = joint_case(grid, options=FeederOptions(losses="none"))
    res = solve_joint(case, algorithm="monolithic")
    assert res.status == "optimal"
    assert f"{res.objective:.4e}" == baseline_dc()[name]
    np.testing.assert_allclose(
        res.interface_p_mw[:, 0],
        [float(f.node_load_mw().sum()) for f in grid.feeders],
        rtol=1e-9,
    )
    withdrawal: dict[int, float] = {}
    for bus, p in zip(res.interface_bus.tolist(), res.interface_p_mw[:, 0], strict=True):
        withdrawal[bus] = withdrawal.get(bus, 0.0) + float(p)
    ref = solve_dcopf(grid.transmission, withdrawal_mw=withdrawal)
    np.testing.assert_allclose(res.lmp, ref.lmp, atol=1e-6)
    dec = solve_joint(case, algorithm="benders")
    assert dec.objective == pytest.approx(res.objective, rel=1e-6)
    np.testing.assert_allclose(dec.lmp, res.lmp, atol=1e-5)
