"""The ten canonical coordination schemes (design doc table), by name.

``SCHEMES`` maps each canonical name to its pure ``clear(case, **params) -> Outcome``;
:func:`run_scheme` rejects unknown names and parameters before any solver call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.outcome import Outcome
from tdcoord.coordination.schemes import (
    centralized,
    common,
    distributed,
    envelope,
    fragmented,
    integrated,
    local,
    multi_level,
    shared_balancing,
    tso_first_dso_validation,
)

SCHEMES: dict[str, Callable[..., Outcome]] = {
    "centralized": centralized.clear,
    "local": local.clear,
    "shared_balancing": shared_balancing.clear,
    "common": common.clear,
    "integrated": integrated.clear,
    "fragmented": fragmented.clear,
    "multi_level": multi_level.clear,
    "distributed": distributed.clear,
    "envelope": envelope.clear,
    "tso_first_dso_validation": tso_first_dso_validation.clear,
}


def run_scheme(name: str, case: ClearingCase, params: Mapping[str, Any] | None = None) -> Outcome:
    """Run scheme ``name`` on ``case`` with ``params`` (unknown names/keys raise)."""
    if name not in SCHEMES:
        raise CoordinationError(
            f"unknown scheme {name!r}",
            where="scheme",
            fix=f"use one of {', '.join(SCHEMES)}",
        )
    return SCHEMES[name](case, **dict(params or {}))
