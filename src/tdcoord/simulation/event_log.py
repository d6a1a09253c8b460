"""What the study's events did to one model's day: the answer of the model to each event and the
log the KPIs and the report read (seed 000 §3.3).

:class:`EventAnswer` is what the model's real-time re-clear did about one event
(:func:`tdcoord.pipeline.events.answer_events`): the corrective MWh it bought, at what cost, the
part of a TSO order or of the event's need it left unmet, and for a feeder fault how long the
island held (:class:`~tdcoord.simulation.island.IslandResult`).

:class:`EventLog` is the model's record of all events: one row per event (:data:`EVENT_COLUMNS`)
and the totals. Energy not served is split in two (issue 12 item 5):

* ``exogenous_energy_not_served_mwh`` — what no model can change: the load of a faulted section
  that no DER could carry whatever had been dispatched before (too little DER power, or no
  grid-forming unit), the part of a load-shedding order beyond all the feeder's flexibility, the
  load of a transmission island beyond the island's generation capacity;
* ``energy_not_served_mwh − exogenous_energy_not_served_mwh`` — what the coordination scheme
  changed (an island that ran out of energy because earlier markets had emptied its batteries,
  a scheme whose DSO may not island, an order the scheme could not answer with flexibility).

``exogenous_cost_eur`` prices the exogenous part at the value of lost load, so the accounting can
report exogenous costs apart from the costs coordination changes.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from tdcoord.coordination.messages import Message
from tdcoord.simulation.emergency import State
from tdcoord.simulation.events import Event
from tdcoord.simulation.island import IslandResult
from tdcoord.simulation.records import Record
from tdcoord.types import FloatArray, IntArray

EVENT_COLUMNS = (
    "stage",
    "interval",
    "event",
    "detail",
    "state",
    "shed_mwh",
    "exogenous_shed_mwh",
    "corrective_mwh",
    "corrective_cost_eur",
    "unmet_mwh",
    "unresolved_overloads",
)


@dataclasses.dataclass(frozen=True, eq=False)
class EventAnswer:
    """The model's real-time answer to one event (arrays over the day's intervals).

    ``corrective_mwh`` is ``Σ |a|·dt`` of the re-clear's activations (and generator redispatch),
    ``corrective_cost_eur`` what its buyers pay; ``unmet_mwh`` the part of the event's need the
    re-clear left to slack (for a TSO order: ordered − procured, ``Σ max(|order| − |got|, 0)·dt``);
    ``island`` the island of a feeder fault (``None`` otherwise); ``order_left_mw`` the part of a
    load-shedding order left to shed after the flexibility the scheme bought (``None`` otherwise).
    """

    index: int
    event: Event
    intervals: IntArray
    corrective_mwh: float
    corrective_cost_eur: float
    unmet_mwh: float
    note: str
    island: IslandResult | None = None
    order_left_mw: FloatArray | None = None
    exogenous_shed_mwh: float = 0.0


@dataclasses.dataclass(frozen=True, eq=False)
class EventLog:
    """What the events did to one model's day (see module doc)."""

    rows: pd.DataFrame
    messages: tuple[Record, ...]
    energy_not_served_mwh: float
    worst_state: State
    exogenous_energy_not_served_mwh: float = 0.0
    exogenous_cost_eur: float = 0.0
    corrective_cost_eur: float = 0.0

    @property
    def coordination_energy_not_served_mwh(self) -> float:
        """Energy not served the coordination scheme changed (total − exogenous)."""
        return self.energy_not_served_mwh - self.exogenous_energy_not_served_mwh

    def as_messages(self) -> list[Message]:
        """The records as message-log entries."""
        return [
            Message(
                sender=str(r["sender"]),
                receiver=str(r["receiver"]),
                kind=str(r["kind"]),
                n_bytes=int(r["n_bytes"]),
                interval=int(r["interval"]),
            )
            for r in self.messages
        ]
