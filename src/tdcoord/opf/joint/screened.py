"""Screened joint T+D OPF: row-and-column generation in injection space (lossless feeders).

Math. With lossless LinDistFlow every feeder quantity is linear in the injections
(:mod:`tdcoord.opf.joint.sensitivity`): substituting the balance and voltage-drop rows eliminates
the free columns (P, Q, w, p_root, q_root) and leaves, per feeder f and period t, injection
columns (offers, load shedding, curtailment) and three inequality families on them — polygon
facets of every rated branch and of the interface transformer, and voltage limits — each with
its violation slack. The master starts with the transmission DC-OPF rows, every offer column and
each feeder's root import as a withdrawal ``p_net − Σ e_p x`` at its interface bus, and no feeder
row and no slack column (lazy constraints, as in security-constrained OPF: Stott, Jardim & Alsaç
2009, "DC power flow revisited", §V; Bertsimas & Tsitsiklis 1997, ch. 4.2/6.1 for row and column
generation). Each round:

1. solve the masters (one per period when nothing couples periods, else one), warm; only those
   changed since their last solve;
2. **rows**: evaluate every omitted row at the dispatch, vectorised over the feeder-periods whose
   inputs changed since the last round (:func:`dirty_feeder_periods`; all in round 1), in chunks;
   add the most violated facet per branch, the most violated interface facet and the worst
   voltage per feeder and period (violation > ``tol``) with their slack columns at the penalty of
   the full formulation;
3. **columns**: price every omitted shedding / curtailment column from the duals of the rows
   present (omitted rows have zero dual): the node price
   ``π_p = y_bal − D^T(a_p^T κ) − a_p^T κ_sub + S_r ν`` (and ``π_q`` likewise) gives the reduced
   cost ``c − e_p π_p − e_q π_q``; add the most negative ones (at most
   :data:`MAX_COLUMNS_PER_FEEDER_PERIOD` per feeder and period per round);
4. stop when nothing was added.

Certificate: at the end the master's primal point extended by zero slacks is feasible for every
omitted row (checked), and its duals extended by zero for the omitted rows are dual feasible for
every omitted column (checked): the KKT conditions of the full (monolithic) program hold, so the
point is optimal for it — the same optimum as ``algorithm="monolithic"``.
"""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tdcoord.errors import OptimizationError
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.joint.master import (
    CURTAIL,
    S_OVER,
    S_SUB,
    SHED,
    SUB,
    THERMAL,
    V_DN,
    V_UP,
    VOLT,
    Entries,
    concat,
)
from tdcoord.opf.joint.result import JointResult
from tdcoord.opf.joint.screen_check import (
    feeder_state,
    group_views,
    node_prices,
    priced_columns,
    pricing_candidates,
    violated_rows,
)
from tdcoord.opf.joint.screen_result import screened_result
from tdcoord.opf.joint.screen_state import (
    Screen,
    ScreenStats,
    add_columns,
    add_rows,
    build_masters,
    ensure_slacks,
    offer_columns,
    read_values,
    solve_masters,
)
from tdcoord.opf.joint.sensitivity import feeder_groups
from tdcoord.opf.lp import LpSolution
from tdcoord.opf.transmission.build import build_dcopf
from tdcoord.types import FloatArray, IntArray

#: Violation (MVA, pu²) above which an omitted row is added.
ROW_TOL = 1e-6
#: Relative reduced cost below which an omitted column is added.
COL_TOL = 1e-7
#: Columns added per feeder, period and round at most (the most negative reduced costs first).
MAX_COLUMNS_PER_FEEDER_PERIOD = 16
#: Feeder-periods evaluated together (dense (CHUNK × node) arrays of ~2 MB: cache-sized).
CHUNK = 2048


