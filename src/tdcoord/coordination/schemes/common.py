"""``common``: TSO and DSOs procure jointly, with transmission *and* distribution constraints.

Seed 001 §III (common TSO–DSO AS market model, SmartNet CS D): "TSO and DSO together operate
a common market … the allocation of resources is optimised for both grids"; centralized (one
joint optimisation) or decentralized (a dynamic integration of separate markets exchanging
information at the interface). GB Future World B; FERC 2222 common TSO–DSO model.

Readings:

* ``variant="centralized"``: one LP (:mod:`tdcoord.coordination.clearing`) with the TSO balance,
  transmission lines and every feeder's LinDistFlow model — the joint optimum.
* ``variant="decentralized"``: a price/quantity exchange at the interfaces that is exactly
  Benders decomposition of the joint LP (Benders 1962; Conejo et al., *Decomposition Techniques
  in Mathematical Programming*, 2006, ch. 3). The TSO proposes interface quantities x̂_{ft} (net
  injection change below each interface); each DSO returns the cost of delivering them with its
  feeder V_f(x̂) and the marginal price π_f (dual of its exchange row); the TSO adds the cut
  θ_ft ≥ V_ft(x̂) + π_ft (x − x̂) and re-solves. V_f is convex piecewise linear, so the exchange
  stops finitely; here when upper − lower bound ≤ ``REL_TOL``·|upper|. Only prices and
  quantities cross the interface; iterations and messages are reported.

Costs are attributed with :func:`split_buyers` (DSO: what its own need required).
``priority`` is accepted (FERC 2222 "priority to the entity with highest priority") and only
orders the attribution: with ``priority="tso"`` the TSO is attributed first.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec, _kron, _read, build
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.injectors import Injectors, virtual_injectors
from tdcoord.coordination.interval_solve import IntervalSolver, solve_by_interval
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.needs import dso_need_mw
from tdcoord.coordination.outcome import Outcome, make_outcome
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    scatter,
    send_activations,
    send_offers,
    split_buyers,
)
from tdcoord.coordination.views import dso_view
from tdcoord.grid.tables import FloatArray

DEFAULTS: dict[str, Any] = {"variant": "centralized", "priority": "dso", "operator": "incumbent"}
REL_TOL = 1e-5
MAX_ITER = 100


def joint_spec(case: ClearingCase, inj: Injectors, need: FloatArray) -> ClearingSpec:
    """The joint LP: balance, lines, every feeder."""
    return ClearingSpec(
        injectors=inj, need_mw=need, lines=case.grid.transmission is not None, redispatch=True,
        feeders=tuple(range(case.n_feeders)),
    )


def _attribute(case: ClearingCase, act: FloatArray, priority: str, other: str) -> list[Any]:
    need = dso_need_mw(case)
    if priority == "tso":
        parts = split_buyers(case, act, np.zeros_like(need), other=other)
        return parts
    return split_buyers(case, act, need, other=other)


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the common scheme."""
    p = check_params("common", params, DEFAULTS)
    if p["variant"] == "decentralized":
        return _decentralized(case, p)
    actor = "tso" if p["operator"] == "incumbent" else "platform"
    return joint(case, "common", p, other="tso", operator_actor=actor)


def joint(
    case: ClearingCase, scheme: str, p: dict[str, Any], *, other: str,
    need: FloatArray | None = None, operator_actor: str = "tso",
) -> Outcome:
    """One joint LP over T and D (also used by ``integrated``)."""
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    send_offers(log, case, inj, operator_actor)
    if operator_actor != "tso":
        log.send("tso", operator_actor, "needs", case.tso_need_mw)
    for f in range(case.n_feeders):
        log.send(case.feeder_label(f), operator_actor, "feeder_model",
                 {"n_node": case.grid.feeders[f].n_node, "base": case.feeder_p_mw[f]})
    res = clear_lp(case, joint_spec(case, inj, case.tso_need_mw if need is None else need))
    act = scatter(case, inj, res.activation_mw)
    send_activations(log, case, act, operator_actor)
    return make_outcome(
        case, scheme, p, status=res.status, parts=_attribute(case, act, p["priority"], other),
        messages=log, compute_s=time.perf_counter() - t0, iterations=1,
        gen_redispatch_mw=res.redispatch_mw, lmp_eur_per_mwh=res.lmp_eur_per_mwh,
        dlmp_eur_per_mwh=res.dlmp_eur_per_mwh, slacks=[res.slacks],
    )


