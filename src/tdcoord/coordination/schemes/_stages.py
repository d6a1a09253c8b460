"""Building blocks shared by the schemes: parameter checks, stages, message helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingResult, ClearingSpec, clear
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import Injectors, Prior, offer_injectors
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.needs import dso_need_mw
from tdcoord.coordination.views import DsoView, TsoView
from tdcoord.grid.tables import FloatArray

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


def check_params(
    scheme: str, params: Mapping[str, Any], allowed: Iterable[str], defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """Reject unknown keys / values; return defaults updated with ``params``."""
    allowed = tuple(allowed)
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


def scatter(case: ClearingCase, inj: Injectors, act: FloatArray) -> FloatArray:
    """Activations of injectors (K, T) → per offer row of the case (n_offers, T)."""
    out = np.zeros_like(case.offers.quantity_mw)
    real = inj.offer_row >= 0
    np.add.at(out, inj.offer_row[real], act[real])
    return out


def offer_payload(inj: Injectors, case: ClearingCase) -> list[dict[str, Any]]:
    """What an offer message carries: id, location as the receiver sees it, direction,
    quantities and prices per interval."""
    ids = case.offers.offer_id
    return [
        {
            "id": ids[int(r)] if r >= 0 else f"virtual{k}",
            "feeder": int(inj.feeder[k]), "node": int(inj.node[k]),
            "dir": int(inj.direction[k]), "q": inj.cap[k], "p": inj.price[k],
        }
        for k, r in enumerate(inj.offer_row)
    ]


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
    """One message per aggregator from ``sender`` with its non-zero activations."""
    agg = np.asarray(case.offers.aggregator_id, dtype=object)
    ids = np.asarray(case.offers.offer_id, dtype=object)
    k, t = np.nonzero(act > 1e-9)
    for name in sorted(set(agg[k].tolist())):
        sel = agg[k] == name
        payload = [
            {"id": ids[i], "t": int(j), "mw": float(act[i, j])}
            for i, j in zip(k[sel], t[sel], strict=True)
        ]
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
    )
    return clear(case, spec)


def dso_clear(
    case: ClearingCase,
    view: DsoView,
    *,
    prior: Prior | None = None,
    target_mw: FloatArray | None = None,
) -> ClearingResult:
    """The DSO's market on its feeder: its limits (and, if given, an interface target)."""
    f = view.feeder_index
    spec = ClearingSpec(
        injectors=view.offers,
        feeders=(f,),
        feeder_targets={f: target_mw} if target_mw is not None else {},
        prior=prior,
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


def split_buyers(
    case: ClearingCase, act: FloatArray, need_mw: FloatArray, other: str = "tso"
) -> list[tuple[str, FloatArray]]:
    """Attribute a joint clearing's activations to buyers: in feeder f and interval t, steps in
    the direction of the DSO need (sign of ``need_mw[f, t]``) go to ``dso:<id>``, cheapest first,
    up to |need|; the rest to ``other``. (A reading: the DSO pays for what its own need would
    have required, the TSO for the remainder.)"""
    o = case.offers
    dso_parts = []
    rest = act.copy()
    for f in range(case.n_feeders):
        part = np.zeros_like(act)
        for t in np.flatnonzero(np.abs(need_mw[f]) > 1e-9):
            sign = 1 if need_mw[f, t] > 0 else -1
            rows = np.flatnonzero((o.feeder == f) & (o.direction == sign) & (act[:, t] > 1e-9))
            rows = rows[np.argsort(o.price_eur_per_mwh[rows, t], kind="stable")]
            left = abs(float(need_mw[f, t]))
            for r in rows:  # a handful of steps per feeder and interval
                take = min(left, float(act[r, t]))
                part[r, t] = take
                left -= take
                if left <= 1e-12:
                    break
        rest -= part
        dso_parts.append((case.feeder_label(f), part))
    return [(other, np.maximum(rest, 0.0)), *dso_parts]
