"""The DSO's aggregated interface offer inside a scheme: curves out, TSO quantity back, dispatch.

Used by ``local`` and ``multi_level`` with ``interface_offer="aggregated"`` (seed 001 §III.A
TSTP and §III.C IESO Total DSO: "a single aggregated bid for each transmission-distribution
interface"). After clearing its own needs, DSO ``f`` computes for every interval the exact
optimal-value function ``V_ft(x)`` of its feeder problem with its residual offers
(:func:`tdcoord.coordination.interface_offer.interface_offer_curve`, lossless LinDistFlow with
hard limits) around the post-DSO state, and sends it to the TSO as one ladder of up steps and one
of down steps (:meth:`InterfaceCurve.steps`) located at the interface bus — no topology, no DER.
The TSO clears those steps as ordinary offers. The DSO then disaggregates the accepted net
quantity ``Δ_ft`` (up − down) by re-solving its feeder problem with the import fixed at
``x = x_ref − Δ_ft`` (:func:`dispatch_at_exchange`): the exact dispatch behind the curve, which
respects every feeder limit of the model and costs exactly what the TSO accepted on the curve.

The curve LP uses the clearing's security margins (:class:`~tdcoord.coordination.clearing.Margins`:
ratings derated by ``rating_frac``, voltage band narrowed by ``voltage_pu``), so the dispatch
keeps the same margin to AC effects as every other DSO clearing. An interval whose post-DSO
state already violates the feeder limits (the DSO could not solve its own need) gets no curve:
the DSO offers nothing there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import Margins
from tdcoord.coordination.injectors import Injectors, Prior, virtual_injectors
from tdcoord.coordination.interface_offer import InterfaceCurve, sandwich_curve
from tdcoord.coordination.network_model import FeederModel, feeder_model
from tdcoord.grid.model import Feeder
from tdcoord.opf.feeder.case import FacetPolygon, FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.program import build_program
from tdcoord.opf.lp import LinearProgram
from tdcoord.opf.lp.parametric import ParametricLp
from tdcoord.types import BoolArray, FloatArray, IntArray

#: Accepted quantities below this (MW) are not disaggregated.
QTY_TOL_MW = 1e-7

#: The 12-facet polygon of the curve LP (``FeederOptions`` default).
_POLYGON = FacetPolygon.regular(12)


def margined_feeder(
    feeder: Feeder, margins: Margins, interface_rating_mva: float = float("inf"), f: int = -1
) -> Feeder:
    """The feeder with the clearing's security margins applied to its limits (per node for
    feeder index ``f`` when they are calibrated); the supply point is limited by the lower of
    the substation and the T–D interface rating."""
    keep = 1.0 - margins.rating_frac
    n = feeder.n_node
    return dataclasses.replace(
        feeder,
        nodes=feeder.nodes.replace(
            v_min_pu=feeder.nodes.v_min_pu + margins.low_pu(f, n),
            v_max_pu=feeder.nodes.v_max_pu - margins.high_pu(f, n),
        ),
        branches=feeder.branches.replace(rating_mva=feeder.branches.rating_mva * keep),
        substation_rating_mva=min(feeder.substation_rating_mva, interface_rating_mva) * keep,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class FeederPrograms:
    """The curve LP of one feeder for every interval, built once: the LP of
    :func:`~tdcoord.coordination.interface_offer.interface_offer_curve` over all intervals is
    block diagonal (period-major columns and rows), so each interval's LP is a slice of it.

    ``same_matrix``: every interval's block has the same matrix (same feeder, same offer
    columns; only costs and bounds differ), so one warm HiGHS object serves all intervals
    (:meth:`solver`, :meth:`load`)."""

    lp: LinearProgram
    cols: tuple[IntArray, ...]
    rows: tuple[IntArray, ...]
    root_col: tuple[int, ...]  # position of p_root in each interval's columns
    offer_cols: tuple[IntArray, ...]  # positions of the offer steps in each interval's columns
    same_matrix: bool = False

    def block(self, t: int) -> LinearProgram:
        """Interval ``t``'s LP."""
        c, r = self.cols[t], self.rows[t]
        lp = self.lp
        return LinearProgram(
            cost=lp.cost[c], A=sp.csr_matrix(lp.A[r][:, c]), row_lower=lp.row_lower[r],
            row_upper=lp.row_upper[r], col_lower=lp.col_lower[c], col_upper=lp.col_upper[c],
            hessian=None, offset=0.0, col_blocks={}, row_blocks={},
        )

    def solver(self, t: int) -> ParametricLp:
        """A warm parametric solver holding interval ``t``'s LP."""
        return ParametricLp(self.block(t), self.root_col[t])

    def load(self, par: ParametricLp | None, t: int) -> ParametricLp:
        """``par`` switched to interval ``t`` (costs and bounds only, basis kept) when the
        matrices are shared, else a new solver for ``t``."""
        if par is None or not self.same_matrix:
            return self.solver(t)
        c, r = self.cols[t], self.rows[t]
        lp = self.lp
        par.load(lp.cost[c], lp.col_lower[c], lp.col_upper[c], lp.row_lower[r], lp.row_upper[r])
        return par


