"""``ex_ante_cost_eur``: a model's day-ahead dispatch costed with the central clearing's own
objective (issue 13 item 2).

The central clearing (``eu.central``: the ``common`` scheme, centralized variant; seed 001 §III,
SmartNet CS D "the allocation of resources is optimised for both grids") solves, on the
day-ahead case,

.. math::

    C^* = \\min_{a, r, s} \\sum_t \\Delta t \\Big[\\sum_k c_{kt} a_{kt} + \\sum_g (c^{up}_g r^+_{gt}
    + c^{dn}_g r^-_{gt}) + \\pi \\cdot s_t\\Big]

over the same network model (DC transmission, LinDistFlow on every feeder), offers and needs
(:func:`tdcoord.coordination.schemes.common.joint_spec`, built by
:func:`tdcoord.coordination.clearing.build`). A model's day-ahead activations :math:`\\hat a` are
costed by the same program with the activation columns fixed, :math:`a = \\hat a` (clipped to
the offered quantities and cut to its deliverable part, below), and the redispatch and violation
slacks free:

.. math::

    C(\\hat a) = \\min_{r, s} \\text{(same objective)}\\quad\\text{s.t. } a = \\hat a.

Every :math:`\\hat a` is a feasible choice of the central program (its slacks make every row
satisfiable), so :math:`C(\\hat a) \\ge C^*` for every model, with equality for ``eu.central``
itself: no model may come out below the central optimum.

**Time coupling.** The central program carries the stage's energy rows
(:mod:`tdcoord.coordination.intertemporal`), so a dispatch that asks a battery for more than it
holds is *not* a choice of that program, and costing it as delivered would credit it with
network relief that never happens (on the default study ``au.tstp``'s day-ahead dispatch breaks
27 energy rows by up to 0.27 MWh and came out 19 % below the optimum when measured).
:math:`\\hat a` is therefore first cut to its deliverable part
(:func:`tdcoord.coordination.deliverable.deliverable_activation`: the largest dispatch below
:math:`\\hat a` that meets every energy row and the minimum duration). The cut part delivers no
relief, is not paid, and whatever need it leaves open is priced by the program's own slacks, so
the bound :math:`C \\ge C^*` holds for every model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.clearing import build
from tdcoord.coordination.deliverable import deliverable_activation
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.injectors import offer_injectors
from tdcoord.coordination.interval_solve import solve_by_interval
from tdcoord.coordination.program import interval_major
from tdcoord.coordination.schemes.common import joint_spec
from tdcoord.types import FloatArray


def ex_ante_cost_eur(case: ClearingCase, activation_mw: FloatArray) -> float:
    """The central day-ahead objective of ``activation_mw`` ``(n_offers, T)`` on the day-ahead
    ``case`` (see module docstring), €."""
    act = np.asarray(activation_mw, dtype=np.float64)
    shape = case.offers.quantity_mw.shape
    if act.shape != shape:
        raise CoordinationError(
            f"activation shape {act.shape} does not match the case's offers {shape}",
            where="kpi.ex_ante_cost_eur",
            fix="pass the day-ahead outcome's activation_mw of this same case",
        )
    inj = offer_injectors(case)
    program = build(case, joint_spec(case, inj, case.tso_need_mw))
    lp = program.lp()
    cols = program.activation
    offered = np.clip(act, 0.0, np.maximum(inj.cap, 0.0))
    tc = case.time_coupling
    if tc is not None and len(tc.pair_store):
        offered = deliverable_activation(tc, offered)
    fixed = interval_major(offered)
    lower = lp.col_lower.copy()
    upper = lp.col_upper.copy()
    lower[cols] = fixed
    upper[cols] = fixed
    lp = dataclasses.replace(lp, col_lower=lower, col_upper=upper)
    sol = solve_by_interval(lp, program.column_interval(), program.n_periods)
    if not sol.ok:
        raise CoordinationError(
            f"the central program with fixed activations ended {sol.status!r}",
            where="kpi.ex_ante_cost_eur",
            fix="report this case: with free slacks the program is always feasible",
        )
    return float(sol.objective)
