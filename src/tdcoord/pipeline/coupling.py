"""The day's time coupling after a committed plan (shared by the market stages and the event
re-clears)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tdcoord.coordination.intertemporal import TimeCoupling, fleet_energy_limits, time_coupling
from tdcoord.der.base import Flexibility
from tdcoord.simulation.activation import fleet_ids
from tdcoord.types import FloatArray

if TYPE_CHECKING:
    from tdcoord.pipeline.shared import SharedDay


def coupling_after(shared: SharedDay, plan_mw: FloatArray, available: Flexibility) -> TimeCoupling:
    """Energy rows of the storage-like DERs from the state the committed ``plan_mw`` (DERs × T)
    leads to, split weights of the members' ``available`` flexibility (the split of
    :func:`tdcoord.simulation.timeline.der_requests`), the products' minimum duration
    (:mod:`tdcoord.coordination.intertemporal`)."""
    sh = shared
    models = list(sh.day.fleet.models.values())
    limits = fleet_energy_limits(models, plan_mw, sh.day.dt_h)
    o = sh.offers
    return time_coupling(
        sh.members, o.direction, ~o.reactive, available,
        limits, fleet_ids(models), sh.day.dt_h, sh.response.min_duration_intervals,
    )
