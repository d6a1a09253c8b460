"""``centralized``: the TSO clears all DER offers in one market; distribution is a copper plate.

Seed 001 §III (centralized AS market model, SmartNet CS A): "the TSO operates a market for
both resources connected at transmission and distribution level … without considering
distribution grid constraints"; DSO needs, if any, are procured through the TSO platform. Seed
000 §1.5 calls this the initial phase with a passive DSO.

Reading: one LP with the TSO balance and the transmission lines; every distribution offer is
lumped at its interface bus (the TSO view has no feeder). With ``dso_static_limits`` the DSO
gives the TSO per-feeder static interface limits (the interface rating, both directions). With
``local_congestion_management`` (default) each DSO posts its need as a quantity for the whole
feeder (:mod:`tdcoord.coordination.needs`), which the platform buys from any DER of the feeder —
location inside the feeder unknown, which is why this scheme can leave distribution violations.
``operator`` changes only who runs the market (``single_platform``: the ``platform`` receives
offers, needs and limits); the TSO stays the buyer.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.needs import dso_need_mw
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    note_operator,
    scatter,
    send_activations,
    send_offers,
    split_buyers,
    tso_clear,
    tso_market,
)
from tdcoord.coordination.views import tso_view

DEFAULTS: dict[str, Any] = {
    "dso_static_limits": False,
    "local_congestion_management": True,
    "operator": "incumbent",
}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the centralized scheme."""
    p = check_params("centralized", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    buyer = tso_market(p["operator"])
    note_operator(log, case, p["operator"])
    view = tso_view(case, all_offers(case))
    send_offers(log, case, all_offers(case), buyer)
    T = case.n_periods
    bounds = {}
    if p["dso_static_limits"]:
        for f in range(case.n_feeders):
            r = float(case.interface_rating_mva[f])
            bounds[f] = (np.full(T, -r), np.full(T, r))
            log.send(case.feeder_label(f), buyer, "static_limits", [-r, r])
    need = dso_need_mw(case) if p["local_congestion_management"] else np.zeros((case.n_feeders, T))
    lumped = {f: need[f] for f in range(case.n_feeders) if np.abs(need[f]).max(initial=0) > 0}
    for f in lumped:
        log.send(case.feeder_label(f), buyer, "needs", need[f])
    res = tso_clear(case, view, interface_bounds=bounds, lumped_needs=lumped)
    act = scatter(case, view.offers, res.activation_mw)
    send_activations(log, case, act, buyer)
    parts = split_buyers(case, act, need, other="tso")
    return make_outcome(
        case,
        "centralized",
        p,
        Cleared(
            status=res.status,
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            iterations=1,
            gen_redispatch_mw=res.redispatch_mw,
            lmp_eur_per_mwh=res.lmp_eur_per_mwh,
            slacks=[res.slacks],
        ),
    )
