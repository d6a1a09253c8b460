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
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import Injectors, Prior, virtual_injectors
from tdcoord.coordination.interface_offer import InterfaceCurve, curve_of_program
from tdcoord.coordination.interval_solve import row_intervals
from tdcoord.coordination.network_model import FeederModel, feeder_model
from tdcoord.grid.model import Feeder
from tdcoord.grid.tables import BoolArray, FloatArray, IntArray
from tdcoord.opf.feeder_case import FacetPolygon, FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder_lp import build_program
from tdcoord.opf.lp import LinearProgram, solve

#: Accepted quantities below this (MW) are not disaggregated.
QTY_TOL_MW = 1e-7


def margined_feeder(
    feeder: Feeder, margins: Margins, interface_rating_mva: float = float("inf")
) -> Feeder:
    """The feeder with the clearing's security margins applied to its limits; the supply point
    is limited by the lower of the substation and the T–D interface rating."""
    keep = 1.0 - margins.rating_frac
    return dataclasses.replace(
        feeder,
        nodes=feeder.nodes.replace(
            v_min_pu=feeder.nodes.v_min_pu + margins.voltage_pu,
            v_max_pu=feeder.nodes.v_max_pu - margins.voltage_pu,
        ),
        branches=feeder.branches.replace(rating_mva=feeder.branches.rating_mva * keep),
        substation_rating_mva=min(feeder.substation_rating_mva, interface_rating_mva) * keep,
    )


@dataclasses.dataclass(frozen=True, eq=False)
class FeederPrograms:
    """The curve LP of one feeder for every interval, built once: the LP of
    :func:`~tdcoord.coordination.interface_offer.interface_offer_curve` over all intervals is
    block diagonal (period-major columns and rows), so each interval's LP is a slice of it."""

    lp: LinearProgram
    cols: tuple[IntArray, ...]
    rows: tuple[IntArray, ...]
    root_col: tuple[int, ...]  # position of p_root in each interval's columns
    offer_cols: tuple[IntArray, ...]  # positions of the offer steps in each interval's columns

    def block(self, t: int) -> LinearProgram:
        """Interval ``t``'s LP."""
        c, r = self.cols[t], self.rows[t]
        lp = self.lp
        return LinearProgram(
            cost=lp.cost[c], A=sp.csr_matrix(lp.A[r][:, c]), row_lower=lp.row_lower[r],
            row_upper=lp.row_upper[r], col_lower=lp.col_lower[c], col_upper=lp.col_upper[c],
            hessian=None, offset=0.0, col_blocks={}, row_blocks={},
        )


