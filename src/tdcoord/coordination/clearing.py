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
from typing import Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing_result import (
    SLACK_COLUMNS,
    SLACK_TOL,
    ClearingResult,
    read_result,
)
from tdcoord.coordination.clearing_spec import ClearingSpec
from tdcoord.coordination.feeder_screen import monitored_feeder_elements
from tdcoord.coordination.injectors import Injectors, zero_prior
from tdcoord.coordination.intertemporal import add_min_duration, enforce_energy
from tdcoord.coordination.interval_solve import solve_with_basis
from tdcoord.coordination.margins import Margins
from tdcoord.coordination.network_model import (
    FeederModel,
    TransmissionModel,
    feeder_model,
    transmission_model,
)
from tdcoord.coordination.program import ClearingProgram, interval_major, per_interval
from tdcoord.coordination.views import for_buyers
from tdcoord.opf.feeder.case import FacetPolygon
from tdcoord.opf.lp import LinearProgram, LpSolution
from tdcoord.types import BoolArray, FloatArray, IntArray

__all__ = [
    "SLACK_COLUMNS",
    "SLACK_TOL",
    "ClearingProgram",
    "ClearingResult",
    "ClearingSpec",
    "Margins",
    "build",
    "clear",
    "interface_limit_mw",
    "read_result",
]


def interface_limit_mw(case: ClearingCase, f: int, margins: Margins | None = None) -> FloatArray:
    r"""Active-power limit ``(T,)`` of feeder ``f``'s T–D transformer in the linear model.

    The transformer limits apparent power, :math:`P^2 + Q^2 \le S_{max}^2`; with the reactive
    import ``Q_t`` of the baseline (activations move active power) and the rating margin,
    :math:`|P_t| \le \sqrt{((1 - m) S_{max})^2 - Q_t^2}` (0 when Q alone fills the rating).
    """
    m = margins or case.margins
    s_max = float(case.interface_rating_mva[f]) * (1.0 - m.rating_frac)
    q = case.feeder_q_mvar[f].sum(axis=0)
    return np.asarray(np.sqrt(np.maximum(s_max**2 - q**2, 0.0)), dtype=np.float64)


def _p_coef(inj: Injectors, mask: BoolArray) -> FloatArray:
    return np.where(mask & ~inj.reactive, inj.direction, 0).astype(np.float64)


def _balance(c: ClearingProgram, tm: TransmissionModel | None) -> None:
    spec, inj, T = c.spec, c.spec.injectors, c.n_periods
    assert spec.need_mw is not None
    row = _p_coef(inj, np.ones(inj.n, dtype=bool))[None, :]
    blocks: list[tuple[slice, Any]] = [(c.activation, per_interval(T, row))]
    if c.has_columns("r_up"):
        g = len(c.case.gen_schedule_mw)
        blocks += [(c.columns("r_up"), per_interval(T, np.ones((1, g))))]
        blocks += [(c.columns("r_dn"), per_interval(T, -np.ones((1, g))))]
    pen = c.case.penalties
    short = c.add_slack("shortage", "shortage", ("system",), pen.voll_eur_per_mwh)
    surp = c.add_slack("surplus", "surplus", ("system",), pen.curtailment_eur_per_mwh)
    blocks += [(short, sp.identity(T)), (surp, -sp.identity(T))]
    rhs = spec.need_mw - c.prior.total_p_mw()
    c.add_rows("balance", blocks, rhs, rhs)


def _bus_matrix(c: ClearingProgram, tm: TransmissionModel) -> sp.csr_matrix:
    inj = c.spec.injectors
    bus = np.where(inj.feeder >= 0, c.case.interface_bus_row[np.maximum(inj.feeder, 0)], inj.node)
    coef = _p_coef(inj, np.ones(inj.n, dtype=bool))
    return sp.csr_matrix((coef, (bus, np.arange(inj.n))), shape=(tm.n_bus, inj.n))


