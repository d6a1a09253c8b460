"""``tso_first_dso_validation``: the TSO clears; each DSO checks the activations in its feeder
(traffic light) and curtails those that would violate its limits.

Design doc catalogue: GB Future World D (TSO-driven), California Hybrid A (status quo, nascent
coordination); seed 001 §III on TSO-led procurement with DSO prequalification/validation.

Reading: (1) the TSO clears on its view (offers lumped at interfaces); (2) each DSO solves
"keep as much of the TSO's activations as its feeder allows": min Σ price-weighted curtailment
s.t. LinDistFlow limits, 0 ≤ a ≤ a_TSO (a red light curtails, green passes); (3) the TSO
re-clears once with the vetoed steps capped at what the DSO allowed; (4) the DSO checks again
and curtails if needed. DSO needs in the baseline are not procured (the DSO only validates).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    dso_market,
    note_operator,
    scatter,
    send_activations,
    send_offers,
    tso_clear,
    tso_market,
)
from tdcoord.coordination.views import tso_view
from tdcoord.types import FloatArray

DEFAULTS: dict[str, Any] = {"operator": "incumbent"}


def traffic_light(
    case: ClearingCase, t_act: FloatArray, log: MessageLog, operator: str = "incumbent"
) -> tuple[FloatArray, list[str]]:
    """Each DSO keeps the most of the TSO's activations its feeder allows."""
    o = case.offers
    allowed = t_act.copy()
    statuses = []
    for f in range(case.n_feeders):
        rows = np.flatnonzero(o.feeder == f)
        if not rows.size or not (t_act[rows] > 1e-9).any():
            continue
        log.send(
            tso_market(operator), dso_market(case, f, operator), "activation_request", t_act[rows]
        )
        inj = offer_injectors(case, rows, t_act[rows])
        # Maximise kept activation: negative cost (weight 1 + price share keeps cheap ones).
        inj = inj.with_cap(t_act[rows])
        keep = dataclasses.replace(inj, price=-np.ones_like(inj.price) * 1000.0)
        res = clear_lp(case, ClearingSpec(injectors=keep, feeders=(f,)))
        kept = np.minimum(res.activation_mw, t_act[rows])
        allowed[rows] = kept
        vetoed = t_act[rows] - kept
        log.send(dso_market(case, f, operator), tso_market(operator), "veto", vetoed)
        statuses.append(res.status)
    return allowed, statuses


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with TSO-first, DSO-validation."""
    p = check_params("tso_first_dso_validation", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    op = p["operator"]
    note_operator(log, case, op)
    inj = all_offers(case)
    send_offers(log, case, inj, tso_market(op))
    tres = tso_clear(case, tso_view(case, inj))
    t_act = scatter(case, tso_view(case, inj).offers, tres.activation_mw)
    allowed, st1 = traffic_light(case, t_act, log, op)
    vetoed = (t_act - allowed) > 1e-9
    iterations = 1
    if vetoed.any():
        cap = np.where(vetoed, allowed, inj.cap)
        view2 = tso_view(case, inj.with_cap(cap))
        tres = tso_clear(case, view2)
        t2 = scatter(case, view2.offers, tres.activation_mw)
        allowed, st2 = traffic_light(case, t2, log, op)
        st1 += st2
        iterations = 2
    send_activations(log, case, allowed, tso_market(op))
    return make_outcome(
        case,
        "tso_first_dso_validation",
        p,
        Cleared(
            status=worst_status(tres.status, *st1),
            parts=[("tso", allowed)],
            messages=log,
            compute_s=time.perf_counter() - t0,
            iterations=iterations,
            gen_redispatch_mw=tres.redispatch_mw,
            lmp_eur_per_mwh=tres.lmp_eur_per_mwh,
            slacks=[tres.slacks],
        ),
    )
