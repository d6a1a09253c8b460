"""The warm parametric LP (one HiGHS object per feeder, across breakpoints and intervals) gives
the same exact curve as the previous cold method and as a brute-force evaluation of V."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.coordination.aggregated import (
    blocks_share_matrix,
    feeder_curves,
    feeder_programs,
    margined_feeder,
)
from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.clearing import Margins
from tdcoord.coordination.injectors import Injectors, offer_injectors, zero_prior
from tdcoord.coordination.interface_offer import (
    InterfaceCurve,
    interface_offer_curve,
    sandwich_curve,
)
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.opf import lp as lpmod
from tdcoord.opf.lp.parametric import prune_breakpoints
from tests.grid.helpers import branches, nodes

from .cases import grid, offers
from .test_interface_offer import direct_cost

# -- the previous method, verbatim but with every LP solved cold (no shared HiGHS state) ---------


def _cold(lp: lpmod.LinearProgram, col: int, x: float) -> tuple[float, float] | None:
    lo, up = lp.col_lower.copy(), lp.col_upper.copy()
    lo[col] = up[col] = x
    sol = lpmod.solve(dataclasses.replace(lp, col_lower=lo, col_upper=up), method="simplex")
    return (float(sol.objective), float(sol.col_duals[col])) if sol.ok else None


def reference_curve(lp: lpmod.LinearProgram, col: int, base: float, dt_h: float) -> InterfaceCurve:
    """Range by two cold LPs, then the sandwich recursion with one cold LP per point."""
    ends = []
    for sign in (1.0, -1.0):
        cost = np.zeros(lp.n_col)
        cost[col] = sign
        sol = lpmod.solve(dataclasses.replace(lp, cost=cost, offset=0.0), method="simplex")
        if not sol.ok:
            return InterfaceCurve("ref", np.zeros(0), np.zeros(0), base, dt_h, "infeasible", 2)
        ends.append(float(sol.x[col]))
    x_lo, x_hi = ends
    x_tol = 1e-9 * (1.0 + abs(x_lo) + abs(x_hi))

    def end(x: float, inward: float) -> tuple[float, float, float]:
        for k in range(6):
            xk = x + inward * (10.0**k - 1.0)
            got = _cold(lp, col, xk)
            if got is not None:
                return xk, got[0], got[1]
        raise AssertionError("end infeasible")

    a = end(x_lo, x_tol)
    if x_hi - x_lo <= x_tol:
        return InterfaceCurve("ref", np.array([a[0]]), np.array([a[1]]), base, dt_h, "optimal", 0)
    b = end(x_hi, -x_tol)
    points = {a[0]: a[1], b[0]: b[1]}
    stack = [(a, b)]
    while stack:
        (xa, va, ga), (xb, vb, gb) = stack.pop()
        tol = 1e-7 * (1.0 + max(abs(va), abs(vb)))
        if xb - xa <= x_tol or gb - ga <= 1e-12 * (1.0 + abs(ga) + abs(gb)):
            continue
        xm = (vb - va + ga * xa - gb * xb) / (ga - gb)
        if xm - xa <= x_tol or xb - xm <= x_tol:
            continue
        got = _cold(lp, col, xm)
        assert got is not None
        points[xm] = got[0]
        if got[0] <= va + ga * (xm - xa) + tol:
            continue
        stack.append(((xm, got[0], got[1]), (xb, vb, gb)))
        stack.append(((xa, va, ga), (xm, got[0], got[1])))
    xs = sorted(points)
    vs = [points[x] for x in xs]
    x_arr, v_arr = prune_breakpoints(xs, vs, 1e-7 * (1.0 + max(abs(v) for v in vs)))
    return InterfaceCurve("ref", x_arr, v_arr, base, dt_h, "optimal", 0)


def assert_same_curve(fast: InterfaceCurve, ref: InterfaceCurve) -> None:
    assert fast.status == ref.status
    if not ref.ok:
        return
    scale = 1.0 + float(np.abs(ref.cost_eur).max())
    assert fast.x_mw.shape == ref.x_mw.shape, (fast.x_mw, ref.x_mw)
    assert np.allclose(fast.x_mw, ref.x_mw, rtol=0.0, atol=1e-7)
    assert np.allclose(fast.cost_eur, ref.cost_eur, rtol=0.0, atol=1e-7 * scale)


# -- random small feeders --------------------------------------------------------------------------


def random_feeder(rng: np.random.Generator, n: int, rating: float) -> Feeder:
    parents = [int(rng.integers(0, i)) for i in range(1, n)]
    return make_feeder(
        "rand",
        base_mva=1.0,
        root=0,
        nodes=nodes(list(range(n)), v_min=[1.0] + [0.9] * (n - 1), v_max=[1.0] + [1.1] * (n - 1)),
        branches=branches(
            [(parents[i - 1], i) for i in range(1, n)],
            r_list=list(rng.uniform(0.005, 0.05, n - 1)),
            x_list=list(rng.uniform(0.005, 0.05, n - 1)),
            rating=list(rng.uniform(rating, 2 * rating, n - 1)),
        ),
    )


def random_intervals(
    rng: np.random.Generator, fd: Feeder, k: int, T: int
) -> tuple[Any, Any, Injectors]:
    """Loads and offers for T intervals; interval 1 repeats interval 0 (identical inputs)."""
    n = fd.n_node
    load_p = np.vstack([np.zeros(T), rng.uniform(0.0, 0.4, (n - 1, T))])
    load_q = 0.3 * load_p
    cap = rng.uniform(0.0, 0.5, (k, T)) * (rng.random((k, T)) < 0.85)
    price = rng.uniform(-20.0, 80.0, (k, T))
    if T > 1:
        load_p[:, 1], load_q[:, 1], cap[:, 1], price[:, 1] = (
            load_p[:, 0], load_q[:, 0], cap[:, 0], price[:, 0])
    inj = Injectors(
        offer_row=np.arange(k), feeder=np.zeros(k, dtype=np.int64),
        node=rng.integers(1, n, k), direction=rng.choice([-1, 1], k),
        reactive=np.zeros(k, dtype=bool), price=price, cap=cap,
    )
    return load_p, load_q, inj


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n=st.integers(2, 6),
    k=st.integers(1, 7),
    T=st.integers(1, 4),
    rating=st.floats(0.3, 2.0),
)
def test_warm_curves_equal_cold_method_and_brute_force(
    seed: int, n: int, k: int, T: int, rating: float
) -> None:
    rng = np.random.default_rng(seed)
    fd = random_feeder(rng, n, rating)
    load_p, load_q, inj = random_intervals(rng, fd, k, T)
    progs = feeder_programs(fd, load_p, load_q, inj, dt_h=0.25)
    assert progs is not None and progs.same_matrix
    par = None
    order = list(rng.permutation(T)) + list(range(T))  # switch intervals in any order, twice
    for t in order:
        par = progs.load(par, int(t))
        base = float(load_p[:, t].sum())
        fast = sandwich_curve(par, base, fd.id, 0.25)
        ref = reference_curve(progs.block(int(t)), progs.root_col[t], base, 0.25)
        assert_same_curve(fast, ref)
        rows, d = inj.node, inj.direction
        q, c = inj.cap[:, t], inj.price[:, t] * 0.25  # direct_cost: € per interval
        if not fast.ok:
            assert direct_cost(fd, load_p[:, t], load_q[:, t], rows, d, q, c, x=base) is None
            continue
        for x in np.linspace(fast.x_min_mw, fast.x_max_mw, 6):
            direct = direct_cost(fd, load_p[:, t], load_q[:, t], rows, d, q, c, x=float(x))
            assert direct is not None
            assert float(fast.cost_at(x)) == pytest.approx(direct, abs=1e-6 * (1 + abs(direct)))
        # the dispatch on the same warm object costs V(x)
        x = 0.5 * (fast.x_min_mw + fast.x_max_mw)
        sol = par.solution_at(x)
        assert sol is not None and sol[0] == pytest.approx(float(fast.cost_at(x)), abs=1e-7)
        assert sol[1][progs.root_col[t]] == pytest.approx(x, abs=1e-9)


def test_part_of_the_range_from_a_feasible_and_an_infeasible_end() -> None:
    rng = np.random.default_rng(4)
    fd = random_feeder(rng, 5, 0.6)
    load_p, load_q, inj = random_intervals(rng, fd, 6, 1)
    inj = dataclasses.replace(inj, cap=np.full((6, 1), 0.4))
    progs = feeder_programs(fd, load_p, load_q, inj, dt_h=1.0)
    assert progs is not None
    base = float(load_p[:, 0].sum())
    full = reference_curve(progs.block(0), progs.root_col[0], base, 1.0)
    assert full.ok and len(full.x_mw) >= 3
    mid = float(full.x_mw[1])
    par = progs.load(None, 0)
    for rng_, lo, hi in (((mid, np.inf), mid, full.x_max_mw),
                         ((-np.inf, mid), full.x_min_mw, mid),
                         ((mid, full.x_max_mw + 5.0), mid, full.x_max_mw),
                         ((full.x_min_mw - 5.0, mid), full.x_min_mw, mid)):
        part = sandwich_curve(par, base, fd.id, 1.0, x_range=rng_)
        assert part.x_min_mw == pytest.approx(lo, abs=1e-7)
        assert part.x_max_mw == pytest.approx(hi, abs=1e-7)
        xs = np.linspace(lo, hi, 9)
        assert np.allclose(part.cost_at(xs), full.cost_at(xs), atol=1e-7)
    empty = sandwich_curve(par, base, fd.id, 1.0, x_range=(full.x_max_mw + 1.0, np.inf))
    assert not empty.ok


def test_baseline_at_a_range_end_is_feasible_despite_rounding() -> None:
    x = np.array([0.0, 3.26423048454132])
    cur = InterfaceCurve("f", x, np.array([1.0, 0.0]), 3.264230484541326, 0.25, "optimal", 0)
    assert cur.baseline_feasible and cur.reference_mw == x[-1]
    far = dataclasses.replace(cur, baseline_mw=3.2643)
    assert not far.baseline_feasible


def test_blocks_share_matrix_detects_a_different_block() -> None:
    blk = sp.random(4, 5, density=0.5, random_state=1, format="csr") + sp.eye(4, 5)
    col_t = np.repeat([0, 1], 5)
    row_t = np.repeat([0, 1], 4)
    same = sp.block_diag([blk, blk], format="csr")
    assert blocks_share_matrix(same, col_t, row_t, 2)
    other = blk.copy()
    other.data[0] += 1.0
    assert not blocks_share_matrix(sp.block_diag([blk, other], format="csr"), col_t, row_t, 2)
    # interleaved (not period-major) layout of the same blocks is still recognised
    perm = np.argsort(np.tile(np.arange(5), 2), kind="stable")
    assert blocks_share_matrix(same[:, perm], col_t[perm], row_t, 2)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_feeder_curves_equal_one_cold_curve_per_interval(seed: int) -> None:
    """The scheme path (merit order + warm LP across intervals + cache of identical intervals)
    equals the curve of each interval's LP built and solved on its own."""
    rng = np.random.default_rng(seed)
    T = 4
    k = 8
    rows = [(f"o{i}", 0, int(rng.integers(1, 5)), int(rng.choice([-1, 1])),
             float(rng.uniform(0.2, 1.5)), float(rng.uniform(0.0, 60.0))) for i in range(k)]
    book = offers(rows, T)
    qty = book.quantity_mw * rng.uniform(0.5, 1.5, (k, T))
    qty[:, 2] = qty[:, 0]  # interval 2 repeats interval 0 (same loads, same offers)
    book = book.with_quantity(qty)
    g = grid(1, float(rng.uniform(2.0, 5.0)))
    scale = rng.uniform(0.5, 1.4, T)  # some intervals overload b12 at the baseline
    scale[2] = scale[0]
    fd = g.feeders[0]
    fp = [np.asarray((fd.node_load_mw() - fd.node_sgen_mw())[:, None] * scale[None, :])]
    fq = [np.asarray((fd.node_load_mvar() - fd.node_sgen_mvar())[:, None] * scale[None, :])]
    case = build_case(g, book, tso_need_mw=np.zeros(T), feeder_p_mw=fp, feeder_q_mvar=fq)
    inj = offer_injectors(case)
    fc = feeder_curves(case, 0, inj, zero_prior(case), Margins())
    fd_m = margined_feeder(case.grid.feeders[0], Margins(), float(case.interface_rating_mva[0]))
    o = case.offers
    for t in range(T):
        cold = interface_offer_curve(  # priced as the clearing sees them (bid + tie-break)
            fd_m, case.feeder_p_mw[0][:, t], case.feeder_q_mvar[0][:, t], o.node,
            o.direction, o.quantity_mw[:, t], inj.price[:, t], dt_h=case.dt_h,
        )
        cur = fc.curves[t]
        if cur is None:
            assert not cold.baseline_feasible
            continue
        assert cur.x_min_mw == pytest.approx(cold.x_min_mw, abs=1e-7)
        assert cur.x_max_mw == pytest.approx(cold.x_max_mw, abs=1e-7)
        xs = np.unique(np.concatenate([cur.x_mw, cold.x_mw, np.linspace(cold.x_min_mw,
                                                                        cold.x_max_mw, 23)]))
        assert np.allclose(cur.cost_at(xs), cold.cost_at(xs), atol=1e-7)
    assert fc.curves[2] is fc.curves[0]