def feeder_programs(
    fd_m: Feeder, load_p: FloatArray, load_q: FloatArray, offers: Injectors, dt_h: float
) -> FeederPrograms | None:
    """Build the curve LP of every interval at once (``None`` if it is not block diagonal)."""
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
    lp = build_program(fcase, FeederOptions(losses="none", slacks=False),
                       model="lindistflow").lp
    col_t = np.full(lp.n_col, -1, dtype=np.int64)
    for blk in lp.col_blocks.values():  # period-major blocks
        width = blk.stop - blk.start
        if width % T:
            return None
        col_t[blk] = np.repeat(np.arange(T), width // T)
    if (col_t < 0).any():
        return None
    row_t = row_intervals(lp.A, col_t)
    if row_t is None:
        return None
    cols = tuple(np.flatnonzero(col_t == t) for t in range(T))
    rows = tuple(np.flatnonzero(row_t == t) for t in range(T))
    root = lp.col_blocks["p_root"]
    offer = lp.col_blocks["p_offer"]
    root_col = tuple(int(np.searchsorted(c, root.start + t)) for t, c in enumerate(cols))
    k = offers.n
    offer_cols = tuple(np.searchsorted(c, offer.start + t * k + np.arange(k))
                       for t, c in enumerate(cols))
    return FeederPrograms(lp, cols, rows, root_col, offer_cols)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederCurves:
    """One feeder's curves (``None`` where the interval offers nothing) and its LP inputs."""

    feeder_index: int
    curves: tuple[InterfaceCurve | None, ...]
    offers: Injectors  # the residual active-power steps of the feeder
    load_p_mw: FloatArray  # post-DSO net load (n_node, T)
    load_q_mvar: FloatArray
    programs: FeederPrograms | None  # None: the feeder has no active-power step


def _feasible_points(
    fm: FeederModel, fd_m: Feeder, load_p: FloatArray, load_q: FloatArray, u: FloatArray
) -> BoolArray:
    """Which node-injection changes ``u`` (n_node, M) keep the hard, margined LinDistFlow limits
    of the curve LP (squared voltages, 12-facet polygon on every rated branch and on the
    substation), with a small safety tolerance (so "feasible" here implies feasible there)."""
    w = load_p[:, None] - u
    wq = np.repeat(load_q[:, None], u.shape[1], axis=1)
    v2 = fd_m.v_root_pu**2 - (fm.v_sens_p @ w + fm.v_sens_q @ wq)
    tol = 1e-6
    ok = (v2[1:] >= fd_m.nodes.v_min_pu[1:, None] ** 2 + tol).all(axis=0)
    ok &= (v2[1:] <= fd_m.nodes.v_max_pu[1:, None] ** 2 - tol).all(axis=0)
    poly = FacetPolygon.regular(12)
    P = np.asarray(fm.down @ w)
    Q = np.asarray(fm.down @ wq)
    rating = fd_m.branches.rating_mva
    rated = np.isfinite(rating)
    flows = [(P[rated], Q[rated], rating[rated][:, None])]
    if np.isfinite(fd_m.substation_rating_mva):
        flows.append((w.sum(axis=0)[None, :], wq.sum(axis=0)[None, :],
                      np.array([[fd_m.substation_rating_mva]])))
    for pp_, qq, s_max in flows:
        for ap, aq, a_s in zip(poly.a_p, poly.a_q, poly.a_s, strict=True):
            ok &= (ap * pp_ + aq * qq <= a_s * s_max - tol * (1.0 + s_max)).all(axis=0)
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
    case: ClearingCase, f: int, fm: FeederModel, fd_m: Feeder, load_p: FloatArray,
    load_q: FloatArray, node: IntArray, direction: IntArray, qty: FloatArray,
    price: FloatArray, sandwich: Callable[[tuple[float, float]], InterfaceCurve],
) -> InterfaceCurve | None:
    """Exact ``V`` of one interval without a network LP, when it applies.

    Without binding limits ``V`` is the merit order: lowering the import by ``Δ`` activates the
    cheapest up steps, raising it the cheapest down steps (no up+down pair is activated together
    when no up price plus down price is negative — checked). ``V`` is at least this curve (a
    relaxation), and where the merit dispatch at every breakpoint is feasible it is attained
    (the dispatch between breakpoints interpolates feasible ones, and the feasible set is
    convex) — so it *is* ``V``. The exact part runs from the reference to the last feasible
    breakpoint on each side; the rest of the range, if any, comes from the parametric LP
    (``sandwich(x_range)``: :func:`curve_of_program` on this interval's LP). ``None``: the fast
    path does not apply.
    """
    up = direction > 0
    if up.any() and (~up).any() and price[up].min() + price[~up].min() < 0:
        return None  # an up + down pair would be activated at zero exchange
    n = fd_m.n_node
    ref = float(load_p.sum())
    dt = case.dt_h
    qu, cu, uu = _merit_side(price[up], qty[up], node[up], +1, n)
    qd, cd, ud = _merit_side(price[~up], qty[~up], node[~up], -1, n)
    ok_u = _feasible_points(fm, fd_m, load_p, load_q, uu)
    ok_d = _feasible_points(fm, fd_m, load_p, load_q, ud)
    if not (ok_u[0] and ok_d[0]):
        return None
    ku = int(np.argmin(ok_u)) if not ok_u.all() else ok_u.size  # leading feasible points
    kd = int(np.argmin(ok_d)) if not ok_d.all() else ok_d.size
    xs = np.concatenate([(ref - qu[:ku])[::-1], ref + qd[1:kd]])
    vs = np.concatenate([(cu[:ku] * dt)[::-1], cd[1:kd] * dt])
    solves = 0
    if ku < qu.size:  # beyond the last feasible up breakpoint: parametric LP
        left = sandwich((-np.inf, float(xs[0])))
        solves += left.n_solves
        if left.ok:
            xs, vs = np.concatenate([left.x_mw[:-1], xs]), np.concatenate([left.cost_eur[:-1], vs])
    if kd < qd.size:
        right = sandwich((float(xs[-1]), np.inf))
        solves += right.n_solves
        if right.ok:
            xs, vs = np.concatenate([xs, right.x_mw[1:]]), np.concatenate([vs, right.cost_eur[1:]])
    keep = np.concatenate([[True], np.diff(xs) > 1e-12])
    return InterfaceCurve(fd_m.id, xs[keep], vs[keep], ref, dt, "optimal", solves)


