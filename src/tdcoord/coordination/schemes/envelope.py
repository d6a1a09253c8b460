"""``envelope``: the DSO computes dynamic operating envelopes; a central operator dispatches
every DER within them.

Design doc catalogue: Australia's Hybrid model (Open Energy Networks: AEMO-like platform, DSO
computes envelopes); seed 000 §3 on operating envelopes (CSIP-AUS import/export limits).

Reading: (1) where the baseline violates feeder limits, the DSO first clears its needs (a
baseline outside the limits has no envelope containing zero); (2) the DSO computes per-node
import/export envelopes around that state (:mod:`tdcoord.coordination.envelopes` when it
provides ``node_envelopes``; otherwise the minimal envelope of
:mod:`tdcoord.coordination.feasibility`: jointly feasible caps per step under
``envelope_rule`` summed per node and direction); (3) the central operator (TSO, or
``platform`` with ``operator="single_platform"``) clears its need with transmission lines, the
distribution offers lumped at their interfaces and the per-node limits.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.feasibility import filter_feeder
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, make_outcome, worst_status
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    scatter,
    send_activations,
    send_offers,
)
from tdcoord.coordination.schemes.local import dso_stage

DEFAULTS: dict[str, Any] = {"envelope_rule": "proportional", "operator": "single_platform"}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` within DSO envelopes."""
    p = check_params("envelope", params, DEFAULTS, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    actor = "platform" if p["operator"] == "single_platform" else "tso"
    inj = all_offers(case)
    d_act, dres = dso_stage(case, inj, log)
    prior = prior_from_activation(case, d_act)
    residual = inj.with_cap(np.maximum(inj.cap - d_act, 0.0))
    o = case.offers
    T = case.n_periods
    node_bounds = {}
    for f, fd in enumerate(case.grid.feeders):
        filt = filter_feeder(case, f, residual, prior, rule=p["envelope_rule"])
        here = (filt.feeder == f) & ~filt.reactive
        exp = np.zeros((fd.n_node, T))
        imp = np.zeros((fd.n_node, T))
        up = here & (filt.direction == 1)
        dn = here & (filt.direction == -1)
        np.add.at(exp, filt.node[up], filt.cap[up])
        np.add.at(imp, filt.node[dn], filt.cap[dn])
        node_bounds[f] = (-imp, exp)
        log.send(case.feeder_label(f), actor, "envelope", {"import": imp, "export": exp})
    send_offers(log, case, residual, actor)
    res = clear_lp(case, ClearingSpec(
        injectors=residual, need_mw=case.tso_need_mw,
        lines=case.grid.transmission is not None, redispatch=True, node_bounds=node_bounds,
        prior=prior,
    ))
    t_act = scatter(case, residual, res.activation_mw)
    send_activations(log, case, t_act, actor)
    parts = [(actor, t_act)] + [
        (case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0))
        for f in range(case.n_feeders)
    ]
    return make_outcome(
        case, "envelope", p, status=worst_status(res.status, *[r.status for r in dres]),
        parts=parts, messages=log, compute_s=time.perf_counter() - t0,
        gen_redispatch_mw=res.redispatch_mw, lmp_eur_per_mwh=res.lmp_eur_per_mwh,
        dlmp_eur_per_mwh={f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)},
        slacks=[res.slacks, *[r.slacks for r in dres]],
    )
