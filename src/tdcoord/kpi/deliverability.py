"""Deliverability KPIs: requests a scheme made beyond the state of a storage-like DER.

Seed 000 §3.2: a "distributed energy storage resource that has depleted its energy capacity, but
gets called upon for discharging" must not happen. A time-coupled clearing that sees the DER state
(:mod:`tdcoord.coordination.intertemporal`) never makes such a request; a scheme whose
information boundary hides the state may (docs/coordination.md, "Time coupling and the
information boundary"). The KPIs measure it on the day's plan (every stage's requests per DER):

* the plan is walked through the DER models from the start of the day with **complete
  delivery** (:func:`tdcoord.simulation.activation.activate` with no non-delivery, fraction 1, no
  delay; the study's minimum-duration rule). The activation's flexibility cut (step 2) at each
  (DER, interval) is then due to the state the earlier requests led to, not to a random
  non-delivery (a cut after an owner failed to deliver is the owner's, and stays in the
  activation report);
* only **storage-like** DERs count: the models that expose inter-temporal limits
  (``energy_limits``: batteries, EVs, heat pumps, flexible loads). A cut of a PV or wind unit
  comes from the forecast, not from a state.

``depleted_storage_calls`` = ``#{(j, t) : |cut_jt| > tol}`` over storage-like DERs ``j``;
``undeliverable_request_mwh`` = ``Σ_{j,t} |cut_jt| · Δt``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from tdcoord.der.base import DerModel
from tdcoord.simulation.activation import ResponseModel, activate

#: Keys this module adds to the KPI dict of a model.
DELIVERABILITY_KEYS = ("depleted_storage_calls", "undeliverable_request_mwh")

#: A cut below this (MW) is rounding of the LP solution, not a call beyond the state.
CUT_TOL_MW = 1e-6


def storage_rows(models: Sequence[DerModel]) -> npt.NDArray[np.bool_]:
    """Per DER (fleet order): whether its model is storage-like (has ``energy_limits``)."""
    flags = [np.full(m.n_units, hasattr(m, "energy_limits"), dtype=bool) for m in models]
    return np.concatenate(flags) if flags else np.zeros(0, dtype=bool)


def deliverability_kpis(
    models: Sequence[DerModel],
    plan_mw: npt.ArrayLike,
    dt_h: float,
    response: ResponseModel | None = None,
) -> dict[str, Any]:
    """``depleted_storage_calls`` and ``undeliverable_request_mwh`` of a day's plan (module doc).

    ``models`` are the DER models at the start of the plan (interval 0), ``plan_mw`` the signed
    requests per DER (fleet order) × interval, ``response`` the study's response model (only its
    minimum-duration rule is used: delivery is taken as complete).
    """
    rule = response or ResponseModel()
    perfect = ResponseModel(
        min_duration_intervals=rule.min_duration_intervals, short_request=rule.short_request
    )
    walked = activate(models, plan_mw, dt_h, start_interval=0, response=perfect)
    cut = np.abs(walked.cut_mw[storage_rows(models)])
    calls = cut > CUT_TOL_MW
    return {
        "depleted_storage_calls": int(calls.sum()),
        "undeliverable_request_mwh": float(cut[calls].sum() * dt_h),
    }
