"""Parse quantities with units from YAML (``"100 kW"``, ``"15 min"``) into the project's units.

Presets and product files are written by people who copy numbers from rule books, where minimum
sizes are quoted in kW or MW and times in s, min or h. Power is converted to **MW**, durations to
**minutes** (or seconds for response times); a bare number is taken in the target unit. A wrong
unit (``"100 kVA"`` for a power, ``"15 kW"`` for a duration) raises ``ValueError`` with the
accepted units, which pydantic turns into a field error.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER_UNIT = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+)\s*([A-Za-z]*)\s*$")

_POWER_TO_MW = {"w": 1e-6, "kw": 1e-3, "mw": 1.0, "gw": 1e3}
_TIME_TO_MIN = {
    "s": 1 / 60,
    "sec": 1 / 60,
    "min": 1.0,
    "m": 1.0,
    "h": 60.0,
    "hr": 60.0,
    "hour": 60.0,
    "hours": 60.0,
    "d": 1440.0,
    "day": 1440.0,
}


def _split(value: object, what: str) -> tuple[float, str]:
    if isinstance(value, bool):
        raise ValueError(f"expected a {what}, got a boolean")
    if isinstance(value, int | float):
        return float(value), ""
    if not isinstance(value, str):
        raise ValueError(f"expected a {what} such as a number or a string with a unit")
    m = _NUMBER_UNIT.match(value)
    if m is None:
        raise ValueError(f"cannot read {value!r} as a {what} (write e.g. '100 kW' or '15 min')")
    return float(m.group(1)), m.group(2).lower()


def parse_power_mw(value: object) -> float:
    """``"100 kW"`` → 0.1; ``"1 MW"`` → 1.0; a bare number is MW."""
    number, unit = _split(value, "power")
    if not unit:
        return number
    if unit not in _POWER_TO_MW:
        raise ValueError(f"unit {unit!r} is not a power unit; use W, kW, MW or GW")
    return number * _POWER_TO_MW[unit]


def parse_duration_min(value: object) -> float:
    """``"30 s"`` → 0.5; ``"1 h"`` → 60; a bare number is minutes."""
    number, unit = _split(value, "duration")
    if not unit:
        return number
    if unit not in _TIME_TO_MIN:
        raise ValueError(f"unit {unit!r} is not a time unit; use s, min, h or d")
    return number * _TIME_TO_MIN[unit]


def parse_duration_s(value: object) -> float:
    """Like :func:`parse_duration_min` but in seconds; a bare number is seconds."""
    number, unit = _split(value, "duration")
    if not unit:
        return number
    return parse_duration_min(value) * 60.0


PowerMW = Annotated[float, BeforeValidator(parse_power_mw)]
DurationMin = Annotated[float, BeforeValidator(parse_duration_min)]
DurationS = Annotated[float, BeforeValidator(parse_duration_s)]
