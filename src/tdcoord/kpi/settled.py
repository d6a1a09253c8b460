"""KPIs of one model's settled day: the outcome KPIs of :mod:`tdcoord.kpi.metrics` plus
settlement, emergencies and wall time — the one place where a compared model's KPI dict is made
(:func:`model_kpis`), and its tabular form (:func:`kpi_frame`).

Added keys (design doc "KPIs for comparing models"):

* ``settlement_residual_eur`` — the settlement's balance residual (0 up to rounding);
* ``imbalance_mwh`` — :math:`\\sum_{u,t} |I_{ut}|\\,\\Delta t` (0 without imbalance settlement);
* ``imbalance_paid_by_brps_eur`` — minus the sum of the ``imbalance`` transactions;
* ``availability_paid_eur`` — the sum of the ``availability`` transactions;
* ``stacking_conflicts`` — value-stacking conflicts (requests beyond a seller's capacity);
* ``availability_cost_eur`` — the availability payments again, as a component of ``total_cost``;
* with study events: ``emergency_energy_not_served_mwh`` (ENS on the real-time operating point),
  ``emergency_cost`` = ENS × VOLL (€), ``worst_state``. ``exogenous_energy_not_served_mwh`` and
  ``exogenous_cost_eur`` (= × VOLL) are the part no model can change
  (:class:`tdcoord.simulation.event_log.EventLog`): reported apart, not in ``total_cost``; the
  rest is the model's own and joins ``energy_not_served_eur`` and so ``total_cost``;
* ``exogenous_cost_eur`` — 0 without events;
* ``ex_ante_cost_eur`` — the model's day-ahead dispatch costed with the central clearing's
  objective (:mod:`tdcoord.kpi.ex_ante`), when the caller computed it;
* ``operation_cost_eur``, ``market_operators_count`` — the actors' cost of running the model
  (:mod:`tdcoord.kpi.operation`; apart from ``total_cost``), when the caller computed them;
* ``wall_s`` — the model's wall time (s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from tdcoord.kpi.accounting import ENERGY_TOL_MWH, denoise, with_totals

if TYPE_CHECKING:
    from tdcoord.settlement.run import Settlement
    from tdcoord.simulation.event_log import EventLog


def settlement_kpis(settlement: Settlement, dt_h: float) -> dict[str, Any]:
    """The settlement KPIs (residual, imbalance, availability, stacking conflicts)."""
    imb = settlement.imbalance_mw
    tx = settlement.transactions
    stacking = settlement.stacking
    return {
        "settlement_residual_eur": settlement.residual_eur,
        "imbalance_mwh": 0.0 if imb is None else float(np.abs(imb).sum() * dt_h),
        "imbalance_paid_by_brps_eur": -float(tx.loc[tx["item"] == "imbalance", "amount_eur"].sum()),
        "availability_paid_eur": float(tx.loc[tx["item"] == "availability", "amount_eur"].sum()),
        "stacking_conflicts": 0 if stacking is None else len(stacking.conflicts),
    }


def model_kpis(
    outcome_kpis: Mapping[str, Any],
    settlement: Settlement,
    events: EventLog | None,
    *,
    dt_h: float,
    voll_eur_per_mwh: float,
    wall_s: float,
    ex_ante_cost_eur: float | None = None,
    operation: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Every KPI of one compared model (keys: :data:`tdcoord.kpi.metrics.KPI_KEYS` then the
    keys of the module docstring, in that order)."""
    k = dict(outcome_kpis)
    k.update(settlement_kpis(settlement, dt_h))
    k["availability_cost_eur"] = k["availability_paid_eur"]
    k["exogenous_cost_eur"] = 0.0
    if events is not None:
        ens = denoise(events.energy_not_served_mwh, ENERGY_TOL_MWH)
        exo = min(denoise(events.exogenous_energy_not_served_mwh, ENERGY_TOL_MWH), ens)
        k["emergency_energy_not_served_mwh"] = ens
        k["emergency_cost"] = ens * voll_eur_per_mwh
        k["worst_state"] = events.worst_state
        k["exogenous_energy_not_served_mwh"] = exo
        k["exogenous_cost_eur"] = exo * voll_eur_per_mwh
        k["energy_not_served_eur"] = k["energy_not_served_eur"] + (ens - exo) * voll_eur_per_mwh
    with_totals(k)
    if ex_ante_cost_eur is not None:
        k["ex_ante_cost_eur"] = ex_ante_cost_eur
    k.update(operation or {})
    k["wall_s"] = wall_s
    return k


def kpi_frame(kpis_by_model: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Scalar KPIs, one row per model (column ``model_id`` first; dict-valued KPIs left out)."""
    rows = []
    for model_id, k in kpis_by_model.items():
        row: dict[str, Any] = {"model_id": model_id}
        row.update({key: v for key, v in k.items() if not isinstance(v, dict)})
        rows.append(row)
    return pd.DataFrame(rows)