def _local_index(group: IntArray, T: int) -> IntArray:
    """Position of each element inside its group (groups in ascending element order)."""
    order = np.argsort(group, kind="stable")
    counts = np.bincount(group, minlength=T)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    loc = np.empty(group.size, dtype=np.int64)
    loc[order] = np.arange(group.size) - np.repeat(starts, counts)
    return loc


def blocks_share_matrix(A: sp.csr_matrix, col_t: IntArray, row_t: IntArray, T: int) -> bool:
    """True when every interval's block ``A[rows_t][:, cols_t]`` is the same matrix."""
    if len(set(np.bincount(col_t, minlength=T).tolist())) != 1:
        return False
    if len(set(np.bincount(row_t, minlength=T).tolist())) != 1:
        return False
    coo = sp.coo_matrix(A)
    t_of = col_t[coo.col]
    per_t = np.bincount(t_of, minlength=T)
    if len(set(per_t.tolist())) != 1:
        return False
    lr, lc = _local_index(row_t, T)[coo.row], _local_index(col_t, T)[coo.col]
    order = np.lexsort((lc, lr, t_of))
    k = int(per_t[0])
    return all(
        bool((a[order].reshape(T, k) == a[order].reshape(T, k)[:1]).all())
        for a in (lr, lc, coo.data)
    )


def feeder_programs(
    fd_m: Feeder, load_p: FloatArray, load_q: FloatArray, offers: Injectors, dt_h: float
) -> FeederPrograms:
    """Build the curve LP of every interval at once (block diagonal over intervals by the feeder
    program's layout, :class:`~tdcoord.opf.feeder.program.FeederLayout`)."""
    T = load_p.shape[1]
    up = offers.direction > 0
    qty = offers.cap
    flex = FlexOffers(
        node=fd_m.nodes.id[offers.node],
        p_min_mw=np.where(up[:, None], 0.0, -qty),
        p_max_mw=np.where(up[:, None], qty, 0.0),
        cost_eur_per_mwh=offers.price * offers.direction[:, None],
    )
    fcase = FeederCase.build(fd_m, price_eur_per_mwh=np.zeros(T), load_p_mw=load_p,
                             load_q_mvar=load_q,
                             sgen_scale=0.0, offers=flex, dt_h=dt_h)
    program = build_program(fcase, FeederOptions(losses="none", slacks=False),
                            model="lindistflow")
    lp, layout = program.lp, program.layout(T)  # the feeder program's public, named layout
    col_t, row_t = layout.col_period, layout.row_period
    cols = tuple(np.flatnonzero(col_t == t) for t in range(T))
    rows = tuple(np.flatnonzero(row_t == t) for t in range(T))
    root_col = tuple(int(np.searchsorted(c, layout.columns("p_root", t)[0]))
                     for t, c in enumerate(cols))
    offer_cols = tuple(np.searchsorted(c, layout.columns("p_offer", t))
                       for t, c in enumerate(cols))
    same = (len(set(root_col)) == 1
            and all(np.array_equal(o, offer_cols[0]) for o in offer_cols)
            and blocks_share_matrix(lp.A, col_t, row_t, T))
    return FeederPrograms(lp, cols, rows, root_col, offer_cols, same)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederCurves:
    """One feeder's curves (``None`` where the interval offers nothing) and its LP inputs."""

    feeder_index: int
    curves: tuple[InterfaceCurve | None, ...]
    offers: Injectors  # the residual active-power steps of the feeder
    load_p_mw: FloatArray  # post-DSO net load (n_node, T)
    load_q_mvar: FloatArray
    programs: FeederPrograms | None  # None: the feeder has no active-power step
    solver: ParametricLp | None = None  # the warm solver the curves were computed on


