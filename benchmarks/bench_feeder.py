"""Feeder OPF timings: warm vs cold LinDistFlow re-solves, SOCP via Clarabel native vs cvxpy.

Run: ``.venv/bin/python benchmarks/bench_feeder.py`` (not part of the tests; needs ``cvxpy`` for
the last comparison: ``uv pip install --python .venv/bin/python cvxpy``).

The 123-node feeder: pandapower has no IEEE 123-bus feeder, so this builds one from
``pandapower.networks.case33bw``: three full copies of its 32 non-root nodes plus the first 26
(breadth-first, hence a connected sub-tree) of a fourth copy, each copy hanging from the common
root through its own first branch (1 + 3·32 + 26 = 123 nodes). 24 periods with a daily load
profile and price curve, 12 DER offers. Reference (performance-notes.md, "Feeders"): 117 ms cold,
4.6 ms warm (25×); Clarabel native 0.57–0.68× the time of the same model through cvxpy.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable
from tdcoord.grid.io.source import load_grid
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.opf.distflow import WarmDistFlow, cold_equivalent
from tdcoord.opf.feeder_case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder_conic import solve_conic
from tdcoord.opf.feeder_lp import build_program
from tdcoord.opf.lp import solve

T = 24


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
    hours = np.arange(T)
    profile = 0.7 + 0.4 * np.sin((hours - 6) / 24 * 2 * np.pi).clip(0) + 0.1 * (hours >= 17)
    price = 40 + 30 * profile
    ends = f.nodes.id[np.isin(f.nodes.id % 1000, [17, 32, 24, 21])]
    offers = FlexOffers(node=ends[:12], p_min_mw=0.0, p_max_mw=0.3,
                        cost_eur_per_mwh=np.linspace(45, 90, len(ends[:12])),
                        q_min_mvar=-0.1, q_max_mvar=0.1)
    return FeederCase.build(f, price_eur_per_mwh=price, load_scale=profile, offers=offers)


def best(fn: Callable[[], float], repeat: int = 5) -> float:
    """Best of `repeat` timings (seconds) returned by fn."""
    return min(fn() for _ in range(repeat))


def main() -> None:
    case = case123()
    print(f"feeder: {case.feeder.n_node} nodes × {T} periods, {case.n_offers} offers")
    warm = WarmDistFlow(case, FeederOptions(prune_facets=True))  # facets pruned (opt-in)
    program = warm.program
    print(f"LP: {program.lp.n_col} columns, {program.lp.n_row} rows, nnz {program.lp.A.nnz}")

    def cold_total() -> float:
        t0 = time.perf_counter()
        cold_equivalent(warm)
        return time.perf_counter() - t0

    def cold_solver() -> float:
        return solve(warm.current_program.lp).time_s

    rng = np.random.default_rng(0)

    solver_s: dict[str, list[float]] = {"price": [], "bounds": []}

    def warm_price() -> float:
        warm.set_price(case.price_eur_per_mwh * rng.uniform(0.8, 1.2, T))
        t0 = time.perf_counter()
        solver_s["price"].append(warm.solve().time_s)
        return time.perf_counter() - t0

    def warm_bounds() -> float:
        warm.set_offer_bounds(0.0, rng.uniform(0.1, 0.4, case.n_offers))
        t0 = time.perf_counter()
        solver_s["bounds"].append(warm.solve().time_s)
        return time.perf_counter() - t0

    warm.solve()
    t_cold, t_cold_solver = best(cold_total), best(cold_solver)
    t_price, t_bounds = best(warm_price), best(warm_bounds)
    print(f"LinDistFlow cold (solve + read + DLMP):  {t_cold * 1e3:8.2f} ms "
          f"(HiGHS alone {t_cold_solver * 1e3:.2f} ms)")
    print(f"warm after price change:                 {t_price * 1e3:8.2f} ms  "
          f"ratio cold/warm {t_cold / t_price:5.1f}×")
    print(f"warm after offer-bound change:           {t_bounds * 1e3:8.2f} ms  "
          f"ratio cold/warm {t_cold / t_bounds:5.1f}×")
    for what, times in solver_s.items():
        best_s = min(times)
        print(f"  HiGHS alone, warm after {what} change: {best_s * 1e3:6.2f} ms  "
              f"ratio cold/warm (solver only) {t_cold_solver / best_s:5.1f}×")

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
    print(f"SOCP / LP cold ratio: {t_native / t_cold:4.1f}×")


if __name__ == "__main__":
    main()