def check_supported(case: JointCase) -> None:
    """Raise :class:`OptimizationError` when the screened method does not apply to ``case``."""
    fix = "use algorithm='monolithic' (or 'auto')"
    if case.options.losses != "none":
        raise OptimizationError(
            f"the screened algorithm needs lossless feeders, got losses={case.options.losses!r}",
            where="FeederOptions.losses",
            fix=f"pass FeederOptions(losses='none') or {fix}",
        )
    for c in case.feeder_cases:  # one flag per feeder
        if c.has_norm_cost:
            raise OptimizationError(
                "offers with a norm cost need the conic solver",
                where=f"feeder {c.feeder.id!r} offers",
                fix=fix,
            )
        if np.any(c.price_eur_per_mwh != 0) or c.q_price_eur_per_mvarh != 0:
            raise OptimizationError(
                "feeder root prices must be zero in a joint case (energy is paid at the LMP)",
                where=f"feeder {c.feeder.id!r}",
                fix="build the case with joint_case / with_feeder_cases",
            )
    if np.any(case.transmission.generators.cost_c2_per_mw2h != 0):
        raise OptimizationError(
            "the screened algorithm needs linear transmission costs (its master is an LP)",
            where="transmission generator costs (cost_c2_per_mw2h)",
            fix=fix,
        )



def dirty_feeder_periods(s: Screen, x: FloatArray, y: FloatArray, y_bal: FloatArray) -> np.ndarray:
    """Feeder-periods (f·T + t, bool) whose check can differ from the last round's: a column
    value, a row dual or the interface price changed, or a row / column was added there (new
    register entries count as changed). Elsewhere the last check found nothing and, with the
    same inputs, would find nothing again."""
    n_ft = s.case.n_feeders * s.T
    if s.prev is None:
        return np.ones(n_ft, dtype=bool)
    x0, y0, yb0 = s.prev
    ch_x = np.ones(len(x), dtype=bool)
    ch_x[: len(x0)] = x[: len(x0)] != x0
    ch_y = np.ones(len(y), dtype=bool)
    ch_y[: len(y0)] = y[: len(y0)] != y0
    dirty = np.asarray(y_bal != yb0)
    dirty[s.cols.ft(s.T)[ch_x]] = True
    dirty[s.rows.ft(s.T)[ch_y]] = True
    return dirty


