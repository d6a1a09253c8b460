"""``shared_balancing``: each DSO keeps its area on an agreed interface schedule with its own
offers; the TSO balances the rest with transmission-connected resources only.

Seed 001 §III (shared balancing responsibility model, SmartNet CS C): "the balancing
responsibility is divided between TSO and DSO … the DSO has to respect a predefined schedule at
the TSO–DSO interconnection … the TSO has no access to resources in the distribution grid";
FERC 2222 hybrid TSO–DSO model (design doc catalogue).

Reading: the agreed schedule is the baseline import; the system imbalance is located in
transmission (:mod:`tdcoord.coordination.case`), so each DSO clears its feeder limits subject to
Σ activations below the interface = 0 (deviation priced at VOLL, reported as a slack); the TSO
clears the imbalance and transmission congestion with T-connected offers.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import DlmpParts
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    dso_clear,
    dso_market,
    note_operator,
    scatter,
    send_activations,
    send_offers,
    tso_clear,
    tso_market,
)
from tdcoord.coordination.views import dso_view, tso_view

DEFAULTS: dict[str, Any] = {"operator": "incumbent"}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the shared-balancing scheme."""
    p = check_params("shared_balancing", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    T = case.n_periods
    parts = []
    statuses, slacks, dlmp = [], [], {}
    dparts: dict[int, DlmpParts] = {}
    o = case.offers
    op = p["operator"]
    note_operator(log, case, op)
    for f in range(case.n_feeders):
        market = dso_market(case, f, op)
        log.send("tso", case.feeder_label(f), "schedule", case.baseline_import_mw[f])
        view = dso_view(case, f, inj)
        send_offers(log, case, view.offers, market)
        res = dso_clear(case, view, target_mw=np.zeros(T))
        a = scatter(case, view.offers, res.activation_mw)
        send_activations(log, case, a, market)
        parts.append((case.feeder_label(f), np.where((o.feeder == f)[:, None], a, 0.0)))
        statuses.append(res.status)
        slacks.append(res.slacks)
        dlmp[f] = res.dlmp_eur_per_mwh[f]
        dparts.update(res.dlmp_parts)
    t_inj = inj.take(inj.feeder == -1)
    send_offers(log, case, t_inj, tso_market(op))
    tview = tso_view(case, t_inj)
    tres = tso_clear(case, tview)
    t_act = scatter(case, tview.offers, tres.activation_mw)
    send_activations(log, case, t_act, tso_market(op))
    return make_outcome(
        case,
        "shared_balancing",
        p,
        Cleared(
            status=worst_status(tres.status, *statuses),
            parts=[("tso", t_act), *parts],
            messages=log,
            compute_s=time.perf_counter() - t0,
            gen_redispatch_mw=tres.redispatch_mw,
            lmp_eur_per_mwh=tres.lmp_eur_per_mwh,
            dlmp_eur_per_mwh=dlmp,
            dlmp_parts=dparts,
            slacks=[tres.slacks, *slacks],
        ),
    )
