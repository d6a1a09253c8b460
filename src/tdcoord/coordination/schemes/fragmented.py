"""``fragmented``: TSO and DSOs clear separate markets on the same offers, without coordination.

Seed 001 §III (EU fragmented market model); California Hybrid B/C ("with schedule exchange").
Design doc: "nothing crosses the interface — hence double activations and counter-activations".

Reading: every DSO clears its feeder limits with the offers below it, and the TSO clears its
need with every offer lumped at the interface buses, both on the baseline, at the same time.
A step bought by both beyond its quantity is a double activation (delivery capped at the
quantity); the DSOs' net activations are an imbalance the TSO does not know of (it shows in
validation). With ``schedule_exchange`` the DSOs send their activation schedules before the
TSO clears: the TSO then sees the residual quantities and the DSOs' net injection (no double
activation, no hidden imbalance) but still no distribution constraints.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import dlmp_parts_of
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
from tdcoord.coordination.schemes.local import dso_stage
from tdcoord.coordination.views import tso_view

DEFAULTS: dict[str, Any] = {"schedule_exchange": False, "operator": "incumbent"}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the fragmented scheme."""
    p = check_params("fragmented", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    op = p["operator"]
    note_operator(log, case, op)
    d_act, dres = dso_stage(case, inj, log, operator=op)
    send_offers(log, case, inj, tso_market(op))
    if p["schedule_exchange"]:
        for f in range(case.n_feeders):
            rows = case.offers.feeder == f
            log.send(dso_market(case, f, op), tso_market(op), "schedule", d_act[rows])
        view = tso_view(case, inj.with_cap(np.maximum(inj.cap - d_act, 0.0)))
        tres = tso_clear(case, view, prior=prior_from_activation(case, d_act))
    else:
        view = tso_view(case, inj)
        tres = tso_clear(case, view)
    t_act = scatter(case, view.offers, tres.activation_mw)
    send_activations(log, case, t_act, tso_market(op))
    o = case.offers
    parts = [("tso", t_act)] + [
        (case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0))
        for f in range(case.n_feeders)
    ]
    return make_outcome(
        case,
        "fragmented",
        p,
        Cleared(
            status=worst_status(tres.status, *[r.status for r in dres]),
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            gen_redispatch_mw=tres.redispatch_mw,
            lmp_eur_per_mwh=tres.lmp_eur_per_mwh,
            dlmp_eur_per_mwh={f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)},
            dlmp_parts=dlmp_parts_of(dres),
            slacks=[tres.slacks, *[r.slacks for r in dres]],
        ),
    )
