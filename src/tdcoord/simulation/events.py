"""Emergency events as study data (the ``events:`` list of a study file).

```yaml
events:
  - {kind: line_trip, branch: 7, interval: 40}                          # transmission branch id
  - {kind: feeder_fault, feeder: "mv_1", branch: 3, interval: 60, duration: 8}  # feeder branch id
  - {kind: load_shedding, feeder: "mv_1", mw: 2.5, interval: 70, duration: 4}   # TSO order
  - {kind: dso_support, feeder: "mv_1", mw: 1.0, direction: up, interval: 72}  # TSO → DSO request
```

``interval`` is the first affected interval of the study day, ``duration`` the number of
intervals (``None`` for a line trip: until the end of the day). ``direction: up`` asks the DSO to
raise the feeder's net injection (reduce load or raise generation, i.e. lower the interface
import); ``down`` to lower it (curtail generation). Seed 000 §3.3: "The TSO may need support from
the DSO to reduce or curtail loads or generation connected to the distribution network";
"the DSO may have local issues (e.g. line faults) that may be relevant to communicate to the TSO".
:func:`check_events` checks every reference against the grid before anything runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from tdcoord.grid.model import GridModel
from tdcoord.simulation.errors import SimulationError


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: int = Field(ge=0)
    duration: int | None = Field(default=1, ge=1)

    def intervals(self, n_intervals: int) -> range:
        """Affected intervals, clipped to the study day."""
        end = (
            n_intervals
            if self.duration is None
            else min(n_intervals, self.interval + self.duration)
        )
        return range(self.interval, end)


class LineTrip(_Event):
    """A transmission branch (by id) trips; ``duration: null`` = out for the rest of the day."""

    kind: Literal["line_trip"] = "line_trip"
    branch: int
    duration: int | None = Field(default=None, ge=1)


class FeederFault(_Event):
    """A fault on a feeder branch (by id); the DSO isolates everything downstream of it."""

    kind: Literal["feeder_fault"] = "feeder_fault"
    feeder: str
    branch: int


class LoadShedding(_Event):
    """A TSO order to shed ``mw`` of load below the feeder's interface (executed by the DSO)."""

    kind: Literal["load_shedding"] = "load_shedding"
    feeder: str
    mw: float = Field(gt=0)


class DsoSupport(_Event):
    """A TSO request to the DSO for ``mw`` of support at the feeder's interface."""

    kind: Literal["dso_support"] = "dso_support"
    feeder: str
    mw: float = Field(gt=0)
    direction: Literal["up", "down"] = "up"


Event = Annotated[LineTrip | FeederFault | LoadShedding | DsoSupport, Field(discriminator="kind")]
_EVENTS = TypeAdapter(list[Event])
EVENT_KINDS = ("line_trip", "feeder_fault", "load_shedding", "dso_support")


def parse_events(data: object) -> list[Event]:
    """Validate the ``events:`` list of a study file."""
    try:
        return _EVENTS.validate_python(data if data is not None else [])
    except ValidationError as err:
        e = err.errors()[0]
        loc = ".".join(str(x) for x in e["loc"])
        raise SimulationError(
            f"invalid event at events.{loc}: {e['msg']}",
            where=f"events.{loc}",
            fix=f"each event needs kind (one of {', '.join(EVENT_KINDS)}), interval and the "
            "keys of its kind (see docs/simulation.md)",
        ) from err


def check_events(events: Sequence[Event], grid: GridModel, n_intervals: int) -> None:
    """Every branch and feeder an event names exists; every event starts inside the day."""
    feeders = grid.feeder_by_id
    for i, ev in enumerate(events):
        where = f"events[{i}] ({ev.kind})"
        if ev.interval >= n_intervals:
            raise SimulationError(
                f"interval {ev.interval} is after the study day (0..{n_intervals - 1})",
                where=where,
                fix="give an interval inside the day",
            )
        if isinstance(ev, LineTrip):
            tr = grid.transmission
            known = [] if tr is None else tr.branches.id.tolist()
            if ev.branch not in known:
                raise SimulationError(
                    f"unknown transmission branch id {ev.branch}",
                    where=where,
                    fix=f"use a branch id of the transmission grid (e.g. {known[:5]})"
                    if known
                    else "the grid has no transmission part; use a feeder_fault",
                )
            continue
        if ev.feeder not in feeders:
            raise SimulationError(
                f"unknown feeder {ev.feeder!r}",
                where=where,
                fix=f"use one of {sorted(feeders)[:5]}",
            )
        if isinstance(ev, FeederFault):
            ids = feeders[ev.feeder].branches.id.tolist()
            if ev.branch not in ids:
                raise SimulationError(
                    f"unknown branch id {ev.branch} in feeder {ev.feeder!r}",
                    where=where,
                    fix=f"use a branch id of that feeder (e.g. {ids[:5]})",
                )
