"""Building blocks shared by the schemes: parameter checks, stages, message helpers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.catalogue import PARAM_SCHEMES
from tdcoord.coordination.clearing import (
    ClearingResult,
    ClearingSpec,
    clear,
    interface_limit_mw,
)
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import Injectors, Prior, offer_injectors
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.needs import dso_need_mw
from tdcoord.coordination.views import DsoView, TsoView
from tdcoord.market.eligibility import may_buy
from tdcoord.types import BoolArray, FloatArray, IntArray

#: Allowed values of every scheme parameter of the shared contract.
PARAM_VALUES: dict[str, tuple[Any, ...]] = {
    "variant": ("centralized", "decentralized"),
    "interface_offer": ("pass_through", "aggregated"),
    "priority": ("dso", "tso"),
    "operator": ("incumbent", "independent", "single_platform"),
    "envelope_rule": ("equal", "proportional", "max_total"),
    "dso_static_limits": (True, False),
    "residual_to_tso": (True, False),
    "schedule_exchange": (True, False),
    "local_congestion_management": (True, False),
}


def allowed_params(scheme: str) -> tuple[str, ...]:
    """The parameter keys ``scheme`` takes (``catalogue.PARAM_SCHEMES``)."""
    return tuple(k for k, on in PARAM_SCHEMES.items() if on is None or scheme in on)


def check_params(
    scheme: str, params: Mapping[str, Any], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Reject keys ``PARAM_SCHEMES`` does not give ``scheme`` and values outside the contract;
    return ``defaults`` (one value per allowed key) updated with ``params``."""
    allowed = allowed_params(scheme)
    assert set(defaults) == set(allowed), (scheme, sorted(defaults), allowed)
    for key, value in params.items():
        if key not in allowed:
            raise CoordinationError(
                f"scheme {scheme!r} has no parameter {key!r}",
                where=f"{scheme} params",
                fix=f"use only {', '.join(allowed) or 'no parameters'}",
            )
        if value not in PARAM_VALUES[key] or type(value) is not type(PARAM_VALUES[key][0]):
            raise CoordinationError(
                f"parameter {key}={value!r} is not allowed",
                where=f"{scheme} params",
                fix=f"use one of {PARAM_VALUES[key]}",
            )
    out = dict(defaults)
    out.update(params)
    return out


def tso_market(operator: str) -> str:
    """Who runs the transmission-level market: the TSO, or the single platform."""
    return "platform" if operator == "single_platform" else "tso"


def dso_market(case: ClearingCase, f: int, operator: str) -> str:
    """Who runs feeder ``f``'s market: its DSO (incumbent) or an independent platform."""
    return case.feeder_label(f) if operator == "incumbent" else "platform"


def note_operator(log: MessageLog, case: ClearingCase, operator: str) -> None:
    """Data the system operators hand to a non-incumbent market operator: each DSO its feeder
    model and baseline (the platform clears on it); with a single platform also the TSO its
    need. Buyers do not change — the operator only runs the market."""
    if operator == "incumbent":
        return
    for f in range(case.n_feeders):
        fd = case.grid.feeders[f]
        log.send(
            case.feeder_label(f),
            "platform",
            "feeder_model",
            {"n_node": fd.n_node, "base": case.feeder_p_mw[f]},
        )
    if operator == "single_platform":
        log.send("tso", "platform", "needs", case.tso_need_mw)


def scatter(case: ClearingCase, inj: Injectors, act: FloatArray) -> FloatArray:
    """Activations of injectors (K, T) → per offer row of the case (n_offers, T)."""
    out = np.zeros_like(case.offers.quantity_mw)
    real = inj.offer_row >= 0
    np.add.at(out, inj.offer_row[real], act[real])
    return out


def offer_payload(inj: Injectors, case: ClearingCase) -> dict[str, Any]:
    """What an offer message carries, column-wise: ids, location as the receiver sees it,
    direction, quantities and prices per step and interval."""
    ids = np.asarray(case.offers.offer_id, dtype=object)
    rows = inj.offer_row
    names = np.where(rows >= 0, ids[np.maximum(rows, 0)] if len(ids) else "", "virtual")
    return {
        "id": names.tolist(),
        "feeder": inj.feeder,
        "node": inj.node,
        "dir": inj.direction,
        "q": inj.cap,
        "p": inj.price,
    }


def send_offers(log: MessageLog, case: ClearingCase, inj: Injectors, receiver: str) -> None:
    """One message per aggregator to ``receiver`` with its offer steps."""
    agg = np.asarray(case.offers.aggregator_id, dtype=object)
    rows = inj.offer_row
    if not len(rows):
        return
    names = agg[np.maximum(rows, 0)]
    for name in sorted(set(names.tolist())):
        sel = names == name
        log.send(f"aggregator:{name}", receiver, "offers", offer_payload(inj.take(sel), case))


def send_activations(log: MessageLog, case: ClearingCase, act: FloatArray, sender: str) -> None:
    """One message per aggregator from ``sender`` with its non-zero activations (column-wise:
    offer ids, intervals, MW)."""
    agg = np.asarray(case.offers.aggregator_id, dtype=object)
    ids = np.asarray(case.offers.offer_id, dtype=object)
    k, t = np.nonzero(act > 1e-9)
    for name in sorted(set(agg[k].tolist())):
        sel = agg[k] == name
        payload = {"id": ids[k[sel]].tolist(), "t": t[sel], "mw": act[k[sel], t[sel]]}
        log.send(sender, f"aggregator:{name}", "activation", payload)