def _locations(
    c: ClearingProgram, name: str, m: sp.csr_matrix
) -> list[tuple[slice, sp.csr_matrix]]:
    """Injection change per location ``Δ = m a`` (rows: locations) as ``[(cols, E)]`` with
    ``Δ = Σ E x[cols]``: on the offer columns directly, or — with ``aggregate_locations`` —
    on free location columns ``z`` (one per location that holds an injector) tied to the offers
    by the equality rows ``z − m_sel a = 0`` (family ``name``)."""
    m = sp.csr_matrix(m)
    m.eliminate_zeros()
    if not c.spec.aggregate_locations:
        return [(c.activation, m)]
    used = np.flatnonzero(np.diff(m.indptr))
    if not used.size:
        return []
    z = c.add_columns(name, used.size, -np.inf, np.inf, 0.0)
    c.add_rows(
        f"def_{name}",
        [
            (z, sp.identity(used.size * c.n_periods)),
            (c.activation, -per_interval(c.n_periods, m[used])),
        ],
        0.0,
        0.0,
    )
    sel = sp.csr_matrix(
        (np.ones(used.size), (used, np.arange(used.size))), shape=(m.shape[0], used.size)
    )
    return [(z, sel)]


def _lines(c: ClearingProgram, tm: TransmissionModel) -> None:
    rated = tm.line_rows
    if not rated.size:
        return
    T = c.n_periods
    phi = tm.ptdf[rated]
    blocks: list[tuple[slice, Any]] = [
        (cols, per_interval(T, sp.csr_matrix(phi @ e.toarray())))
        for cols, e in _locations(c, "z_bus", _bus_matrix(c, tm))
    ]
    if c.has_columns("r_up"):
        gm = np.zeros((tm.n_bus, len(tm.gen_bus_row)))
        gm[tm.gen_bus_row, np.arange(len(tm.gen_bus_row))] = 1.0
        blocks += [(c.columns("r_up"), per_interval(T, phi @ gm))]
        blocks += [(c.columns("r_dn"), per_interval(T, -(phi @ gm)))]
    if c.spec.need_mw is not None:
        s = (phi @ tm.need_share)[:, None]
        blocks += [(c.columns("shortage"), per_interval(T, s))]
        blocks += [(c.columns("surplus"), per_interval(T, -s))]
        need = c.spec.need_mw
    else:
        need = np.zeros(T)
    prior_bus = c.prior.bus_p_mw.copy()
    for f, p in enumerate(c.prior.feeder_p_mw):
        prior_bus[c.case.interface_bus_row[f]] += p.sum(axis=0)
    f0 = phi @ (tm.base_injection_mw + prior_bus - tm.need_share[:, None] * need[None, :])
    labels = tuple(f"transmission branch {tm.branch_names[i]}" for i in rated)
    pen = c.case.penalties.overload_eur_per_mwh
    o_up = c.add_slack("line_over_up", "line_overload", labels, pen)
    o_dn = c.add_slack("line_over_dn", "line_overload", labels, pen)
    n = len(rated)
    blocks += [(o_up, -sp.identity(n * T)), (o_dn, sp.identity(n * T))]
    r = tm.rating_mw[rated][:, None]
    c.add_rows("lines", blocks, interval_major(-r - f0), interval_major(r - f0))


Location = tuple[slice, sp.csr_matrix | None, sp.csr_matrix | None]


def _feeder_locations(c: ClearingProgram, f: int, n_node: int) -> list[Location]:
    """Feeder ``f``'s active (``N_p``) and reactive (``N_q``) injection change per node as
    ``[(cols, E_p, E_q)]`` (see :func:`_locations`)."""
    inj = c.spec.injectors
    here = inj.feeder == f
    cols = np.arange(inj.n)
    p_here = here & ~inj.reactive
    q_here = here & inj.reactive
    n_p = sp.csr_matrix(
        (inj.direction[p_here].astype(np.float64), (inj.node[p_here], cols[p_here])),
        shape=(n_node, inj.n),
    )
    n_q = sp.csr_matrix(
        (inj.direction[q_here].astype(np.float64), (inj.node[q_here], cols[q_here])),
        shape=(n_node, inj.n),
    )
    if not c.spec.aggregate_locations:
        return [(c.activation, n_p, n_q)]
    loc: list[Location] = [(s_, e, None) for s_, e in _locations(c, f"zp:{f}", n_p)]
    loc += [(s_, None, e) for s_, e in _locations(c, f"zq:{f}", n_q)]
    return loc


#: Price of a voltage shortfall inside the security-margin band, as a share of the study's
#: voltage penalty (beyond the band: the whole penalty).
MARGIN_BAND_PRICE_SHARE = 0.5


