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
  stops finitely; here when upper − lower bound ≤ ``REL_TOL``·|upper| (1e-8: the gap's floor,
  set by the LP solver's tolerances, is about 1e-9). Activations below ``RESIDUE_MW`` (1 W) are
  the subproblems' numerical residue at that tolerance (the joint LP's vertex has none) and are
  dropped, so both variants activate the same offers. Only prices and quantities cross the
  interface; iterations and messages are reported.

Costs are attributed with :func:`split_buyers` (DSO: what its own need required).
``priority`` is accepted (FERC 2222 "priority to the entity with highest priority") and only
orders the attribution: with ``priority="tso"`` the TSO is attributed first.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import (
    ClearingResult,
    ClearingSpec,
    build,
    read_result,
    solve_program,
)
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.exchange import FeederExchange, add_exchange_cuts
from tdcoord.coordination.injectors import Injectors, virtual_injectors
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.needs import dso_need_mw
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome
from tdcoord.coordination.prices import dlmp_parts_of
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    dso_clear,
    scatter,
    send_activations,
    send_offers,
    split_buyers,
)
from tdcoord.coordination.views import dso_view
from tdcoord.opf.decomposition import Cut, MasterStep, SubproblemStep, exchange
from tdcoord.types import FloatArray

DEFAULTS: dict[str, Any] = {"variant": "centralized", "priority": "dso", "operator": "incumbent"}
REL_TOL = 1e-8
MAX_ITER = 100
#: Activations below this (1 W) are the exchange's numerical residue, not decisions: dropped.
RESIDUE_MW = 1e-6


def joint_spec(case: ClearingCase, inj: Injectors, need: FloatArray) -> ClearingSpec:
    """The joint LP: balance, lines, every feeder."""
    return ClearingSpec(
        injectors=inj,
        need_mw=need,
        lines=case.grid.transmission is not None,
        redispatch=True,
        feeders=tuple(range(case.n_feeders)),
        buyers=("TSO", "DSO"),
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
    case: ClearingCase,
    scheme: str,
    p: dict[str, Any],
    *,
    other: str,
    need: FloatArray | None = None,
    operator_actor: str = "tso",
) -> Outcome:
    """One joint LP over T and D (also used by ``integrated``)."""
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    send_offers(log, case, inj, operator_actor)
    if operator_actor != "tso":
        log.send("tso", operator_actor, "needs", case.tso_need_mw)
    for f in range(case.n_feeders):
        log.send(
            case.feeder_label(f),
            operator_actor,
            "feeder_model",
            {"n_node": case.grid.feeders[f].n_node, "base": case.feeder_p_mw[f]},
        )
    res = clear_lp(case, joint_spec(case, inj, case.tso_need_mw if need is None else need))
    act = scatter(case, inj, res.activation_mw)
    send_activations(log, case, act, operator_actor)
    return make_outcome(
        case,
        scheme,
        p,
        Cleared(
            status=res.status,
            parts=_attribute(case, act, p["priority"], other),
            messages=log,
            compute_s=time.perf_counter() - t0,
            iterations=1,
            gen_redispatch_mw=res.redispatch_mw,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            dlmp_eur_per_mwh=res.dlmp_eur_per_mwh,
            dlmp_parts=res.dlmp_parts,
            slacks=[res.slacks],
        ),
    )


def _interface_injectors(case: ClearingCase) -> tuple[Injectors, FloatArray]:
    """The exchange ``x_ft`` (net injection change below interface f) as two virtual injectors
    at the interface bus (up, down; capped by the feeder's offered MW), and the lowest value a
    DSO can report (its negative-priced offers all activated, €)."""
    T, nf, dt = case.n_periods, case.n_feeders, case.dt_h
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
        np.concatenate([bus, bus]),
        np.concatenate([np.ones(nf), -np.ones(nf)]).astype(np.int64),
        np.zeros((2 * nf, T)),
        np.vstack([up_cap, dn_cap]),
    )
    return virt, lo_val


@dataclasses.dataclass(frozen=True, eq=False)
class _Master:
    """The TSO's side of the exchange: its offers plus the virtual interface injectors."""

    spec: ClearingSpec
    exchange: sp.csr_matrix  # x = E a  (nf, n_injector)
    value_lower_eur: FloatArray
    k0: int  # first virtual injector


def _master(case: ClearingCase, t_inj: Injectors) -> _Master:
    nf = case.n_feeders
    virt, lo_val = _interface_injectors(case)
    master_inj = Injectors.concat([t_inj, virt])
    k0 = t_inj.n
    exchange = sp.csr_matrix(
        (
            np.concatenate([np.ones(nf), -np.ones(nf)]),
            (np.tile(np.arange(nf), 2), k0 + np.arange(2 * nf)),
        ),
        shape=(nf, master_inj.n),
    )
    spec = ClearingSpec(
        injectors=master_inj,
        need_mw=case.tso_need_mw,
        lines=True,
        redispatch=True,
        buyers=("TSO",),
    )
    return _Master(spec, exchange, lo_val, k0)


