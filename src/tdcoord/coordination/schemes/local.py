"""``local``: each DSO clears its local needs first with its feeder model; what is left may go
to the TSO.

Seed 001 §III (local AS market model, SmartNet CS B): "the DSO organises a local market for
resources connected to the distribution grid … after clearing the local market, the DSO
aggregates the remaining bids and offers them to the TSO". Also Australia's TSTP (two-step
tiered platform), GB World A/C, FERC 2222 DSO model, California Total DSO, IESO Total DSO (one
aggregated bid per interface), seed 000's hierarchical LMP → DLMP phase.

Reading:

1. per feeder, the DSO clears its LinDistFlow limits (baseline violations) with the offers
   below it (buyer ``dso:<id>``);
2. if ``residual_to_tso`` (default), the residual quantities are filtered for distribution
   feasibility around the post-DSO state (:mod:`tdcoord.coordination.feasibility`, rule
   ``proportional``) and handed to the TSO — ``interface_offer="pass_through"``: every step,
   lumped at the interface bus; ``"aggregated"``: one curve per interface and direction
   (:func:`tdcoord.coordination.interface_offer.interface_offer_curve` when available; else the
   feasibility-filtered merit order of the feeder, steps sorted by price), disaggregated by
   the DSO after the TSO clears;
3. the TSO clears its need on its view (transmission only; the DSO activations are known to it
   as a committed schedule), with T-connected offers and the residual distribution offers.

``priority="tso"`` swaps the order: the TSO clears first on the baseline-filtered offers, then
the DSOs clear their needs with what is left.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingResult
from tdcoord.coordination.feasibility import filter_feeder
from tdcoord.coordination.injectors import Injectors, Prior, prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, make_outcome, worst_status
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    dso_clear,
    offer_payload,
    scatter,
    send_activations,
    send_offers,
    tso_clear,
)
from tdcoord.coordination.views import TsoView, dso_view, tso_view
from tdcoord.grid.tables import FloatArray

DEFAULTS: dict[str, Any] = {
    "interface_offer": "pass_through",
    "residual_to_tso": True,
    "priority": "dso",
    "operator": "incumbent",
}


def dso_stage(
    case: ClearingCase, inj: Injectors, log: MessageLog, prior: Prior | None = None,
    feeders: tuple[int, ...] | None = None,
) -> tuple[FloatArray, list[ClearingResult]]:
    """Every DSO clears its own needs; returns activations per offer row and the results."""
    act = np.zeros_like(case.offers.quantity_mw)
    results = []
    for f in feeders if feeders is not None else range(case.n_feeders):
        view = dso_view(case, f, inj)
        send_offers(log, case, view.offers, case.feeder_label(f))
        res = dso_clear(case, view, prior=prior)
        a = scatter(case, view.offers, res.activation_mw)
        send_activations(log, case, a, case.feeder_label(f))
        act += a
        results.append(res)
    return act, results


def residual_view(
    case: ClearingCase, inj: Injectors, used: FloatArray, prior: Prior, how: str,
    log: MessageLog,
) -> TsoView:
    """The TSO's view of the residual offers: T-connected ones plus, per feeder, the
    feasibility-filtered residual (pass-through or aggregated)."""
    residual = inj.with_cap(np.maximum(inj.cap - used[inj.offer_row], 0.0))
    parts = [residual.take(residual.feeder == -1)]
    for f in range(case.n_feeders):
        filt = filter_feeder(case, f, residual, prior)
        mine = filt.take(filt.feeder == f)
        if how == "aggregated":
            mine = mine.take(np.lexsort((mine.offer_row, mine.price[:, 0])))
            log.send(case.feeder_label(f), "tso", "aggregated_offer",
                     {"q": mine.cap.sum(axis=0), "steps": [mine.price, mine.cap]})
        else:
            log.send(case.feeder_label(f), "tso", "offers", offer_payload(mine, case))
        parts.append(mine)
    return tso_view(case, Injectors.concat(parts))


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the local scheme."""
    p = check_params("local", params, DEFAULTS, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    inj = all_offers(case)
    statuses = []
    slacks = []
    if p["priority"] == "tso" and p["residual_to_tso"]:
        zero = prior_from_activation(case, np.zeros_like(case.offers.quantity_mw))
        view = residual_view(case, inj, np.zeros_like(inj.cap), zero, p["interface_offer"], log)
        tres = tso_clear(case, view)
        t_act = scatter(case, view.offers, tres.activation_mw)
        send_activations(log, case, t_act, "tso")
        left = inj.with_cap(np.maximum(inj.cap - t_act, 0.0))
        d_act, dres = dso_stage(case, left, log, prior=prior_from_activation(case, t_act))
        statuses = [tres.status, *[r.status for r in dres]]
        slacks = [tres.slacks, *[r.slacks for r in dres]]
        dlmp = {f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)}
        lmp, red = tres.lmp_eur_per_mwh, tres.redispatch_mw
    else:
        d_act, dres = dso_stage(case, inj, log)
        statuses = [r.status for r in dres]
        slacks = [r.slacks for r in dres]
        dlmp = {f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)}
        prior = prior_from_activation(case, d_act)
        t_inj = inj.take(inj.feeder == -1) if not p["residual_to_tso"] else None
        if t_inj is not None:
            view = tso_view(case, t_inj)
        else:
            view = residual_view(case, inj, d_act, prior, p["interface_offer"], log)
        tres = tso_clear(case, view, prior=prior)
        t_act = scatter(case, view.offers, tres.activation_mw)
        send_activations(log, case, t_act, "tso")
        statuses.append(tres.status)
        slacks.append(tres.slacks)
        lmp, red = tres.lmp_eur_per_mwh, tres.redispatch_mw
    parts: list[tuple[str, FloatArray]] = [("tso", t_act)]
    o = case.offers
    for f in range(case.n_feeders):
        parts.append((case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0)))
    return make_outcome(
        case, "local", p, status=worst_status(*statuses), parts=parts, messages=log,
        compute_s=time.perf_counter() - t0, iterations=1, gen_redispatch_mw=red,
        lmp_eur_per_mwh=lmp, dlmp_eur_per_mwh=dlmp, slacks=slacks,
    )
