"""Screened joint T+D OPF (row-and-column generation) against the monolithic program."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.errors import OptimizationError
from tdcoord.grid.coupling import attach_feeders
from tdcoord.grid.io.source import load_grid
from tdcoord.opf.feeder.case import FeederOptions
from tdcoord.opf.joint import JointResult, joint_case, solve_joint
from tdcoord.opf.joint.screened import solve_screened_stats
from tdcoord.opf.joint.sensitivity import feeder_groups
from tests.opf.feeder.test_distflow import chain
from tests.opf.joint.test_joint import LOSSLESS, check_invariant, coupled, offer, tr3
from tests.opf.transmission.test_dcopf import two_bus_storage

INF = float("inf")


def shed_total(res: JointResult) -> np.ndarray:
    out = np.zeros(res.n_periods)
    for s in res.slacks:
        if s["kind"] == "load_shedding" and "/" in s["where"]:
            out[s["period"]] += s["value"]
    return out


def assert_same(mono: JointResult, scr: JointResult, *, unique_primal: bool = True) -> None:
    assert mono.status == scr.status
    assert scr.method == "screened"
    assert scr.objective == pytest.approx(mono.objective, rel=1e-7)
    np.testing.assert_allclose(scr.lmp, mono.lmp, atol=1e-6)
    np.testing.assert_allclose(scr.interface_p_mw, mono.interface_p_mw, atol=1e-6)
    np.testing.assert_allclose(scr.interface_congestion, mono.interface_congestion, atol=1e-6)
    for fm, fs in zip(mono.feeders, scr.feeders, strict=True):
        assert fm.prices is not None and fs.prices is not None
        np.testing.assert_allclose(fs.prices.total, fm.prices.total, atol=1e-5)
        np.testing.assert_allclose(fs.prices.energy, fm.prices.energy, atol=1e-6)
        np.testing.assert_allclose(fs.prices.congestion, fm.prices.congestion, atol=1e-5)
        np.testing.assert_allclose(fs.prices.voltage, fm.prices.voltage, atol=1e-5)
        np.testing.assert_allclose(fs.prices.sum(), fs.prices.total, atol=1e-9)
        if unique_primal:
            np.testing.assert_allclose(fs.v_pu, fm.v_pu, atol=1e-7)
            np.testing.assert_allclose(fs.p_flow_mw, fm.p_flow_mw, atol=1e-6)
            np.testing.assert_allclose(fs.p_offer_mw, fm.p_offer_mw, atol=1e-6)
    check_invariant(scr)


def both(case):  # type: ignore[no-untyped-def]
    return solve_joint(case, algorithm="monolithic"), solve_joint(case, algorithm="screened")


def test_uncongested_feeders_need_no_feeder_row() -> None:
    grid = coupled(tr3(), [chain(4, load_mw=1.0), chain(3, load_mw=0.5)], [3, 2], [10.0, 10.0])
    case = joint_case(grid, n_periods=2, load_scale=[1.0, 0.8], options=LOSSLESS,
                      offers={"f0": offer(3, 1.0, 20.0)})
    mono, scr = both(case)
    assert_same(mono, scr)
    res, stats = solve_screened_stats(case)
    assert stats.rounds == 1 and not any(stats.rows_added.values())
    np.testing.assert_allclose(res.lmp[0], [10.0, 30.0, 50.0], atol=1e-7)  # hand-solved
    assert res.to_json()["method"] == "screened"


def test_binding_branch_limit() -> None:
    f = chain(4, load_mw=1.0, rating=2.5)
    grid = coupled(tr3(), [f, chain(3, load_mw=0.5)], [3, 2], [10.0, 10.0])
    case = joint_case(grid, n_periods=2, load_scale=[1.0, 0.9], options=LOSSLESS,
                      offers={"f0": offer(3, 2.0, 60.0)})
    mono, scr = both(case)
    assert mono.feeders[0].binding["branches"], "the case must bind a branch"
    assert_same(mono, scr)
    assert scr.feeders[0].binding["branches"] == mono.feeders[0].binding["branches"]
    # nodes below the congested branch pay the offer's price
    prices = scr.feeders[0].prices
    assert prices is not None
    np.testing.assert_allclose(prices.total[1:, 0], 60.0, atol=1e-6)


def test_binding_voltage_limit() -> None:
    f = chain(5, load_mw=1.0, r=0.05, x=0.05, v_min=0.95)
    grid = coupled(tr3(), [f], [3], [20.0])
    case = joint_case(grid, options=LOSSLESS, offers={"f0": offer(4, 2.0, 70.0)})
    mono, scr = both(case)
    assert mono.feeders[0].binding["voltages"], "the case must bind a voltage"
    assert_same(mono, scr)
    prices = scr.feeders[0].prices
    assert prices is not None and np.any(np.abs(prices.voltage) > 1.0)


def test_load_shedding_and_violation_slacks_are_priced_alike() -> None:
    grid = coupled(tr3(), [chain(3, load_mw=2.0, rating=2.5), chain(3, load_mw=1.0)], [3, 2],
                   [10.0, 1.5])
    case = joint_case(grid, n_periods=2, load_scale=[1.0, 0.9], options=LOSSLESS)
    mono, scr = both(case)
    assert mono.status == "optimal_with_slacks"
    # shedding at nodes 1 or 2 costs the same: the split between them is not unique
    assert_same(mono, scr, unique_primal=False)
    np.testing.assert_allclose(shed_total(scr), shed_total(mono), atol=1e-6)
    assert shed_total(scr).min() > 0.1
    prices = scr.feeders[0].prices
    assert prices is not None
    # shedding (1 MW and 0.3 Mvar per MW) is marginal: DLMP + 0.3·reactive price = VOLL
    np.testing.assert_allclose(prices.total[1:] + 0.3 * prices.reactive[1:], 10_000.0, atol=1e-6)
    # a thermal penalty below VOLL: the overload slacks are used, reported and priced the same
    cheap = joint_case(grid, n_periods=2, load_scale=[1.0, 0.9],
                       options=FeederOptions(losses="none", overload_eur_per_mvah=5_000.0))
    mono, scr = both(cheap)
    assert_same(mono, scr)

    def overloads(res: JointResult) -> list[tuple[str, str, int, float]]:
        return sorted(
            (s["where"], s["kind"], s["period"], round(s["value"], 6))
            for s in res.slacks
            if s["kind"] in ("line_overload", "interface_overload")
        )

    assert overloads(scr) == overloads(mono)
    kinds = {k for _, k, _, _ in overloads(scr)}
    assert kinds == {"line_overload", "interface_overload"}


def test_storage_couples_the_periods() -> None:
    tr = two_bus_storage(0.9)
    f = chain(4, load_mw=1.0, rating=2.6)
    grid = coupled(tr, [f, chain(3, load_mw=0.5)], [2, 2], [10.0, 10.0])
    case = joint_case(grid, n_periods=3, load_scale=[0.6, 1.0, 1.2], options=LOSSLESS,
                      offers={"f0": offer(3, 2.0, 45.0)})
    mono, scr = both(case)
    assert len(tr.storage) == 1
    assert_same(mono, scr)
    np.testing.assert_allclose(scr.transmission.soc_mwh, mono.transmission.soc_mwh, atol=1e-6)


def test_pglib_case_with_cigre_feeders() -> None:
    tr = load_grid("pglib:case5_pjm").transmission
    cigre = load_grid("pandapower:create_cigre_network_mv").feeders[0]
    grid = attach_feeders(tr, cigre, feeders_per_bus=1, rating_factor=0.8)
    ids = [f.id for f in grid.feeders]
    offers = {fid: offer(int(grid.feeders[k].nodes.id[5]), 2.0, 15.0 + 10 * k)
              for k, fid in enumerate(ids)}
    case = joint_case(grid, load_scale=1.3, options=LOSSLESS, offers=offers)
    groups, _, _ = feeder_groups(case)
    assert len(groups) == 1 and len(groups[0].feeders) == len(ids)  # copies share the template
    mono, scr = both(case)
    assert_same(mono, scr, unique_primal=False)


def test_unsupported_cases_are_refused() -> None:
    grid = coupled(tr3(), [chain(3)], [3], [10.0])
    lossy = joint_case(grid)
    with pytest.raises(OptimizationError, match="lossless"):
        solve_joint(lossy, algorithm="screened")
    assert solve_joint(lossy).method == "monolithic"  # auto never picks it


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scale=st.lists(st.floats(0.5, 1.6), min_size=2, max_size=2),
    costs=st.lists(st.floats(0.0, 120.0), min_size=2, max_size=2),
    rating=st.floats(1.5, 4.0),
)
def test_random_loads_and_offer_prices(scale: list[float], costs: list[float],
                                       rating: float) -> None:
    feeders = [chain(4, load_mw=1.0, rating=rating, r=0.03, x=0.03, v_min=0.93),
               chain(3, load_mw=0.8, rating=rating)]
    grid = coupled(tr3(), feeders, [3, 3], [4.0, 10.0])
    case = joint_case(grid, n_periods=2, load_scale=scale, options=LOSSLESS,
                      offers={"f0": offer(3, 1.5, costs[0]), "f1": offer(2, 1.0, costs[1])})
    mono, scr = both(case)
    assert scr.status == mono.status
    assert scr.objective == pytest.approx(mono.objective, rel=1e-7)
    for fm, fs in zip(mono.feeders, scr.feeders, strict=True):
        assert fm.prices is not None and fs.prices is not None
        assert fs.objective == pytest.approx(fm.objective, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(scr.interface_p_mw.sum(axis=0), mono.interface_p_mw.sum(axis=0),
                               atol=1e-6)
    assert dataclasses.replace(scr).method == "screened"


def test_incremental_chunked_check_adds_what_a_full_check_adds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Re-checking only the feeder-periods whose inputs changed, in small chunks, generates
    exactly the rows and columns (same order) of a full check of everything in one piece."""
    from tdcoord.opf.joint import screened as joint_screened

    grid = coupled(tr3(), [chain(3, load_mw=2.0, rating=2.5), chain(4, load_mw=1.0, rating=2.5),
                           chain(5, load_mw=1.0, r=0.05, x=0.05, v_min=0.95)],
                   [3, 2, 3], [10.0, 1.5, 20.0])
    case = joint_case(grid, n_periods=4, load_scale=[1.0, 0.9, 0.7, 1.1], options=LOSSLESS,
                      offers={"f1": offer(3, 2.0, 60.0), "f2": offer(4, 2.0, 70.0)})
    original_round = joint_screened.screen_round

    def run(full: bool, chunk: int) -> tuple[list[tuple[np.ndarray, ...]], dict[str, int], float]:
        snaps: list[tuple[np.ndarray, ...]] = []

        def recording(s, x, y, y_bal):  # type: ignore[no-untyped-def]
            added = original_round(s, x, y, y_bal)
            snaps.append(tuple(np.copy(getattr(reg, k)) for reg in (s.rows, s.cols)
                               for k in ("kind", "f", "t", "elem", "facet", "e_p", "e_q")))
            return added

        with monkeypatch.context() as mp:
            mp.setattr(joint_screened, "screen_round", recording)
            mp.setattr(joint_screened, "CHUNK", chunk)
            if full:
                mp.setattr(joint_screened, "dirty_feeder_periods",
                           lambda s, x, y, yb: np.ones(s.case.n_feeders * s.T, dtype=bool))
            res, stats = solve_screened_stats(case)
        return snaps, stats.checked, res.objective

    inc, inc_checked, inc_obj = run(False, 2)
    full, full_checked, full_obj = run(True, 10_000)
    assert len(inc) == len(full) >= 2
    for a, b in zip(inc, full, strict=True):
        for u, v in zip(a, b, strict=True):
            np.testing.assert_array_equal(u, v)
    from tdcoord.opf.joint.master import SHED, SUB, THERMAL, VOLT

    assert set(inc[-1][0].tolist()) == {THERMAL, SUB, VOLT}  # every row kind was generated
    assert np.any(inc[-1][7] == SHED)  # and shedding columns
    assert inc_checked["feeder_periods"] < full_checked["feeder_periods"]
    assert inc_obj == full_obj
    mono = solve_joint(case, algorithm="monolithic")
    assert inc_obj == pytest.approx(mono.objective, rel=1e-9)


def test_two_workers_give_the_same_result() -> None:
    """workers=2 solves the masters on threads from cold starts; workers=1 chains each period's
    first solve from the previous period's basis: the same optimum either way."""
    grid = coupled(tr3(), [chain(4, load_mw=1.0, rating=2.5), chain(3, load_mw=0.5)], [3, 2],
                   [10.0, 10.0])
    case = joint_case(grid, n_periods=5, load_scale=[1.0, 0.9, 1.1, 0.8, 1.05], options=LOSSLESS,
                      offers={"f0": offer(3, 2.0, 60.0)})
    one, s1 = solve_screened_stats(case, workers=1)
    two, s2 = solve_screened_stats(case, workers=2)
    assert s1.rows_added == s2.rows_added and s1.rounds == s2.rounds
    assert one.objective == pytest.approx(two.objective, rel=1e-12)
    np.testing.assert_allclose(one.lmp, two.lmp, atol=1e-9)
    for a, b in zip(one.feeders, two.feeders, strict=True):
        np.testing.assert_allclose(a.v_pu, b.v_pu, atol=1e-9)
    mono = solve_joint(case, algorithm="monolithic")
    assert one.objective == pytest.approx(mono.objective, rel=1e-9)
