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
2. if ``residual_to_tso`` (default), what is left goes to the TSO —
   ``interface_offer="pass_through"``: every residual step, filtered for distribution
   feasibility around the post-DSO state (:mod:`tdcoord.coordination.feasibility`, rule
   ``proportional``) and lumped at the interface bus; ``"aggregated"``: one exact curve per
   interface and interval (:mod:`tdcoord.coordination.aggregated`), the TSO's accepted net
   quantity disaggregated by the DSO by re-solving its feeder LP at that exchange. With
   ``residual_to_tso=False`` (GB World C) DSO offers stay local: the TSO clears with
   transmission-connected offers only;
3. the TSO clears its need on its view (transmission only; the DSO activations are known to it
   as a committed schedule).

``priority="tso"`` swaps the order: the TSO clears first on offers filtered (or aggregated)
around the baseline, then the DSOs clear their needs with what is left. ``operator``
(``independent``: an IDSO platform runs the distribution markets; ``single_platform``: one
platform runs both) changes only who runs the markets (message routing, ``platform`` actor).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from tdcoord.coordination.aggregated import (
    FeederCurves,
    curve_injectors,
    disaggregate,
    feeder_curves,
)
from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingResult
from tdcoord.coordination.feasibility import filter_feeder
from tdcoord.coordination.injectors import Injectors, Prior, prior_from_activation
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Cleared, Outcome, make_outcome, worst_status
from tdcoord.coordination.prices import dlmp_parts_of
from tdcoord.coordination.schemes._stages import (
    all_offers,
    check_params,
    dso_clear,
    dso_market,
    note_operator,
    offer_payload,
    scatter,
    send_activations,
    send_offers,
    tso_clear,
    tso_market,
)
from tdcoord.coordination.views import TsoView, dso_view, tso_view
from tdcoord.types import FloatArray, IntArray

DEFAULTS: dict[str, Any] = {
    "interface_offer": "pass_through",
    "residual_to_tso": True,
    "priority": "dso",
    "operator": "incumbent",
}


def dso_stage(
    case: ClearingCase,
    inj: Injectors,
    log: MessageLog,
    prior: Prior | None = None,
    feeders: tuple[int, ...] | None = None,
    operator: str = "incumbent",
) -> tuple[FloatArray, list[ClearingResult]]:
    """Every DSO clears its own needs (market run by the DSO, or by the platform when the
    operator is not the incumbent); returns activations per offer row and the results."""
    act = np.zeros_like(case.offers.quantity_mw)
    results = []
    for f in feeders if feeders is not None else range(case.n_feeders):
        view = dso_view(case, f, inj)
        market = dso_market(case, f, operator)
        send_offers(log, case, view.offers, market)
        res = dso_clear(case, view, prior=prior)
        a = scatter(case, view.offers, res.activation_mw)
        send_activations(log, case, a, market)
        act += a
        results.append(res)
    return act, results


@dataclasses.dataclass(frozen=True, eq=False)
class ResidualOffer:
    """What the TSO receives from the DSOs, and what the DSOs keep to disaggregate."""

    view: TsoView
    curves: tuple[FeederCurves, ...] = ()
    owner: IntArray = dataclasses.field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def residual_view(
    case: ClearingCase,
    inj: Injectors,
    used: FloatArray,
    prior: Prior,
    how: str,
    log: MessageLog,
    feeders: tuple[int, ...] | None = None,
) -> TsoView:
    """The TSO's view of the residual offers (see :func:`residual_offer`)."""
    return residual_offer(case, inj, used, prior, how, log, feeders).view


def residual_offer(
    case: ClearingCase,
    inj: Injectors,
    used: FloatArray,
    prior: Prior,
    how: str,
    log: MessageLog,
    feeders: tuple[int, ...] | None = None,
) -> ResidualOffer:
    """T-connected offers plus, per feeder (``feeders``: those that forward; default all),
    either its feasibility-filtered residual steps (``pass_through``) or its exact aggregated
    interface curve (``aggregated``, :mod:`tdcoord.coordination.aggregated`)."""
    residual = inj.with_cap(np.maximum(inj.cap - used[inj.offer_row], 0.0))
    parts = [residual.take(residual.feeder == -1)]
    forward = tuple(range(case.n_feeders)) if feeders is None else feeders
    if how == "aggregated":
        margins = case.margins
        fcs = [feeder_curves(case, f, residual, prior, margins) for f in forward]
        virt, owner = curve_injectors(case, fcs)
        for f in forward:
            mine = virt.take(owner == f)
            log.send(
                case.feeder_label(f),
                "tso",
                "aggregated_offer",
                {"dir": mine.direction, "q": mine.cap, "p": mine.price},
            )
        parts.append(virt)
        return ResidualOffer(tso_view(case, Injectors.concat(parts)), tuple(fcs), owner)
    for f in forward:
        filt = filter_feeder(case, f, residual, prior)
        mine = filt.take(filt.feeder == f)
        log.send(case.feeder_label(f), "tso", "offers", offer_payload(mine, case))
        parts.append(mine)
    return ResidualOffer(tso_view(case, Injectors.concat(parts)))


