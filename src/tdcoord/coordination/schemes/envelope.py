"""``envelope``: the DSO computes dynamic operating envelopes; a central operator dispatches
every DER within them.

Design doc catalogue: Australia's Hybrid model (Open Energy Networks: AEMO-like platform, DSO
computes envelopes; seed 001 §III.A); seed 000 §3 on operating envelopes (CSIP-AUS
import/export limits).

Reading (seed 001 §III.A, Hybrid model: "the DSO computes dynamic operating envelopes" while
all participants "deal with AEMO", which procures, dispatches and settles — the DSO does not
buy): (1) where the baseline violates feeder limits, the DSO computes the least-cost relief
``d`` with its feeder model (:func:`tdcoord.coordination.schemes.local.dso_stage`) but does not
buy it: ``d`` only fixes where its envelopes sit (a baseline outside the limits has no envelope
containing zero); (2) each DSO computes, per offer location (feeder node holding offers) and
interval, an export limit ``E ≥ 0`` and an import limit ``I ≥ 0`` around the relieved state with
:func:`tdcoord.coordination.envelopes.operating_envelopes` (rule ``envelope_rule``, capability =
the node's residual up / down quantity, margins :data:`V_MARGIN_PU` and
:data:`S_MARGIN_FRAC` as recommended in ``docs/envelopes.md`` for AC-validated studies), and
publishes the node bounds ``[d_n − I, d_n + E]`` on the net injection change from the baseline
(``d_n``: the relief's net change at node ``n``): any combination of node injections inside
them keeps the feeder's LinDistFlow limits; (3) the central operator (TSO, or ``platform`` with
``operator="single_platform"``) clears its need with transmission lines and every offer within
those bounds (``node_bounds`` of the clearing LP) — it never sees the feeder model, and it buys
everything, the relief included (no ``dso:<id>`` buyer).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingResult, ClearingSpec
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.envelopes import operating_envelopes
from tdcoord.coordination.injectors import Injectors, Prior, prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import dlmp_parts_of
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    note_operator,
    scatter,
    send_activations,
    send_offers,
    tso_market,
)
from tdcoord.coordination.schemes.local import dso_stage
from tdcoord.types import FloatArray

DEFAULTS: dict[str, Any] = {"envelope_rule": "proportional", "operator": "single_platform"}


#: Voltage margin (pu) and rating derating (fraction) of the envelopes (docs/envelopes.md).
V_MARGIN_PU = 0.015
S_MARGIN_FRAC = 0.05


def node_envelopes(
    case: ClearingCase, f: int, residual: Injectors, prior: Prior, rule: str
) -> tuple[FloatArray, FloatArray]:
    """Import and export limits (n_node, T) of feeder ``f``'s offer locations (0 elsewhere)."""
    fd = case.grid.feeders[f]
    T = case.n_periods
    here = (residual.feeder == f) & ~residual.reactive
    imp = np.zeros((fd.n_node, T))
    exp = np.zeros((fd.n_node, T))
    nodes = np.unique(residual.node[here])
    if not nodes.size:
        return imp, exp
    up = here & (residual.direction == 1)
    dn = here & (residual.direction == -1)
    cap_e = np.zeros((fd.n_node, T))
    cap_i = np.zeros((fd.n_node, T))
    np.add.at(cap_e, residual.node[up], residual.cap[up])
    np.add.at(cap_i, residual.node[dn], residual.cap[dn])
    env = operating_envelopes(
        fd,
        case.feeder_p_mw[f] - prior.feeder_p_mw[f],
        case.feeder_q_mvar[f] - prior.feeder_q_mvar[f],
        nodes,
        cap_e[nodes],
        cap_i[nodes],
        rule=rule,
        v_margin_pu=V_MARGIN_PU,
        s_margin_frac=S_MARGIN_FRAC,
    )
    imp[nodes] = env.import_mw
    exp[nodes] = env.export_mw
    return imp, exp


def dso_relief(case: ClearingCase, inj: Injectors) -> tuple[FloatArray, list[ClearingResult]]:
    """The relief each DSO's feeder model finds for baseline violations (activation per offer
    row, as :func:`tdcoord.coordination.schemes.local.dso_stage` clears it), computed, not
    bought: no message leaves the DSO, it only places the envelopes."""
    return dso_stage(case, inj, MessageLog())


def node_change_mw(case: ClearingCase, f: int, inj: Injectors, act: FloatArray) -> FloatArray:
    """Net active injection change ``(n_node, T)`` of feeder ``f``'s nodes under ``act``."""
    out = np.zeros((case.grid.feeders[f].n_node, case.n_periods))
    here = (inj.feeder == f) & ~inj.reactive
    np.add.at(out, inj.node[here], inj.direction[here, None] * act[here])
    return out


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` within DSO envelopes."""
    p = check_params("envelope", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    op = p["operator"]
    actor = tso_market(op)
    note_operator(log, case, op)
    inj = all_offers(case)
    d_act, dres = dso_relief(case, inj)
    prior = prior_from_activation(case, d_act)
    residual = inj.with_cap(np.maximum(inj.cap - d_act, 0.0))
    node_bounds = {}
    for f in range(case.n_feeders):
        imp, exp = node_envelopes(case, f, residual, prior, p["envelope_rule"])
        relief = node_change_mw(case, f, inj, d_act)
        node_bounds[f] = (relief - imp, relief + exp)
        lo, hi = node_bounds[f]
        nodes = np.flatnonzero((lo != 0).any(axis=1) | (hi != 0).any(axis=1))
        log.send(
            case.feeder_label(f), actor, "envelope",
            {"node": nodes, "import": -lo[nodes], "export": hi[nodes]},
        )
    send_offers(log, case, inj, actor)
    res = clear_lp(
        case,
        ClearingSpec(
            injectors=inj,
            need_mw=case.tso_need_mw,
            lines=case.grid.transmission is not None,
            redispatch=True,
            node_bounds=node_bounds,
        ),
    )
    t_act = scatter(case, inj, res.activation_mw)
    send_activations(log, case, t_act, actor)
    parts = [("tso", t_act)]
    return make_outcome(
        case,
        "envelope",
        p,
        Cleared(
            status=worst_status(res.status, *[r.status for r in dres]),
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            gen_redispatch_mw=res.redispatch_mw,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            dlmp_eur_per_mwh={f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)},
            dlmp_parts=dlmp_parts_of(dres),
            slacks=[res.slacks, *[r.slacks for r in dres]],
        ),
    )
