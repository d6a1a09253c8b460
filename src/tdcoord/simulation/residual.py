"""What the DERs can still offer once earlier markets' activations are committed.

Seed 000 §3.2: DER states (state of charge, EV energy, shifted-load backlog) carry across stages,
and "a depleted battery is never called". After a market stage the DSO/TSO requests accepted so
far form each DER's **plan** ``c`` (signed MW, DER × interval, requests split pro rata inside
aggregated offers). The next stage's offers are rebuilt from the state that plan leads to:

1. **Residual flexibility** (:func:`residual_flexibility`). The plan is walked through the DER
   models interval by interval with full delivery (:func:`tdcoord.simulation.activation.activate`
   with a perfect response, the same minimum-duration rule): at interval ``t`` a DER reports
   ``[−d_t, u_t]`` around its baseline from the state reached under the plan before ``t``; the
   committed request ``c_t`` (cut to that range) leaves

   .. math:: \\bar u_t = u_t - c_t, \\qquad \\bar d_t = d_t + c_t .

   Batteries are exact also towards *later* commitments: their plan becomes their schedule
   (baseline + c), so the energy margins of :meth:`tdcoord.der.battery.Battery.flexibility` are
   taken along the planned trajectory — using energy now never makes a discharge committed for
   the evening undeliverable. For the other energy-limited types (EV, shifted load, heat pump)
   later commitments are not reserved; a request they cannot meet is cut at activation and
   reported (:attr:`~tdcoord.simulation.activation.ActivationResult.cut_mw`).

2. **Offer quantities** (:func:`rescaled_quantities`). An offer row ``i`` of seller group ``g``
   (same seller, product, direction) was built as ``q_i = φ_i F_g`` from its members' original
   flexibility ``F_g``. With the unsold quantities ``L_i = q_i − (accepted so far)`` and the
   members' residual flexibility ``R_g``, every row of the group is scaled by

   .. math:: k_g = \\min\\Big(1, \\frac{R_g \\sum_{i\\in g} q_i / F_g}{\\sum_{i\\in g} L_i}\\Big),

   so a group never offers more than its strategy's share of what its members can still do, and
   nothing changes where the state did not bind (then ``R_g = F_g − Σ accepted`` and ``k_g = 1``).
   Reactive rows keep their quantities (no energy state).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from tdcoord.der.base import DerModel, Flexibility
from tdcoord.der.battery import Battery
from tdcoord.market.eligibility import bid_groups
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import ResponseModel, activate, fleet_ids
from tdcoord.simulation.errors import SimulationError
from tdcoord.types import FloatArray

_TOL = 1e-12


def residual_flexibility(
    models: Sequence[DerModel],
    plan_mw: FloatArray,
    dt_h: float,
    *,
    response: ResponseModel | None = None,
) -> Flexibility:
    """Up/down flexibility left per DER and interval once ``plan_mw`` is carried out (module doc).

    ``plan_mw`` is signed (DER × T, rows in :func:`~tdcoord.simulation.activation.fleet_ids`
    order); the models must be at interval 0. ``response`` gives the minimum-duration rule of the
    activation; delivery is assumed complete (the market cannot know the non-delivery to come).
    """
    ids = fleet_ids(models)
    plan = np.asarray(plan_mw, dtype=np.float64)
    if plan.ndim != 2 or plan.shape[0] != len(ids):
        raise SimulationError(
            f"plan has shape {plan.shape}, expected ({len(ids)}, T)",
            where="residual_flexibility",
            fix="one row per DER in fleet order, one column per interval",
        )
    T = plan.shape[1]
    rule = response or ResponseModel()
    perfect = ResponseModel(
        min_duration_intervals=rule.min_duration_intervals, short_request=rule.short_request
    )
    walked = activate(models, plan, dt_h, start_interval=0, response=perfect)
    up = walked.available_up_mw - walked.delivered_mw
    down = walked.available_down_mw + walked.delivered_mw
    offs = np.cumsum([0] + [m.n_units for m in models])
    for g, m in enumerate(models):
        if isinstance(m, Battery) and m.n_units:
            rows = slice(int(offs[g]), int(offs[g + 1]))
            planned = dataclasses.replace(
                m, schedule_p_mw=m.baseline_p_mw(T, dt_h) + walked.delivered_mw[rows]
            )
            f = planned.flexibility(T, dt_h)
            up[rows], down[rows] = f.up_mw, f.down_mw
    return Flexibility(np.maximum(up, 0.0), np.maximum(down, 0.0), None)


def rescaled_quantities(
    offers: OfferBook,
    members: sp.csr_matrix,
    left_mw: FloatArray,
    original: Flexibility,
    residual: Flexibility,
) -> FloatArray:
    """Unsold offer quantities ``left_mw`` scaled to the members' residual flexibility (doc 2)."""
    n, T = offers.quantity_mw.shape
    if left_mw.shape != (n, T) or members.shape[0] != n:
        raise SimulationError(
            f"left quantities {left_mw.shape} / members {members.shape} do not match the "
            f"{n} offers × {T} intervals",
            where="rescaled_quantities",
            fix="pass the offer book's members and one value per offer and interval",
        )
    up = offers.direction > 0
    f0 = np.where(up[:, None], members @ original.up_mw, members @ original.down_mw)
    res = np.where(up[:, None], members @ residual.up_mw, members @ residual.down_mw)
    codes, n_groups = bid_groups(offers)
    group = sp.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(n_groups, n))
    q_sum = np.asarray(group @ offers.quantity_mw)[codes]
    l_sum = np.asarray(group @ left_mw)[codes]
    share = np.divide(q_sum, f0, out=np.zeros_like(q_sum), where=f0 > _TOL)
    cap = res * share
    k = np.divide(cap, l_sum, out=np.ones_like(cap), where=l_sum > _TOL)
    k = np.clip(k, 0.0, 1.0)
    k[offers.reactive] = 1.0
    return np.asarray(left_mw * k, dtype=np.float64)
