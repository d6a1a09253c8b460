"""KPIs of one model's settled day: the outcome KPIs of :mod:`tdcoord.kpi.metrics` plus
settlement, emergencies and wall time — the one place where a compared model's KPI dict is made
(:func:`model_kpis`), and its tabular form (:func:`kpi_frame`).

Added keys (design doc "KPIs for comparing models"):

* ``settlement_residual_eur`` — the settlement's balance residual (0 up to rounding);
* ``imbalance_mwh`` — :math:`\\sum_{u,t} |I_{ut}|\\,\\Delta t` (0 without imbalance settlement);
* ``imbalance_paid_by_brps_eur`` — minus the sum of the ``imbalance`` transactions;
* ``availability_paid_eur`` — the sum of the ``availability`` transactions;
* ``stacking_conflicts`` — value-stacking conflicts (requests beyond a seller's capacity);
* with study events: ``emergency_energy_not_served_mwh`` (ENS on the real-time operating point),
  ``emergency_cost`` = ENS × VOLL (€), ``worst_state``; ``emergency_cost`` joins ``total_cost``
  like any unresolved violation (the same penalties for every model);
  ``exogenous_energy_not_served_mwh`` and ``exogenous_cost_eur`` (= × VOLL) — the part of it no
  model can change (:class:`tdcoord.simulation.event_log.EventLog`), included in the two above,
  so ``emergency_cost − exogenous_cost_eur`` is what coordination changed;
* ``wall_s`` — the model's wall time (s).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

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
) -> dict[str, Any]:
    """Every KPI of one compared model (keys: :data:`tdcoord.kpi.metrics.KPI_KEYS` then the
    keys of the module docstring, in that order)."""
    k = dict(outcome_kpis)
    k.update(settlement_kpis(settlement, dt_h))
    if events is not None:
        ens = events.energy_not_served_mwh
        k["emergency_energy_not_served_mwh"] = ens
        k["emergency_cost"] = ens * voll_eur_per_mwh
        k["worst_state"] = events.worst_state
        k["exogenous_energy_not_served_mwh"] = events.exogenous_energy_not_served_mwh
        k["exogenous_cost_eur"] = events.exogenous_energy_not_served_mwh * voll_eur_per_mwh
        k["total_cost"] = k["total_cost"] + k["emergency_cost"]
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
