"""KPIs of one outcome (design doc "KPIs for comparing models"; issue item 8). Keys are stable:

``total_cost``  the sum of its components (:mod:`tdcoord.kpi.accounting`):
``procurement_cost`` + ``availability_cost_eur`` + ``transmission_redispatch_eur`` +
``balancing_reserve_eur`` (the transmission generators' reserves that closed the residual
balance gap, :mod:`tdcoord.coordination.reserves`; energy ``balancing_reserve_mwh``) +
``violation_penalty_eur`` (overload MWh × overload price + voltage pu·h × voltage price + surplus ×
curtailment price, after validation) + ``energy_not_served_eur`` (ENS × VOLL), residuals cut at
the tolerances of :mod:`tdcoord.kpi.accounting`. ``procurement_cost`` (pay-as-bid cost of the
activated offer steps, €; redispatch apart), ``tso_cost``, ``dso_cost`` (what the TSO, incl.
its redispatch, and all ``dso:*`` buyers pay), ``welfare`` (= −total_cost: the value of
covering the needs is the same for every model, so welfare differences are cost differences),
``unresolved_violations`` (count of (element, interval) violations), ``unresolved_overload_mwh``,
``unresolved_voltage_pu_h``, ``energy_not_served_mwh``, ``curtailment_mwh`` (down activations of
PV/wind steps + surplus), ``activated_up_mwh``, ``activated_down_mwh``, ``double_activations``
(count of (step, interval) bought by several buyers beyond its quantity) and
``double_activation_mwh``, ``counter_activations`` (count of (feeder, interval) where one buyer
activates up and another down) and ``counter_activation_mwh`` (the overlap, min(up, down)·Δt),
``interface_deviation_mwh`` (Σ|actual − agreed|·Δt), ``der_revenue`` (€, per DER dict under
``der_revenue_by_der``), ``aggregator_revenue`` (dict), ``messages``, ``bytes``,
``messages_by_pair`` (dict "sender->receiver" → {messages, bytes}), ``parties_per_der`` (mean
number of distinct counterparties — buyers and their operators — a DER with offers deals with),
``compute_s``, ``status``, then the cost components (``availability_cost_eur`` 0 here; the
settlement fills it, :mod:`tdcoord.kpi.settled`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.validation import ValidationReport
from tdcoord.kpi.accounting import (
    ENERGY_TOL_MWH,
    VOLTAGE_TOL_PU_H,
    denoise,
    significant_violations,
    with_totals,
)

CURTAILABLE = ("pv", "wind", "renewable")

KPI_KEYS = (
    "total_cost", "procurement_cost", "tso_cost", "dso_cost", "welfare", "unresolved_violations",
    "unresolved_overload_mwh", "unresolved_voltage_pu_h", "energy_not_served_mwh",
    "curtailment_mwh", "activated_up_mwh", "activated_down_mwh", "double_activations",
    "double_activation_mwh", "counter_activations", "counter_activation_mwh",
    "interface_deviation_mwh", "der_revenue", "der_revenue_by_der", "aggregator_revenue",
    "messages", "bytes", "messages_by_pair", "parties_per_der", "compute_s", "status",
    "availability_cost_eur", "transmission_redispatch_eur", "violation_penalty_eur",
    "energy_not_served_eur", "balancing_reserve_eur", "balancing_reserve_mwh",
)

#: The cost components :func:`cost_kpis` adds beyond the original keys.
COST_KEYS = KPI_KEYS[-6:]


def _double(case: ClearingCase, outcome: Outcome) -> tuple[int, float]:
    a = outcome.activations
    if a.empty:
        return 0, 0.0
    g = a.groupby(["offer_row", "interval"]).agg(mw=("mw", "sum"), n=("buyer", "nunique"))
    q = case.offers.quantity_mw[
        g.index.get_level_values(0).to_numpy(dtype=np.int64),
        g.index.get_level_values(1).to_numpy(dtype=np.int64),
    ]
    excess = g["mw"].to_numpy() - q
    mask = (g["n"].to_numpy() > 1) & (excess > 1e-6)
    return int(mask.sum()), float(excess[mask].sum() * case.dt_h)


def _counter(case: ClearingCase, outcome: Outcome) -> tuple[int, float]:
    a = outcome.activations
    if a.empty:
        return 0, 0.0
    fe = case.offers.feeder[a["offer_row"].to_numpy(dtype=np.int64)]
    frame = a.assign(feeder=fe)
    frame = frame[frame["feeder"] >= 0]
    count, mwh = 0, 0.0
    for _, grp in frame.groupby(["feeder", "interval"]):
        by = grp.groupby(["buyer", "direction"])["mw"].sum()
        keys = [(str(k[0]), int(k[1])) for k in by.index.to_list()]
        vals = by.to_numpy(dtype=np.float64)
        up = {b: float(v) for (b, d), v in zip(keys, vals, strict=True) if d == 1}
        dn = {b: float(v) for (b, d), v in zip(keys, vals, strict=True) if d == -1}
        overlap = 0.0
        for bu, vu in up.items():
            for bd, vd in dn.items():
                if bu != bd:
                    overlap = max(overlap, min(vu, vd))
        if overlap > 1e-6:
            count += 1
            mwh += overlap * case.dt_h
    return count, mwh


def compute_kpis(
    case: ClearingCase, outcome: Outcome, validation: ValidationReport,
    deliverability: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The KPI dict of one outcome (keys: :data:`KPI_KEYS`, then ``deliverability``:
    :func:`tdcoord.kpi.deliverability.deliverability_kpis`)."""
    dt = case.dt_h
    cost = outcome.cost_by_buyer_eur
    costs = cost_kpis(case, outcome, validation)
    o = case.offers
    act = outcome.activation_mw
    up = float(act[o.direction == 1].sum() * dt)
    dn = float(act[o.direction == -1].sum() * dt)
    curt_rows = np.array([t.lower() in CURTAILABLE for t in o.der_type], dtype=bool)
    curtail = denoise(
        float(act[curt_rows & (o.direction == -1)].sum() * dt)
        + denoise(validation.surplus_mwh, ENERGY_TOL_MWH),
        ENERGY_TOL_MWH,
    )
    n_double, mwh_double = _double(case, outcome)
    n_counter, mwh_counter = _counter(case, outcome)
    a = outcome.activations
    der_rev: dict[str, float] = {}
    agg_rev: dict[str, float] = {}
    parties = 0.0
    if not a.empty:
        der_rev = {str(k): float(v) for k, v in a.groupby("der_id")["cost_eur"].sum().items()}
        agg_rev = {
            str(k): float(v) for k, v in a.groupby("aggregator_id")["cost_eur"].sum().items()
        }
    if o.n_offers:
        msgs = outcome.messages.to_frame()
        counterparts: dict[str, set[str]] = {}
        for agg_id in set(o.aggregator_id):
            actor = f"aggregator:{agg_id}"
            sub = msgs[(msgs["sender"] == actor) | (msgs["receiver"] == actor)]
            counterparts[agg_id] = set(sub["sender"]) | set(sub["receiver"])
            counterparts[agg_id].discard(actor)
        per_der: dict[str, set[str]] = {}
        for der, agg_id in zip(o.der_id, o.aggregator_id, strict=True):
            per_der.setdefault(der, set()).update(counterparts[agg_id])
        parties = float(np.mean([len(v) for v in per_der.values()]))
    pairs = {
        f"{s}->{r}": {"messages": int(m), "bytes": int(b)}
        for s, r, m, b in outcome.messages.by_pair().itertuples(index=False, name=None)
    }
    return {
        "total_cost": costs["total_cost"],
        "procurement_cost": costs["procurement_cost"],
        "tso_cost": float(sum(v for k, v in cost.items() if k in ("tso", "platform"))),
        "dso_cost": float(sum(v for k, v in cost.items() if k.startswith("dso:"))),
        "welfare": costs["welfare"],
        "unresolved_violations": len(significant_violations(validation.violations)),
        "unresolved_overload_mwh": denoise(validation.overload_mwh, ENERGY_TOL_MWH),
        "unresolved_voltage_pu_h": denoise(validation.voltage_pu_h, VOLTAGE_TOL_PU_H),
        "energy_not_served_mwh": denoise(validation.energy_not_served_mwh, ENERGY_TOL_MWH),
        "curtailment_mwh": curtail,
        "activated_up_mwh": up,
        "activated_down_mwh": dn,
        "double_activations": n_double,
        "double_activation_mwh": mwh_double,
        "counter_activations": n_counter,
        "counter_activation_mwh": mwh_counter,
        "interface_deviation_mwh": float(
            np.abs(outcome.interface_mw - outcome.interface_schedule_mw).sum() * dt
        ),
        "der_revenue": float(sum(der_rev.values())),
        "der_revenue_by_der": der_rev,
        "aggregator_revenue": agg_rev,
        "messages": len(outcome.messages),
        "bytes": outcome.messages.n_bytes,
        "messages_by_pair": pairs,
        "parties_per_der": parties,
        "compute_s": float(outcome.compute_s),
        "status": outcome.status,
        **{k: costs[k] for k in COST_KEYS},
        **(deliverability or {}),
    }


