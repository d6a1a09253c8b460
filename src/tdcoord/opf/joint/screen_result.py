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
from tdcoord.opf.joint.result import JointResult, SolveInfo, assemble_result
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
    for v in group_views(s.cols, s.rows, grp, g, (s.group_of, s.local_of), T, lft_all, CHUNK):
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


@dataclasses.dataclass(frozen=True, eq=False)
class _Values:
    """The final masters' values in register order: columns, rows, interface balance duals;
    and each register column's cost."""

    x: FloatArray
    y: FloatArray
    y_bal: FloatArray
    cost: FloatArray


def _components(
    ev: _GroupArrays, T: int, n: int, dt: float
) -> dict[int, tuple[FloatArray, FloatArray, FloatArray]]:
    """DLMP (congestion, voltage, reactive) components, dense, of the group's feeders (local
    index) that have generated rows with nonzero duals; the others have none."""
    if not ev.priced:
        return {}
    lft = np.concatenate([a[0] for a in ev.priced])
    has = np.unique(lft // T)
    dense = {a: np.zeros((3, T, n)) for a in has.tolist()}
    for k, part in enumerate(zip(*(a[1:] for a in ev.priced), strict=True)):
        vals = np.concatenate(part) / dt
        for a, d in dense.items():  # the few feeders with binding rows
            rows = (lft // T) == a
            d[k, lft[rows] % T] = vals[rows]
    return {a: (d[0].T, d[1].T, d[2].T) for a, d in dense.items()}


def _binding_lists(
    ev: _GroupArrays, grp: FeederGroup, T: int, V: FloatArray
) -> tuple[list[list[dict[str, Any]]], list[list[dict[str, Any]]]]:
    """Binding branches and voltages per feeder of the group (as :class:`FeederResult`:
    branches by id then period; voltages upper then lower)."""
    fd, Fg = grp.template, len(grp.feeders)
    node_ids = [int(i) for i in fd.nodes.id]
    branch_ids = [int(i) for i in fd.branches.id]
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
    return binding, vbinding


@dataclasses.dataclass(frozen=True, eq=False)
class _GroupColumns:
    """The group's register columns: own cost per feeder, non-zero slacks and offers, each
    sorted by feeder (``*_starts``: where each feeder's run begins)."""

    own: FloatArray
    slacks: IntArray
    slack_starts: IntArray
    offers: IntArray
    offer_starts: IntArray


def _group_columns(s: Screen, g: int, v: _Values, Fg: int) -> _GroupColumns:
    """Slacks and offers from the register, grouped by feeder once."""
    cols = s.cols
    idx = np.flatnonzero(s.group_of[cols.f] == g)
    loc = s.local_of[cols.f[idx]]
    own = np.asarray(np.bincount(loc, v.cost[idx] * v.x[idx], minlength=Fg), dtype=np.float64)
    tol = s.case.options.binding_tol
    sl = idx[np.isin(cols.kind[idx], list(_SLACK_KEYS)) & (v.x[idx] > tol)]
    sl = sl[np.lexsort((cols.t[sl], cols.elem[sl], cols.kind[sl], s.local_of[cols.f[sl]]))]
    off = idx[np.isin(cols.kind[idx], (OFFER_P, OFFER_Q))]
    off = off[np.argsort(s.local_of[cols.f[off]], kind="stable")]
    return _GroupColumns(own, sl, _split(s.local_of[cols.f[sl]], Fg), off,
                         _split(s.local_of[cols.f[off]], Fg))


def _feeder_slacks(
    s: Screen, grp: FeederGroup, gc: _GroupColumns, a: int, x: FloatArray
) -> dict[str, list[dict[str, Any]]]:
    """Feeder ``a`` (local)'s non-zero slacks by kind, as :class:`FeederResult` lists them."""
    cols, opts, fd = s.cols, s.case.options, grp.template
    price = {SHED: opts.voll_eur_per_mwh, CURTAIL: opts.curtailment_eur_per_mwh,
             V_UP: opts.voltage_eur_per_pu2_h, V_DN: opts.voltage_eur_per_pu2_h,
             S_OVER: opts.overload_eur_per_mvah, S_SUB: opts.overload_eur_per_mvah}
    slacks: dict[str, list[dict[str, Any]]] = {}
    for c in gc.slacks[gc.slack_starts[a]:gc.slack_starts[a + 1]].tolist():
        kind = int(cols.kind[c])
        key, element, unit = _SLACK_KEYS[kind]
        e = int(cols.elem[c])
        name = int(fd.branches.id[e]) if element == "branch" else int(fd.nodes.id[max(e, 0)])
        slacks.setdefault(key, []).append(
            {element: name, "period": int(cols.t[c]), unit: float(x[c]), "price": price[kind]}
        )
    return slacks


def _feeder_offers(
    s: Screen, gc: _GroupColumns, a: int, f: int, x: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Feeder ``f`` (local ``a``)'s offer dispatch (P, Q; offer × period)."""
    cols, fc, T = s.cols, s.case.feeder_cases[f], s.T
    mine = gc.offers[gc.offer_starts[a]:gc.offer_starts[a + 1]]
    p_off = np.zeros((fc.n_offers, T))
    q_off = np.where(fc.offer_q_min_mvar == fc.offer_q_max_mvar, fc.offer_q_min_mvar, 0.0)
    for kind, arr in ((OFFER_P, p_off), (OFFER_Q, q_off)):
        o = mine[cols.kind[mine] == kind]
        arr[cols.facet[o], cols.t[o]] = x[o]
    return p_off, q_off


def _group_results(
    s: Screen, g: int, v: _Values, status: str, out: list[FeederResult | None]
) -> FloatArray:
    """Fill ``out`` for the feeders of group ``g``; return their interface congestion from the
    interface-facet duals (F_g, T).

    Arrays are views into the group's stacked ones; a feeder without a generated row of nonzero
    dual gets its DLMP as a (read-only) broadcast of its interface price and shared zero
    components."""
    grp, T, dt = s.groups[g], s.T, s.case.period_hours
    fd, n, m, Fg = grp.template, grp.n_node, grp.n_branch, len(grp.feeders)
    ev = _evaluate(s, g, grp, v.x, v.y, v.y_bal)
    node_ids = [int(i) for i in fd.nodes.id]
    branch_ids = [int(i) for i in fd.branches.id]
    V, P, Q = ev.V.reshape(Fg, T, n), ev.P.reshape(Fg, T, m), ev.Q.reshape(Fg, T, m)
    p_root, q_root = ev.p_root.reshape(Fg, T), ev.q_root.reshape(Fg, T)
    energy_ft = (v.y_bal[(grp.feeders[:, None] * T + np.arange(T)).ravel()] / dt).reshape(Fg, T)
    comp = _components(ev, T, n, dt)
    zero = np.zeros((n, T))
    zero.flags.writeable = False
    binding, vbinding = _binding_lists(ev, grp, T, V)
    gc = _group_columns(s, g, v, Fg)
    for a, f in enumerate(grp.feeders.tolist()):  # one result object per feeder (views)
        if status != "optimal":
            out[f] = _failed(s, f, status)
            continue
        slacks = _feeder_slacks(s, grp, gc, a, v.x)
        p_off, q_off = _feeder_offers(s, gc, a, f, v.x)
        energy = np.broadcast_to(energy_ft[a], (n, T))
        congestion, voltage, reactive = comp.get(a, (zero, zero, zero))
        total = energy + congestion + voltage if a in comp else energy
        out[f] = FeederResult(
            status="optimal_with_slacks" if any(k != "curtailment_mw" for k in slacks)
            else "optimal",
            objective=float(gc.own[a]), model="lindistflow",
            feeder_id=s.case.feeder_cases[f].feeder.id,
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
    values = _Values(x, y, y_bal, cost)
    for g, grp in enumerate(s.groups):
        congestion[grp.feeders] = _group_results(s, g, values, status, feeders)
    done = [r for r in feeders if r is not None]
    return assemble_result(
        case, tr, done, congestion,
        SolveInfo(
            objective=float(sum(sol.objective for sol in sols)) if ok else float("nan"),
            solver_status=status, method="screened", iterations=0, timings={},
        ),
    )
