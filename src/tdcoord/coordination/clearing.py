"""The flexibility-clearing LP, built per constraint family with :class:`LpBuilder`.

For intervals t (independent; columns and rows are interval-major) and injectors k
(:mod:`tdcoord.coordination.injectors`), the program is

.. math::

    \\min \\sum_t \\Delta t\\Big[\\sum_k c_{kt} a_{kt} + \\sum_g (c^{up}_g r^+_{gt} + c^{dn}_g
    r^-_{gt}) + \\mathrm{VOLL}\\,s^{short}_t + c^{curt} s^{surp}_t + \\text{penalties}\\cdot
    \\text{violation slacks}\\Big]

with :math:`0 \\le a_{kt} \\le \\bar a_{kt}` and the families (each switched by
:class:`ClearingSpec`):

* ``balance`` (TSO): :math:`\\sum_k d_k a_{kt} + \\sum_g (r^+ - r^-) + s^{short} - s^{surp} =
  n_t - \\Pi_t` (need minus injection already committed, ``Π``); dual λ_t;
* ``lines``: :math:`-R \\le f^0_t + \\Phi(M a_t + G(r^+ - r^-) + \\sigma(s^{short} - s^{surp}))
  + o^- - o^+ \\le R` where :math:`f^0 = \\Phi(p^{base} + \\Pi^{bus} - \\sigma n_t)` and ``M`` puts
  feeder injectors at their interface bus (copper plate below it);
* per modelled feeder (LinDistFlow around baseline + prior, see
  :mod:`tdcoord.coordination.network_model`): voltage rows
  :math:`\\underline v^2 \\le v_0^2 + S^p a + S^q a \\le \\overline v^2` with slacks in pu
  (coefficient 2v), and a 12-facet inner polygon on every rated branch
  :math:`\\alpha_p P + \\alpha_q Q \\le \\alpha_s (S^{max}(1-m) + o)`, :math:`P = P_0 - D N_p a`;
* ``interface`` limits on a feeder's import :math:`w^0 + \\Pi - \\sum_{k\\in f} d_k a_k`;
* ``target``: :math:`\\sum_{k\\in f} d_k a_k = \\tau_{ft}` with deviation slacks at VOLL (shared
  balancing; the DSO's cost-of-exchange in the decentralized common market); its dual is the
  marginal cost of the feeder's exchange;
* ``lumped``: a DSO need as a quantity on the feeder as a whole (centralized market);
* ``node_bounds``: per-node limits on the net injection change (operating envelopes).

Prices: LMP :math:`= (\\lambda_t + \\Phi^\\top\\mu_t)/\\Delta t` (extra withdrawal at a bus);
DLMP :math:`= \\mathrm{LMP}_{itf} + (\\sum_i \\mu^v_i S^p_{ij} - \\sum_{b,k}\\mu^{br}_{bk}
\\alpha_{p,k} D_{bj} - \\mu^{itf})/\\Delta t` — the duals of the rows an extra withdrawal at
node j moves (sign convention of :mod:`tdcoord.opf.lp`: dual = ∂cost/∂bound).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.injectors import Injectors, Prior, zero_prior
from tdcoord.coordination.interval_solve import solve_by_interval
from tdcoord.coordination.network_model import (
    FeederModel,
    TransmissionModel,
    feeder_model,
    transmission_model,
)
from tdcoord.grid.tables import BoolArray, FloatArray
from tdcoord.opf.feeder.case import FacetPolygon
from tdcoord.opf.lp import LpBuilder, LpSolution

#: A slack above this (MW, pu) counts as used.
SLACK_TOL = 1e-7


@dataclasses.dataclass(frozen=True)
class Margins:
    """Security margins of the linearised feeder model (LinDistFlow is lossless and linear; the
    AC validation is not): ratings are used at ``1 - rating_frac`` and voltage limits are
    tightened by ``voltage_pu``."""

    rating_frac: float = 0.03
    voltage_pu: float = 0.005


def interface_limit_mw(case: ClearingCase, f: int, margins: Margins | None = None) -> FloatArray:
    r"""Active-power limit ``(T,)`` of feeder ``f``'s T–D transformer in the linear model.

    The transformer limits apparent power, :math:`P^2 + Q^2 \le S_{max}^2`; with the reactive
    import ``Q_t`` of the baseline (activations move active power) and the rating margin,
    :math:`|P_t| \le \sqrt{((1 - m) S_{max})^2 - Q_t^2}` (0 when Q alone fills the rating).
    """
    m = margins or Margins()
    s_max = float(case.interface_rating_mva[f]) * (1.0 - m.rating_frac)
    q = case.feeder_q_mvar[f].sum(axis=0)
    return np.asarray(np.sqrt(np.maximum(s_max**2 - q**2, 0.0)), dtype=np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class ClearingSpec:
    """What one clearing LP contains (see module docstring)."""

    injectors: Injectors
    need_mw: FloatArray | None = None
    lines: bool = False
    redispatch: bool = False
    feeders: tuple[int, ...] = ()
    feeder_masks: Mapping[int, tuple[BoolArray, BoolArray]] = dataclasses.field(
        default_factory=dict
    )
    interface_bounds: Mapping[int, tuple[FloatArray, FloatArray]] = dataclasses.field(
        default_factory=dict
    )
    feeder_targets: Mapping[int, FloatArray] = dataclasses.field(default_factory=dict)
    lumped_needs: Mapping[int, FloatArray] = dataclasses.field(default_factory=dict)
    node_bounds: Mapping[int, tuple[FloatArray, FloatArray]] = dataclasses.field(
        default_factory=dict
    )
    prior: Prior | None = None
    margins: Margins = dataclasses.field(default_factory=Margins)
    #: Network rows on per-location injection columns (``z = Σ_k d_k a_k`` per bus or feeder
    #: node, one equality row each) instead of on every offer column: same LP, far fewer
    #: non-zeros (see "Location columns" in the module docstring).
    aggregate_locations: bool = True


@dataclasses.dataclass(frozen=True, eq=False)
class ClearingResult:
    """Solution of one clearing LP."""

    status: str  # optimal | optimal_with_slacks | infeasible
    objective_eur: float
    activation_mw: FloatArray  # (K, T) per injector
    redispatch_mw: FloatArray  # (n_gen, T) signed
    lmp_eur_per_mwh: FloatArray | None
    dlmp_eur_per_mwh: dict[int, FloatArray]
    target_dual_eur_per_mwh: dict[int, FloatArray]
    interval_cost_eur: FloatArray  # (T,) objective per interval
    slacks: pd.DataFrame
    iterations: int
    solve_s: float


SLACK_COLUMNS = ("where", "kind", "interval", "value", "penalty_eur")


def _tk(a: FloatArray) -> FloatArray:
    """(n, T) → interval-major flat vector."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).T).ravel()


