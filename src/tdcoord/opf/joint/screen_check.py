"""Screening checks of :mod:`tdcoord.opf.joint.screened`: omitted rows and columns, vectorised.

Per feeder group (:class:`~tdcoord.opf.joint.sensitivity.FeederGroup`), round and chunk of
feeder-periods (:func:`group_views`: a :class:`GroupView` of ≤ CHUNK feeder-periods, so the dense
(chunk × node) temporaries stay in cache and no (F_g·T × node) array is allocated per round):

* :func:`feeder_state` — flows, squared voltages, root import at the master's dispatch
  (injections scattered into a sparse (chunk × n) matrix, one sparse × dense product per
  quantity) and the values of the generated slack columns;
* :func:`pricing_candidates` — the feeder-periods where a column can price out at all;
* :func:`node_prices` — ``π_p = y_bal − (K_p D) − k_sub,p + N S_r`` and ``π_q = −(K_q D) − k_sub,q
  + N S_x`` with ``K`` the generated thermal-facet duals summed per branch (``a_p κ``, ``a_q κ``),
  ``k_sub`` the interface-facet ones and ``N`` the voltage-row duals (omitted rows: zero), i.e.
  Δt × the DLMP and its components (energy, congestion, voltage; no loss term when lossless);
* :func:`violated_rows` / :func:`priced_columns` — the rows to add and the columns that price out.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.feeder.case import FacetPolygon, FeederOptions
from tdcoord.opf.joint.master import (
    CURTAIL,
    INJECTIONS,
    S_OVER,
    S_SUB,
    SHED,
    SUB,
    THERMAL,
    V_DN,
    V_UP,
    VOLT,
    Entries,
)
from tdcoord.opf.joint.sensitivity import FeederGroup
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class GroupView:
    """The generated columns and rows of some feeder-periods of one group.

    View row ``i`` is the group-local feeder-period ``ft[i]`` (``f_local·T + t``); ``col_lft`` and
    ``row_lft`` give the view row of each selected register entry."""

    group: FeederGroup
    T: int
    cols: IntArray
    """Indices into the column register."""
    col_lft: IntArray
    rows: IntArray
    row_lft: IntArray
    ft: IntArray | slice
    """Group-local feeder-period of each view row (``slice(None)``: all, in order)."""

    @property
    def n_ft(self) -> int:
        """Feeder-periods in the view."""
        if isinstance(self.ft, slice):
            return len(self.group.feeders) * self.T
        return len(self.ft)

    @property
    def lft(self) -> IntArray:
        """Group-local feeder-period of each view row, as an array."""
        if isinstance(self.ft, slice):
            return np.arange(self.n_ft, dtype=np.int64)
        return self.ft

    def subset(self, keep: np.ndarray) -> GroupView:
        """The view restricted to the view rows where ``keep`` (bool, n_ft) holds."""
        pos = np.full(self.n_ft, -1, dtype=np.int64)
        idx = np.flatnonzero(keep)
        pos[idx] = np.arange(len(idx))
        c = pos[self.col_lft] >= 0
        r = pos[self.row_lft] >= 0
        return GroupView(self.group, self.T, self.cols[c], pos[self.col_lft[c]], self.rows[r],
                         pos[self.row_lft[r]], self.lft[idx])


def group_views(cols: Entries, rows: Entries, group: FeederGroup, g: int,
                owner: tuple[IntArray, IntArray], T: int, lft: IntArray,
                chunk: int) -> list[GroupView]:
    """Views of the group-local feeder-periods ``lft`` (sorted), ``chunk`` of them per view
    (so that a view's dense (chunk × node) arrays stay in cache). ``owner = (group_of,
    local_of)``: each feeder's group and its position in it."""
    group_of, local_of = owner
    n_ft = len(group.feeders) * T
    pos = np.full(n_ft, -1, dtype=np.int64)
    pos[lft] = np.arange(len(lft))
    out: list[GroupView] = []
    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    for reg in (cols, rows):
        idx = np.flatnonzero(group_of[reg.f] == g)
        p = pos[local_of[reg.f[idx]] * T + reg.t[idx]]
        keep = p >= 0
        idx, p = idx[keep], p[keep]
        order = np.argsort(p, kind="stable")
        idx, p = idx[order], p[order]
        bounds = np.searchsorted(p, np.arange(0, len(lft) + chunk, chunk))
        parts.append((idx, p, bounds))
    (ci, cp, cb), (ri, rp, rb) = parts
    for k, start in enumerate(range(0, len(lft), chunk)):
        c0, c1, r0, r1 = cb[k], cb[k + 1], rb[k], rb[k + 1]
        out.append(GroupView(group, T, ci[c0:c1], cp[c0:c1] - start, ri[r0:r1], rp[r0:r1] - start,
                             lft[start:start + chunk]))
    return out


