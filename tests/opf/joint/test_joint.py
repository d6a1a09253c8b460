"""Joint T+D OPF: coupling, interface invariant, congestion, decomposition, slacks, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.errors import OptimizationError, TdcoordError
from tdcoord.grid.components import InterfaceTable
from tdcoord.grid.model import Feeder, GridModel, Transmission
from tdcoord.opf.feeder.case import FeederOptions, FlexOffers
from tdcoord.opf.joint import JointInputError, JointResult, joint_case, solve_joint
from tdcoord.opf.transmission import solve_dcopf
from tests.opf.feeder.test_distflow import chain
from tests.opf.transmission.test_dcopf import make_tr

INF = float("inf")
LOSSLESS = FeederOptions(losses="none")


def tr3(rating_13: float = 50.0, gen_max: float = 200.0) -> Transmission:
    """Cheap gen at bus 1 (10/MWh), dear gen at bus 2 (30/MWh), 90 MW at bus 3, line 1–3 rated."""
    return make_tr(
        3,
        [(1, 2, 0.1, INF), (1, 3, 0.1, rating_13), (2, 3, 0.1, INF)],
        [(1, 0.0, gen_max, 10.0), (2, 0.0, gen_max, 30.0)],
        [(3, 90.0)],
    )


def coupled(
    tr: Transmission, feeders: list[Feeder], buses: list[int], ratings: list[float]
) -> GridModel:
    """A grid with ``feeders`` (renamed f0, f1, …) below ``buses``."""
    named = [dataclasses.replace(f, id=f"f{k}") for k, f in enumerate(feeders)]
    return GridModel(
        name="t3",
        transmission=tr,
        feeders=tuple(named),
        interfaces=InterfaceTable(
            id=np.arange(len(named)),
            transmission_bus=np.asarray(buses),
            feeder=np.array([f.id for f in named], dtype=object),
            rating_mva=np.asarray(ratings, dtype=np.float64),
        ),
    )


def offer(node: int, p_max: float, cost: float) -> FlexOffers:
    return FlexOffers(node=np.array([node]), p_min_mw=0.0, p_max_mw=p_max, cost_eur_per_mwh=cost)


def check_invariant(res: JointResult) -> None:
    """Root DLMP = interface LMP + congestion from the interface-polygon duals; sums exact."""
    rows = res.transmission.bus_ids.searchsorted(res.interface_bus)
    for f, fr in enumerate(res.feeders):
        assert fr.prices is not None
        root = fr.prices.total[0]
        np.testing.assert_allclose(
            root, res.lmp[:, rows[f]] + res.interface_congestion_from_duals[f], atol=1e-6
        )
        np.testing.assert_allclose(fr.prices.sum(), fr.prices.total, atol=1e-6)
    p = res.transmission.prices
    np.testing.assert_allclose(p.energy + p.congestion + p.loss, p.total, atol=1e-9)


def test_uncongested_feeders_give_the_transmission_only_lmps() -> None:
    grid = coupled(tr3(), [chain(4, load_mw=1.0), chain(3, load_mw=0.5)], [3, 2], [10.0, 10.0])
    case = joint_case(
        grid, n_periods=2, load_scale=[1.0, 0.8], options=LOSSLESS,
        offers={"f0": offer(3, 1.0, 20.0)},
    )
    res = solve_joint(case, algorithm="monolithic")
    assert res.status == "optimal"
    # feeder 0, 3 MW load: period 0 offer at 20 < LMP(bus 3) = 50 → dispatched, imports 2 MW;
    # period 1 (72 MW at bus 3, line 1–3 not binding) LMP 10 < 20 → imports its 2.4 MW load
    np.testing.assert_allclose(res.interface_p_mw[0], [2.0, 2.4], atol=1e-7)
    np.testing.assert_allclose(res.interface_p_mw[1], [1.0, 0.8], atol=1e-7)
    withdrawal = {3: res.interface_p_mw[0], 2: res.interface_p_mw[1]}
    ref = solve_dcopf(grid.transmission, n_periods=2, load_mw=case.load_mw,
                      withdrawal_mw=withdrawal)
    np.testing.assert_allclose(res.lmp, ref.lmp, atol=1e-7)
    np.testing.assert_allclose(res.lmp[0], [10.0, 30.0, 50.0], atol=1e-7)  # hand-solved
    own = sum(f.objective for f in res.feeders)
    assert own == pytest.approx(20.0 * 1.0, rel=1e-9)
    assert res.objective == pytest.approx(ref.objective + own, rel=1e-9)
    np.testing.assert_allclose(res.interface_congestion, 0.0, atol=1e-7)
    check_invariant(res)


def test_congested_interface_transformer_hand_solved() -> None:
    """3 MW + 0.9 Mvar load, 2 MVA interface, local offer at 50/MWh: the interface binds on the
    12-facet polygon's 15° facet: P = 2 − 0.9·tan 15°; every DLMP is 50, LMP 10, premium 40."""
    f = chain(4, load_mw=1.0, r=0.001, x=0.002)
    grid = coupled(tr3(rating_13=INF), [f], [3], [2.0])
    case = joint_case(grid, options=LOSSLESS, offers={"f0": offer(3, 5.0, 50.0)})
    res = solve_joint(case, algorithm="monolithic")
    assert res.status == "optimal"
    p_star = 2.0 - 0.9 * np.tan(np.pi / 12)
    assert res.interface_p_mw[0, 0] == pytest.approx(p_star, abs=1e-7)
    assert res.interface_q_mvar[0, 0] == pytest.approx(0.9, abs=1e-7)
    assert res.lmp[0, 2] == pytest.approx(10.0)
    prices = res.feeders[0].prices
    assert prices is not None
    np.testing.assert_allclose(prices.total[:, 0], 50.0, atol=1e-6)
    assert res.interface_congestion[0, 0] == pytest.approx(40.0, abs=1e-6)
    assert res.interface_congestion_from_duals[0, 0] == pytest.approx(40.0, abs=1e-6)
    np.testing.assert_allclose(prices.energy[:, 0], 10.0)
    np.testing.assert_allclose(prices.congestion[:, 0], 40.0, atol=1e-6)
    check_invariant(res)
    payload = res.to_json()
    assert payload["interfaces"]["f0"]["congestion_price"] == pytest.approx(40.0, abs=1e-6)
    assert payload["prices"]["f0/3"]["total"] == pytest.approx(50.0, abs=1e-6)
    assert set(payload) >= {"status", "objective", "prices", "binding", "slacks", "solver",
                            "time_s", "interfaces"}


