"""``integrated``: one platform, run by an independent operator, clears TSO, DSO and commercial
(BRP) needs together with T and D constraints.

Seed 001 §III (integrated flexibility market model, SmartNet CS E / EU integrated model): "the
flexibility market is operated by an independent market operator … commercial parties such as
BRPs can also procure flexibility"; GB World E (market-driven flexibility coordinator).

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