def tso_clear(
    case: ClearingCase,
    view: TsoView,
    *,
    prior: Prior | None = None,
    interface_bounds: Mapping[int, tuple[FloatArray, FloatArray]] | None = None,
    lumped_needs: Mapping[int, FloatArray] | None = None,
    need_mw: FloatArray | None = None,
) -> ClearingResult:
    """The TSO's market on its view: balance + transmission lines, no feeder model."""
    spec = ClearingSpec(
        injectors=view.offers,
        need_mw=view.need_mw if need_mw is None else need_mw,
        lines=True,
        redispatch=True,
        interface_bounds=interface_bounds or {},
        lumped_needs=lumped_needs or {},
        prior=prior,
        buyers=("TSO", "DSO") if lumped_needs else ("TSO",),
    )
    return clear(case, spec)


def dso_clear(
    case: ClearingCase,
    view: DsoView,
    *,
    prior: Prior | None = None,
    target_mw: FloatArray | None = None,
) -> ClearingResult:
    """The DSO's market on its feeder: its limits, its T–D interface rating (with the clearing's
    rating margin) and, if given, an interface target."""
    f = view.feeder_index
    lim = interface_limit_mw(case, f)
    bounds = {f: (-lim, lim)} if np.isfinite(case.interface_rating_mva[f]) else {}
    spec = ClearingSpec(
        injectors=view.offers,
        feeders=(f,),
        feeder_targets={f: target_mw} if target_mw is not None else {},
        interface_bounds=bounds,
        prior=prior,
        buyers=("DSO",),
    )
    return clear(case, spec)


def all_offers(case: ClearingCase) -> Injectors:
    """Every offer step of the case."""
    return offer_injectors(case)


def log_needs(log: MessageLog, case: ClearingCase, receiver: str | None = None) -> None:
    """DSOs tell ``receiver`` (default: nobody) their needs per interval."""
    if receiver is None:
        return
    need = dso_need_mw(case)
    for f in range(case.n_feeders):
        log.send(case.feeder_label(f), receiver, "needs", need[f])


def _dso_part(
    case: ClearingCase, act: FloatArray, rows: IntArray, need_mw: FloatArray, dso_ok: BoolArray
) -> FloatArray:
    """What one feeder's DSO buys of the activations ``act`` of its steps ``rows`` (the
    feeder's rows of the case's offers, ``(len(rows), T)``): in each interval with a need, the
    steps in its direction the DSO may buy, cheapest first, up to |need|."""
    o = case.offers
    part = np.zeros_like(act)
    for t in np.flatnonzero(np.abs(need_mw) > 1e-9):
        sign = 1 if need_mw[t] > 0 else -1
        here = np.flatnonzero((o.direction[rows] == sign) & dso_ok & (act[:, t] > 1e-9))
        here = here[np.argsort(o.price_eur_per_mwh[rows[here], t], kind="stable")]
        left = abs(float(need_mw[t]))
        for r in here:  # a handful of steps per feeder and interval
            take = min(left, float(act[r, t]))
            part[r, t] = take
            left -= take
            if left <= 1e-12:
                break
    return part


def split_buyers(
    case: ClearingCase, act: FloatArray, need_mw: FloatArray, other: str = "tso"
) -> list[tuple[str, FloatArray | sp.csr_matrix]]:
    """Attribute a joint clearing's activations to buyers: in feeder f and interval t, steps in
    the direction of the DSO need (sign of ``need_mw[f, t]``) go to ``dso:<id>``, cheapest first,
    up to |need|; the rest to ``other``. (A reading: the DSO pays for what its own need would
    have required, the TSO for the remainder.) Only steps of products the DSO may buy go to a
    DSO; steps of products only the DSO may buy all go to their feeder's DSO (buyers rule,
    :func:`tdcoord.market.eligibility.may_buy`)."""
    o = case.offers
    dso_ok = may_buy(o, "DSO")
    dso_only = dso_ok & ~may_buy(o, "TSO")
    dso_parts = []
    rest = act.copy()
    order = np.argsort(o.feeder, kind="stable")  # the steps of each feeder, in row order
    ends = np.searchsorted(o.feeder[order], np.arange(case.n_feeders + 1), side="left")
    for f in range(case.n_feeders):
        rows_f = order[ends[f] : ends[f + 1]]
        part = _dso_part(case, act[rows_f], rows_f, need_mw[f], dso_ok[rows_f])
        # a product only the DSO may buy is the DSO's, whatever the need (buyers rule)
        only = dso_only[rows_f]
        part[only] += act[rows_f][only] - part[only]
        if not part.any():  # a DSO that buys nothing has no part (a thousand feeders: memory)
            continue
        rest[rows_f] -= part
        coo = sp.coo_matrix(part)  # on the feeder's rows only, sparse: memory ∝ its steps
        dso_parts.append((case.feeder_label(f), sp.csr_matrix(
            (coo.data, (rows_f[coo.row], coo.col)), shape=act.shape
        )))
    return [(other, np.maximum(rest, 0.0)), *dso_parts]
