"""The :class:`~tdcoord.opf.joint.result.JointResult` of a screened joint T+D OPF.

Transmission: the transmission part of every master solution, read by the DC-OPF extractor
(LMPs with energy / congestion components). Feeders: reconstructed from the dispatch and the
duals of the generated rows (omitted rows have zero dual), stacked per template group and
handed out as per-feeder :class:`~tdcoord.opf.feeder.result.FeederResult` objects whose arrays
are views into the stacked ones (no per-feeder copies):

* voltages, flows and root import from the sensitivities (:mod:`tdcoord.opf.joint.sensitivity`);
* DLMPs (Δt × DLMP = π_p of :func:`tdcoord.opf.joint.screen_check.node_prices`): ``energy`` the
  interface LMP, ``congestion`` the branch and interface facet duals, ``voltage`` the voltage
  duals, ``loss`` 0 (lossless) — they sum to the total by construction, which equals the
  lossless closed form of :mod:`tdcoord.opf.feeder.dlmp` (Papavasiliou 2018);
* slacks straight from the generated columns; binding limits from the reconstructed state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from tdcoord.opf.feeder.dlmp import DlmpComponents
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.joint.master import (
    CURTAIL,
    OFFER_P,
    OFFER_Q,
    S_OVER,
    S_SUB,
    SHED,
    V_DN,
    V_UP,
)
from tdcoord.opf.joint.result import JointResult, assemble_result
from tdcoord.opf.joint.screen_check import feeder_state, group_views, node_prices
from tdcoord.opf.joint.screen_state import Screen, read_values
from tdcoord.opf.joint.sensitivity import FeederGroup
from tdcoord.opf.lp import LpSolution
from tdcoord.opf.transmission.extract import extract_result
from tdcoord.opf.transmission.result import DcOpfResult
from tdcoord.types import FloatArray, IntArray


def _transmission(s: Screen, sols: Sequence[LpSolution]) -> DcOpfResult:
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
    return extract_result(s.model, parts, "simplex", 0.0, 0.0, check_hard=False)


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


#: Feeder-periods evaluated together (cache-sized temporaries; the outputs are written once).
CHUNK = 2048


@dataclasses.dataclass
class _GroupArrays:
    """Stacked per-group outputs (F_g, T, ·) and what the chunks collect."""

    V: FloatArray
    P: FloatArray
    Q: FloatArray
    p_root: FloatArray
    q_root: FloatArray
    priced: list[tuple[IntArray, FloatArray, FloatArray, FloatArray]]
    """(local ft, congestion, voltage, reactive ×Δt) of the feeder-periods with row duals."""
    k_sub: FloatArray
    """Interface-facet price ×Δt per local ft (the root node's congestion)."""
    thermal: list[tuple[IntArray, IntArray, FloatArray]]
    volts: list[tuple[IntArray, IntArray, IntArray]]


def _evaluate(s: Screen, g: int, grp: FeederGroup, x: FloatArray, y: FloatArray,
              y_bal: FloatArray) -> _GroupArrays:
    """State, binding limits and node prices of the group, chunk by chunk."""
    T, opts, poly = s.T, s.case.options, s.case.options.facets()
    n, m, Fg = grp.n_node, grp.n_branch, len(grp.feeders)
    n_ft = Fg * T
    out = _GroupArrays(np.empty((n_ft, n)), np.empty((n_ft, m)), np.empty((n_ft, m)),
                       np.empty(n_ft), np.empty(n_ft), [], np.zeros(n_ft), [], [])
    rated = np.flatnonzero(np.isfinite(grp.rating_mva))
    rating = grp.rating_mva[rated]
    tol = opts.binding_tol
    near = rating - tol * np.maximum(1.0, rating)
    gain = float(np.max(np.hypot(poly.a_p, poly.a_q) / poly.a_s))
    y_loc = y_bal[(grp.feeders[:, None] * T + np.arange(T)).ravel()]
    lft_all = np.arange(n_ft, dtype=np.int64)
    for v in group_views(s.cols, s.rows, grp, g, s.group_of, s.local_of, T, lft_all, CHUNK):
        sl = slice(int(v.lft[0]), int(v.lft[-1]) + 1)  # the chunk's rows, contiguous
        st = feeder_state(v, s.cols, x)
        out.P[sl], out.Q[sl], out.p_root[sl], out.q_root[sl] = st.P, st.Q, st.p_root, st.q_root
        np.sqrt(np.maximum(st.w, 0.0), out=out.V[sl])
        if rated.size:
            # util = max_k (a_p,k P + a_q,k Q)/a_s,k ≤ max_k |a_k|/a_s,k · |(P, Q)|: evaluate
            # the facets only where that bound reaches the binding threshold
            Pr, Qr = st.P[:, rated], st.Q[:, rated]
            ft, j = np.nonzero(gain * np.hypot(Pr, Qr) >= near[None, :])
            util = np.max((poly.a_p[:, None] * Pr[ft, j] + poly.a_q[:, None] * Qr[ft, j])
                          / poly.a_s[:, None], axis=0, initial=-np.inf)
            hit = util >= near[j]
            out.thermal.append((v.lft[ft[hit]], j[hit], util[hit]))
        for side, mask in ((0, grp.w_max - tol <= st.w), (1, grp.w_min + tol >= st.w)):
            mask[:, 0] = False
            ft, j = np.nonzero(mask)
            out.volts.append((v.lft[ft], j, np.full(len(ft), side)))
        dual = np.bincount(v.row_lft[y[v.rows] != 0], minlength=v.n_ft) > 0
        if dual.any():
            w = v.subset(dual)
            pr = node_prices(w, s.rows, y, y_loc[w.lft], poly)
            out.priced.append((w.lft, pr.congestion, pr.voltage, pr.reactive))
            out.k_sub[w.lft] = -pr.congestion[:, 0]
    return out


def _group_results(
    s: Screen, g: int, grp: FeederGroup, x: FloatArray, y: FloatArray, y_bal: FloatArray,
    cost: FloatArray, status: str, out: list[FeederResult | None],
) -> FloatArray:
    """Fill ``out`` for the group's feeders; return their interface congestion from the
    interface-facet duals (F_g, T).

    Arrays are views into the group's stacked ones; a feeder without a generated row of nonzero
    dual gets its DLMP as a (read-only) broadcast of its interface price and shared zero
    components."""
    case, T, dt = s.case, s.T, s.case.period_hours
    opts = case.options
    fd = grp.template
    n, m, Fg = grp.n_node, grp.n_branch, len(grp.feeders)
    ev = _evaluate(s, g, grp, x, y, y_bal)
    node_ids = [int(i) for i in fd.nodes.id]
    branch_ids = [int(i) for i in fd.branches.id]
    V, P, Q = ev.V.reshape(Fg, T, n), ev.P.reshape(Fg, T, m), ev.Q.reshape(Fg, T, m)
    p_root, q_root = ev.p_root.reshape(Fg, T), ev.q_root.reshape(Fg, T)
    energy_ft = (y_bal[(grp.feeders[:, None] * T + np.arange(T)).ravel()] / dt).reshape(Fg, T)
    # DLMP components of the feeders with row duals (dense per such feeder), zero elsewhere
    has = np.zeros(Fg, dtype=bool)
    comp: dict[int, tuple[FloatArray, FloatArray, FloatArray]] = {}
    if ev.priced:
        lft = np.concatenate([a[0] for a in ev.priced])
        has[lft // T] = True
        dense = {a: np.zeros((3, T, n)) for a in np.flatnonzero(has).tolist()}
        for k, part in enumerate(zip(*(a[1:] for a in ev.priced), strict=True)):
            vals = np.concatenate(part) / dt
            for a, d in dense.items():  # the few feeders with binding rows
                rows = (lft // T) == a
                d[k, lft[rows] % T] = vals[rows]
        comp = {a: (d[0].T, d[1].T, d[2].T) for a, d in dense.items()}
    zero = np.zeros((n, T))
    zero.flags.writeable = False
    # binding limits (as FeederResult: branches by id then period; voltages upper then lower)
    binding: list[list[dict[str, Any]]] = [[] for _ in range(Fg)]
    vbinding: list[list[dict[str, Any]]] = [[] for _ in range(Fg)]
    if ev.thermal:
        rated = np.flatnonzero(np.isfinite(grp.rating_mva))
        ft, j, util = (np.concatenate(a) for a in zip(*ev.thermal, strict=True))
        fk, tt = ft // T, ft % T
        order = np.lexsort((tt, j, fk))
        for a, jj, t, u in zip(fk[order].tolist(), j[order].tolist(), tt[order].tolist(),
                               util[order].tolist(), strict=True):
            binding[a].append({"branch": branch_ids[int(rated[jj])], "period": t,
                               "flow_mva": u, "rating_mva": float(grp.rating_mva[rated[jj]])})
    ft, j, side = (np.concatenate(a) for a in zip(*ev.volts, strict=True))
    fk, tt = ft // T, ft % T
    order = np.lexsort((tt, j, side, fk))
    for a, jj, t, sd in zip(fk[order].tolist(), j[order].tolist(), tt[order].tolist(),
                            side[order].tolist(), strict=True):
        vbinding[a].append({"node": node_ids[jj], "period": t,
                            "side": "lower" if sd else "upper", "v_pu": float(V[a, t, jj])})
    # slacks and offers from the register, grouped by feeder once
    cols = s.cols
    idx = np.flatnonzero(s.group_of[cols.f] == g)
    loc = s.local_of[cols.f[idx]]
    own = np.bincount(loc, cost[idx] * x[idx], minlength=Fg)
    tol = opts.binding_tol
    sl = idx[np.isin(cols.kind[idx], list(_SLACK_KEYS)) & (x[idx] > tol)]
    sl = sl[np.lexsort((cols.t[sl], cols.elem[sl], cols.kind[sl], s.local_of[cols.f[sl]]))]
    starts = _split(s.local_of[cols.f[sl]], Fg)
    off = idx[np.isin(cols.kind[idx], (OFFER_P, OFFER_Q))]
    off = off[np.argsort(s.local_of[cols.f[off]], kind="stable")]
    off_starts = _split(s.local_of[cols.f[off]], Fg)
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
        mine = off[off_starts[a]:off_starts[a + 1]]
        p_off = np.zeros((fc.n_offers, T))
        q_off = np.where(fc.offer_q_min_mvar == fc.offer_q_max_mvar, fc.offer_q_min_mvar, 0.0)
        for kind, arr in ((OFFER_P, p_off), (OFFER_Q, q_off)):
            o = mine[cols.kind[mine] == kind]
            arr[cols.facet[o], cols.t[o]] = x[o]
        violated = any(k != "curtailment_mw" for k in slacks)
        energy = np.broadcast_to(energy_ft[a], (n, T))
        if a in comp:
            congestion, voltage, reactive = comp[a]
            total = energy + congestion + voltage
        else:
            congestion = voltage = reactive = zero
            total = energy
        out[f] = FeederResult(
            status="optimal_with_slacks" if violated else "optimal",
            objective=float(own[a]), model="lindistflow", feeder_id=fc.feeder.id,
            node_ids=node_ids, branch_ids=branch_ids, v_pu=V[a].T, p_flow_mw=P[a].T,
            q_flow_mvar=Q[a].T, p_root_mw=p_root[a], q_root_mvar=q_root[a],
            losses_mw=np.zeros(T), p_offer_mw=p_off, q_offer_mvar=q_off,
            prices=DlmpComponents(total=total, energy=energy, loss=zero, congestion=congestion,
                                  voltage=voltage, reactive=reactive, max_residual=0.0),
            binding={"branches": binding[a], "voltages": vbinding[a]}, slacks=slacks,
            solver="highs", solver_version="", time_s=0.0, iterations=0,
        )
    return np.asarray(-(ev.k_sub / dt).reshape(Fg, T))


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
