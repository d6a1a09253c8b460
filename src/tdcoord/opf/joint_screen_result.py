"""The :class:`~tdcoord.opf.joint_result.JointResult` of a screened joint T+D OPF.

Transmission: the transmission part of every master solution, read by the DC-OPF extractor
(LMPs with energy / congestion components). Feeders: reconstructed from the dispatch and the
duals of the generated rows (omitted rows have zero dual), stacked per template group and
handed out as per-feeder :class:`~tdcoord.opf.feeder_result.FeederResult` objects whose arrays
are views into the stacked ones (no per-feeder copies):

* voltages, flows and root import from the sensitivities (:mod:`tdcoord.opf.joint_sensitivity`);
* DLMPs (Δt × DLMP = π_p of :func:`tdcoord.opf.joint_screen_check.node_prices`): ``energy`` the
  interface LMP, ``congestion`` the branch and interface facet duals, ``voltage`` the voltage
  duals, ``loss`` 0 (lossless) — they sum to the total by construction, which equals the
  lossless closed form of :mod:`tdcoord.opf.dlmp` (Papavasiliou 2018);
* slacks straight from the generated columns; binding limits from the reconstructed state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tdcoord.grid.tables import FloatArray
from tdcoord.opf import dcopf
from tdcoord.opf.dlmp import DlmpComponents
from tdcoord.opf.feeder_result import FeederResult
from tdcoord.opf.joint_master import (
    CURTAIL,
    OFFER_P,
    OFFER_Q,
    S_OVER,
    S_SUB,
    SHED,
    V_DN,
    V_UP,
)
from tdcoord.opf.joint_result import JointResult, assemble_result
from tdcoord.opf.joint_screen_check import feeder_state, group_view, node_prices
from tdcoord.opf.joint_screen_state import Screen, read_values
from tdcoord.opf.joint_sensitivity import FeederGroup
from tdcoord.opf.lp import LpSolution


def _transmission(s: Screen, sols: Sequence[LpSolution]) -> dcopf.DcOpfResult:
    lp = s.model.lp
    n, m = lp.n_col, lp.n_row
    parts = [
        LpSolution(
            status=sol.status,
            objective=float(lp.cost @ sol.x[:n] + lp.offset),
            x=sol.x[:n],
            row_duals=sol.row_duals[:m],
            col_duals=sol.col_duals[:n],
            row_activity=sol.row_activity[:m],
            solver=sol.solver,
            solver_version=sol.solver_version,
            time_s=sol.time_s,
            iterations=sol.iterations,
            model_status=sol.model_status,
        )
        for sol in sols
    ]
    return dcopf._extract(s.model, parts, "simplex", 0.0, 0.0, check_hard=False)


def _failed(s: Screen, f: int, status: str) -> FeederResult:
    fd = s.case.feeder_cases[f].feeder
    n, T = fd.n_node, s.T
    nan = np.full((n, T), np.nan)
    return FeederResult(
        status=status, objective=float("nan"), model="lindistflow", feeder_id=fd.id,
        node_ids=[int(v) for v in fd.nodes.id], branch_ids=[int(v) for v in fd.branches.id],
        v_pu=nan, p_flow_mw=nan[1:], q_flow_mvar=nan[1:], p_root_mw=np.full(T, np.nan),
        q_root_mvar=np.full(T, np.nan), losses_mw=np.full(T, np.nan),
        p_offer_mw=np.full((0, T), np.nan), q_offer_mvar=np.full((0, T), np.nan), prices=None,
        binding={}, slacks={}, solver="highs", solver_version="", time_s=0.0, iterations=0,
    )


_SLACK_KEYS = {
    SHED: ("load_shed_mw", "node", "mw"),
    CURTAIL: ("curtailment_mw", "node", "mw"),
    V_UP: ("overvoltage_pu2", "node", "pu2"),
    V_DN: ("undervoltage_pu2", "node", "pu2"),
    S_OVER: ("overload_mva", "branch", "mva"),
    S_SUB: ("substation_overload_mva", "node", "mva"),
}


def _split(owner: np.ndarray, n_owner: int) -> np.ndarray:
    """Start of each owner's run in a sorted ``owner`` array (length n_owner + 1)."""
    return np.searchsorted(owner, np.arange(n_owner + 1))