def _kron(T: int, m: Any) -> sp.csr_matrix:
    return sp.csr_matrix(sp.kron(sp.identity(T, format="csr"), sp.csr_matrix(m)))


@dataclasses.dataclass
class _Ctx:
    case: ClearingCase
    spec: ClearingSpec
    T: int
    b: LpBuilder
    a: slice
    dt: float
    prior: Prior
    col_interval: list[FloatArray] = dataclasses.field(default_factory=list)
    slack_families: list[tuple[str, str, tuple[str, ...], float]] = dataclasses.field(
        default_factory=list
    )
    feeder_rows: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)

    def cols(self, name: str, n: int, lower: Any, upper: Any, cost: Any) -> slice:
        s = self.b.add_columns(name, n * self.T, lower, upper, cost)
        self.col_interval.append(np.repeat(np.arange(self.T, dtype=np.float64), n))
        return s

    def slack(self, name: str, kind: str, labels: tuple[str, ...], price: float) -> slice:
        s = self.cols(name, len(labels), 0.0, np.inf, price * self.dt)
        self.slack_families.append((name, kind, labels, price))
        return s


def _p_coef(inj: Injectors, mask: BoolArray) -> FloatArray:
    return np.where(mask & ~inj.reactive, inj.direction, 0).astype(np.float64)


