"""``integrated``: one platform, run by an independent operator, clears TSO, DSO and commercial
(BRP) needs together with T and D constraints.

Seed 001 §III.B (EU integrated market model): "a fully integrated market where flexibility
services are procured seamlessly across different market layers"; GB World E: "independent
market operators facilitate flexible procurement and system balancing". That commercial parties
(BRPs) buy in it too is SmartNet's integrated scheme (CS E); the seeds do not name BRPs.

Reading: the joint LP of ``common`` (centralized) run by ``"platform"``; a BRP need given in the
case (``brp_need_mw``, + = short) is added to the balance need. Attribution: DSO needs to
``dso:<id>`` (as in ``common``), the rest to ``platform`` (TSO and BRPs through the platform).
"""

from __future__ import annotations

from typing import Any

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.schemes._stages import check_params
from tdcoord.coordination.schemes.common import joint

DEFAULTS: dict[str, Any] = {"operator": "independent", "priority": "dso"}


def clear(case: ClearingCase, **params: Any) -> Outcome:
    """Clear ``case`` with the integrated scheme."""
    p = check_params("integrated", params, DEFAULTS)
    need = case.tso_need_mw if case.brp_need_mw is None else case.tso_need_mw + case.brp_need_mw
    actor = "tso" if p["operator"] == "incumbent" else "platform"
    return joint(case, "integrated", p, other="platform", need=need, operator_actor=actor)
