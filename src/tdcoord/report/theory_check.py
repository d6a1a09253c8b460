"""The report's theory check: no model beats the central optimum on the central objective.

The central clearing (``eu.central``, seed 001 §III "the allocation of resources is optimised for
both grids") minimises the day-ahead cost :math:`C(a)` of
:mod:`tdcoord.kpi.ex_ante` over every deliverable dispatch :math:`a`, so
:math:`C(\\hat a_m) \\ge C(a^*)` for every model :math:`m` (``ex_ante_cost_eur``, relative
tolerance :data:`EX_ANTE_RTOL`). The realised ``total_cost`` adds what that linear day-ahead model
does not see — the AC power flow's losses and voltages, forecast errors, the later stages'
corrections and non-delivery — so a realised total below ``eu.central``'s is possible and is
said to be so, with the reason; an ex-ante cost below it is a contradiction and is reported as
one.
"""

from __future__ import annotations

import math

from tdcoord.report.data import ReportInput
from tdcoord.report.summary import numeric

#: Relative tolerance of the ex-ante bound (issue 13 item 2).
EX_ANTE_RTOL = 1e-6

#: The model whose day-ahead dispatch is the central optimum.
CENTRAL_MODEL = "eu.central"


def theory_sentences(ri: ReportInput, central: str = CENTRAL_MODEL) -> list[str]:
    """One sentence on the ex-ante bound, and one on realised totals below the ``central``
    model's (empty when that model or ``ex_ante_cost_eur`` is not in the comparison)."""
    k = ri.kpis
    if "ex_ante_cost_eur" not in k.columns or central not in set(k["model_id"]):
        return []
    ex_ante = dict(zip(k["model_id"].astype(str), numeric(k["ex_ante_cost_eur"]), strict=True))
    bound = ex_ante[central]
    if not math.isfinite(bound):
        return []
    below = [m for m, v in ex_ante.items() if v < bound - EX_ANTE_RTOL * abs(bound)]
    if below:
        first = [
            f"Theory check failed: {', '.join(below)} come(s) out below the central optimum on "
            f"its own objective (ex-ante cost under {central}'s €{bound:,.0f}); this "
            "contradicts the optimum and is a defect to report."
        ]
    else:
        first = [
            f"Theory check: on the central clearing's own objective (ex-ante cost), no model's "
            f"day-ahead dispatch comes out below {central} (€{bound:,.0f}), as the optimum "
            "requires."
        ]
    return first + _realised_below(ri, central)


def _realised_below(ri: ReportInput, central: str) -> list[str]:
    """Models whose realised total cost is below the central model's, with the reason."""
    k = ri.kpis
    if "total_cost" not in k.columns:
        return []
    total = dict(zip(k["model_id"].astype(str), numeric(k["total_cost"]), strict=True))
    ref = total[central]
    below = sorted((m for m, v in total.items() if v < ref), key=lambda m: total[m])
    if not below or not math.isfinite(ref):
        return []
    return [
        f"Realised totals of {', '.join(below)} are below {central}'s (€{ref:,.0f}): the "
        "realised day adds what the linear day-ahead model does not see (AC losses and "
        "voltages, forecast errors, the later stages' corrections, non-delivery), so the "
        "optimum bounds the ex-ante cost, not the realised one."
    ]
