"""``distributed``: peer platforms, one per DSO area, coupled through interconnection capacity.

Seed 001 §III (EU distributed market model): "several local markets/platforms … interact with
each other … flexibility can be traded between platforms". The seeds give no algorithm; the
reading taken here is *market coupling between peers*: (1) each area platform clears its own
distribution needs (as the DSO stage of ``local``); (2) the platforms and the TSO's need are
coupled in one market whose only grid data are the interconnection capacities — each area's
exchange is limited by its interface rating (ATC-like), transmission lines are not modelled
(flow-based coupling is not part of this reading) — with each area's residual offers filtered
for its feeder's feasibility; cross-platform trades are logged between the platforms.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingSpec
from tdcoord.coordination.clearing import clear as clear_lp
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import dlmp_parts_of
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    note_operator,
    scatter,
    send_activations,
)
from tdcoord.coordination.schemes.local import dso_stage, residual_view

DEFAULTS: dict[str, Any] = {"operator": "independent"}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with coupled peer platforms."""
    p = check_params("distributed", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    T = case.n_periods
    op = p["operator"]
    note_operator(log, case, op)
    d_act, dres = dso_stage(case, inj, log, operator=op)
    prior = prior_from_activation(case, d_act)
    view = residual_view(case, inj, d_act, prior, "pass_through", log)
    bounds = {
        f: (np.full(T, -case.interface_rating_mva[f]), np.full(T, case.interface_rating_mva[f]))
        for f in range(case.n_feeders)
    }
    for f in range(case.n_feeders):
        log.send(case.feeder_label(f), "platform", "capacity", case.interface_rating_mva[f])
    log.send("tso", "platform", "needs", case.tso_need_mw)
    res = clear_lp(
        case,
        ClearingSpec(
            injectors=view.offers,
            need_mw=case.tso_need_mw,
            lines=False,
            interface_bounds=bounds,
            prior=prior,
        ),
    )
    t_act = scatter(case, view.offers, res.activation_mw)
    o = case.offers
    for f in range(case.n_feeders):
        rows = o.feeder == f
        if (t_act[rows] > 1e-9).any():
            log.send(
                case.feeder_label(f),
                "platform",
                "cross_platform_trade",
                (o.direction[rows, None] * t_act[rows]).sum(axis=0),
            )
    send_activations(log, case, t_act, "platform")
    parts = [("tso", t_act)] + [
        (case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0))
        for f in range(case.n_feeders)
    ]
    return make_outcome(
        case,
        "distributed",
        p,
        Cleared(
            status=worst_status(res.status, *[r.status for r in dres]),
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            dlmp_eur_per_mwh={f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)},
            dlmp_parts=dlmp_parts_of(dres),
            slacks=[res.slacks, *[r.slacks for r in dres]],
        ),
    )
