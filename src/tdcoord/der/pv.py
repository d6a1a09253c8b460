"""Photovoltaic units: curtailable down-flexibility and inverter reactive capability.

The model is :class:`~tdcoord.der.renewable.InverterGenerator` (see there for the math):
baseline = available power from an irradiance-driven profile, ``down = p_avail``, ``up = 0``,
``q = sqrt(S² − p²)``. Seed 000 §1.3 (PV with smart inverters providing voltage support).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from tdcoord.der.renewable import InverterGenerator


@dataclass(frozen=True, eq=False)
class Pv(InverterGenerator):
    """``n`` PV systems (``s_inverter_mva`` per unit, ``available_p_mw`` units × intervals)."""

    KIND: ClassVar[str] = "Pv"