def _voltage_rows(
    c: ClearingProgram,
    f: int,
    fm: FeederModel,
    loc: list[Location],
    nodes: IntArray,
    v2: FloatArray,
) -> dict[str, Any]:
    """LinDistFlow voltage rows of feeder ``f`` on ``nodes`` with pu slacks (coefficient 2v)."""
    T, fd, m = c.n_periods, fm.feeder, c.spec.margins or c.case.margins
    pen = c.case.penalties
    vlo = fd.nodes.v_min_pu[nodes] + m.low_pu(f, fd.n_node)[nodes]
    vhi = fd.nodes.v_max_pu[nodes] - m.high_pu(f, fd.n_node)[nodes]
    labels = tuple(f"feeder {fd.id} node {int(i)}" for i in fd.nodes.id[nodes])
    s_lo = c.add_slack(f"v_lo_slack:{f}", "voltage_low", labels, pen.voltage_eur_per_pu_h)
    s_hi = c.add_slack(f"v_hi_slack:{f}", "voltage_high", labels, pen.voltage_eur_per_pu_h)
    # inside the margin band a shortfall is priced at a share of the penalty, so that scarce
    # flexibility goes to the deepest violations first (MARGIN_BAND_PRICE_SHARE)
    band = MARGIN_BAND_PRICE_SHARE * pen.voltage_eur_per_pu_h
    b_lo = c.add_slack(f"v_lo_band:{f}", "voltage_low", labels, band,
                       interval_major(np.repeat((vlo - fd.nodes.v_min_pu[nodes])[:, None], T, 1)))
    b_hi = c.add_slack(f"v_hi_band:{f}", "voltage_high", labels, band,
                       interval_major(np.repeat((fd.nodes.v_max_pu[nodes] - vhi)[:, None], T, 1)))
    vblocks: list[tuple[slice, Any]] = []
    for s_, ep, eq in loc:
        sens = np.zeros((nodes.size, (s_.stop - s_.start) // T))
        if ep is not None:
            sens = sens + np.asarray(fm.v_sens_p[nodes] @ ep.toarray())
        if eq is not None:
            sens = sens + np.asarray(fm.v_sens_q[nodes] @ eq.toarray())
        vblocks.append((s_, per_interval(T, sens)))
    v_lo = c.add_rows(
        f"v_lo:{f}",
        [*vblocks, (s_lo, sp.diags(interval_major(np.repeat(2 * vlo[:, None], T, 1)))),
         (b_lo, sp.diags(interval_major(np.repeat(2 * vlo[:, None], T, 1))))],
        interval_major(vlo[:, None] ** 2 - v2[nodes]),
        np.inf,
    )
    v_hi = c.add_rows(
        f"v_hi:{f}",
        [*vblocks, (s_hi, sp.diags(interval_major(np.repeat(-2 * vhi[:, None], T, 1)))),
         (b_hi, sp.diags(interval_major(np.repeat(-2 * vhi[:, None], T, 1))))],
        -np.inf,
        interval_major(vhi[:, None] ** 2 - v2[nodes]),
    )
    return {"v_lo": v_lo, "v_hi": v_hi, "nodes": nodes}


def _branch_rows(
    c: ClearingProgram,
    f: int,
    fm: FeederModel,
    loc: list[Location],
    brs: IntArray,
    state: tuple[FloatArray, FloatArray],
) -> dict[str, Any]:
    """The 12-facet inner polygon of every rated branch in ``brs`` with overload slacks."""
    T, fd, m = c.n_periods, fm.feeder, c.spec.margins or c.case.margins
    p0, q0 = state
    poly = FacetPolygon.regular(12)
    d_sel = fm.down[brs]
    nb = brs.size
    bblocks: list[tuple[slice, Any]] = []
    for s_, ep, eq in loc:
        width = (s_.stop - s_.start) // T
        dp = sp.csr_matrix(d_sel @ ep) if ep is not None else sp.csr_matrix((nb, width))
        dq = sp.csr_matrix(d_sel @ eq) if eq is not None else sp.csr_matrix((nb, width))
        mat = sp.vstack([-(ap * dp + aq * dq) for ap, aq in zip(poly.a_p, poly.a_q, strict=True)])
        bblocks.append((s_, per_interval(T, mat)))
    labels = tuple(f"feeder {fd.id} branch {n}" for n in fd.branches.name[brs])
    over = c.add_slack(
        f"br_slack:{f}", "branch_overload", labels, c.case.penalties.overload_eur_per_mwh
    )
    omat = sp.vstack([-a_s * sp.identity(nb) for a_s in poly.a_s])
    s_eff = fd.branches.rating_mva[brs][:, None] * (1.0 - m.rating_frac)
    rhs = np.vstack(
        [
            a_s * s_eff - ap * p0[brs] - aq * q0[brs]
            for ap, aq, a_s in zip(poly.a_p, poly.a_q, poly.a_s, strict=True)
        ]
    )
    rows = c.add_rows(
        f"branch:{f}", [*bblocks, (over, per_interval(T, omat))], -np.inf, interval_major(rhs)
    )
    return {"branch": rows, "branches": brs, "a_p": poly.a_p}


def _feeder(c: ClearingProgram, f: int, fm: FeederModel) -> None:
    """Feeder ``f``'s LinDistFlow rows (voltage, branch polygons) around baseline + prior."""
    fd = fm.feeder
    node_mask, branch_mask = c.spec.feeder_masks.get(
        f, (np.ones(fd.n_node, dtype=bool), np.ones(fd.n_node - 1, dtype=bool))
    )
    loc = _feeder_locations(c, f, fd.n_node)
    v2, p0, q0 = fm.state(c.prior.feeder_p_mw[f], c.prior.feeder_q_mvar[f])
    watched_nodes, watched_branches = monitored_feeder_elements(
        fm, v2, p0, q0, c.case.monitor_feeder_loading
    )
    node_mask = node_mask & watched_nodes
    branch_mask = branch_mask & watched_branches
    info: dict[str, Any] = {}
    nodes = np.flatnonzero(node_mask & (np.arange(fd.n_node) > 0))
    if nodes.size:
        info.update(_voltage_rows(c, f, fm, loc, nodes, v2))
    brs = np.flatnonzero(branch_mask & np.isfinite(fd.branches.rating_mva))
    if brs.size:
        info.update(_branch_rows(c, f, fm, loc, brs, (p0, q0)))
    c.feeder_rows[f] = info


def _interface(c: ClearingProgram, f: int) -> None:
    lo, hi = c.spec.interface_bounds[f]
    inj, T = c.spec.injectors, c.n_periods
    row = -_p_coef(inj, inj.feeder == f)[None, :]
    imp = c.case.baseline_import_mw[f] - c.prior.feeder_p_mw[f].sum(axis=0)
    label = (f"interface {c.case.grid.feeders[f].id}",)
    pen = c.case.penalties.overload_eur_per_mwh
    s_hi = c.add_slack(f"itf_hi:{f}", "interface_overload", label, pen)
    s_lo = c.add_slack(f"itf_lo:{f}", "interface_overload", label, pen)
    rows = c.add_rows(
        f"interface:{f}",
        [(c.activation, per_interval(T, row)), (s_hi, -sp.identity(T)), (s_lo, sp.identity(T))],
        np.asarray(lo) - imp,
        np.asarray(hi) - imp,
    )
    c.feeder_rows.setdefault(f, {})["interface"] = rows


def _target(c: ClearingProgram, f: int) -> None:
    inj, T = c.spec.injectors, c.n_periods
    row = _p_coef(inj, inj.feeder == f)[None, :]
    label = (f"interface {c.case.grid.feeders[f].id}",)
    pen = c.case.penalties.voll_eur_per_mwh
    d_up = c.add_slack(f"dev_up:{f}", "interface_deviation", label, pen)
    d_dn = c.add_slack(f"dev_dn:{f}", "interface_deviation", label, pen)
    tgt = np.asarray(c.spec.feeder_targets[f], dtype=np.float64)
    c.feeder_rows.setdefault(f, {})["target"] = c.add_rows(
        f"target:{f}",
        [(c.activation, per_interval(T, row)), (d_up, sp.identity(T)), (d_dn, -sp.identity(T))],
        tgt,
        tgt,
    )


def _lumped(c: ClearingProgram, f: int) -> None:
    inj, T = c.spec.injectors, c.n_periods
    need = np.asarray(c.spec.lumped_needs[f], dtype=np.float64)
    row = _p_coef(inj, inj.feeder == f)[None, :]
    label = (f"feeder {c.case.grid.feeders[f].id} (lumped need)",)
    pen = c.case.penalties.overload_eur_per_mwh
    s_p = c.add_slack(f"lump_p:{f}", "dso_need_shortfall", label, pen)
    s_n = c.add_slack(f"lump_n:{f}", "dso_need_shortfall", label, pen)
    lo = np.where(need > 0, need, -np.inf)
    hi = np.where(need < 0, need, np.inf)
    c.add_rows(
        f"lumped:{f}",
        [(c.activation, per_interval(T, row)), (s_p, sp.identity(T)), (s_n, -sp.identity(T))],
        lo,
        hi,
    )


def _node_bounds(c: ClearingProgram, f: int) -> None:
    inj, T = c.spec.injectors, c.n_periods
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
    c.add_rows(
        f"node_bounds:{f}",
        [(c.activation, per_interval(T, mat))],
        interval_major(lo[nodes]),
        interval_major(hi[nodes]),
    )


def _redispatch(c: ClearingProgram) -> None:
    """Redispatch columns ``r_up``, ``r_dn`` of the transmission generators around their
    schedule, priced at their cost ± the redispatch premium."""
    case, T = c.case, c.n_periods
    tr = case.grid.transmission
    assert tr is not None and case.redispatch_premium_eur_per_mwh is not None
    gen = tr.generators
    prem = case.redispatch_premium_eur_per_mwh
    sched = case.gen_schedule_mw
    up = np.maximum(gen.p_max_mw[:, None] - sched, 0.0)
    dn = np.maximum(sched - gen.p_min_mw[:, None], 0.0)
    c1 = np.repeat(gen.cost_c1_per_mwh[:, None], T, 1)
    c.add_columns("r_up", len(gen), 0.0, interval_major(up), interval_major(c1 + prem) * case.dt_h)
    c.add_columns("r_dn", len(gen), 0.0, interval_major(dn), interval_major(prem - c1) * case.dt_h)


def _feeder_families(c: ClearingProgram) -> None:
    """Every per-feeder family of the spec, in a fixed order (the LP's row order)."""
    case, spec = c.case, c.spec
    for f in spec.feeders:
        _feeder(c, f, c.feeder_models[f])
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


def build(case: ClearingCase, spec: ClearingSpec) -> ClearingProgram:
    """Assemble the :class:`ClearingProgram` of ``spec`` (does not solve)."""
    if spec.buyers is not None:  # the buyers rule: only products a buyer here may buy
        spec = dataclasses.replace(spec, injectors=for_buyers(case, spec.injectors, spec.buyers))
    inj = spec.injectors
    c = ClearingProgram(case, spec, spec.prior or zero_prior(case))
    c.add_columns(
        "a",
        inj.n,
        0.0,
        interval_major(np.maximum(inj.cap, 0.0)),
        interval_major(inj.price) * case.dt_h,
    )
    tr = case.grid.transmission
    if spec.redispatch and tr is not None and case.redispatch_premium_eur_per_mwh is not None:
        _redispatch(c)
    tm = transmission_model(case) if (spec.lines or spec.need_mw is not None) and tr else None
    c.transmission = tm
    if spec.need_mw is not None:
        _balance(c, tm)
    if spec.lines and tm is not None:
        _lines(c, tm)
    c.feeder_models = {f: feeder_model(case, f) for f in spec.feeders}
    _feeder_families(c)
    tc = case.time_coupling
    if spec.time_coupling and tc is not None:
        add_min_duration(c, tc.min_duration_intervals)
    return c


def solve_program(program: ClearingProgram) -> tuple[LinearProgram, LpSolution]:
    """Solve a built program as one multi-period problem: block by block while it has no
    coupling row, then (when its case has a time coupling and its spec carries it) with the
    energy rows the solution needs (:func:`tdcoord.coordination.intertemporal.enforce_energy`).
    Returns the LP finally solved (with those rows) and its solution."""
    lp = program.lp()
    sol, basis = solve_with_basis(lp, program.column_interval(), program.n_periods)
    tc = program.case.time_coupling
    if program.spec.time_coupling and tc is not None and len(tc.pair_store):
        lp, sol = enforce_energy(program, tc, sol, basis, program.case.offers.n_offers)
    return lp, sol


def clear(case: ClearingCase, spec: ClearingSpec) -> ClearingResult:
    """Build and solve one clearing LP (:func:`solve_program`); read activations, prices,
    slacks."""
    t0 = time.perf_counter()
    program = build(case, spec)
    lp, sol = solve_program(program)
    return read_result(program, lp.cost, sol, time.perf_counter() - t0)