def _group_results(
    s: Screen, g: int, grp: FeederGroup, x: FloatArray, y: FloatArray, y_bal: FloatArray,
    cost: FloatArray, status: str, out: list[FeederResult | None],
) -> FloatArray:
    """Fill ``out`` for the group's feeders; return their interface congestion from the
    interface-facet duals (F_g, T)."""
    case, T, dt = s.case, s.T, s.case.period_hours
    opts, poly = case.options, case.options.facets()
    fd = grp.template
    n, m, Fg = grp.n_node, grp.n_branch, len(grp.feeders)
    v = group_view(s.cols, s.rows, grp, g, s.group_of, s.local_of, T)
    st = feeder_state(v, s.cols, x)
    pr = node_prices(v, s.rows, y, y_bal[(grp.feeders[:, None] * T + np.arange(T)).ravel()], poly)
    node_ids = [int(i) for i in fd.nodes.id]
    branch_ids = [int(i) for i in fd.branches.id]
    shape_n, shape_m = (Fg, T, n), (Fg, T, m)
    V = np.sqrt(np.maximum(st.w, 0.0)).reshape(shape_n)
    P, Q = st.P.reshape(shape_m), st.Q.reshape(shape_m)
    energy = np.broadcast_to((pr.energy / dt)[:, None], (Fg * T, n)).reshape(shape_n)
    congestion = (pr.congestion / dt).reshape(shape_n)
    voltage = (pr.voltage / dt).reshape(shape_n)
    reactive = (pr.reactive / dt).reshape(shape_n)
    total = energy + congestion + voltage
    zero = np.zeros((n, T))
    # binding limits (as FeederResult: branches by id then period; voltages upper then lower)
    rated = np.flatnonzero(np.isfinite(grp.rating_mva))
    tol = opts.binding_tol
    binding: list[list[dict[str, Any]]] = [[] for _ in range(Fg)]
    vbinding: list[list[dict[str, Any]]] = [[] for _ in range(Fg)]
    if rated.size:
        util = np.max(
            [(poly.a_p[k] * st.P[:, rated] + poly.a_q[k] * st.Q[:, rated]) / poly.a_s[k]
             for k in range(poly.n_facets)],
            axis=0,
        ).reshape(Fg, T, rated.size)
        rating = grp.rating_mva[rated]
        fk, bj, tt = np.nonzero(
            (util >= rating - tol * np.maximum(1.0, rating)).transpose(0, 2, 1)
        )
        for a, j, t in zip(fk.tolist(), bj.tolist(), tt.tolist(), strict=True):
            binding[a].append({"branch": branch_ids[int(rated[j])], "period": t,
                               "flow_mva": float(util[a, t, j]), "rating_mva": float(rating[j])})
    W = st.w.reshape(shape_n)
    for side, mask in (("upper", grp.w_max - tol <= W), ("lower", grp.w_min + tol >= W)):
        mask[:, :, 0] = False
        fk, nj, tt = np.nonzero(mask.transpose(0, 2, 1))
        for a, j, t in zip(fk.tolist(), nj.tolist(), tt.tolist(), strict=True):
            vbinding[a].append({"node": node_ids[j], "period": t, "side": side,
                                "v_pu": float(V[a, t, j])})
    # slacks and offers from the register
    cols = s.cols
    idx = v.cols
    loc = s.local_of[cols.f[idx]]
    own = np.bincount(loc, cost[idx] * x[idx], minlength=Fg)
    sl = idx[np.isin(cols.kind[idx], list(_SLACK_KEYS)) & (x[idx] > tol)]
    sl = sl[np.lexsort((cols.t[sl], cols.elem[sl], cols.kind[sl], s.local_of[cols.f[sl]]))]
    starts = _split(s.local_of[cols.f[sl]], Fg)
    price = {SHED: opts.voll, CURTAIL: opts.curtailment_price, V_UP: opts.voltage_penalty,
             V_DN: opts.voltage_penalty, S_OVER: opts.thermal_penalty,
             S_SUB: opts.thermal_penalty}
    for a, f in enumerate(grp.feeders.tolist()):  # one result object per feeder (views)
        if status != "optimal":
            out[f] = _failed(s, f, status)
            continue
        fc = case.feeder_cases[f]
        slacks: dict[str, list[dict[str, Any]]] = {}
        for c in sl[starts[a]:starts[a + 1]].tolist():
            kind = int(cols.kind[c])
            key, element, unit = _SLACK_KEYS[kind]
            e = int(cols.elem[c])
            name = branch_ids[e] if element == "branch" else node_ids[max(e, 0)]
            slacks.setdefault(key, []).append(
                {element: name, "period": int(cols.t[c]), unit: float(x[c]), "price": price[kind]}
            )
        mine = idx[loc == a]
        p_off = np.zeros((fc.n_offers, T))
        q_off = np.where(fc.offer_q_min_mvar == fc.offer_q_max_mvar, fc.offer_q_min_mvar, 0.0)
        for kind, arr in ((OFFER_P, p_off), (OFFER_Q, q_off)):
            o = mine[cols.kind[mine] == kind]
            arr[cols.facet[o], cols.t[o]] = x[o]
        violated = any(k != "curtailment_mw" for k in slacks)
        out[f] = FeederResult(
            status="optimal_with_slacks" if violated else "optimal",
            objective=float(own[a]), model="lindistflow", feeder_id=fc.feeder.id,
            node_ids=node_ids, branch_ids=branch_ids, v_pu=V[a].T, p_flow_mw=P[a].T,
            q_flow_mvar=Q[a].T, p_root_mw=st.p_root.reshape(Fg, T)[a],
            q_root_mvar=st.q_root.reshape(Fg, T)[a], losses_mw=np.zeros(T),
            p_offer_mw=p_off, q_offer_mvar=q_off,
            prices=DlmpComponents(total=total[a].T, energy=energy[a].T, loss=zero,
                                  congestion=congestion[a].T, voltage=voltage[a].T,
                                  reactive=reactive[a].T, max_residual=0.0),
            binding={"branches": binding[a], "voltages": vbinding[a]}, slacks=slacks,
            solver="highs", solver_version="", time_s=0.0, iterations=0,
        )
    return np.asarray(congestion[:, :, 0])