def _feasible_points(
    fm: FeederModel, fd_m: Feeder, load_p: FloatArray, load_q: FloatArray, u: FloatArray
) -> BoolArray:
    """Which node-injection changes ``u`` (n_node, M) keep the hard, margined LinDistFlow limits
    of the curve LP (squared voltages, 12-facet polygon on every rated branch and on the
    substation), with a small safety tolerance (so "feasible" here implies feasible there)."""
    w = load_p[:, None] - u  # net withdrawals (n_node, M); reactive ones do not change
    tol = 1e-6
    v2 = (fd_m.v_root_pu**2 - fm.v_sens_q @ load_q)[:, None] - fm.v_sens_p @ w
    ok = (v2[1:] >= fd_m.nodes.v_min_pu[1:, None] ** 2 + tol).all(axis=0)
    ok &= (v2[1:] <= fd_m.nodes.v_max_pu[1:, None] ** 2 - tol).all(axis=0)
    rating = fd_m.branches.rating_mva
    rated = np.isfinite(rating)
    P = np.asarray(fm.down @ w)[rated]
    Q = np.asarray(fm.down @ load_q)[rated]
    s_max = rating[rated]
    if np.isfinite(fd_m.substation_rating_mva):
        P = np.vstack([P, w.sum(axis=0)[None, :]])
        Q = np.append(Q, load_q.sum())
        s_max = np.append(s_max, fd_m.substation_rating_mva)
    poly = _POLYGON  # all facets × all rated flows × all points at once
    lhs = np.asarray(poly.a_p)[:, None, None] * P[None] + (
        np.asarray(poly.a_q)[:, None] * Q[None, :])[:, :, None]
    rhs = np.asarray(poly.a_s)[:, None] * s_max[None, :] - tol * (1.0 + s_max)[None, :]
    ok &= (lhs <= rhs[:, :, None]).all(axis=(0, 1))
    return np.asarray(ok, dtype=bool)