def feeder_curves(
    case: ClearingCase, f: int, residual: Injectors, prior: Prior, margins: Margins
) -> FeederCurves:
    """``V_ft`` for every interval of feeder ``f`` (residual steps, post-DSO state): the merit
    order where it is exact (:func:`merit_curve`), the parametric LP elsewhere (on the
    interval's slice of one LP built for all intervals, :func:`feeder_programs`)."""
    fd = margined_feeder(case.grid.feeders[f], margins, float(case.interface_rating_mva[f]))
    fm = feeder_model(case, f)
    mine = residual.take((residual.feeder == f) & ~residual.reactive)
    load_p = case.feeder_p_mw[f] - prior.feeder_p_mw[f]
    load_q = case.feeder_q_mvar[f] - prior.feeder_q_mvar[f]
    dt = case.dt_h
    progs = feeder_programs(fd, load_p, load_q, mine, dt) if mine.n else None
    if mine.n and progs is None:
        raise CoordinationError(
            "the feeder curve LP is not block diagonal over intervals",
            where=f"feeder {fd.id!r} aggregated interface offer",
            fix="report this: tdcoord.opf.feeder_lp changed its column layout",
        )
    curves: list[InterfaceCurve | None] = []
    for t in range(case.n_periods):  # one curve per interval
        live = mine.cap[:, t] > QTY_TOL_MW
        if not live.any() or progs is None:
            curves.append(None)
            continue
        base = float(load_p[:, t].sum())

        def sandwich(
            rng: tuple[float, float] | None, t: int = t, base: float = base
        ) -> InterfaceCurve:
            assert progs is not None
            return curve_of_program(progs.block(t), progs.root_col[t], base, fd.id, dt,
                                    x_range=rng)

        data = (mine.node[live], mine.direction[live], mine.cap[live, t], mine.price[live, t])
        cur = merit_curve(case, f, fm, fd, load_p[:, t], load_q[:, t], *data, sandwich)
        if cur is None:
            cur = sandwich(None)
        curves.append(cur if cur.baseline_feasible else None)
    return FeederCurves(f, tuple(curves), mine, load_p, load_q, progs)


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
    for t in np.flatnonzero(np.abs(delta_mw) > QTY_TOL_MW).tolist():  # accepted intervals only
        cur = fc.curves[t]
        if cur is None or progs is None:
            continue
        x = float(np.clip(cur.reference_mw - delta_mw[t], cur.x_min_mw, cur.x_max_mw))
        lp = progs.block(t)
        lo, up = lp.col_lower.copy(), lp.col_upper.copy()
        lo[progs.root_col[t]] = up[progs.root_col[t]] = x
        sol = solve(dataclasses.replace(lp, col_lower=lo, col_upper=up), method="simplex")
        if not sol.ok:  # cannot happen inside the curve's range; deliver nothing, never fail
            continue
        p = sol.x[progs.offer_cols[t]]
        a = np.clip(p * mine.direction, 0.0, mine.cap[:, t])
        np.add.at(out[:, t], mine.offer_row, a)
    return out
