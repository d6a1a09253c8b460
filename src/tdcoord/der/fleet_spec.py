"""Build the fleet of a study's ``fleet:`` section (:func:`build_fleet`).

The section itself (:class:`~tdcoord.study.schema.FleetSpec`, the share presets ``PHASES`` and
``CUSTOMER_TYPES``) is part of the one study schema, :mod:`tdcoord.study.schema`; the names are
re-exported here for existing imports. Builders: :mod:`tdcoord.der.fleet_penetration` (share
presets of seed 000 §1, "a phased approach") and :mod:`tdcoord.der.fleet_simbench`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tdcoord.study.schema import CUSTOMER_TYPES, PHASES, FleetSpec

if TYPE_CHECKING:
    from tdcoord.der.fleet import Fleet
    from tdcoord.grid.model import GridModel

__all__ = ["CUSTOMER_TYPES", "PHASES", "FleetSpec", "build_fleet"]


def build_fleet(grid: GridModel, spec: FleetSpec | None = None) -> Fleet:
    """Build the fleet of ``spec`` (default spec when ``None``) on ``grid``."""
    from tdcoord.der.fleet_penetration import penetration_fleet
    from tdcoord.der.fleet_simbench import simbench_fleet

    spec = spec if spec is not None else FleetSpec()
    if spec.builder == "simbench":
        return simbench_fleet(grid, spec)
    return penetration_fleet(grid, spec)