def _decentralized(case: ClearingCase, p: dict[str, Any]) -> Outcome:
    t0 = time.perf_counter()
    log = MessageLog()
    T, nf, dt = case.n_periods, case.n_feeders, case.dt_h
    inj = all_offers(case)
    t_inj = inj.take(inj.feeder == -1)
    send_offers(log, case, t_inj, "tso")
    for f in range(nf):
        send_offers(log, case, inj.take(inj.feeder == f), case.feeder_label(f))
    # x_f,t = net injection change below interface f: virtual injectors (up, down) at the bus.
    o = case.offers
    up_cap = np.zeros((nf, T))
    dn_cap = np.zeros((nf, T))
    lo_val = np.zeros((nf, T))
    for f in range(nf):
        rows = (o.feeder == f) & ~o.reactive
        up_cap[f] = o.quantity_mw[rows & (o.direction == 1)].sum(axis=0)
        dn_cap[f] = o.quantity_mw[rows & (o.direction == -1)].sum(axis=0)
        neg = np.minimum(o.price_eur_per_mwh[o.feeder == f], 0) * o.quantity_mw[o.feeder == f]
        lo_val[f] = neg.sum(axis=0) * dt
    bus = case.interface_bus_row
    virt = virtual_injectors(
        np.concatenate([bus, bus]), np.concatenate([np.ones(nf), -np.ones(nf)]).astype(np.int64),
        np.zeros((2 * nf, T)), np.vstack([up_cap, dn_cap]),
    )
    master_inj = Injectors.concat([t_inj, virt])
    spec = ClearingSpec(
        injectors=master_inj, need_mw=case.tso_need_mw, lines=True, redispatch=True
    )
    # Each DSO's feeder LP is built once; every exchange only moves its interface quantity
    # (the bounds of its target rows) and re-solves warm, interval by interval.
    dsos = []
    for f in range(nf):
        view = dso_view(case, f, inj)
        cf, tmf, fmsf = build(case, ClearingSpec(
            injectors=view.offers, feeders=(f,), feeder_targets={f: np.zeros(T)},
        ))
        lpf = cf.b.build()
        col_t = np.concatenate(cf.col_interval).astype(np.int64)
        dsos.append((cf, tmf, fmsf, lpf, IntervalSolver(lpf, col_t, T)))
    cuts_a: list[FloatArray] = []  # slopes (nf, T) per iteration
    cuts_b: list[FloatArray] = []  # intercepts
    best_ub = np.inf
    best: tuple[Any, ...] | None = None
    k0 = t_inj.n
    it = 0
    status = "not_converged"
    for it in range(1, MAX_ITER + 1):  # noqa: B007 (it is reported after the loop)
        c, tm, fms = build(case, spec)
        theta = c.cols("theta", nf, _tk_flat(lo_val), np.inf, 1.0)
        if cuts_a:
            # θ_ft − π_ft·dt·(x_up − x_dn) ≥ b_ft   for every cut
            n_cut = len(cuts_a)
            slope = np.stack(cuts_a)  # (n_cut, nf, T)
            m_up = sp.csr_matrix(
                (np.concatenate([np.ones(nf), -np.ones(nf)]),
                 (np.tile(np.arange(nf), 2), k0 + np.arange(2 * nf))),
                shape=(nf, master_inj.n),
            )
            xs = _kron(T, m_up)
            for j in range(n_cut):  # one block of rows per cut (a few dozen iterations)
                blocks = [
                    (c.a, -sp.diags(_tk_flat(slope[j]) * dt) @ xs),
                    (theta, sp.identity(nf * T)),
                ]
                c.b.add_rows(f"cut{j}", blocks, _tk_flat(cuts_b[j]), np.inf)
        lp = c.b.build()
        sol = solve_by_interval(lp, np.concatenate(c.col_interval).astype(np.int64), T)
        if not sol.ok:
            status = "infeasible"
            break
        res = _read(c, tm, fms, lp.cost, sol, 0.0)
        lower = float(sol.objective)
        x_hat = res.activation_mw[k0 : k0 + nf] - res.activation_mw[k0 + nf :]
        theta_val = sol.x[theta].reshape(T, nf).T
        tso_cost = lower - float(theta_val.sum())
        log_ts = []
        values = np.zeros((nf, T))
        slopes = np.zeros((nf, T))
        sub_acts = []
        for f in range(nf):
            log.send("tso", case.feeder_label(f), "quantities", x_hat[f])
            cf, tmf, fmsf, lpf, solver = dsos[f]
            target = cf.feeder_rows[f]["target"]
            solver.set_row_bounds(np.arange(target.start, target.stop), x_hat[f], x_hat[f])
            sub = _read(cf, tmf, fmsf, lpf.cost, solver.solve(), 0.0)
            values[f] = sub.interval_cost_eur
            slopes[f] = sub.target_dual_eur_per_mwh[f]
            sub_acts.append(sub)
            log.send(case.feeder_label(f), "tso", "prices",
                     {"value": values[f], "price": slopes[f]})
            log_ts.append(sub.status)
        upper = tso_cost + float(values.sum())
        if upper < best_ub:
            best_ub = upper
            best = (res, sub_acts)
        cuts_a.append(slopes)
        cuts_b.append(values - slopes * dt * x_hat)
        if best_ub - lower <= REL_TOL * max(1.0, abs(best_ub)):
            status = "optimal"
            break
    if best is None:
        return make_outcome(
            case, "common", p, status="infeasible", parts=[], messages=log,
            compute_s=time.perf_counter() - t0, iterations=it,
        )
    res, subs = best
    act = scatter(case, t_inj, res.activation_mw[:k0])
    for f, sub in enumerate(subs):
        act += scatter(case, inj.take(inj.feeder == f), sub.activation_mw)
    send_activations(log, case, act, "tso")
    stat = status
    slack_frames = [res.slacks] + [s.slacks for s in subs]
    if stat == "optimal" and any(len(s) for s in slack_frames):
        stat = "optimal_with_slacks"
    return make_outcome(
        case, "common", p, status=stat, parts=_attribute(case, act, p["priority"], "tso"),
        messages=log, compute_s=time.perf_counter() - t0, iterations=it,
        gen_redispatch_mw=res.redispatch_mw, lmp_eur_per_mwh=res.lmp_eur_per_mwh,
        dlmp_eur_per_mwh={f: s.dlmp_eur_per_mwh[f] for f, s in enumerate(subs)},
        slacks=slack_frames,
    )


def _tk_flat(a: FloatArray) -> FloatArray:
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).T).ravel()