def tso_stage(
    case: ClearingCase,
    offer: ResidualOffer,
    log: MessageLog,
    prior: Prior | None = None,
    buyer: str = "tso",
) -> tuple[FloatArray, ClearingResult]:
    """The TSO clears its view; accepted curve quantities are disaggregated by each DSO.

    Returns the TSO's activations per offer row of the case and the TSO clearing result."""
    res = tso_clear(case, offer.view, prior=prior)
    act = scatter(case, offer.view.offers, res.activation_mw)
    if offer.curves:
        virt = offer.view.offers.take(offer.view.offers.offer_row < 0)
        v_act = res.activation_mw[offer.view.offers.offer_row < 0]
        margins = case.margins
        for fc in offer.curves:
            mine = offer.owner == fc.feeder_index
            delta = (virt.direction[mine, None] * v_act[mine]).sum(axis=0)
            label = case.feeder_label(fc.feeder_index)
            log.send(buyer, label, "accepted_quantity", delta)
            a = disaggregate(case, fc, delta, margins)
            send_activations(log, case, a, label)
            act += a
    send_activations(log, case, np.where((case.offers.feeder == -1)[:, None], act, 0.0), buyer)
    if not offer.curves:
        send_activations(log, case, np.where((case.offers.feeder >= 0)[:, None], act, 0.0), buyer)
    return act, res


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the local scheme."""
    p = check_params("local", params, DEFAULTS)
    t0 = time.perf_counter()
    log = MessageLog()
    buyer = tso_market(p["operator"])
    note_operator(log, case, p["operator"])
    inj = all_offers(case)
    o = case.offers
    if p["priority"] == "tso":
        # TSO first on the baseline (the DSOs forward everything, filtered or aggregated around
        # the baseline), then each DSO clears its needs with what is left.
        zero = prior_from_activation(case, np.zeros_like(o.quantity_mw))
        fwd = None if p["residual_to_tso"] else ()
        offer = residual_offer(
            case, inj, np.zeros_like(inj.cap), zero, p["interface_offer"], log, fwd
        )
        t_act, tres = tso_stage(case, offer, log, buyer=buyer)
        left = inj.with_cap(np.maximum(inj.cap - t_act, 0.0))
        d_act, dres = dso_stage(
            case, left, log, prior=prior_from_activation(case, t_act), operator=p["operator"]
        )
        statuses = [tres.status, *[r.status for r in dres]]
        slacks = [tres.slacks, *[r.slacks for r in dres]]
    else:
        d_act, dres = dso_stage(case, inj, log, operator=p["operator"])
        prior = prior_from_activation(case, d_act)
        fwd = None if p["residual_to_tso"] else ()
        offer = residual_offer(case, inj, d_act, prior, p["interface_offer"], log, fwd)
        t_act, tres = tso_stage(case, offer, log, prior=prior, buyer=buyer)
        statuses = [*[r.status for r in dres], tres.status]
        slacks = [*[r.slacks for r in dres], tres.slacks]
    dlmp = {f: r.dlmp_eur_per_mwh[f] for f, r in enumerate(dres)}
    parts: list[tuple[str, FloatArray]] = [("tso", t_act)]
    for f in range(case.n_feeders):
        parts.append((case.feeder_label(f), np.where((o.feeder == f)[:, None], d_act, 0.0)))
    return make_outcome(
        case,
        "local",
        p,
        Cleared(
            status=worst_status(*statuses),
            parts=parts,
            messages=log,
            compute_s=time.perf_counter() - t0,
            iterations=1,
            gen_redispatch_mw=tres.redispatch_mw,
            lmp_eur_per_mwh=tres.lmp_eur_per_mwh,
            dlmp_eur_per_mwh=dlmp,
            dlmp_parts=dlmp_parts_of(dres),
            slacks=slacks,
        ),
    )