def _scatter(v: GroupView, cols: Entries, x: FloatArray, kinds: tuple[int, ...],
             weight: FloatArray, width: int) -> sp.csr_matrix:
    sel = np.isin(cols.kind[v.cols], kinds)
    idx = v.cols[sel]
    elem = np.maximum(cols.elem[idx], 0)
    return sp.csr_matrix((x[idx] * weight[idx], (v.col_lft[sel], elem)), shape=(v.n_ft, width))


@dataclasses.dataclass(frozen=True, eq=False)
class FeederState:
    """Feeder quantities of one group at the master's dispatch (group-local rows f·T + t)."""

    P: FloatArray
    Q: FloatArray
    w: FloatArray
    p_root: FloatArray
    q_root: FloatArray
    s_over: FloatArray
    s_sub: FloatArray
    v_up: FloatArray
    v_dn: FloatArray
    inj_p: sp.csr_matrix
    inj_q: sp.csr_matrix
    any_voltage_slack: bool = True
    """False when no voltage slack column is nonzero (``v_up``, ``v_dn`` all zero)."""


def feeder_state(v: GroupView, cols: Entries, x: FloatArray) -> FeederState:
    """Evaluate the group's feeders at the column values ``x`` (register order)."""
    g = v.group
    n, m = g.n_node, g.n_branch
    inj_p = _scatter(v, cols, x, INJECTIONS, cols.e_p, n)
    inj_q = _scatter(v, cols, x, INJECTIONS, cols.e_q, n)
    P, Q, w, p_root, q_root = g.state(inj_p, inj_q, v.ft)
    one = np.ones(len(x))
    v_up = np.asarray(_scatter(v, cols, x, (V_UP,), one, n).toarray())
    v_dn = np.asarray(_scatter(v, cols, x, (V_DN,), one, n).toarray())
    s_sub = np.asarray(_scatter(v, cols, x, (S_SUB,), one, 1).toarray()).ravel()
    return FeederState(
        P=P, Q=Q, w=w, p_root=p_root, q_root=q_root,
        s_over=np.asarray(_scatter(v, cols, x, (S_OVER,), one, m).toarray()),
        s_sub=s_sub,
        v_up=v_up, v_dn=v_dn, inj_p=inj_p, inj_q=inj_q,
        any_voltage_slack=bool(np.any(v_up) or np.any(v_dn)),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class NodePrices:
    """Node prices ×Δt (group-local rows): total active, its parts, reactive."""

    energy: FloatArray
    """Interface-bus balance dual per feeder-period (F_g·T,)."""
    congestion: FloatArray
    voltage: FloatArray
    reactive: FloatArray

    @property
    def active(self) -> FloatArray:
        """π_p = energy + congestion + voltage."""
        return np.asarray(self.energy[:, None] + self.congestion + self.voltage)


def node_prices(v: GroupView, rows: Entries, y: FloatArray, y_bal: FloatArray,
                poly: FacetPolygon) -> NodePrices:
    """π_p, π_q of every node of the group from the row duals ``y`` (register order) and the
    balance duals ``y_bal`` (group-local feeder-periods)."""
    g = v.group
    n, m = g.n_node, g.n_branch
    kind = rows.kind[v.rows]
    yr = y[v.rows]
    facet = np.maximum(rows.facet[v.rows], 0)
    th = kind == THERMAL
    b = np.maximum(rows.elem[v.rows], 0)

    def per_branch(coef: FloatArray) -> sp.csr_matrix:
        return sp.csr_matrix((coef[facet[th]] * yr[th], (v.row_lft[th], b[th])),
                             shape=(v.n_ft, m))

    su = kind == SUB
    k_sub_p = np.bincount(v.row_lft[su], poly.a_p[facet[su]] * yr[su], minlength=v.n_ft)
    k_sub_q = np.bincount(v.row_lft[su], poly.a_q[facet[su]] * yr[su], minlength=v.n_ft)
    vo = kind == VOLT
    N = sp.csr_matrix((yr[vo], (v.row_lft[vo], rows.elem[v.rows][vo])), shape=(v.n_ft, n))
    congestion: FloatArray = np.asarray(
        -np.asarray(per_branch(poly.a_p) @ g.down) - k_sub_p[:, None], dtype=np.float64
    )
    reactive: FloatArray = np.asarray(
        -np.asarray(per_branch(poly.a_q) @ g.down) - k_sub_q[:, None] + np.asarray(N @ g.s_x),
        dtype=np.float64,
    )
    return NodePrices(
        energy=y_bal, congestion=congestion, voltage=np.asarray(N @ g.s_r), reactive=reactive
    )


def pricing_candidates(v: GroupView, rows: Entries, y: FloatArray, y_bal: FloatArray,
                       opts: FeederOptions, dt: float, rel_tol: float) -> np.ndarray:
    """View rows where an omitted column can price out (bool, n_ft).

    Without a generated row of nonzero dual, π_p is the interface price ``y_bal`` at every node
    and π_q = 0, so shedding prices out only if ``voll_eur_per_mwh·Δt − y_bal`` and curtailment
    only if ``c_curt·Δt + y_bal`` is below the tolerance of :func:`priced_columns`."""
    dual = np.bincount(v.row_lft[y[v.rows] != 0], minlength=v.n_ft) > 0
    c_shed, c_curt = opts.voll_eur_per_mwh * dt, opts.curtailment_eur_per_mwh * dt
    shed = c_shed - y_bal < -rel_tol * max(1.0, c_shed)
    curt = c_curt + y_bal < -rel_tol * max(1.0, c_curt)
    return np.asarray(dual | shed | curt)


def _present(keys: IntArray, existing: IntArray) -> np.ndarray:
    return np.isin(keys, existing)


def violated_rows(
    v: GroupView, st: FeederState, rows: Entries, poly: FacetPolygon, tol: float
) -> tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]:
    """Rows to add: (kind, group-local feeder-period, element, facet, violation).

    Most violated facet per rated branch and per interface, worst voltage per feeder-period."""
    g = v.group
    present = (
        (v.row_lft * 8 + rows.kind[v.rows]) * (g.n_node + 1) + rows.elem[v.rows] + 1
    ) * 64 + rows.facet[v.rows] + 1
    out: list[tuple[IntArray, IntArray, IntArray, IntArray, FloatArray]] = []
    rated = np.flatnonzero(np.isfinite(g.rating_mva))
    if rated.size:
        every = rated.size == g.n_branch  # (no column copies when every branch is rated)
        P, Q, so = (a if every else a[:, rated] for a in (st.P, st.Q, st.s_over))
        cap = g.rating_mva[rated][None, :] + so
        # facet k gives at most |a_k|·(|(P, Q)| − ρ_k·cap), ρ_k = a_s,k / |a_k|: only entries
        # with |(P, Q)| > min ρ · cap can violate a facet (by more than tol > 0)
        rho = float(np.min(poly.a_s / np.hypot(poly.a_p, poly.a_q)))
        ft, j = np.nonzero(np.hypot(P, Q) > rho * cap)
        p, q, c = P[ft, j], Q[ft, j], cap[ft, j]
        viol = poly.a_p[:, None] * p + poly.a_q[:, None] * q - poly.a_s[:, None] * c
        arg = np.argmax(viol, axis=0) if len(ft) else np.zeros(0, dtype=np.int64)
        best = viol[arg, np.arange(len(ft))]
        hit = best > tol
        out.append((np.full(int(hit.sum()), THERMAL), ft[hit], rated[j[hit]], arg[hit],
                    best[hit]))
    if np.any(np.isfinite(g.sub_rating_mva)):
        sub = g.sub_rating_mva[v.lft // v.T] + st.s_sub
        viol = (
            poly.a_p[:, None] * st.p_root[None, :] + poly.a_q[:, None] * st.q_root[None, :]
            - poly.a_s[:, None] * sub[None, :]
        )
        k = np.argmax(viol, axis=0)
        worst = viol[k, np.arange(v.n_ft)]
        ft = np.flatnonzero(worst > tol)
        out.append((np.full(len(ft), SUB), ft, np.full(len(ft), -1), k[ft], worst[ft]))
    w = st.w - st.v_up + st.v_dn if st.any_voltage_slack else st.w
    viol_v = np.subtract(g.w_min[None, :], w)
    np.maximum(viol_v, w - g.w_max[None, :], out=viol_v)
    viol_v[:, 0] = -np.inf
    ft = np.flatnonzero(np.max(viol_v, axis=1) > tol)  # then the worst node of those rows
    node = np.argmax(viol_v[ft], axis=1)
    worst_v = viol_v[ft, node]
    out.append((np.full(len(ft), VOLT), ft, node, np.full(len(ft), -1), worst_v))
    kind, lft, elem, facet, viol = (np.concatenate(a) for a in zip(*out, strict=True))
    keys = ((lft * 8 + kind) * (g.n_node + 1) + elem + 1) * 64 + facet + 1
    keep = ~_present(keys, present)
    return kind[keep], lft[keep], elem[keep], facet[keep], viol[keep]


def priced_columns(
    v: GroupView, cols: Entries, pr: NodePrices, opts: FeederOptions, dt: float,
    max_per_ft: int, rel_tol: float,
) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
    """Columns to add: (kind, group-local feeder-period, node, reduced cost), at most
    ``max_per_ft`` per feeder-period, the most negative reduced costs (then largest bound) first."""
    g = v.group
    n = g.n_node
    have = np.isin(cols.kind[v.cols], (SHED, CURTAIL))
    present = (v.col_lft[have] * 8 + cols.kind[v.cols][have]) * n + cols.elem[v.cols][have]
    active = pr.active
    shed_cap, shed_ratio, curt_cap = g.injection_bounds(v.lft)
    parts = []
    for code, bound, reduced in (
        (SHED, shed_cap, opts.voll_eur_per_mwh * dt - active - shed_ratio * pr.reactive),
        (CURTAIL, curt_cap, opts.curtailment_eur_per_mwh * dt + active),
    ):
        cost = opts.voll_eur_per_mwh * dt if code == SHED else opts.curtailment_eur_per_mwh * dt
        ft, at = np.nonzero((bound > 0) & (reduced < -rel_tol * max(1.0, cost)))
        parts.append((np.full(len(ft), code), ft, at, reduced[ft, at], bound[ft, at]))
    kind, lft, node, rc, cap = (np.concatenate(a) for a in zip(*parts, strict=True))
    keys = (lft * 8 + kind) * n + node
    keep = ~_present(keys, present)
    kind, lft, node, rc, cap = kind[keep], lft[keep], node[keep], rc[keep], cap[keep]
    order = np.lexsort((-cap, rc, lft))
    kind, lft, node, rc = kind[order], lft[order], node[order], rc[order]
    start = np.flatnonzero(np.r_[True, lft[1:] != lft[:-1]]) if len(lft) else np.zeros(0, int)
    rank = np.arange(len(lft)) - np.repeat(start, np.diff(np.r_[start, len(lft)]))
    sel = rank < max_per_ft
    return kind[sel], lft[sel], node[sel], rc[sel]
