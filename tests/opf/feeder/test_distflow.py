"""LinDistFlow feeder OPF: multi-period, losses, slacks, warm re-solves, bad input."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable, SgenTable
from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.opf.feeder.case import (
    FacetPolygon,
    FeederCase,
    FeederInputError,
    FeederOptions,
    FlexOffers,
)
from tdcoord.opf.feeder.distflow import (
    WarmDistFlow,
    cold_equivalent,
    solve_distflow,
    solve_distflow_at,
)


def chain(
    n: int = 4,
    *,
    load_mw: float = 1.0,
    rating: float = np.inf,
    r: float = 0.01,
    x: float = 0.02,
    sgen_mw: float = 0.0,
    v_min: float = 0.9,
    v_max: float = 1.1,
) -> Feeder:
    """A chain feeder 0–1–…–(n−1) with equal loads at nodes 1..n−1 (base 10 MVA)."""
    ids = np.arange(n)
    m = n - 1
    return make_feeder(
        "chain",
        base_mva=10.0,
        root=0,
        nodes=NodeTable(id=ids, vn_kv=np.full(n, 20.0), v_min_pu=np.full(n, v_min),
                        v_max_pu=np.full(n, v_max)),
        branches=FeederBranchTable(
            id=np.arange(m), name=np.array([f"l{i}" for i in range(m)], dtype=object), from_node=ids[:-1],
            to_node=ids[1:], r_pu=np.full(m, r), x_pu=np.full(m, x), b_pu=np.zeros(m),
            rating_mva=np.full(m, rating), is_transformer=np.zeros(m, dtype=bool),
        ),
        loads=LoadTable(id=ids[1:], bus=ids[1:], p_mw=np.full(m, load_mw),
                        q_mvar=np.full(m, 0.3 * load_mw), profile=np.array([""] * m, dtype=object)),
        sgens=SgenTable(id=np.array([0]), bus=np.array([n - 1]), p_mw=np.array([sgen_mw]),
                        q_mvar=np.zeros(1), kind=np.array(["pv"], dtype=object),
                        profile=np.array([""], dtype=object)),
    )


@pytest.fixture(scope="module")
def case33() -> Feeder:
    return load_grid("pandapower:case33bw").feeders[0]


def test_multi_period_equals_single_periods(case33: Feeder) -> None:
    scale = np.array([0.5, 1.0, 1.3])
    price = np.array([30.0, 50.0, 80.0])
    offers = FlexOffers(node=np.array([17, 32]), p_min_mw=0.0, p_max_mw=0.3,
                        cost_eur_per_mwh=[40.0, 60.0], q_min_mvar=-0.1, q_max_mvar=0.1)
    multi = solve_distflow(FeederCase.build(case33, price_eur_per_mwh=price, load_scale=scale,
                                            offers=offers))
    assert multi.ok and multi.n_periods == 3
    total = 0.0
    for t in range(3):
        single = solve_distflow(FeederCase.build(case33, price_eur_per_mwh=price[t],
                                                 load_scale=scale[t], offers=offers))
        np.testing.assert_allclose(multi.v_pu[:, t], single.v_pu[:, 0], atol=1e-6)
        assert multi.prices is not None and single.prices is not None
        np.testing.assert_allclose(multi.prices.total[:, t], single.prices.total[:, 0], atol=1e-5)
        total += single.objective
    assert multi.objective == pytest.approx(total, rel=1e-6)
    payload = multi.to_json()
    assert isinstance(payload["prices"]["17"]["total"], list)
    assert len(payload["voltages_pu"]["17"]) == 3


def test_cheap_der_is_dispatched_and_lowers_losses(case33: Feeder) -> None:
    offers = FlexOffers(node=np.array([17]), p_min_mw=0.0, p_max_mw=0.5, cost_eur_per_mwh=10.0)
    base = solve_distflow(FeederCase.build(case33))
    with_der = solve_distflow(FeederCase.build(case33, offers=offers))
    assert with_der.p_offer_mw[0, 0] == pytest.approx(0.5)
    assert with_der.losses_mw[0] < base.losses_mw[0]
    assert with_der.v_min_pu > base.v_min_pu


def test_overload_sheds_load_at_voll() -> None:
    f = chain(3, load_mw=1.0, rating=1.2)
    r = solve_distflow(FeederCase.build(f), FeederOptions(losses="none"))
    assert r.status == "optimal_with_slacks"
    shed = r.slacks["load_shed_mw"]
    served = 2.0 - sum(e["mw"] for e in shed)
    # loads shed at their power factor (Q = 0.3 P); the 12-facet polygon is inscribed in |S| ≤ 1.2
    s_served = served * np.hypot(1.0, 0.3)
    assert 1.2 * np.cos(np.pi / 12) - 1e-6 <= s_served <= 1.2 + 1e-6
    assert [e["branch"] for e in r.binding["branches"]] == [0]
    assert all(e["price"] == 10_000.0 for e in shed)
    assert 1_000.0 < r.dlmp(2) <= 10_000.0 + 1e-6  # priced by shedding, not by the root
    hard = solve_distflow(FeederCase.build(f), FeederOptions(losses="none", slacks=False))
    assert hard.status == "infeasible"
    assert hard.to_json()["prices"] == {}


def test_overvoltage_curtails_static_generation() -> None:
    f = chain(3, load_mw=0.0, sgen_mw=15.0, r=0.05, x=0.05, v_max=1.05)
    r = solve_distflow(FeederCase.build(f), FeederOptions(losses="none"))
    assert r.status == "optimal"  # curtailment is a remedy, not a violation
    assert r.slacks["curtailment_mw"][0]["mw"] > 0
    assert r.v_max_pu == pytest.approx(1.05, abs=1e-6)
    assert any(e["side"] == "upper" for e in r.binding["voltages"])


def test_undervoltage_without_remedy_is_a_priced_violation() -> None:
    f = chain(3, load_mw=8.0, r=0.05, x=0.05, v_min=0.95)
    opts = FeederOptions(losses="none", voll_eur_per_mwh=1e9)  # shedding dearer than the violation
    r = solve_distflow(FeederCase.build(f), opts)
    assert r.status == "optimal_with_slacks"
    assert "undervoltage_pu2" in r.slacks


def test_warm_resolve_equals_cold(case33: Feeder) -> None:
    offers = FlexOffers(node=np.array([17, 32, 24]), p_min_mw=0.0, p_max_mw=[0.4, 0.3, 0.2],
                        cost_eur_per_mwh=[45.0, 52.0, 70.0])
    case = FeederCase.build(case33, price_eur_per_mwh=[50.0, 60.0], offers=offers)
    warm = WarmDistFlow(case)
    first = warm.solve()
    cold_first = solve_distflow_at(case, warm.options, warm.loss_point)
    assert first.objective == pytest.approx(cold_first.objective, rel=1e-9)
    updates: list[Callable[[], None]] = [
        lambda: warm.set_price([75.0, 20.0]),
        lambda: warm.set_offer_bounds(0.0, [0.1, 0.5, 0.2]),
        lambda: warm.set_load_scale([0.8, 1.2]),
    ]
    for update in updates:
        update()
        hot = warm.solve()
        cold = cold_equivalent(warm)
        direct = solve_distflow_at(warm.case, warm.options, warm.loss_point)
        assert hot.objective == pytest.approx(cold.objective, rel=1e-9)
        assert hot.objective == pytest.approx(direct.objective, rel=1e-9)
        np.testing.assert_allclose(hot.p_offer_mw, direct.p_offer_mw, atol=1e-7)
        np.testing.assert_allclose(hot.v_pu, direct.v_pu, atol=1e-8)
    assert hot.p_offer_mw[0, 0] == pytest.approx(0.1)


def test_polygon_is_an_inner_approximation() -> None:
    for k in (4, 8, 12, 24):
        poly = FacetPolygon.regular(k)
        angles = 2 * np.pi * np.arange(k) / k
        vertices = np.column_stack([np.cos(angles), np.sin(angles)])
        lhs = poly.a_p[:, None] * vertices[:, 0] + poly.a_q[:, None] * vertices[:, 1]
        assert (lhs <= poly.a_s[:, None] + 1e-12).all()  # vertices on the circle are inside
        tight = np.isclose(lhs, poly.a_s[:, None]).sum(axis=1)
        assert (tight == 2).all()  # each facet joins two circle points


def test_bad_input_is_rejected_before_solving() -> None:
    f = chain(3)
    with pytest.raises(FeederInputError, match="unknown nodes"):
        FeederCase.build(f, offers=FlexOffers(node=np.array([99]), p_min_mw=0.0, p_max_mw=1.0,
                                              cost_eur_per_mwh=1.0))
    with pytest.raises(FeederInputError, match="p_min > p_max"):
        FeederCase.build(f, offers=FlexOffers(node=np.array([1]), p_min_mw=2.0, p_max_mw=1.0,
                                              cost_eur_per_mwh=1.0))
    with pytest.raises(FeederInputError, match="price"):
        FeederCase.build(f, price_eur_per_mwh=[1.0, 2.0], n_periods=3)
    with pytest.raises(FeederInputError, match="NaN"):
        FeederCase.build(f, price_eur_per_mwh=float("nan"))
    with pytest.raises(FeederInputError, match="loss model"):
        solve_distflow(FeederCase.build(f), FeederOptions(losses="exact"))
    with pytest.raises(FeederInputError, match="at least 3"):
        FacetPolygon.regular(2)
