"""The cost accounting of one model: components that add up to ``total_cost``, and the
tolerances below which a residual is rounding noise (issue 13 item 1; docs/compare.md "KPIs").

**Identity.** For every model

.. math::

    \\text{total\\_cost} = \\underbrace{C^{proc}}_{\\texttt{procurement\\_cost}}
    + \\underbrace{C^{avail}}_{\\texttt{availability\\_cost\\_eur}}
    + \\underbrace{C^{red}}_{\\texttt{transmission\\_redispatch\\_eur}}
    + \\underbrace{C^{res}}_{\\texttt{balancing\\_reserve\\_eur}}
    + \\underbrace{C^{viol}}_{\\texttt{violation\\_penalty\\_eur}}
    + \\underbrace{C^{ens}}_{\\texttt{energy\\_not\\_served\\_eur}},
    \\qquad \\text{welfare} = -\\text{total\\_cost},

with :math:`C^{proc}` the pay-as-bid cost of the activated offer steps (every stage),
:math:`C^{avail}` the availability payments of the settlement, :math:`C^{red}` the TSO's
redispatch of transmission generators (up at cost + premium, down at premium − cost),
:math:`C^{res}` the balancing reserves of the same generators, at the same prices, that closed
the residual balance gap after every market (:mod:`tdcoord.coordination.reserves`),
:math:`C^{viol} = \\pi^{ovl} E^{ovl} + \\pi^{v} V + \\pi^{curt} E^{surp}` the residual overload MWh,
voltage pu·h and surplus MWh after AC validation at the study's penalties, and
:math:`C^{ens} = \\mathrm{VOLL}\\,(E^{ens} + E^{emerg,endo})` the energy not served after validation
plus the emergency shedding the model's own operating point led to. The welfare identity holds
because the value of covering the needs is the same for every model (design doc "KPIs for
comparing models"; seed 001 §III cost assessment, "Cost assessments and qualitative evaluations
are crucial components").

**Exogenous cost** (``exogenous_cost_eur``): shedding that an event imposes whatever the model
(:class:`tdcoord.simulation.event_log.EventLog`, ``exogenous_energy_not_served_mwh``: a faulted
section's load no DER could carry, an order beyond all the feeder's flexibility) valued at VOLL.
It is the same in every model, so it is reported apart and *not* in ``total_cost``; it stays
inside ``emergency_cost`` (all event shedding × VOLL, kept as before).

**Tolerances.** A residual at or below its tolerance is rounding noise of the LP and power-flow
solvers, counted as 0 and never as a violation: :data:`ENERGY_TOL_MWH` (1e-6 MWh) for
overload, energy not served, surplus and curtailment, :data:`VOLTAGE_TOL_PU_H` (1e-6 pu·h) for
voltage deviation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: Energy residuals (MWh) at or below this are rounding noise, counted as 0.
ENERGY_TOL_MWH = 1e-6
#: Voltage deviations (pu·h) at or below this are rounding noise, counted as 0.
VOLTAGE_TOL_PU_H = 1e-6

#: The components of ``total_cost``, in the order of the identity (module docstring).
COST_COMPONENTS = (
    "procurement_cost",
    "availability_cost_eur",
    "transmission_redispatch_eur",
    "balancing_reserve_eur",
    "violation_penalty_eur",
    "energy_not_served_eur",
)


def denoise(value: float, tol: float) -> float:
    """``value`` when it is above ``tol``, else 0 (rounding noise)."""
    return float(value) if float(value) > tol else 0.0


def significant_violations(violations: pd.DataFrame) -> pd.DataFrame:
    """The validation's violation rows above their tolerance (voltage rows in pu·h, the rest
    in MWh); a power flow that did not converge always counts."""
    if violations.empty:
        return violations
    kind = violations["kind"].astype(str)
    amount = violations["amount"].to_numpy(dtype=np.float64)
    tol = np.where(kind.str.startswith("voltage").to_numpy(), VOLTAGE_TOL_PU_H, ENERGY_TOL_MWH)
    keep = (amount > tol) | (kind == "not_converged").to_numpy()
    return violations[keep]


def total_cost_eur(kpis: Mapping[str, Any]) -> float:
    """Σ of :data:`COST_COMPONENTS` in ``kpis`` (€)."""
    return float(sum(float(kpis[k]) for k in COST_COMPONENTS))


def with_totals(kpis: dict[str, Any]) -> dict[str, Any]:
    """``kpis`` with ``total_cost`` = Σ components and ``welfare`` = −``total_cost``."""
    kpis["total_cost"] = total_cost_eur(kpis)
    kpis["welfare"] = -kpis["total_cost"]
    return kpis