def _check_group(
    s: Screen, g: int, lft: IntArray, x: FloatArray, y: FloatArray, y_bal: FloatArray
) -> tuple[tuple[IntArray, ...], tuple[IntArray, ...]]:
    """Rows (kind, local ft, elem, facet) and columns (kind, local ft, node) to add for the
    group-local feeder-periods ``lft``, chunk by chunk (in the order of a full check)."""
    grp, T, dt = s.groups[g], s.T, s.case.period_hours
    opts, poly = s.case.options, s.case.options.facets()
    rows_out: list[tuple[IntArray, ...]] = []
    cols_out: list[tuple[IntArray, ...]] = []
    glob = grp.feeders[lft // T] * T + lft % T
    for v in group_views(s.cols, s.rows, grp, g, (s.group_of, s.local_of), T, lft, CHUNK):
        st = feeder_state(v, s.cols, x)
        kind, vl, elem, facet, _ = violated_rows(v, st, s.rows, poly, ROW_TOL)
        rows_out.append((kind, v.lft[vl], elem, facet))
        if not opts.slacks:
            continue
        yb = y_bal[glob[np.searchsorted(lft, v.lft)]]
        cand = pricing_candidates(v, s.rows, y, yb, opts, dt, COL_TOL)
        if not cand.any():
            continue
        w = v.subset(cand)
        pr = node_prices(w, s.rows, y, yb[cand], poly)
        ck, cl, node, _ = priced_columns(w, s.cols, pr, opts, dt,
                                         MAX_COLUMNS_PER_FEEDER_PERIOD, COL_TOL)
        cols_out.append((ck, w.lft[cl], node))
    empty = np.zeros(0, dtype=np.int64)
    r = tuple(np.concatenate([a[i] for a in rows_out] + [empty]) for i in range(4))
    order = np.lexsort((r[2], r[1], r[0]))  # kind, then feeder-period, then element
    c = tuple(np.concatenate([a[i] for a in cols_out] + [empty]) for i in range(3))
    return tuple(a[order] for a in r), c


def screen_round(s: Screen, x: FloatArray, y: FloatArray, y_bal: FloatArray) -> bool:
    """One screening pass over the feeder-periods that may have changed (every one in the first
    round); add what is violated or prices out. True if anything was added."""
    case, T, dt = s.case, s.T, s.case.period_hours
    opts, poly = case.options, case.options.facets()
    col_parts: list[Entries] = []
    col_data: list[tuple[FloatArray, FloatArray]] = []
    row_parts: list[Entries] = []
    row_bounds: list[tuple[FloatArray, FloatArray]] = []
    dirty = dirty_feeder_periods(s, x, y, y_bal)
    s.prev = (x, y, y_bal)
    for g, grp in enumerate(s.groups):
        lft = np.flatnonzero(dirty[(grp.feeders[:, None] * T + np.arange(T)).ravel()])
        s.stats.add(s.stats.checked, "feeder_periods", len(lft))
        if not len(lft):
            continue
        (kind, lft_r, elem, facet), (ck, clft, node) = _check_group(s, g, lft, x, y, y_bal)
        f, t = grp.feeders[lft_r // T], lft_r % T
        row_parts.append(Entries.new(len(kind), kind=kind, f=f, t=t, elem=elem, facet=facet))
        lo = np.full(len(kind), -np.inf)
        hi = np.full(len(kind), np.inf)
        k = np.maximum(facet, 0)
        e = np.maximum(elem, 0)
        th, su, vo = kind == THERMAL, kind == SUB, kind == VOLT
        lt = lft_r
        hi[th] = (poly.a_s[k[th]] * grp.rating_mva[e[th]] - poly.a_p[k[th]] * grp.p0[lt[th], e[th]]
                  - poly.a_q[k[th]] * grp.q0[lt[th], e[th]])
        hi[su] = (poly.a_s[k[su]] * grp.sub_rating_mva[lt[su] // T]
                  - poly.a_p[k[su]] * grp.p_net[lt[su]] - poly.a_q[k[su]] * grp.q_net[lt[su]])
        lo[vo] = grp.w_min[e[vo]] - grp.w0[lt[vo], e[vo]]
        hi[vo] = grp.w_max[e[vo]] - grp.w0[lt[vo], e[vo]]
        row_bounds.append((lo, hi))
        if not opts.slacks:
            continue
        shed = ck == SHED
        shed_cap, shed_ratio, curt_cap = grp.injection_bounds_at(clft, node)
        e_q = np.where(shed, shed_ratio, 0.0)
        col_parts.append(Entries.new(len(ck), kind=ck, f=grp.feeders[clft // T], t=clft % T,
                                     elem=node, e_p=np.where(shed, 1.0, -1.0), e_q=e_q))
        cost = np.where(shed, opts.voll_eur_per_mwh, opts.curtailment_eur_per_mwh) * dt
        cap = np.where(shed, shed_cap, curt_cap)
        col_data.append((cost, cap))
    cols = concat(col_parts)
    if len(cols):
        add_columns(s, cols, np.concatenate([c for c, _ in col_data]), np.zeros(len(cols)),
                    np.concatenate([c for _, c in col_data]))
        s.stats.add(s.stats.columns_added, "shed", int(np.sum(cols.kind == SHED)))
        s.stats.add(s.stats.columns_added, "curtail", int(np.sum(cols.kind == CURTAIL)))
    rows = concat(row_parts)
    if len(rows):
        lo = np.concatenate([a for a, _ in row_bounds])
        hi = np.concatenate([b for _, b in row_bounds])
        slack: tuple[IntArray, IntArray, FloatArray] = (
            np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
        )
        if opts.slacks:
            idx = np.arange(len(rows))
            vo = rows.kind == VOLT
            r_s = np.concatenate([idx, idx[vo]])
            s_kind = np.concatenate([
                np.select([rows.kind == THERMAL, rows.kind == SUB], [S_OVER, S_SUB], V_UP),
                np.full(int(vo.sum()), V_DN),
            ])
            el = np.where(rows.kind == SUB, -1, rows.elem)
            c_s = ensure_slacks(s, s_kind, rows.f[r_s], rows.t[r_s], el[r_s])
            k = np.maximum(rows.facet[r_s], 0)
            val = np.select(
                [s_kind == V_UP, s_kind == V_DN], [-1.0, 1.0], -poly.a_s[k]
            )
            slack = (r_s, c_s, val)
        add_rows(s, rows, lo, hi, slack)
        for name, code in (("thermal", THERMAL), ("interface", SUB), ("voltage", VOLT)):
            s.stats.add(s.stats.rows_added, name, int(np.sum(rows.kind == code)))
    return bool(len(rows) or len(cols))


def start(case: JointCase, stats: ScreenStats) -> Screen:
    """Build the masters with the offer columns (round 0)."""
    check_supported(case)
    groups, group_of, local_of = feeder_groups(case)
    model = build_dcopf(
        case.transmission,
        convention=case.convention,
        n_periods=case.n_periods,
        load_mw=case.load_mw,
        period_hours=case.period_hours,
        voll_eur_per_mwh=case.voll_eur_per_mwh,
    )
    itf_row = case.transmission.bus_rows(case.interface_bus)
    s = Screen(case, model, groups, group_of, local_of, build_masters(case, model, groups, itf_row),
               itf_row, Entries.new(0), Entries.new(0), stats)
    new, cost, lo, hi = offer_columns(case)
    add_columns(s, new, cost, lo, hi)
    return s


def solve_screened_stats(
    case: JointCase, *, max_rounds: int = 1000, workers: int = 1
) -> tuple[JointResult, ScreenStats]:
    """Solve ``case`` by screening (module docstring); the result and what the screening did.

    ``workers`` threads solve the per-period masters concurrently (1: one after the other; the
    result is the same optimum). highspy releases the GIL while solving, but the moonshot's
    masters are small (~20 ms), two workers were not measured faster on a shared 2-core machine,
    and with one worker the first solve of each period starts from the previous period's basis
    (:func:`~tdcoord.opf.joint.screen_state.solve_masters`) — hence the default 1."""
    stats = ScreenStats()
    t0 = time.perf_counter()
    s = start(case, stats)
    sols: list[LpSolution] = []
    t0 = stats.clock("build_s", t0)
    with ThreadPoolExecutor(max(1, workers)) as pool:
        while True:
            sols = solve_masters(s, sols, pool if workers > 1 else None)
            stats.rounds += 1
            t0 = stats.clock("solve_s", t0)
            if any(sol.status != "optimal" for sol in sols):
                break
            x, y, y_bal = read_values(s, sols)
            added = screen_round(s, x, y, y_bal)
            t0 = stats.clock("check_s", t0)
            if not added:
                break
            if stats.rounds >= max_rounds:
                raise OptimizationError(
                    f"screening did not converge in {max_rounds} rounds",
                    where="solve_screened",
                    fix="raise max_rounds or use algorithm='monolithic'",
                )
    result = screened_result(s, sols)
    stats.clock("prices_s", t0)
    timings = {k: stats.timings.get(k, 0.0) for k in ("build_s", "solve_s", "check_s", "prices_s")}
    result = dataclasses.replace(
        result, iterations=stats.rounds, timings=timings, time_s=float(sum(timings.values()))
    )
    return result, stats


def solve_screened(case: JointCase) -> JointResult:
    """Solve ``case`` by screening; see :func:`solve_screened_stats`."""
    return solve_screened_stats(case)[0]
