"""Clearing primitives of a price/quantity exchange at the T–D interfaces (Benders cuts).

Benders decomposition of the joint LP (Benders 1962; Conejo et al., *Decomposition Techniques in
Mathematical Programming*, 2006, ch. 3): the master (TSO) clears with a value variable
:math:`\\theta_{ft}` per interface f and interval t standing for the cost the DSO of feeder f
needs to deliver the exchange :math:`x_{ft}`; each subproblem (DSO) is its feeder LP with the
exchange fixed (:class:`FeederExchange`), whose cost :math:`V_{ft}(\\hat x)` and exchange dual
:math:`\\pi_{ft}` (€/MWh) give the optimality cut

.. math::

    \\theta_{ft} \\ge V_{ft}(\\hat x) + \\pi_{ft}\\,\\Delta t\\,(x_{ft} - \\hat x_{ft}),

added to the master by :func:`add_exchange_cuts` (one row family ``cut<j>`` per exchange round,
on the program's activation columns through the exchange matrix :math:`x = E a`). The loop itself
is the generic exchange of :func:`tdcoord.opf.decomposition.exchange`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import ClearingResult, ClearingSpec, build, read_result
from tdcoord.coordination.injectors import Injectors
from tdcoord.coordination.interval_solve import IntervalSolver
from tdcoord.coordination.program import ClearingProgram, interval_major, per_interval
from tdcoord.opf.decomposition import Cut
from tdcoord.types import FloatArray


def add_exchange_cuts(
    c: ClearingProgram,
    exchange: sp.csr_matrix,
    value_lower_eur: FloatArray,
    cuts: Sequence[Cut],
) -> slice:
    """Add the value columns ``θ`` (``(n_x, T)``, cost 1, at least ``value_lower_eur``) and one
    row family ``cut<j>`` per cut (:class:`tdcoord.opf.decomposition.Cut`, slope in € per MW of
    exchange in an interval, i.e. :math:`\\pi\\Delta t`):
    :math:`\\theta - g\\,E a \\ge V(\\hat x) - g\\hat x`. ``exchange`` is ``E``
    ``(n_x, n_injector)``. Returns the ``θ`` columns."""
    n_x, T = exchange.shape[0], c.n_periods
    theta = c.add_columns("theta", n_x, interval_major(value_lower_eur), np.inf, 1.0)
    if not cuts:
        return theta
    xs = per_interval(T, exchange)
    for j, cut in enumerate(cuts):  # one block of rows per cut (a few dozen rounds)
        blocks = [
            (c.activation, -sp.diags(interval_major(cut.slope)) @ xs),
            (theta, sp.identity(n_x * T)),
        ]
        c.add_rows(f"cut{j}", blocks, interval_major(cut.intercept), np.inf)
    return theta


class FeederExchange:
    """A DSO's feeder LP with its interface exchange fixed to a target, built once and
    re-solved warm, interval by interval, for every proposed exchange (only the bounds of the
    ``target:<f>`` rows move)."""

    def __init__(self, case: ClearingCase, f: int, offers: Injectors) -> None:
        self.feeder = f
        self.program = build(
            case,
            ClearingSpec(
                injectors=offers, feeders=(f,), feeder_targets={f: np.zeros(case.n_periods)},
                buyers=("TSO", "DSO"),
                time_coupling=False,  # per-interval values (the coupled delivery comes last)
            ),
        )
        self._lp = self.program.lp()
        self._solver = IntervalSolver(
            self._lp, self.program.column_interval(), self.program.n_periods
        )
        target = self.program.rows(f"target:{f}")
        self._target_rows = np.arange(target.start, target.stop)

    def deliver(self, exchange_mw: FloatArray) -> ClearingResult:
        """Cheapest way to deliver ``exchange_mw`` ``(T,)`` below the interface: its cost per
        interval (``interval_cost_eur``) and marginal price (``target_dual_eur_per_mwh``)."""
        self._solver.set_row_bounds(self._target_rows, exchange_mw, exchange_mw)
        return read_result(self.program, self._lp.cost, self._solver.solve(), 0.0)
