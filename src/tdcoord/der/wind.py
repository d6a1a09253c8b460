"""Small wind turbines (full-converter, inverter-coupled): curtailable, with reactive capability.

Same physics as PV in this model (:class:`~tdcoord.der.renewable.InverterGenerator`): baseline =
available power from a wind profile, ``down = p_avail``, ``up = 0``, ``q = sqrt(S² − p²)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tdcoord.der.renewable import InverterGenerator


@dataclass(frozen=True, eq=False)
class Wind(InverterGenerator):
    """``n`` wind turbines (``s_inverter_mva`` per unit, ``available_p_mw`` units × intervals)."""

    KIND: ClassVar[str] = "Wind"
