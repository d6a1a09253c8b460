"""Balancing reserves: the residual imbalance after every market, covered by the transmission
generators' frequency-restoration reserves in merit order (seed 000 §1.2, §3.2; ENTSO-E
aFRR/mFRR).

After the last stage and activation, the system's residual balance gap per interval is
:math:`g_t = \\sum(\\text{delivered}) - \\text{need}_t` (MW): negative when DERs delivered less
than asked (non-delivery, cut requests), positive when they delivered more. The TSO's
automatic and manual frequency-restoration reserves close it from the transmission generators'
headroom around their schedule and redispatch :math:`s_{gt} + r_{gt}`:

.. math::

    H^{\\uparrow}_{gt} = (\\bar P_g - s_{gt} - r_{gt})^+, \\qquad
    H^{\\downarrow}_{gt} = (s_{gt} + r_{gt} - \\underline P_g)^+ .

A shortfall :math:`d_t = (-g_t)^+` is covered upward in merit order of the balancing energy
price :math:`c_g + m` (cheapest first), a surplus :math:`e_t = g_t^+` downward in order of the
savings :math:`c_g - m` (most expensive generator first), with :math:`c_g` the generator's
marginal cost (``cost_c1_per_mwh``) and :math:`m` the preset's redispatch markup
(:attr:`~tdcoord.coordination.case.ClearingCase.redispatch_premium_eur_per_mwh`, 0 when the
preset has none). For the generators sorted by price with cumulative headroom
:math:`C_k = \\sum_{j \\le k} H_j`, generator :math:`k` activates

.. math::

    x_{kt} = \\min\\bigl(H_{kt},\\ (d_t - C_{k-1,t})^+\\bigr),

which is the optimum of :math:`\\min \\sum_k p_k x_k` s.t. :math:`\\sum_k x_k = \\min(d_t,
C_{K,t})`, :math:`0 \\le x \\le H` (a knapsack LP with unit weights). Its cost is
:math:`\\sum (c_g + m)\\,x^{\\uparrow}\\Delta t + \\sum (m - c_g)\\,x^{\\downarrow}\\Delta t`,
the same prices as redispatch. Only the gap beyond all headroom stays energy not served (or
surplus), priced as before.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.types import FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class ReserveActivation:
    """Reserves activated per transmission generator and interval (MW, ≥ 0), their cost, and
    the balance gap left after them (MW per interval, + surplus / − shortfall)."""

    up_mw: FloatArray
    down_mw: FloatArray
    cost_eur: float
    gap_left_mw: FloatArray

    @property
    def net_mw(self) -> FloatArray:
        """Signed activation per generator and interval (up − down), MW."""
        return np.asarray(self.up_mw - self.down_mw)

    def energy_mwh(self, dt_h: float) -> float:
        """Reserve energy activated in both directions, MWh."""
        return float((self.up_mw.sum() + self.down_mw.sum()) * dt_h)


def merit_order_fill(
    amount_mw: FloatArray, headroom_mw: FloatArray, price_eur_per_mwh: FloatArray
) -> FloatArray:
    """Fill ``amount_mw`` (T,) from ``headroom_mw`` (n, T) cheapest ``price_eur_per_mwh`` (n,)
    first (ties: lower index first); returns the activation (n, T), each ≤ its headroom, summing
    to ``min(amount, Σ headroom)`` per interval."""
    if headroom_mw.shape[0] == 0:
        return np.zeros(headroom_mw.shape)
    order = np.argsort(price_eur_per_mwh, kind="stable")
    room = np.maximum(headroom_mw[order], 0.0)
    before = np.cumsum(room, axis=0) - room
    take = np.minimum(room, np.maximum(np.maximum(amount_mw, 0.0)[None, :] - before, 0.0))
    out = np.empty(take.shape, dtype=np.float64)
    out[order] = take
    return out


def activate_reserves(
    case: ClearingCase, redispatch_mw: FloatArray, gap_mw: FloatArray
) -> ReserveActivation:
    """Cover the balance gap ``gap_mw`` (T,; + surplus, − shortfall) from the transmission
    generators' headroom around schedule + ``redispatch_mw`` (n_gen, T) (module docstring)."""
    tr = case.grid.transmission
    n_gen = 0 if tr is None else len(tr.generators)
    if tr is None or n_gen == 0:
        zero = np.zeros((n_gen, gap_mw.size))
        return ReserveActivation(zero, zero.copy(), 0.0, np.asarray(gap_mw, dtype=np.float64))
    gen = tr.generators
    point = case.gen_schedule_mw + (redispatch_mw if redispatch_mw.size else 0.0)
    head_up = np.maximum(gen.p_max_mw[:, None] - point, 0.0)
    head_dn = np.maximum(point - gen.p_min_mw[:, None], 0.0)
    markup = case.redispatch_premium_eur_per_mwh or 0.0
    c1 = np.asarray(gen.cost_c1_per_mwh, dtype=np.float64)
    up = merit_order_fill(-gap_mw, head_up, c1 + markup)
    down = merit_order_fill(gap_mw, head_dn, markup - c1)
    cost = float(((c1 + markup) @ up.sum(axis=1) + (markup - c1) @ down.sum(axis=1)) * case.dt_h)
    left = gap_mw + up.sum(axis=0) - down.sum(axis=0)
    return ReserveActivation(up, down, cost, np.asarray(left, dtype=np.float64))