def lossy_case(n_periods: int = 3):  # type: ignore[no-untyped-def]
    feeders = [chain(5, load_mw=0.8, r=0.02, x=0.03), chain(4, load_mw=1.2, r=0.01, x=0.02)]
    grid = coupled(tr3(), feeders, [3, 3], [3.3, 4.4])
    scale = np.linspace(0.8, 1.2, n_periods)
    return joint_case(
        grid, n_periods=n_periods, load_scale=scale,
        offers={"f0": offer(4, 1.0, 60.0), "f1": offer(2, 1.5, 70.0)},
    )


def test_decomposed_equals_monolithic_with_losses_and_congestion() -> None:
    case = lossy_case()
    mono = solve_joint(case, algorithm="monolithic")
    dec = solve_joint(case, algorithm="benders")
    assert mono.status == dec.status == "optimal"
    assert mono.loss_iterations > 1
    assert np.any(mono.interface_congestion > 1.0)  # the interface transformers bind
    assert dec.objective == pytest.approx(mono.objective, rel=1e-3)
    assert dec.objective == pytest.approx(mono.objective, rel=1e-6)
    np.testing.assert_allclose(dec.lmp, mono.lmp, atol=1e-5)
    np.testing.assert_allclose(dec.interface_p_mw, mono.interface_p_mw, atol=1e-4)
    assert dec.method == "benders" and dec.iterations >= 1 and dec.gap <= 1e-5
    check_invariant(mono)
    np.testing.assert_allclose(
        dec.interface_congestion, dec.interface_congestion_from_duals, atol=1e-5
    )


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scale=st.lists(st.floats(0.3, 1.6), min_size=2, max_size=2),
    cost=st.floats(5.0, 80.0),
    rating=st.floats(1.0, 6.0),
)
def test_decomposition_invariants(scale: list[float], cost: float, rating: float) -> None:
    grid = coupled(tr3(), [chain(4, load_mw=1.0), chain(3, load_mw=0.7)], [3, 2], [rating, 4.0])
    case = joint_case(grid, n_periods=2, load_scale=scale, options=LOSSLESS,
                      offers={"f0": offer(2, 2.0, cost)})
    mono = solve_joint(case, algorithm="monolithic")
    dec = solve_joint(case, algorithm="benders")
    assert dec.objective == pytest.approx(mono.objective, rel=1e-6, abs=1e-6)
    check_invariant(mono)
    # the transmission balance: generation = load + interface imports (no slack used)
    if mono.status == "optimal":
        gen = mono.transmission.dispatch_mw.sum(axis=1)
        assert case.load_mw is not None
        np.testing.assert_allclose(
            gen, case.load_mw.sum(axis=1) + mono.interface_p_mw.sum(axis=0), atol=1e-6
        )


def test_infeasible_joint_case_reports_its_slacks() -> None:
    grid = coupled(tr3(gen_max=40.0), [chain(4, load_mw=1.0, v_min=0.999)], [3], [10.0])
    case = joint_case(grid, options=LOSSLESS)
    for algorithm in ("monolithic", "benders"):
        res = solve_joint(case, algorithm=algorithm)  # type: ignore[arg-type]
        assert res.status == "optimal_with_slacks"
        assert {s["kind"] for s in res.slacks} == {"load_shedding"}
        shed = sum(s["value"] for s in res.slacks if s["kind"] == "load_shedding")
        assert shed == pytest.approx(90.0 + 3.0 - 80.0, abs=1e-5)  # 93 MW of load, 80 MW of gen
        # the feeder's voltage limit is met by shedding inside it (VOLL < voltage penalty)
        assert any(s["where"].startswith("f0/node") for s in res.slacks)
        assert res.feeders[0].v_min_pu >= 0.999 - 1e-7
        assert res.transmission.price_set_by_slack.any() and res.feeder_price_flag.all()
        assert res.to_json()["prices"]["f0/1"]["price_set_by_slack"] is True


def test_bad_input_is_rejected_before_solving() -> None:
    tr = tr3()
    with pytest.raises(JointInputError, match="not a coupled"):
        joint_case(GridModel(name="t", transmission=tr, feeders=()))
    grid = coupled(tr, [chain(3)], [3], [5.0])
    with pytest.raises(JointInputError, match="unknown feeders"):
        joint_case(grid, offers={"nope": offer(1, 1.0, 1.0)})
    with pytest.raises(JointInputError, match="load_scale"):
        joint_case(grid, n_periods=3, load_scale=[1.0, 2.0])
    with pytest.raises(JointInputError, match="period_hours"):
        joint_case(grid, period_hours=0.0)
    with pytest.raises(TdcoordError, match="rating"):
        joint_case(coupled(tr, [chain(3)], [3], [0.0]))

    with pytest.raises(OptimizationError, match="algorithm"):
        solve_joint(joint_case(grid), algorithm="admm")  # type: ignore[arg-type]
