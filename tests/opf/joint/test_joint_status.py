"""Issue 16 item 6: the same joint case gets the same status from every algorithm — an infeasible
case is ``optimal_with_slacks`` with priced slacks (slacks on) or ``infeasible`` (slacks off) from
monolithic, Benders and screened alike; Benders never ends in ``error`` where monolithic solves."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tdcoord.grid.model import Transmission
from tdcoord.opf.feeder.case import FeederOptions
from tdcoord.opf.joint import joint_case, solve_joint
from tests.opf.feeder.test_distflow import chain
from tests.opf.joint.test_joint import coupled, tr3
from tests.opf.transmission.test_dcopf import INF, make_tr

ALGORITHMS = ("monolithic", "benders", "screened")


def two_bus(gen_min_mw: float = 0.0, rating_mw: float = INF, load_mw: float = 20.0) -> Transmission:
    return make_tr(2, [(1, 2, 0.1, rating_mw)], [(1, gen_min_mw, 100.0, 10.0)], [(2, load_mw)])


CASES: dict[str, dict[str, Any]] = {
    # too little generation for the load: transmission shedding
    "generation_short": dict(tr=tr3(gen_max=40.0), feeders=[chain(3, load_mw=2.0)], buses=[3],
                             ratings=[10.0]),
    # a feeder branch overloaded by its own load: shedding inside the feeder
    "feeder_thermal": dict(tr=tr3(), feeders=[chain(4, load_mw=3.0, rating=1.0)], buses=[3],
                           ratings=[20.0]),
    # export above the interface rating: curtailment
    "interface_export": dict(tr=tr3(), feeders=[chain(3, load_mw=0.5, sgen_mw=8.0)], buses=[3],
                             ratings=[2.0]),
    # generation held above the load: over-generation
    "generation_minimum": dict(tr=two_bus(gen_min_mw=50.0), feeders=[chain(3)], buses=[2],
                               ratings=[10.0]),
    # a voltage floor above what the root voltage allows: voltage slacks
    "voltage_floor": dict(tr=tr3(), feeders=[chain(4, load_mw=1.0, v_min=1.05)], buses=[3],
                          ratings=[20.0]),
    # a line too weak for the load behind it
    "line_overload": dict(tr=two_bus(rating_mw=10.0), feeders=[chain(3)], buses=[2],
                          ratings=[10.0]),
}


@pytest.mark.parametrize("slacks", [True, False])
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_algorithm_gives_the_same_status(name: str, slacks: bool) -> None:
    c = CASES[name]
    grid = coupled(c["tr"], c["feeders"], c["buses"], c["ratings"])
    options = FeederOptions(losses="none", slacks=slacks)
    case = joint_case(grid, n_periods=2, load_scale=[1.0, 1.2], options=options)
    results = {a: solve_joint(case, algorithm=a) for a in ALGORITHMS}  # type: ignore[arg-type]
    statuses = {a: r.status for a, r in results.items()}
    assert len(set(statuses.values())) == 1, statuses
    status = statuses["monolithic"]
    assert status in ("optimal", "optimal_with_slacks", "infeasible")
    assert "error" not in statuses.values()
    ref = results["monolithic"]
    for r in results.values():
        if status == "infeasible":
            assert np.isnan(r.objective) and not r.slacks
        else:
            assert r.objective == pytest.approx(ref.objective, rel=1e-6)
            assert {s["kind"] for s in r.slacks} == {s["kind"] for s in ref.slacks}
            assert all(s["penalty_per_unit_h"] > 0 for s in r.slacks)
    if slacks:
        assert status != "infeasible"  # every slack is priced: the case always solves


def test_benders_stopped_with_an_open_gap_is_not_optimal() -> None:
    # A gap tolerance no exchange can meet: Benders stops at max_rounds and must say so.
    grid = coupled(tr3(), [chain(5, load_mw=0.8), chain(4, load_mw=1.2)], [3, 3], [3.3, 4.4])
    case = joint_case(grid, n_periods=2, load_scale=[0.8, 1.2],
                      options=FeederOptions(losses="none"))
    stopped = solve_joint(case, algorithm="benders", max_rounds=2, gap_tol=-1.0)
    assert stopped.status == "not_converged" and stopped.iterations == 2
    assert solve_joint(case, algorithm="benders").status in ("optimal", "optimal_with_slacks")
