"""State of the screened joint T+D OPF (:mod:`tdcoord.opf.joint.screened`): masters and registers.

:class:`Screen` holds the master programs (one per period when nothing couples periods, else one
for the horizon; transmission DC-OPF rows of :func:`tdcoord.opf.transmission.build_dcopf` with each
feeder's base import ``p_net`` moved to its interface bus's demand) and the registers of the
generated feeder columns and rows. :func:`add_columns` appends columns with their entries in the
balance rows (``+e_p``: an injection lowers the feeder's import) and in the generated rows of the
same feeder and period; :func:`add_rows` appends rows with their entries on every injection
column of that feeder and period and on their slack columns (:func:`ensure_slacks`, one column
per branch, interface or node, shared by the facets of a branch exactly as in
:mod:`tdcoord.opf.feeder.program`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from concurrent.futures import Executor

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.joint.master import (
    INJECTIONS,
    OFFER_P,
    OFFER_Q,
    S_OVER,
    S_SUB,
    V_DN,
    V_UP,
    Entries,
    concat,
    injection_coefficients,
    pairs,
)
from tdcoord.opf.joint.sensitivity import FeederGroup
from tdcoord.opf.lp import LinearProgram, LpSolution, WarmLp
from tdcoord.opf.transmission import DcOpfModel
from tdcoord.opf.transmission.build import period_lp
from tdcoord.types import FloatArray, IntArray


@dataclasses.dataclass
class ScreenStats:
    """What the screening did: rounds, rows and columns added (by kind), timings."""

    rounds: int = 0
    rows_added: dict[str, int] = dataclasses.field(default_factory=dict)
    columns_added: dict[str, int] = dataclasses.field(default_factory=dict)
    checked: dict[str, int] = dataclasses.field(default_factory=dict)
    """Feeder-periods evaluated (summed over rounds) and master solves."""
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def add(self, what: dict[str, int], key: str, n: int) -> None:
        """Count ``n`` more of ``key``."""
        what[key] = what.get(key, 0) + int(n)

    def clock(self, key: str, t0: float) -> float:
        """Add the time since ``t0`` to ``key``; return now."""
        now = time.perf_counter()
        self.timings[key] = self.timings.get(key, 0.0) + now - t0
        return now


@dataclasses.dataclass
class Screen:
    """State of one screened solve (masters, generated columns and rows)."""

    case: JointCase
    model: DcOpfModel
    groups: tuple[FeederGroup, ...]
    group_of: IntArray
    local_of: IntArray
    masters: list[WarmLp]
    itf_row: IntArray
    cols: Entries
    rows: Entries
    stats: ScreenStats
    dirty_masters: set[int] = dataclasses.field(default_factory=set)
    """Masters changed since their last solve."""
    prev: tuple[FloatArray, FloatArray, FloatArray] | None = None
    """Column values, row duals and balance duals of the last check."""

    @property
    def T(self) -> int:  # noqa: N802 (the number of periods, as in the math)
        """Periods."""
        return self.case.n_periods

    @property
    def per_period(self) -> bool:
        """One master per period."""
        return len(self.masters) > 1 or self.model.decomposed

    def master_of(self, t: IntArray) -> IntArray:
        """Master of each period."""
        return t if self.per_period else np.zeros_like(t)

    def balance_row(self, f: IntArray, t: IntArray) -> IntArray:
        """Row of the interface-bus balance of feeder f in period t (in its master)."""
        bal = self.model.lp.row_blocks["balance"].start
        t_loc = np.zeros_like(t) if self.per_period else t
        return np.asarray(bal + t_loc * self.case.transmission.n_bus + self.itf_row[f])

    def key_base(self) -> int:
        """Multiplier of ``ft`` in element keys."""
        return 1 + max(g.n_node for g in self.groups)


# -- building ----------------------------------------------------------------------------------


def build_masters(case: JointCase, model: DcOpfModel, groups: Sequence[FeederGroup],
             itf_row: IntArray) -> list[WarmLp]:
    T, B = case.n_periods, case.transmission.n_bus
    p_net = np.zeros((T, B))
    for g in groups:
        pn = g.p_net.reshape(len(g.feeders), T)
        for k, f in enumerate(g.feeders.tolist()):  # one add per feeder (setup)
            p_net[:, itf_row[f]] += pn[k]
    bal = model.lp.row_blocks["balance"]

    def shifted(lp: LinearProgram, extra: FloatArray) -> LinearProgram:
        lo, hi = lp.row_lower.copy(), lp.row_upper.copy()
        lo[bal] += extra
        hi[bal] += extra
        return dataclasses.replace(lp, row_lower=lo, row_upper=hi)

    if model.decomposed:
        lps = [shifted(period_lp(model, t), p_net[t]) for t in range(T)]
    else:
        lps = [shifted(model.lp, p_net.ravel())]
    return [WarmLp(lp, method="simplex", devex=True) for lp in lps]


def offer_columns(case: JointCase) -> tuple[Entries, FloatArray, FloatArray, FloatArray]:
    T, dt = case.n_periods, case.period_hours
    parts, cost, lo, hi = [], [], [], []
    t = np.arange(T)
    for f, c in enumerate(case.feeder_cases):  # gather each feeder's few offers (setup)
        k = c.n_offers
        if k == 0:
            continue
        node = np.repeat(c.offer_row, T)
        tt = np.tile(t, k)
        which = np.repeat(np.arange(k), T)  # the offer's index, kept in ``facet``
        parts.append(
            Entries.new(k * T, kind=OFFER_P, f=f, t=tt, elem=node, facet=which, e_p=1.0)
        )
        cost.append((c.offer_cost_eur_per_mwh * dt).ravel())
        lo.append(c.offer_p_min_mw.ravel())
        hi.append(c.offer_p_max_mw.ravel())
        free = (c.offer_q_min_mvar < c.offer_q_max_mvar).ravel()
        if free.any():
            parts.append(Entries.new(int(free.sum()), kind=OFFER_Q, f=f, t=tt[free],
                                     elem=node[free], facet=which[free], e_q=1.0))
            cost.append(np.zeros(int(free.sum())))
            lo.append(c.offer_q_min_mvar.ravel()[free])
            hi.append(c.offer_q_max_mvar.ravel()[free])
    if not parts:
        return Entries.new(0), np.zeros(0), np.zeros(0), np.zeros(0)
    return concat(parts), np.concatenate(cost), np.concatenate(lo), np.concatenate(hi)


def _by_master(master: IntArray) -> list[tuple[int, IntArray]]:
    """(master, indices in ascending order) per master present (one stable sort)."""
    order = np.argsort(master, kind="stable")
    cut = np.flatnonzero(np.diff(master[order])) + 1
    return [(int(master[g[0]]), g) for g in np.split(order, cut)] if len(order) else []


def _place(s: Screen, new: Entries, sizes: list[int]) -> None:
    """Assign master and position to new entries (appended after ``sizes``)."""
    new.master = s.master_of(new.t)
    new.local = np.empty(len(new), dtype=np.int64)
    for m, sel in _by_master(new.master):
        new.local[sel] = sizes[m] + np.arange(len(sel))


def add_columns(s: Screen, new: Entries, cost: FloatArray, lo: FloatArray, hi: FloatArray) -> None:
    """Append columns with their entries in the balance rows and the generated rows."""
    if len(new) == 0:
        return
    _place(s, new, [m.lp.n_col for m in s.masters])
    inj = np.isin(new.kind, INJECTIONS)
    bal_c = np.flatnonzero(inj & (new.e_p != 0))
    r_i, c_i = pairs(s.rows.ft(s.T), np.where(inj, new.ft(s.T), -1))
    vals = injection_coefficients(s.rows, new, r_i, c_i, s.groups, s.group_of,
                                  s.case.options.facets())
    row = np.concatenate([s.balance_row(new.f[bal_c], new.t[bal_c]), s.rows.local[r_i]])
    col = np.concatenate([bal_c, c_i])
    val = np.concatenate([new.e_p[bal_c], vals])
    pos = np.empty(len(new), dtype=np.int64)
    groups = _by_master(new.master)
    for _, sel in groups:
        pos[sel] = np.arange(len(sel))
    entries = dict(_by_master(new.master[col]))
    for m, sel in groups:
        keep = entries.get(m, np.zeros(0, dtype=np.int64))
        A = sp.csc_matrix((val[keep], (row[keep], pos[col[keep]])),
                          shape=(s.masters[m].lp.n_row, len(sel)))
        s.masters[m].add_columns(cost[sel], lo[sel], hi[sel], A)
        s.dirty_masters.add(int(m))
    s.cols.extend(new)


def add_rows(s: Screen, new: Entries, lo: FloatArray, hi: FloatArray,
             slack: tuple[IntArray, IntArray, FloatArray]) -> None:
    """Append rows with their entries on the injection columns and on ``slack`` = (new row,
    column index in ``s.cols``, value)."""
    if len(new) == 0:
        return
    _place(s, new, [m.lp.n_row for m in s.masters])
    inj = np.isin(s.cols.kind, INJECTIONS)
    r_i, c_i = pairs(new.ft(s.T), np.where(inj, s.cols.ft(s.T), -1))
    vals = injection_coefficients(new, s.cols, r_i, c_i, s.groups, s.group_of,
                                  s.case.options.facets())
    r_s, c_s, v_s = slack
    row = np.concatenate([r_i, r_s])
    col = s.cols.local[np.concatenate([c_i, c_s])]
    val = np.concatenate([vals, v_s])
    pos = np.empty(len(new), dtype=np.int64)
    groups = _by_master(new.master)
    for _, sel in groups:
        pos[sel] = np.arange(len(sel))
    entries = dict(_by_master(new.master[row]))
    for m, sel in groups:
        keep = entries.get(m, np.zeros(0, dtype=np.int64))
        A = sp.csr_matrix((val[keep], (pos[row[keep]], col[keep])),
                          shape=(len(sel), s.masters[m].lp.n_col))
        s.masters[m].add_rows(A, lo[sel], hi[sel])
        s.dirty_masters.add(int(m))
    s.rows.extend(new)


def ensure_slacks(s: Screen, kind: IntArray, f: IntArray, t: IntArray, elem: IntArray) -> IntArray:
    """Column index (register) of each requested slack column, creating the missing ones."""
    KB, T = s.key_base(), s.T

    def keys(k: IntArray, ff: IntArray, tt: IntArray, el: IntArray) -> IntArray:
        return np.asarray(((ff * T + tt) * 8 + k) * KB + el + 1, dtype=np.int64)

    want = keys(kind, f, t, elem)
    slack = np.flatnonzero(s.cols.kind >= S_OVER)
    have = keys(s.cols.kind[slack], s.cols.f[slack], s.cols.t[slack], s.cols.elem[slack])
    missing = np.unique(want[~np.isin(want, have)])
    if missing.size:
        el = missing % KB - 1
        rest = missing // KB
        k = rest % 8
        ft = rest // 8
        opts, dt = s.case.options, s.case.period_hours
        price = np.where(
            np.isin(k, (S_OVER, S_SUB)), opts.overload_eur_per_mvah, opts.voltage_eur_per_pu2_h
        )
        new = Entries.new(len(missing), kind=k, f=ft // T, t=ft % T, elem=el)
        add_columns(s, new, price * dt, np.zeros(len(missing)), np.full(len(missing), np.inf))
        for name in ("s_over", "s_sub", "v_up", "v_dn"):
            code = {"s_over": S_OVER, "s_sub": S_SUB, "v_up": V_UP, "v_dn": V_DN}[name]
            s.stats.add(s.stats.columns_added, name, int(np.sum(k == code)))
        slack = np.flatnonzero(s.cols.kind >= S_OVER)
        have = keys(s.cols.kind[slack], s.cols.f[slack], s.cols.t[slack],
                    s.cols.elem[slack])
    order = np.argsort(have)
    return np.asarray(slack[order[np.searchsorted(have[order], want)]], dtype=np.int64)


#: Warm-start each period's first master solve from the previous period's basis.
WARM_CHAIN = True


def solve_masters(
    s: Screen, last: Sequence[LpSolution], pool: Executor | None = None
) -> list[LpSolution]:
    """Solve the masters changed since their last solve (all the first time); the others keep
    their last solution (same program, same optimum). With ``pool`` the masters are solved
    concurrently (independent HiGHS objects; highspy releases the GIL while solving, and the
    result does not depend on the order)."""
    todo = list(range(len(s.masters))) if not last else sorted(s.dirty_masters)
    sols: list[LpSolution | None] = list(last) if last else [None] * len(s.masters)
    if not last and pool is None and s.per_period and WARM_CHAIN:
        # first solve, one master per period: start period t from period t−1's optimal basis
        # (same rows and columns, loads a quarter-hour apart) instead of a cold start
        for m in todo:
            this, before = s.masters[m], sols[m - 1] if m else None
            if before is not None and before.status == "optimal" and (
                s.masters[m - 1].lp.n_row, s.masters[m - 1].lp.n_col
            ) == (this.lp.n_row, this.lp.n_col):
                this.set_basis(s.masters[m - 1].basis())
            sols[m] = this.solve()
        s.stats.add(s.stats.checked, "master_solves", len(todo))
        todo = []
    if pool is not None and len(todo) > 1:
        for m, sol in zip(todo, pool.map(lambda k: s.masters[k].solve(), todo), strict=True):
            sols[m] = sol
    else:
        for m in todo:
            sols[m] = s.masters[m].solve()
    s.stats.add(s.stats.checked, "master_solves", len(todo))
    s.dirty_masters.clear()
    return [sol for sol in sols if sol is not None]


def read_values(s: Screen, sols: Sequence[LpSolution]) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Column values and row duals of the register, balance duals per feeder-period (f·T + t)."""
    xs = np.concatenate([sol.x for sol in sols])
    ys = np.concatenate([sol.row_duals for sol in sols])
    x_off = np.concatenate([[0], np.cumsum([len(sol.x) for sol in sols])[:-1]]).astype(np.int64)
    y_off = np.concatenate(
        [[0], np.cumsum([len(sol.row_duals) for sol in sols])[:-1]]
    ).astype(np.int64)
    x = xs[x_off[s.cols.master] + s.cols.local]
    y = ys[y_off[s.rows.master] + s.rows.local]
    F, T = s.case.n_feeders, s.T
    f = np.repeat(np.arange(F), T)
    t = np.tile(np.arange(T), F)
    y_bal = ys[y_off[s.master_of(t)] + s.balance_row(f, t)]
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), y_bal