def _solve_master(
    case: ClearingCase, m: _Master, cuts: Sequence[Cut]
) -> MasterStep[ClearingResult | None]:
    """The TSO's LP with every cut so far: proposal x̂ (net change below each interface), lower
    bound (its objective) and own cost (without θ)."""
    nf = case.n_feeders
    c = build(case, m.spec)
    theta = add_exchange_cuts(c, m.exchange, m.value_lower_eur, cuts)
    lp, sol = solve_program(c)  # the TSO's own storage: one coupled LP
    if not sol.ok:
        return MasterStep(False, np.nan, np.zeros((nf, c.n_periods)), np.nan, None)
    theta_val = sol.x[theta].reshape(c.n_periods, nf).T
    lower = float(sol.objective)
    res = read_result(c, lp.cost, sol, 0.0)
    x_hat = res.activation_mw[m.k0 : m.k0 + nf] - res.activation_mw[m.k0 + nf :]
    return MasterStep(True, lower, x_hat, lower - float(theta_val.sum()), res)


def _ask_dsos(
    case: ClearingCase, log: MessageLog, dsos: list[FeederExchange], x_hat: FloatArray
) -> SubproblemStep[list[ClearingResult]]:
    """Every DSO's cost ``V_f(x̂_f)`` per interval and marginal price ``π_f`` of delivering
    ``x_hat`` (the cut slope is ``π·Δt``: € per MW of exchange in one interval)."""
    values = np.zeros((len(dsos), case.n_periods))
    slopes = np.zeros((len(dsos), case.n_periods))
    subs = []
    for f, dso in enumerate(dsos):
        log.send("tso", case.feeder_label(f), "quantities", x_hat[f])
        sub = dso.deliver(x_hat[f])
        values[f] = sub.interval_cost_eur
        slopes[f] = sub.target_dual_eur_per_mwh[f]
        subs.append(sub)
        log.send(case.feeder_label(f), "tso", "prices", {"value": values[f], "price": slopes[f]})
    return SubproblemStep(True, values, slopes * case.dt_h, subs)


def _converged(lower: float, upper: float, best_upper: float) -> bool:
    """Stop when the best upper bound is within ``REL_TOL`` of the lower bound."""
    return best_upper - lower <= REL_TOL * max(1.0, abs(best_upper))


#: Exchange status → outcome status.
_STATUS = {"converged": "optimal", "max_rounds": "not_converged", "master_failed": "infeasible"}


def _coupled_delivery(
    case: ClearingCase, inj: Injectors, res: ClearingResult, m: _Master,
    subs: list[ClearingResult],
) -> list[ClearingResult]:
    """Each DSO delivers the agreed exchange with its own DERs' energy rows (one coupled LP per
    feeder, :func:`tdcoord.coordination.clearing.clear`): the value functions it passed up are
    per interval (docs/coordination.md, "Time coupling and the information boundary"); where
    the energy runs short the target's deviation slack (priced at VOLL) takes the rest."""
    nf = case.n_feeders
    x_hat = res.activation_mw[m.k0 : m.k0 + nf] - res.activation_mw[m.k0 + nf :]
    out = []
    for f, sub in enumerate(subs):
        view = dso_view(case, f, inj)
        if not len(view.offers.offer_row):
            out.append(sub)
            continue
        out.append(dso_clear(case, view, target_mw=x_hat[f]))
    return out


def _decentralized(case: ClearingCase, p: dict[str, Any]) -> Outcome:
    """The decentralized common market: the Benders price/quantity exchange of
    :func:`tdcoord.opf.decomposition.exchange` between the TSO and every DSO (module docstring)."""
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    t_inj = inj.take(inj.feeder == -1)
    send_offers(log, case, t_inj, "tso")
    for f in range(case.n_feeders):
        send_offers(log, case, inj.take(inj.feeder == f), case.feeder_label(f))
    m = _master(case, t_inj)
    # Each DSO's feeder LP is built once; every exchange only moves its interface quantity.
    dsos = [FeederExchange(case, f, dso_view(case, f, inj).offers) for f in range(case.n_feeders)]
    run = exchange(
        lambda cuts: _solve_master(case, m, cuts),
        lambda x_hat: _ask_dsos(case, log, dsos, x_hat),
        max_rounds=MAX_ITER,
        converged=_converged,
    )
    if run.best is None or run.best[0].payload is None:
        return make_outcome(
            case,
            "common",
            p,
            Cleared(
                status="infeasible",
                parts=[],
                messages=log,
                compute_s=time.perf_counter() - t0,
                iterations=run.rounds,
            ),
        )
    res, subs = run.best[0].payload, run.best[1].payload
    if case.time_coupling is not None:
        subs = _coupled_delivery(case, inj, res, m, subs)
    act = scatter(case, t_inj, res.activation_mw[: m.k0])
    for f, sub in enumerate(subs):
        act += scatter(case, inj.take(inj.feeder == f), sub.activation_mw)
    act = np.where(act < RESIDUE_MW, 0.0, act)
    send_activations(log, case, act, "tso")
    slack_frames = [res.slacks] + [s.slacks for s in subs]
    stat = _STATUS.get(run.status, "infeasible")
    if stat == "optimal" and any(len(s) for s in slack_frames):
        stat = "optimal_with_slacks"
    return make_outcome(
        case,
        "common",
        p,
        Cleared(
            status=stat,
            parts=_attribute(case, act, p["priority"], "tso"),
            messages=log,
            compute_s=time.perf_counter() - t0,
            iterations=run.rounds,
            gen_redispatch_mw=res.redispatch_mw,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            dlmp_eur_per_mwh={f: s.dlmp_eur_per_mwh[f] for f, s in enumerate(subs)},
            dlmp_parts=dlmp_parts_of(subs),
            slacks=slack_frames,
        ),
    )