def _balance(c: _Ctx, tm: TransmissionModel | None) -> None:
    spec, inj, T = c.spec, c.spec.injectors, c.T
    assert spec.need_mw is not None
    row = _p_coef(inj, np.ones(inj.n, dtype=bool))[None, :]
    blocks: list[tuple[slice, Any]] = [(c.a, _kron(T, row))]
    if "r_up" in c.b._col_blocks:
        g = len(c.case.gen_schedule_mw)
        blocks += [(c.b._col_blocks["r_up"], _kron(T, np.ones((1, g))))]
        blocks += [(c.b._col_blocks["r_dn"], _kron(T, -np.ones((1, g))))]
    pen = c.case.penalties
    short = c.slack("shortage", "shortage", ("system",), pen.voll_eur_per_mwh)
    surp = c.slack("surplus", "surplus", ("system",), pen.curtailment_eur_per_mwh)
    blocks += [(short, sp.identity(T)), (surp, -sp.identity(T))]
    rhs = spec.need_mw - c.prior.total_p_mw()
    c.b.add_rows("balance", blocks, rhs, rhs)


def _bus_matrix(c: _Ctx, tm: TransmissionModel) -> sp.csr_matrix:
    inj = c.spec.injectors
    bus = np.where(inj.feeder >= 0, c.case.interface_bus_row[np.maximum(inj.feeder, 0)], inj.node)
    coef = _p_coef(inj, np.ones(inj.n, dtype=bool))
    return sp.csr_matrix((coef, (bus, np.arange(inj.n))), shape=(tm.n_bus, inj.n))


def _locations(c: _Ctx, name: str, m: sp.csr_matrix) -> list[tuple[slice, sp.csr_matrix]]:
    """Injection change per location ``Δ = m a`` (rows: locations) as ``[(cols, E)]`` with
    ``Δ = Σ E x[cols]``: on the offer columns directly, or — with ``aggregate_locations`` —
    on free location columns ``z`` (one per location that holds an injector) tied to the offers
    by the equality rows ``z − m_sel a = 0`` (family ``name``)."""
    m = sp.csr_matrix(m)
    m.eliminate_zeros()
    if not c.spec.aggregate_locations:
        return [(c.a, m)]
    used = np.flatnonzero(np.diff(m.indptr))
    if not used.size:
        return []
    z = c.cols(name, used.size, -np.inf, np.inf, 0.0)
    c.b.add_rows(
        f"def_{name}", [(z, sp.identity(used.size * c.T)), (c.a, -_kron(c.T, m[used]))], 0.0, 0.0
    )
    sel = sp.csr_matrix(
        (np.ones(used.size), (used, np.arange(used.size))), shape=(m.shape[0], used.size)
    )
    return [(z, sel)]


def _lines(c: _Ctx, tm: TransmissionModel) -> None:
    rated = np.flatnonzero(np.isfinite(tm.rating_mw))
    if not rated.size:
        return
    T = c.T
    phi = tm.ptdf[rated]
    blocks: list[tuple[slice, Any]] = [
        (cols, _kron(T, sp.csr_matrix(phi @ e.toarray())))
        for cols, e in _locations(c, "z_bus", _bus_matrix(c, tm))
    ]
    if "r_up" in c.b._col_blocks:
        gm = np.zeros((tm.n_bus, len(tm.gen_bus_row)))
        gm[tm.gen_bus_row, np.arange(len(tm.gen_bus_row))] = 1.0
        blocks += [(c.b._col_blocks["r_up"], _kron(T, phi @ gm))]
        blocks += [(c.b._col_blocks["r_dn"], _kron(T, -(phi @ gm)))]
    if c.spec.need_mw is not None:
        s = (phi @ tm.need_share)[:, None]
        blocks += [(c.b._col_blocks["shortage"], _kron(T, s))]
        blocks += [(c.b._col_blocks["surplus"], _kron(T, -s))]
        need = c.spec.need_mw
    else:
        need = np.zeros(T)
    prior_bus = c.prior.bus_p_mw.copy()
    for f, p in enumerate(c.prior.feeder_p_mw):
        prior_bus[c.case.interface_bus_row[f]] += p.sum(axis=0)
    f0 = phi @ (tm.base_injection_mw + prior_bus - tm.need_share[:, None] * need[None, :])
    labels = tuple(f"transmission branch {tm.branch_names[i]}" for i in rated)
    pen = c.case.penalties.overload_eur_per_mwh
    o_up = c.slack("line_over_up", "line_overload", labels, pen)
    o_dn = c.slack("line_over_dn", "line_overload", labels, pen)
    n = len(rated)
    blocks += [(o_up, -sp.identity(n * T)), (o_dn, sp.identity(n * T))]
    r = tm.rating_mw[rated][:, None]
    c.b.add_rows("lines", blocks, _tk(-r - f0), _tk(r - f0))


