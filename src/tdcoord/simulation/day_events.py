"""Emergencies of a study day, applied to each model's real-time outcome (seed 000 §3.3).

The study's ``compare.events`` (:mod:`tdcoord.simulation.events`) happen on the operating point a
model leaves after real time — so a model that relieved its feeders better rides through a fault
with less load shed. Per event:

* ``line_trip`` — DC flows of the post-clearing transmission dispatch without the branch
  (:func:`~tdcoord.simulation.line_trip.trip_lines`): overloads, islands, shedding, state.
* ``feeder_fault`` — the DSO isolates the section below the faulted branch and runs it as a
  microgrid island if its DERs can carry it, otherwise sheds it
  (:func:`~tdcoord.simulation.feeder_fault.isolate_fault`).
* ``load_shedding`` — a TSO order executed by the DSO of the feeder
  (:func:`~tdcoord.simulation.tso_orders.shed_load`), never by the TSO directly.
* ``dso_support`` — a TSO request routed through the DSO to the feeder's DERs
  (:func:`~tdcoord.simulation.tso_orders.request_support`).

Every event ends in a declared operating state, its energy not served is counted, and its
messages join the model's log (:func:`~tdcoord.simulation.records.check_no_bypass` holds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.coordination.messages import Message
from tdcoord.simulation.day import Day
from tdcoord.simulation.emergency import State, worst
from tdcoord.simulation.events import (
    DsoSupport,
    Event,
    FeederFault,
    LineTrip,
    LoadShedding,
    check_events,
    parse_events,
)
from tdcoord.simulation.feeder_fault import FaultArea, isolate_fault
from tdcoord.simulation.line_trip import trip_lines
from tdcoord.simulation.records import Record, check_no_bypass
from tdcoord.simulation.timeline import ModelDay
from tdcoord.simulation.tso_orders import SupportArea, request_support, shed_load

EVENT_COLUMNS = ("stage", "interval", "event", "detail", "state", "shed_mwh")


@dataclasses.dataclass(frozen=True, eq=False)
class EventLog:
    """What the events did to one model's day."""

    rows: pd.DataFrame
    messages: tuple[Record, ...]
    energy_not_served_mwh: float
    worst_state: State

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


def load_events(data: Sequence[Any], day: Day) -> list[Event]:
    """Validate the study's events against the grid and the day."""
    events = parse_events(list(data))
    check_events(events, day.grid, day.n_intervals)
    return events


def _feeder_index(day: Day, feeder_id: str) -> int:
    return [f.id for f in day.grid.feeders].index(feeder_id)


def _node_state(day: Day, md: ModelDay, f: int) -> tuple[Any, Any]:
    """Load (≥ 0) and local generation per node row after the model's delivered activations."""
    from tdcoord.coordination.injectors import prior_from_activation

    prior = prior_from_activation(md.case, md.delivered_outcome.activation_mw)
    net = md.case.feeder_p_mw[f] - prior.feeder_p_mw[f]
    return np.maximum(net, 0.0), np.maximum(-net, 0.0)


def _transmission_balance(day: Day, md: ModelDay) -> tuple[Any, Any]:
    """Generation and load per bus row × T after clearing, balanced at the largest generator."""
    tr = day.grid.transmission
    assert tr is not None
    T = day.n_intervals
    gen = np.zeros((tr.n_bus, T))
    np.add.at(gen, tr.bus_rows(tr.generators.bus), md.case.gen_schedule_mw)
    np.add.at(gen, tr.bus_rows(tr.generators.bus), md.delivered_outcome.gen_redispatch_mw)
    load = np.zeros((tr.n_bus, T))
    np.add.at(load, tr.bus_rows(tr.loads.bus), md.case.load_mw)
    np.add.at(load, md.case.interface_bus_row, md.delivered_outcome.interface_mw)
    big = int(np.argmax(np.bincount(tr.bus_rows(tr.generators.bus), tr.generators.p_max_mw,
                                    minlength=tr.n_bus)))
    gen[big] += load.sum(axis=0) - gen.sum(axis=0)
    return gen, load


def apply_events(day: Day, md: ModelDay, events: Sequence[Event]) -> EventLog:
    """Apply every event to the model's real-time operating point (see module doc)."""
    rows: list[dict[str, Any]] = []
    msgs: list[Record] = []
    ens = 0.0
    states: list[State] = ["normal"]
    dt = day.dt_h
    for ev in events:
        ts = np.asarray(list(ev.intervals(day.n_intervals)), dtype=np.int64)
        if isinstance(ev, LineTrip):
            tr = day.grid.transmission
            assert tr is not None
            gen, load = _transmission_balance(day, md)
            res = trip_lines(tr, [ev.branch], gen[:, ts], load[:, ts], convention="matpower")
            shed = float(res.shed_mw.sum() * dt)
            state = worst(list(res.states))
            detail = f"branch {ev.branch} out; {len(res.overloads)} overloads"
        elif isinstance(ev, FeederFault):
            f = _feeder_index(day, ev.feeder)
            fd = day.grid.feeders[f]
            load, gen = _node_state(day, md, f)
            flex = day.flexibility
            node_m = day.fleet.node_matrix(f, fd.n_node)
            fault_area = FaultArea(
                load[:, ts], gen[:, ts],
                np.asarray(node_m @ flex.up_mw)[:, ts], np.asarray(node_m @ flex.down_mw)[:, ts],
            )
            fault = isolate_fault(fd, ev.branch, fault_area, dt_h=dt, start_interval=int(ts[0]))
            shed = float(fault.shed_mw.sum() * dt)
            state = fault.state_after if fault.islanded else worst(list(fault.states))
            msgs += list(fault.messages)
            detail = f"{ev.feeder} branch {ev.branch}: " + (
                "islanded (microgrid)" if fault.islanded else "section shed"
            ) + f" — {fault.reason}"
        elif isinstance(ev, LoadShedding):
            f = _feeder_index(day, ev.feeder)
            load, _ = _node_state(day, md, f)
            res_s = shed_load(
                day.grid.feeders[f], np.full(ts.size, ev.mw), load[:, ts],
                start_interval=int(ts[0]),
            )
            shed = float(res_s.executed_mw.sum() * dt)
            state = worst(list(res_s.states))
            msgs += list(res_s.messages)
            detail = f"TSO order {ev.mw:g} MW at {ev.feeder}, executed by its DSO"
        else:
            assert isinstance(ev, DsoSupport)
            f = _feeder_index(day, ev.feeder)
            fleet = day.fleet
            sel = np.flatnonzero(fleet.feeder == f)
            flex = day.flexibility
            ders = [str(d) for d in fleet.der_id[sel]]
            support_area = SupportArea(ders, flex.up_mw[sel][:, ts], flex.down_mw[sel][:, ts])
            sup = request_support(
                ev.feeder, np.full(ts.size, ev.mw), ev.direction, support_area,
                start_interval=int(ts[0]),
            )
            shed = 0.0
            state = "alert" if float(sup.granted_mw.sum()) > 0 else "normal"
            msgs += list(sup.messages)
            detail = (
                f"TSO asked {ev.mw:g} MW {ev.direction} at {ev.feeder}; granted "
                f"{float(sup.granted_mw.sum()):.3g} MW·intervals through the DSO"
            )
        ens += shed
        states.append(state)
        rows.append({"stage": "real_time", "interval": int(ts[0]), "event": ev.kind,
                     "detail": detail, "state": state, "shed_mwh": shed})
    check_no_bypass(msgs)
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    return EventLog(frame, tuple(msgs), ens, worst(states))