def screened_result(s: Screen, sols: Sequence[LpSolution]) -> JointResult:
    """Assemble the joint result from the final masters (module docstring)."""
    case = s.case
    ok = all(sol.status == "optimal" for sol in sols)
    status = "optimal" if ok else next(sol.status for sol in sols if sol.status != "optimal")
    x, y, y_bal = read_values(s, sols) if ok else (
        np.zeros(len(s.cols)), np.zeros(len(s.rows)), np.zeros(case.n_feeders * s.T)
    )
    cost = np.zeros(len(s.cols))
    for mi, mast in enumerate(s.masters):
        c = s.cols.master == mi
        cost[c] = mast.lp.cost[s.cols.local[c]]
    tr = _transmission(s, sols)
    feeders: list[FeederResult | None] = [None] * case.n_feeders
    congestion = np.zeros((case.n_feeders, s.T))
    for g, grp in enumerate(s.groups):
        congestion[grp.feeders] = _group_results(s, g, grp, x, y, y_bal, cost, status, feeders)
    done = [r for r in feeders if r is not None]
    return assemble_result(
        case, tr, done, congestion,
        objective=float(sum(sol.objective for sol in sols)) if ok else float("nan"),
        solver_status=status, method="screened", iterations=0, loss_iterations=1, timings={},
    )