def cost_kpis(
    case: ClearingCase, outcome: Outcome, validation: ValidationReport
) -> dict[str, float]:
    """The cost components of :mod:`tdcoord.kpi.accounting` that the outcome alone decides
    (availability 0 until settlement), ``total_cost`` and ``welfare``.

    Procurement is the pay-as-bid cost of the activated steps, Σ ``activations.cost_eur``; the
    redispatch cost is what the buyers' costs hold beyond it (the TSO's redispatch of
    transmission generators, costed per stage). Residuals are cut at their tolerances.
    """
    pen = case.penalties
    a = outcome.activations
    procurement = float(a["cost_eur"].sum()) if len(a) else 0.0
    redispatch = float(sum(outcome.cost_by_buyer_eur.values())) - procurement
    overload = denoise(validation.overload_mwh, ENERGY_TOL_MWH)
    voltage = denoise(validation.voltage_pu_h, VOLTAGE_TOL_PU_H)
    surplus = denoise(validation.surplus_mwh, ENERGY_TOL_MWH)
    ens = denoise(validation.energy_not_served_mwh, ENERGY_TOL_MWH)
    k: dict[str, Any] = {
        "procurement_cost": procurement,
        "availability_cost_eur": 0.0,
        "transmission_redispatch_eur": redispatch,
        "violation_penalty_eur": overload * pen.overload_eur_per_mwh
        + voltage * pen.voltage_eur_per_pu_h
        + surplus * pen.curtailment_eur_per_mwh,
        "energy_not_served_eur": ens * pen.voll_eur_per_mwh,
        "balancing_reserve_eur": validation.reserve_cost_eur,
        "balancing_reserve_mwh": denoise(validation.reserve_mwh, ENERGY_TOL_MWH),
    }
    return with_totals(k)
