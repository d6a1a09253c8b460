"""Issue 12 item 6: loss-factor iterations that cycle are detected and never reported optimal.

The cycling case is built as in the issue: a CIGRE MV feeder, loads scaled, with two flexible
offers priced a little above the root price, so that they are worth dispatching only through
their loss factor. The LP answer then jumps between "offers on" and "offers off" for ever (the
answer of the old code depended on the parity of ``loss_max_iter``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder
from tdcoord.opf.feeder.case import FeederCase, FeederInputError, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import solve_distflow
from tdcoord.opf.feeder.loss_iter import LossHistory
from tdcoord.opf.feeder.socp import solve_socp
from tdcoord.opf.joint import joint_case, solve_joint
from tests.opf.feeder.test_distflow import chain
from tests.opf.joint.test_joint import coupled, tr3


@pytest.fixture(scope="module")
def cigre() -> Feeder:
    return load_grid("pandapower:create_cigre_network_mv").feeders[0]


def cycling_case(feeder: Feeder, scale: float = 0.7, cost: float = 51.0) -> FeederCase:
    offers = FlexOffers(node=np.array([10, 14]), p_min_mw=0.0, p_max_mw=3.0,
                        cost_eur_per_mwh=[cost, cost + 0.3])
    return FeederCase.build(feeder, price_eur_per_mwh=50.0, load_scale=scale, offers=offers)


def test_cycling_is_detected_and_odd_even_limits_agree_with_the_socp(cigre: Feeder) -> None:
    case = cycling_case(cigre)
    raw = [solve_distflow(case, FeederOptions(loss_max_iter=n, loss_fallback="none"))
           for n in (5, 6)]
    assert all(r.status == "not_converged" and not r.ok for r in raw)
    assert abs(raw[0].objective - raw[1].objective) > 0.5  # the two vertices of the cycle
    fixed = [solve_distflow(case, FeederOptions(loss_max_iter=n)) for n in (3, 4, 29, 30)]
    socp = solve_socp(case)
    for r in fixed:
        assert r.status == "loss_fallback_socp" and r.ok
        assert r.objective == pytest.approx(socp.objective, rel=1e-7)
        assert r.loss_delta_mw > FeederOptions().loss_tol_mw
    assert fixed[2].iterations < 29  # the cycle is seen early, not at the limit


def test_converging_case_keeps_optimal(cigre: Feeder) -> None:
    case = cycling_case(cigre, cost=55.0)
    r = solve_distflow(case)
    assert r.status == "optimal" and r.loss_delta_mw <= 1e-6
    assert r.objective == pytest.approx(solve_socp(case).objective, rel=1e-5)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scale=st.floats(0.3, 0.9), cost=st.floats(49.0, 56.0), max_iter=st.integers(2, 12),
       fallback=st.sampled_from(["socp", "none"]))
def test_status_is_never_optimal_when_the_last_iterates_differ(
    cigre: Feeder, scale: float, cost: float, max_iter: int, fallback: str
) -> None:
    options = FeederOptions(loss_max_iter=max_iter, loss_fallback=fallback)
    r = solve_distflow(cycling_case(cigre, scale, cost), options)
    if r.loss_delta_mw > options.loss_tol_mw:
        assert r.status in ("not_converged", "loss_fallback_socp",
                            "loss_fallback_socp_with_slacks")
    if r.status in ("optimal", "optimal_with_slacks"):
        assert r.loss_delta_mw <= options.loss_tol_mw


def test_history_verdicts() -> None:
    h = LossHistory(np.zeros(2), 1e-6)
    a, b = np.array([1.0, 2.0]), np.array([1.5, 2.0])
    assert [h.add(a), h.add(b), h.add(a)] == ["continue", "continue", "cycling"]
    assert h.add(a) == "converged"


def test_bad_fallback_is_rejected() -> None:
    with pytest.raises(FeederInputError, match="loss fallback"):
        FeederOptions(loss_fallback="damp").check()


def test_joint_cycling_is_not_optimal(cigre: Feeder) -> None:
    """The same cycle inside the joint T+D OPF (interface LMP 50 €/MWh): ``not_converged``."""
    grid = coupled(tr3(), [cigre], [3], [100.0])
    offers = {"f0": FlexOffers(node=np.array([10, 14]), p_min_mw=0.0, p_max_mw=3.0,
                               cost_eur_per_mwh=[51.0, 51.3])}
    results = []
    for n in (9, 10):
        case = joint_case(grid, n_periods=1, offers=offers, feeder_load_scale=0.7,
                          options=FeederOptions(loss_max_iter=n))
        results.append(solve_joint(case, algorithm="monolithic"))
    # bang-bang: even the damped iteration cannot settle on an LP vertex
    assert all(r.status == "not_converged" and not r.ok for r in results)


def test_joint_small_cycle_is_damped_to_a_fixed_point() -> None:
    """A 2-cycle of 8e-5 MW (shedding behind a congested interface) converges once damped; the
    old code stopped at ``loss_max_iter`` on one of the two points and said ``optimal``."""
    grid = coupled(tr3(), [chain(4, load_mw=1.0, r=0.001, x=0.002)], [3], [2.0])
    results = [solve_joint(joint_case(grid, n_periods=2, options=FeederOptions(loss_max_iter=n)))
               for n in (29, 30)]
    assert all(r.status == "optimal_with_slacks" and r.loss_iterations < 29 for r in results)
    assert results[0].objective == results[1].objective