def _merit_side(
    price: FloatArray, qty: FloatArray, node: IntArray, sign: int, n_node: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Cumulative quantity, cost (€/h) and node injections at each merit-order breakpoint of one
    ladder (cheapest first; ties by position), starting with the empty dispatch."""
    order = np.argsort(price, kind="stable")
    q = qty[order]
    cum_q = np.concatenate([[0.0], np.cumsum(q)])
    cum_c = np.concatenate([[0.0], np.cumsum(q * price[order])])
    inj = np.zeros((n_node, q.size))
    inj[node[order], np.arange(q.size)] = sign * q
    u = np.concatenate([np.zeros((n_node, 1)), np.cumsum(inj, axis=1)], axis=1)
    return cum_q, cum_c, u


def merit_curve(
    case: ClearingCase, f: int, fm: FeederModel, fd_m: Feeder,
    loads: tuple[FloatArray, FloatArray],
    steps: tuple[IntArray, IntArray, FloatArray, FloatArray],
    sandwich: Callable[[tuple[float, float], tuple[float, float, float]], InterfaceCurve],
) -> InterfaceCurve | None:
    """Exact ``V`` of one interval without a network LP, when it applies.

    Without binding limits ``V`` is the merit order: lowering the import by ``Δ`` activates the
    cheapest up steps, raising it the cheapest down steps (no up+down pair is activated together
    when no up price plus down price is negative — checked). ``V`` is at least this curve (a
    relaxation), and where the merit dispatch at every breakpoint is feasible it is attained
    (the dispatch between breakpoints interpolates feasible ones, and the feasible set is
    convex) — so it *is* ``V``. The exact part runs from the reference to the last feasible
    breakpoint on each side; the rest of the range, if any, comes from the parametric LP
    (``sandwich(x_range, known)``: :func:`sandwich_curve` on this interval's LP, ``known`` the
    supporting line at the junction, from the merit piece next to it). ``None``: the fast path
    does not apply. ``loads = (load_p, load_q)`` per node; ``steps = (node, direction, qty,
    price)`` of the live offer steps.
    """
    load_p, load_q = loads
    node, direction, qty, price = steps
    up = direction > 0
    if up.any() and (~up).any() and price[up].min() + price[~up].min() < 0:
        return None  # an up + down pair would be activated at zero exchange
    n = fd_m.n_node
    ref = float(load_p.sum())
    dt = case.dt_h
    qu, cu, uu = _merit_side(price[up], qty[up], node[up], +1, n)
    qd, cd, ud = _merit_side(price[~up], qty[~up], node[~up], -1, n)
    ok = _feasible_points(fm, fd_m, load_p, load_q, np.concatenate([uu, ud], axis=1))
    ok_u, ok_d = ok[: uu.shape[1]], ok[uu.shape[1]:]
    if not (ok_u[0] and ok_d[0]):
        return None
    ku = int(np.argmin(ok_u)) if not ok_u.all() else ok_u.size  # leading feasible points
    kd = int(np.argmin(ok_d)) if not ok_d.all() else ok_d.size
    xs = np.concatenate([(ref - qu[:ku])[::-1], ref + qd[1:kd]])
    vs = np.concatenate([(cu[:ku] * dt)[::-1], cd[1:kd] * dt])
    solves = 0
    # the merit pieces next to the LP parts give their supporting lines (one-sided derivatives
    # of V are subgradients): the LP need not be solved again at the junction
    slope = np.diff(vs) / np.diff(xs) if xs.size > 1 else np.full(1, np.nan)
    if ku < qu.size:  # beyond the last feasible up breakpoint: parametric LP
        left = sandwich((-np.inf, float(xs[0])), (float(xs[0]), float(vs[0]), float(slope[0])))
        solves += left.n_solves
        if left.ok:
            xs, vs = np.concatenate([left.x_mw[:-1], xs]), np.concatenate([left.cost_eur[:-1], vs])
    if kd < qd.size:
        right = sandwich((float(xs[-1]), np.inf),
                         (float(xs[-1]), float(vs[-1]), float(slope[-1])))
        solves += right.n_solves
        if right.ok:
            xs, vs = np.concatenate([xs, right.x_mw[1:]]), np.concatenate([vs, right.cost_eur[1:]])
    keep = np.concatenate([[True], np.diff(xs) > 1e-12])
    return InterfaceCurve(fd_m.id, xs[keep], vs[keep], ref, dt, "optimal", solves)


def _baseline_feasible(par: ParametricLp, base: float) -> bool:
    """Whether the baseline exchange is in the feasible range of the loaded LP, decided as
    :attr:`InterfaceCurve.baseline_feasible` decides it (to the rounding of the range ends) but
    with one LP solve when it is (and three when not) instead of the whole curve."""
    if par(base) is not None:
        return True
    lo, hi = par.range_end(+1.0), par.range_end(-1.0)
    if lo is None or hi is None:
        return False
    tol = 1e-9 * (1.0 + abs(lo) + abs(hi))
    return lo - tol <= base <= hi + tol


def feeder_curves(
    case: ClearingCase, f: int, residual: Injectors, prior: Prior, margins: Margins
) -> FeederCurves:
    """``V_ft`` for every interval of feeder ``f`` (residual steps, post-DSO state): the merit
    order where it is exact (:func:`merit_curve`), the parametric LP elsewhere (on the
    interval's slice of one LP built for all intervals, :func:`feeder_programs`, on one warm
    solver per feeder). Intervals whose baseline exchange is outside the feasible range get no
    curve (checked before the curve is computed); intervals with the same loads and offers as an
    earlier one share its curve."""
    fd = margined_feeder(case.grid.feeders[f], margins, float(case.interface_rating_mva[f]), f)
    fm = feeder_model(case, f)
    mine = residual.take((residual.feeder == f) & ~residual.reactive)
    load_p = case.feeder_p_mw[f] - prior.feeder_p_mw[f]
    load_q = case.feeder_q_mvar[f] - prior.feeder_q_mvar[f]
    dt = case.dt_h
    progs = feeder_programs(fd, load_p, load_q, mine, dt) if mine.n else None
    curves: list[InterfaceCurve | None] = []
    par: ParametricLp | None = None  # one warm solver for all intervals of the feeder
    seen: dict[bytes, InterfaceCurve | None] = {}  # identical inputs give the identical curve
    for t in range(case.n_periods):  # one curve per interval
        live = mine.cap[:, t] > QTY_TOL_MW
        if not live.any() or progs is None:
            curves.append(None)
            continue
        key = b"".join(np.ascontiguousarray(a).tobytes() for a in (
            load_p[:, t], load_q[:, t], mine.cap[:, t], mine.price[:, t]))
        if key in seen:
            curves.append(seen[key])
            continue
        base = float(load_p[:, t].sum())

        def sandwich(
            rng: tuple[float, float] | None, known: tuple[float, float, float] | None = None,
            t: int = t, base: float = base,
        ) -> InterfaceCurve:
            nonlocal par
            assert progs is not None
            par = progs.load(par, t)
            return sandwich_curve(par, base, fd.id, dt, x_range=rng, known=known)

        data = (mine.node[live], mine.direction[live], mine.cap[live, t], mine.price[live, t])
        cur = merit_curve(case, f, fm, fd, (load_p[:, t], load_q[:, t]), data, sandwich)
        if cur is None:
            par = progs.load(par, t)
            if not _baseline_feasible(par, base):  # the curve would be dropped: skip it
                seen[key] = None
                curves.append(None)
                continue
            cur = sandwich(None)
        seen[key] = cur if cur.baseline_feasible else None
        curves.append(seen[key])
    return FeederCurves(f, tuple(curves), mine, load_p, load_q, progs, par)


def curve_injectors(case: ClearingCase, fcs: list[FeederCurves]) -> tuple[Injectors, IntArray]:
    """Every curve as virtual steps at its interface bus: ``(injectors, feeder of each row)``.

    Row ``i`` of a feeder's up ladder holds its ``i``-th up piece in every interval (cap 0 where
    an interval has fewer pieces), likewise for the down ladder.
    """
    T = case.n_periods
    parts: list[Injectors] = []
    owner: list[IntArray] = []
    for fc in fcs:
        ladders = [c.steps() if c is not None else None for c in fc.curves]
        n_up = max((len(s[0]) for s in ladders if s is not None), default=0)
        n_dn = max((len(s[2]) for s in ladders if s is not None), default=0)
        k = n_up + n_dn
        if k == 0:
            continue
        cap = np.zeros((k, T))
        price = np.zeros((k, T))
        for t, s in enumerate(ladders):  # T intervals
            if s is None:
                continue
            uq, upr, dq, dpr = s
            cap[: len(uq), t], price[: len(uq), t] = uq, upr
            cap[n_up : n_up + len(dq), t], price[n_up : n_up + len(dq), t] = dq, dpr
        bus = np.full(k, case.interface_bus_row[fc.feeder_index], dtype=np.int64)
        direction = np.concatenate([np.ones(n_up), -np.ones(n_dn)]).astype(np.int64)
        parts.append(virtual_injectors(bus, direction, price, cap))
        owner.append(np.full(k, fc.feeder_index, dtype=np.int64))
    if not parts:
        empty = virtual_injectors(
            np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, T)),
            np.zeros((0, T)),
        )
        return empty, np.zeros(0, dtype=np.int64)
    return Injectors.concat(parts), np.concatenate(owner)


def disaggregate(
    case: ClearingCase, fc: FeederCurves, delta_mw: FloatArray, margins: Margins
) -> FloatArray:
    """Activation per offer row of the case (n_offers, T) that delivers the accepted net
    injection change ``delta_mw`` (T,) of feeder ``fc`` at least cost within its limits: the
    interval's curve LP re-solved with the import fixed at ``x_ref − Δ``."""
    del margins  # the programs already hold the margined limits
    out = np.zeros_like(case.offers.quantity_mw)
    mine = fc.offers
    progs = fc.programs
    par = fc.solver
    for t in np.flatnonzero(np.abs(delta_mw) > QTY_TOL_MW).tolist():  # accepted intervals only
        cur = fc.curves[t]
        if cur is None or progs is None:
            continue
        x = float(np.clip(cur.reference_mw - delta_mw[t], cur.x_min_mw, cur.x_max_mw))
        par = progs.load(par, t)
        sol = par.solution_at(x)
        if sol is None:  # cannot happen inside the curve's range; deliver nothing, never fail
            continue
        p = sol[1][progs.offer_cols[t]]
        a = np.clip(p * mine.direction, 0.0, mine.cap[:, t])
        np.add.at(out[:, t], mine.offer_row, a)
    return out