def _feeder(c: _Ctx, f: int, fm: FeederModel) -> None:
    spec, inj, T, case = c.spec, c.spec.injectors, c.T, c.case
    fd = fm.feeder
    node_mask, branch_mask = spec.feeder_masks.get(
        f, (np.ones(fd.n_node, dtype=bool), np.ones(fd.n_node - 1, dtype=bool))
    )
    here = inj.feeder == f
    cols = np.arange(inj.n)
    p_here = here & ~inj.reactive
    q_here = here & inj.reactive
    n_p = sp.csr_matrix(
        (inj.direction[p_here].astype(np.float64), (inj.node[p_here], cols[p_here])),
        shape=(fd.n_node, inj.n),
    )
    n_q = sp.csr_matrix(
        (inj.direction[q_here].astype(np.float64), (inj.node[q_here], cols[q_here])),
        shape=(fd.n_node, inj.n),
    )
    loc: list[tuple[slice, sp.csr_matrix | None, sp.csr_matrix | None]]
    if spec.aggregate_locations:
        loc = [(s_, e, None) for s_, e in _locations(c, f"zp:{f}", n_p)]
        loc += [(s_, None, e) for s_, e in _locations(c, f"zq:{f}", n_q)]
    else:
        loc = [(c.a, n_p, n_q)]
    v2, p0, q0 = fm.state(c.prior.feeder_p_mw[f], c.prior.feeder_q_mvar[f])
    pen = case.penalties
    m = spec.margins
    info: dict[str, Any] = {}
    nodes = np.flatnonzero(node_mask & (np.arange(fd.n_node) > 0))
    if nodes.size:
        vlo = fd.nodes.v_min_pu[nodes] + m.voltage_pu
        vhi = fd.nodes.v_max_pu[nodes] - m.voltage_pu
        labels = tuple(f"feeder {fd.id} node {int(i)}" for i in fd.nodes.id[nodes])
        s_lo = c.slack(f"v_lo_slack:{f}", "voltage_low", labels, pen.voltage_eur_per_pu_h)
        s_hi = c.slack(f"v_hi_slack:{f}", "voltage_high", labels, pen.voltage_eur_per_pu_h)
        vblocks: list[tuple[slice, Any]] = []
        for s_, ep, eq in loc:
            sens = np.zeros((nodes.size, (s_.stop - s_.start) // T))
            if ep is not None:
                sens = sens + np.asarray(fm.v_sens_p[nodes] @ ep.toarray())
            if eq is not None:
                sens = sens + np.asarray(fm.v_sens_q[nodes] @ eq.toarray())
            vblocks.append((s_, _kron(T, sens)))
        info["v_lo"] = c.b.add_rows(
            f"v_lo:{f}",
            [*vblocks, (s_lo, sp.diags(_tk(np.repeat(2 * vlo[:, None], T, 1))))],
            _tk(vlo[:, None] ** 2 - v2[nodes]), np.inf,
        )
        info["v_hi"] = c.b.add_rows(
            f"v_hi:{f}",
            [*vblocks, (s_hi, sp.diags(_tk(np.repeat(-2 * vhi[:, None], T, 1))))],
            -np.inf, _tk(vhi[:, None] ** 2 - v2[nodes]),
        )
        info["nodes"] = nodes
    rating = fd.branches.rating_mva
    brs = np.flatnonzero(branch_mask & np.isfinite(rating))
    if brs.size:
        poly = FacetPolygon.regular(12)
        d_sel = fm.down[brs]
        nb = brs.size
        bblocks: list[tuple[slice, Any]] = []
        for s_, ep, eq in loc:
            width = (s_.stop - s_.start) // T
            dp = sp.csr_matrix(d_sel @ ep) if ep is not None else sp.csr_matrix((nb, width))
            dq = sp.csr_matrix(d_sel @ eq) if eq is not None else sp.csr_matrix((nb, width))
            mat = sp.vstack(
                [-(ap * dp + aq * dq) for ap, aq in zip(poly.a_p, poly.a_q, strict=True)]
            )
            bblocks.append((s_, _kron(T, mat)))
        labels = tuple(f"feeder {fd.id} branch {n}" for n in fd.branches.name[brs])
        over = c.slack(f"br_slack:{f}", "branch_overload", labels, pen.overload_eur_per_mwh)
        omat = sp.vstack([-a_s * sp.identity(nb) for a_s in poly.a_s])
        s_eff = rating[brs][:, None] * (1.0 - m.rating_frac)
        rhs = np.vstack(
            [
                a_s * s_eff - ap * p0[brs] - aq * q0[brs]
                for ap, aq, a_s in zip(poly.a_p, poly.a_q, poly.a_s, strict=True)
            ]
        )
        info["branch"] = c.b.add_rows(
            f"branch:{f}", [*bblocks, (over, _kron(T, omat))], -np.inf, _tk(rhs)
        )
        info["branches"] = brs
        info["a_p"] = poly.a_p
    c.feeder_rows[f] = info


def _interface(c: _Ctx, f: int) -> None:
    lo, hi = c.spec.interface_bounds[f]
    inj, T = c.spec.injectors, c.T
    row = -_p_coef(inj, inj.feeder == f)[None, :]
    imp = c.case.baseline_import_mw[f] - c.prior.feeder_p_mw[f].sum(axis=0)
    label = (f"interface {c.case.grid.feeders[f].id}",)
    pen = c.case.penalties.overload_eur_per_mwh
    s_hi = c.slack(f"itf_hi:{f}", "interface_overload", label, pen)
    s_lo = c.slack(f"itf_lo:{f}", "interface_overload", label, pen)
    rows = c.b.add_rows(
        f"interface:{f}", [(c.a, _kron(T, row)), (s_hi, -sp.identity(T)), (s_lo, sp.identity(T))],
        np.asarray(lo) - imp, np.asarray(hi) - imp,
    )
    c.feeder_rows.setdefault(f, {})["interface"] = rows


def _target(c: _Ctx, f: int) -> None:
    inj, T = c.spec.injectors, c.T
    row = _p_coef(inj, inj.feeder == f)[None, :]
    label = (f"interface {c.case.grid.feeders[f].id}",)
    pen = c.case.penalties.voll_eur_per_mwh
    d_up = c.slack(f"dev_up:{f}", "interface_deviation", label, pen)
    d_dn = c.slack(f"dev_dn:{f}", "interface_deviation", label, pen)
    tgt = np.asarray(c.spec.feeder_targets[f], dtype=np.float64)
    c.feeder_rows.setdefault(f, {})["target"] = c.b.add_rows(
        f"target:{f}", [(c.a, _kron(T, row)), (d_up, sp.identity(T)), (d_dn, -sp.identity(T))],
        tgt, tgt,
    )


def _lumped(c: _Ctx, f: int) -> None:
    inj, T = c.spec.injectors, c.T
    need = np.asarray(c.spec.lumped_needs[f], dtype=np.float64)
    row = _p_coef(inj, inj.feeder == f)[None, :]
    label = (f"feeder {c.case.grid.feeders[f].id} (lumped need)",)
    pen = c.case.penalties.overload_eur_per_mwh
    s_p = c.slack(f"lump_p:{f}", "dso_need_shortfall", label, pen)
    s_n = c.slack(f"lump_n:{f}", "dso_need_shortfall", label, pen)
    lo = np.where(need > 0, need, -np.inf)
    hi = np.where(need < 0, need, np.inf)
    c.b.add_rows(
        f"lumped:{f}", [(c.a, _kron(T, row)), (s_p, sp.identity(T)), (s_n, -sp.identity(T))],
        lo, hi,
    )


def _node_bounds(c: _Ctx, f: int) -> None:
    inj, T = c.spec.injectors, c.T
    lo, hi = c.spec.node_bounds[f]
    here = (inj.feeder == f) & ~inj.reactive
    n_node = c.case.grid.feeders[f].n_node
    nodes = np.unique(inj.node[here])
    if not nodes.size:
        return
    pos = np.searchsorted(nodes, inj.node[here])
    mat = sp.csr_matrix(
        (inj.direction[here].astype(np.float64), (pos, np.flatnonzero(here))),
        shape=(nodes.size, inj.n),
    )
    del n_node
    c.b.add_rows(f"node_bounds:{f}", [(c.a, _kron(T, mat))], _tk(lo[nodes]), _tk(hi[nodes]))


def build(
    case: ClearingCase, spec: ClearingSpec
) -> tuple[_Ctx, TransmissionModel | None, dict[int, FeederModel]]:
    """Assemble the LP of ``spec`` (does not solve)."""
    T = case.n_periods
    inj = spec.injectors
    b = LpBuilder()
    c = _Ctx(case, spec, T, b, slice(0, 0), case.dt_h, spec.prior or zero_prior(case))
    c.a = c.cols("a", inj.n, 0.0, _tk(np.maximum(inj.cap, 0.0)), _tk(inj.price) * case.dt_h)
    tr = case.grid.transmission
    if spec.redispatch and tr is not None and case.redispatch_premium_eur_per_mwh is not None:
        gen = tr.generators
        prem = case.redispatch_premium_eur_per_mwh
        sched = case.gen_schedule_mw
        up = np.maximum(gen.p_max_mw[:, None] - sched, 0.0)
        dn = np.maximum(sched - gen.p_min_mw[:, None], 0.0)
        c1 = np.repeat(gen.cost_c1_per_mwh[:, None], T, 1)
        c.cols("r_up", len(gen), 0.0, _tk(up), _tk(c1 + prem) * case.dt_h)
        c.cols("r_dn", len(gen), 0.0, _tk(dn), _tk(prem - c1) * case.dt_h)
    tm = transmission_model(case) if (spec.lines or spec.need_mw is not None) and tr else None
    if spec.need_mw is not None:
        _balance(c, tm)
    if spec.lines and tm is not None:
        _lines(c, tm)
    fms = {f: feeder_model(case, f) for f in spec.feeders}
    for f in spec.feeders:
        _feeder(c, f, fms[f])
    bounds = dict(spec.interface_bounds)
    for f in spec.feeders:  # a modelled feeder brings its T–D transformer along
        if f not in bounds and np.isfinite(case.interface_rating_mva[f]):
            lim = interface_limit_mw(case, f)
            bounds[f] = (-lim, lim)
    c.spec = dataclasses.replace(spec, interface_bounds=bounds)
    for f in sorted(bounds):
        _interface(c, f)
    for f in sorted(spec.feeder_targets):
        _target(c, f)
    for f in sorted(spec.lumped_needs):
        _lumped(c, f)
    for f in sorted(spec.node_bounds):
        _node_bounds(c, f)
    return c, tm, fms


def clear(case: ClearingCase, spec: ClearingSpec) -> ClearingResult:
    """Build and solve one clearing LP; read activations, prices, slacks."""
    t0 = time.perf_counter()
    c, tm, fms = build(case, spec)
    lp = c.b.build()
    sol = solve_by_interval(lp, np.concatenate(c.col_interval).astype(np.int64), c.T)
    return _read(c, tm, fms, lp.cost, sol, time.perf_counter() - t0)


def _read(
    c: _Ctx,
    tm: TransmissionModel | None,
    fms: dict[int, FeederModel],
    cost: FloatArray,
    sol: LpSolution,
    elapsed: float,
) -> ClearingResult:
    case, spec, T, dt = c.case, c.spec, c.T, c.dt
    inj = spec.injectors
    blocks = c.b._col_blocks
    rblocks = c.b._row_blocks
    n_gen = len(case.gen_schedule_mw)
    if sol.status != "optimal":
        return ClearingResult(
            "infeasible", float("nan"), np.zeros((inj.n, T)), np.zeros((n_gen, T)), None, {},
            {}, np.full(T, np.nan), pd.DataFrame(columns=list(SLACK_COLUMNS)),
            sol.iterations, elapsed,
        )
    x = sol.x

    def grid(name: str, n: int) -> FloatArray:
        return np.asarray(x[blocks[name]].reshape(T, n).T, dtype=np.float64)

    act = np.clip(grid("a", inj.n), 0.0, np.maximum(inj.cap, 0.0))
    red = np.zeros((n_gen, T))
    if "r_up" in blocks:
        red = grid("r_up", n_gen) - grid("r_dn", n_gen)
    col_t = np.concatenate(c.col_interval).astype(np.int64)
    interval_cost = np.bincount(col_t, weights=cost * x, minlength=T)
    rows: list[dict[str, Any]] = []
    used = False
    for name, kind, labels, price in c.slack_families:
        vals = grid(name, len(labels))
        for i, t in zip(*np.nonzero(vals > SLACK_TOL), strict=True):
            used = True
            v = float(vals[i, t])
            rows.append(
                {"where": labels[i], "kind": kind, "interval": int(t), "value": v,
                 "penalty_eur": v * price * dt}
            )
    slacks = pd.DataFrame(rows, columns=list(SLACK_COLUMNS))
    y = sol.row_duals
    lmp = None
    if tm is not None and "balance" in rblocks:
        lam = y[rblocks["balance"]]
        total = np.repeat(lam[None, :], tm.n_bus, 0)
        if "lines" in rblocks:
            rated = np.flatnonzero(np.isfinite(tm.rating_mw))
            mu = y[rblocks["lines"]].reshape(T, rated.size).T
            total = total + tm.ptdf[rated].T @ mu
        lmp = np.asarray(total / dt, dtype=np.float64)
    dlmp: dict[int, FloatArray] = {}
    for f, fm in fms.items():
        info = c.feeder_rows.get(f, {})
        n = fm.n_node
        val = np.zeros((n, T))
        if lmp is not None:
            val += lmp[case.interface_bus_row[f]][None, :] * dt
        if "nodes" in info:
            nodes = info["nodes"]
            mu = y[info["v_lo"]].reshape(T, nodes.size).T + y[info["v_hi"]].reshape(
                T, nodes.size
            ).T
            val += fm.v_sens_p[nodes].T @ mu
        if "branches" in info:
            brs = info["branches"]
            mu = y[info["branch"]].reshape(T, len(info["a_p"]) * brs.size).T
            mu = mu.reshape(len(info["a_p"]), brs.size, T)
            weighted = np.einsum("k,kbt->bt", info["a_p"], mu)
            val -= np.asarray(fm.down[brs].T @ weighted)
        if "interface" in info:
            val -= y[info["interface"]][None, :]
        dlmp[f] = np.asarray(val / dt, dtype=np.float64)
    tduals = {
        f: np.asarray(y[c.feeder_rows[f]["target"]] / dt, dtype=np.float64)
        for f in spec.feeder_targets
    }
    return ClearingResult(
        status="optimal_with_slacks" if used else "optimal",
        objective_eur=float(sol.objective),
        activation_mw=act,
        redispatch_mw=red,
        lmp_eur_per_mwh=lmp,
        dlmp_eur_per_mwh=dlmp,
        target_dual_eur_per_mwh=tduals,
        interval_cost_eur=np.asarray(interval_cost, dtype=np.float64),
        slacks=slacks,
        iterations=sol.iterations,
        solve_s=elapsed,
    )
