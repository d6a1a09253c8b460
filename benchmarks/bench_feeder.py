"""Feeder OPF timings: warm vs cold LinDistFlow re-solves, SOCP via Clarabel native vs cvxpy.

Run: ``.venv/bin/python benchmarks/bench_feeder.py [--lp-only]`` (not part of the tests; needs
``cvxpy`` for the last comparison: ``uv pip install --python .venv/bin/python cvxpy``).

LinDistFlow part: for the stacked warm program (one HiGHS object) and the per-period one (one
per period, :class:`tdcoord.opf.lp.BlockWarmLp`), the cold solve and warm re-solves after price,
offer-bound and load changes (all periods or one), split into HiGHS, solve (HiGHS + copying the
solution out), read (result incl. DLMPs) and the DLMP decomposition alone (wall clock, best of
the repeats), and the CPU time of the whole solve + read + DLMP — the ratio uses CPU time, which
a machine shared with other jobs does not inflate. Ratios are against the stacked cold solve +
read + DLMP (what ``solve_distflow_at`` costs).

The 123-node feeder: pandapower has no IEEE 123-bus feeder, so this builds one from
``pandapower.networks.case33bw``: three full copies of its 32 non-root nodes plus the first 26
(breadth-first, hence a connected sub-tree) of a fourth copy, each copy hanging from the common
root through its own first branch (1 + 3·32 + 26 = 123 nodes). 24 periods with a daily load
profile and price curve, 12 DER offers. Reference (performance-notes.md, "Feeders"): 117 ms cold,
4.6 ms warm (25×); Clarabel native 0.57–0.68× the time of the same model through cvxpy.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable
from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import WarmDistFlow
from tdcoord.opf.feeder.dlmp import DlmpKkt, decompose
from tdcoord.opf.feeder.program import build_program, period_labels
from tdcoord.opf.feeder.result import SolverAnswer, read_result
from tdcoord.opf.lp import BlockWarmLp, solve
from tdcoord.opf.lp.conic import solve_conic

T = 24
_HOURS = np.arange(T)
#: Daily load profile (also the price shape).
PROFILE = 0.7 + 0.4 * np.sin((_HOURS - 6) / 24 * 2 * np.pi).clip(0) + 0.1 * (_HOURS >= 17)


def feeder123() -> Feeder:
    """123 nodes from copies of case33bw (see the module docstring)."""
    base = load_grid("pandapower:case33bw").feeders[0]
    sizes = [32, 32, 32, 26]
    node_ids, vn, vmin, vmax = [0], [base.nodes.vn_kv[0]], [1.0], [1.0]
    br: dict[str, list[float]] = {k: [] for k in ("from", "to", "r", "x")}
    load_bus, load_p, load_q = [], [], []
    p_node, q_node = base.node_load_mw(), base.node_load_mvar()
    for c, size in enumerate(sizes):
        rows = np.arange(1, size + 1)  # BFS rows: the first `size` non-root nodes
        new_id = {0: 0, **{int(r): 1000 * (c + 1) + int(r) for r in rows}}
        for r in rows:
            node_ids.append(new_id[int(r)])
            vn.append(base.nodes.vn_kv[r])
            vmin.append(base.nodes.v_min_pu[r])
            vmax.append(base.nodes.v_max_pu[r])
            br["from"].append(new_id[int(base.parent[r])])
            br["to"].append(new_id[int(r)])
            br["r"].append(base.branches.r_pu[r - 1])
            br["x"].append(base.branches.x_pu[r - 1])
            load_bus.append(new_id[int(r)])
            load_p.append(p_node[r] * 0.9)
            load_q.append(q_node[r] * 0.9)
    m = len(br["to"])
    return make_feeder(
        "feeder123",
        base_mva=base.base_mva,
        root=0,
        nodes=NodeTable(id=np.array(node_ids), vn_kv=np.array(vn), v_min_pu=np.array(vmin),
                        v_max_pu=np.array(vmax)),
        branches=FeederBranchTable(
            id=np.arange(m), name=np.array([f"b{i}" for i in range(m)], dtype=object),
            from_node=np.array(br["from"]), to_node=np.array(br["to"]), r_pu=np.array(br["r"]),
            x_pu=np.array(br["x"]), b_pu=np.zeros(m), rating_mva=np.full(m, 2.0),
            is_transformer=np.zeros(m, dtype=bool),
        ),
        loads=LoadTable(id=np.arange(len(load_bus)), bus=np.array(load_bus),
                        p_mw=np.array(load_p), q_mvar=np.array(load_q),
                        profile=np.array([""] * len(load_bus), dtype=object)),
    )


def case123() -> FeederCase:
    f = feeder123()
    profile = PROFILE
    price = 40 + 30 * profile
    ends = f.nodes.id[np.isin(f.nodes.id % 1000, [17, 32, 24, 21])]
    offers = FlexOffers(node=ends[:12], p_min_mw=0.0, p_max_mw=0.3,
                        cost_eur_per_mwh=np.linspace(45, 90, len(ends[:12])),
                        q_min_mvar=-0.1, q_max_mvar=0.1)
    return FeederCase.build(f, price_eur_per_mwh=price, load_scale=profile, offers=offers)


def best(fn: Callable[[], float], repeat: int = 5) -> float:
    """Best of `repeat` timings (seconds) returned by fn."""
    return min(fn() for _ in range(repeat))


def cold_split(warm: WarmDistFlow, per_period: bool) -> dict[str, float]:
    """Cold solve of the warm object's current program (seconds): ``cpu`` = CPU time of solve +
    read + DLMP; wall ``highs``, ``solve`` (incl. copying the solution out), ``read``, ``dlmp``."""
    program = warm.current_program
    c0, t0 = time.process_time(), time.perf_counter()
    if per_period:
        T = warm.case.n_periods
        lp = program.lp
        sol = BlockWarmLp(lp, period_labels(lp.col_blocks, T), period_labels(lp.row_blocks, T),
                          method="simplex").solve(lean=True)
    else:
        sol = solve(program.lp)
    t1 = time.perf_counter()
    answer = SolverAnswer(sol.status, sol.x, sol.row_duals, sol.solver, sol.solver_version,
                          sol.time_s, 1)
    res = read_result(program, warm.case, warm.options, answer)
    t2, cpu = time.perf_counter(), time.process_time() - c0
    decompose(program, warm.case, res.row_duals)  # the DLMP part of the read (LU included)
    return {"cpu": cpu, "highs": sol.time_s, "solve": t1 - t0, "read": t2 - t1,
            "dlmp": time.perf_counter() - t2}


def warm_split(warm: WarmDistFlow, change: Callable[[], None], kkt: DlmpKkt,
               repeat: int) -> dict[str, float]:
    """Warm re-solves after `change`, best of `repeat` for every entry separately (seconds):
    ``cpu`` = CPU time of ``solve()``, wall ``highs`` / ``solve`` / ``read`` from
    ``warm.last_timing_s``, ``dlmp`` = the decomposition alone (cached factorisation)."""
    rows: list[dict[str, float]] = []
    for _ in range(repeat):
        change()
        c0 = time.process_time()
        res = warm.solve()
        cpu = time.process_time() - c0
        assert res.ok
        t1 = time.perf_counter()
        decompose(warm.current_program, warm.case, res.row_duals, kkt=kkt)
        rows.append({"cpu": cpu, **warm.last_timing_s, "dlmp": time.perf_counter() - t1})
    return {key: min(r[key] for r in rows) for key in rows[0]}


def ms(v: float) -> str:
    return f"{v * 1e3:7.2f}"


def warm_table(case: FeederCase, per_period: bool, repeat: int) -> None:
    """Cold and warm timings of one warm mode (stacked or one HiGHS per period)."""
    label = "per period" if per_period else "stacked"
    warm = WarmDistFlow(case, FeederOptions(prune_facets=True), per_period=per_period)
    warm.solve()
    kkt = DlmpKkt.of(warm.current_program, warm.case)
    rng = np.random.default_rng(0)
    k = case.n_offers

    def price_all() -> None:
        warm.set_price(case.price_eur_per_mwh * rng.uniform(0.8, 1.2, T))

    def price_one() -> None:
        price = warm.case.price_eur_per_mwh.copy()
        price[rng.integers(T)] *= rng.uniform(0.8, 1.2)
        warm.set_price(price)

    def bounds_all() -> None:
        warm.set_offer_bounds(0.0, rng.uniform(0.1, 0.4, k))

    def bounds_one() -> None:
        hi = warm.case.offer_p_max_mw.copy()
        hi[:, rng.integers(T)] = rng.uniform(0.1, 0.4, k)
        warm.set_offer_bounds(warm.case.offer_p_min_mw, hi)

    def load_all() -> None:
        warm.set_load_scale(PROFILE * rng.uniform(0.95, 1.05, T))

    def best_cold(pp: bool) -> dict[str, float]:
        rows = [cold_split(warm, pp) for _ in range(3)]
        return {key: min(r[key] for r in rows) for key in rows[0]}

    cold, ref = best_cold(per_period), best_cold(False)
    print(f"\n[{label}] LP {warm.current_program.lp.n_row} rows × "
          f"{warm.current_program.lp.n_col} columns; ms, best of {repeat}; ratios against the "
          f"stacked cold solve (CPU {ms(ref['cpu'])}, HiGHS {ms(ref['highs'])})")
    print(f"{'':28s} {'CPU':>7s} {'HiGHS':>7s} {'solve':>7s} {'read':>7s} {'DLMP':>7s} "
          f"{'ratio':>7s} {'HiGHS ratio':>11s}")

    def line(what: str, r: dict[str, float]) -> None:
        print(f"{what:28s} {ms(r['cpu'])} {ms(r['highs'])} {ms(r['solve'])} {ms(r['read'])} "
              f"{ms(r['dlmp'])} {ref['cpu'] / r['cpu']:6.1f}× {ref['highs'] / r['highs']:10.1f}×")

    line("cold (solve + read + DLMP)", cold)
    for what, change in (("warm, price (all periods)", price_all),
                         ("warm, price (one period)", price_one),
                         ("warm, offer bounds (all)", bounds_all),
                         ("warm, offer bounds (one)", bounds_one),
                         ("warm, load scale (all)", load_all)):
        line(what, warm_split(warm, change, kkt, repeat))


def main() -> None:
    case = case123()
    print(f"feeder: {case.feeder.n_node} nodes × {T} periods, {case.n_offers} offers "
          "(facets pruned, FeederOptions(prune_facets=True))")
    for per_period in (False, True):
        warm_table(case, per_period, repeat=15)
    if "--lp-only" in sys.argv:
        return

    socp = build_program(case, FeederOptions(), model="socp")

    def native() -> float:
        t0 = time.perf_counter()
        sol = solve_conic(socp.lp, socp.cones, tol=1e-8)
        assert sol.status == "optimal"
        return time.perf_counter() - t0

    t_native = best(native, 3)
    print(f"SOCP Clarabel native API:                {t_native * 1e3:8.2f} ms")
    try:
        import cvxpy as cp
    except ImportError:
        print("cvxpy not installed: skipping the cvxpy comparison")
        return
    lp, cones = socp.lp, socp.cones
    assert cones is not None

    def via_cvxpy() -> float:
        t0 = time.perf_counter()
        x = cp.Variable(lp.n_col)
        eq = lp.row_lower == lp.row_upper
        cons = [lp.A[eq] @ x == lp.row_upper[eq]]
        up = (lp.row_upper < np.inf) & ~eq
        lo = (lp.row_lower > -np.inf) & ~eq
        cons += [lp.A[up] @ x <= lp.row_upper[up], lp.A[lo] @ x >= lp.row_lower[lo]]
        cu, cl = lp.col_upper < np.inf, lp.col_lower > -np.inf
        cons += [x[cu] <= lp.col_upper[cu], x[cl] >= lp.col_lower[cl]]
        z = cones.G @ x + cones.h
        dims = np.asarray(cones.dims)
        four = int((dims == 4).sum())  # the branch-flow cones come first, all of size 4
        Z = cp.reshape(z[: 4 * four], (4, four), order="F")  # type: ignore[attr-defined]
        cons.append(cp.SOC(Z[0, :], Z[1:, :], axis=0))
        prob = cp.Problem(cp.Minimize(lp.cost @ x), cons)
        prob.solve(  # type: ignore[no-untyped-call]
            solver=cp.CLARABEL, tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8
        )
        assert prob.status == "optimal"
        return time.perf_counter() - t0

    t_cvx = best(via_cvxpy, 3)
    print(f"SOCP same model through cvxpy+Clarabel:  {t_cvx * 1e3:8.2f} ms  "
          f"ratio native/cvxpy {t_native / t_cvx:4.2f}")


if __name__ == "__main__":
    main()
