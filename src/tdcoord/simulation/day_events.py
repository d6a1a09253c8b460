"""The record of a study day's emergencies for one model (seed 000 §3.3).

Each event of the study's ``compare.events`` (:mod:`tdcoord.simulation.events`) is first
answered by the model itself: its scheme re-clears real time on the changed grid
(:func:`tdcoord.pipeline.events.answer_events`), and what it bought is activated, delivered and
settled with the day. :func:`event_log` then reads the consequences on the model's delivered
operating point:

* ``line_trip`` — DC flows of the delivered transmission dispatch (after the corrective re-clear)
  without the branch (:func:`~tdcoord.simulation.line_trip.trip_lines`): overloads left,
  islands, shedding, state;
* ``feeder_fault`` — the island the model's DSO ran (energy-limited,
  :mod:`tdcoord.simulation.island`) or the section it had to shed;
* ``load_shedding`` — a TSO order through the DSO: what the scheme covered with flexibility, and
  the rest shed by the DSO (:func:`~tdcoord.simulation.tso_orders.shed_load`), never by the TSO;
* ``dso_support`` — a TSO order through the DSO to the feeder's DERs: procured and unmet MWh.

Every event ends in a declared operating state; its energy not served is counted and split into
the exogenous part no model can change and the part coordination changed
(:class:`~tdcoord.simulation.event_log.EventLog`); its messages join the model's log
(:func:`~tdcoord.simulation.records.check_no_bypass` holds).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.simulation.day import Day
from tdcoord.simulation.emergency import State, worst
from tdcoord.simulation.event_log import EVENT_COLUMNS, EventAnswer, EventLog
from tdcoord.simulation.events import (
    DsoSupport,
    Event,
    FeederFault,
    LineTrip,
    LoadShedding,
    check_events,
    parse_events,
)
from tdcoord.simulation.line_trip import trip_lines
from tdcoord.simulation.records import Record, check_no_bypass, dso_actor, record
from tdcoord.simulation.timeline import ModelDay
from tdcoord.simulation.tso_orders import shed_load

__all__ = ["EVENT_COLUMNS", "EventAnswer", "EventLog", "event_log", "load_events"]

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


def _trip_row(day: Day, md: ModelDay, a: EventAnswer) -> tuple[float, State, str, int]:
    """Consequences of a line trip on the model's delivered operating point (after its
    corrective re-clear): shedding, worst state, detail, overloads left."""
    ev = a.event
    assert isinstance(ev, LineTrip)
    tr = day.grid.transmission
    assert tr is not None
    gen, load = _transmission_balance(day, md)
    ts = a.intervals
    res = trip_lines(tr, [ev.branch], gen[:, ts], load[:, ts], convention="matpower")
    n_over = len(res.overloads)
    detail = (
        f"branch {ev.branch} out; {a.note}; corrective {a.corrective_mwh:.3g} MWh; "
        f"{n_over} overloads left"
    )
    return float(res.shed_mw.sum() * day.dt_h), worst(list(res.states)), detail, n_over


def _fault_row(
    day: Day, a: EventAnswer, msgs: list[Record]
) -> tuple[float, State, str]:
    """A feeder fault: the island the model ran (or the section it shed)."""
    ev = a.event
    assert isinstance(ev, FeederFault) and a.island is not None
    isl = a.island
    k = a.intervals.size
    dso = dso_actor(ev.feeder)
    t0 = int(a.intervals[0])
    msgs += [
        record(dso, "tso", "fault_notice", 3, t0),
        record(dso, "tso", "island_status" if isl.formed else "shedding_report", k, t0),
        record(dso, "tso", "restoration_notice", 1, t0 + k),
    ]
    held = isl.formed and isl.held_intervals == k
    state: State = "alert" if held else "emergency"
    what = (
        "islanded (microgrid) for the whole fault" if held
        else f"islanded for {isl.held_intervals} of {k} intervals, then shed" if isl.formed
        else "section shed"
    )
    detail = f"{ev.feeder} branch {ev.branch}: {what} — {isl.reason}; {a.note}"
    return isl.shed_mwh(day.dt_h), state, detail


def _order_messages(
    ev: LoadShedding | DsoSupport, a: EventAnswer, md: ModelDay, stage: str
) -> list[Record]:
    """TSO → DSO order, DSO → aggregator (or DER) activation requests, DSO → TSO report."""
    dso = dso_actor(ev.feeder)
    k, t0 = a.intervals.size, int(a.intervals[0])
    kind = "load_shedding_order" if isinstance(ev, LoadShedding) else "support_request"
    msgs = [record("tso", dso, kind, k, t0)]
    acts = md.outcome.activations
    if len(acts) and "stage" in acts:
        mine = acts[acts["stage"] == stage]
        for agg, part in mine.groupby("aggregator_id", sort=True):
            rcv = f"aggregator:{agg}" if str(agg) else "der:" + str(part["der_id"].iloc[0])
            msgs.append(record(dso, rcv, "activation_request", len(part), t0))
    report = "shedding_report" if isinstance(ev, LoadShedding) else "support_response"
    msgs.append(record(dso, "tso", report, k, t0))
    return msgs


def _order_row(
    day: Day, md: ModelDay, a: EventAnswer, msgs: list[Record]
) -> tuple[float, State, str]:
    """A TSO order through the DSO: what the scheme bought, what the DSO shed."""
    ev = a.event
    assert isinstance(ev, LoadShedding | DsoSupport)
    k = a.intervals.size
    msgs += _order_messages(ev, a, md, f"event:{a.index}:{ev.kind}")
    got = ev.mw * k * day.dt_h - a.unmet_mwh
    if isinstance(ev, DsoSupport):
        state: State = "alert"
        detail = (
            f"TSO asked {ev.mw:g} MW {ev.direction} at {ev.feeder} through its DSO; procured "
            f"{got:.3g} MWh for the TSO, {a.unmet_mwh:.3g} MWh unmet"
        )
        return 0.0, state, detail
    f = _feeder_index(day, ev.feeder)
    load, _ = _node_state(day, md, f)
    left = np.zeros(k) if a.order_left_mw is None else np.asarray(a.order_left_mw)
    res = shed_load(
        day.grid.feeders[f], left, load[:, a.intervals], start_interval=int(a.intervals[0])
    )
    shed = float(res.executed_mw.sum() * day.dt_h)
    detail = (
        f"TSO order {ev.mw:g} MW at {ev.feeder}: {got:.3g} MWh covered by flexibility, "
        f"{shed:.3g} MWh shed by its DSO"
    )
    return shed, worst(list(res.states)) if shed > 0 else "alert", detail


def event_log(
    day: Day, md: ModelDay, answers: Sequence[EventAnswer], *, voll_eur_per_mwh: float
) -> EventLog:
    """The model's record of every event from its answers (module doc): one row per event,
    energy not served split into exogenous and coordination parts."""
    rows: list[dict[str, Any]] = []
    msgs: list[Record] = []
    ens = exo_total = 0.0
    states: list[State] = ["normal"]
    for a in answers:
        n_over = 0
        if isinstance(a.event, LineTrip):
            shed, state, detail, n_over = _trip_row(day, md, a)
        elif isinstance(a.event, FeederFault):
            shed, state, detail = _fault_row(day, a, msgs)
        else:
            shed, state, detail = _order_row(day, md, a, msgs)
        exo = min(a.exogenous_shed_mwh, shed)
        ens += shed
        exo_total += exo
        states.append(state)
        rows.append({
            "stage": "real_time", "interval": int(a.intervals[0]), "event": a.event.kind,
            "detail": detail, "state": state, "shed_mwh": shed, "exogenous_shed_mwh": exo,
            "corrective_mwh": a.corrective_mwh, "corrective_cost_eur": a.corrective_cost_eur,
            "unmet_mwh": a.unmet_mwh, "unresolved_overloads": n_over,
        })
    check_no_bypass(msgs)
    frame = pd.DataFrame(rows, columns=list(EVENT_COLUMNS))
    return EventLog(
        frame, tuple(msgs), ens, worst(states),
        exogenous_energy_not_served_mwh=exo_total,
        exogenous_cost_eur=exo_total * voll_eur_per_mwh,
        corrective_cost_eur=float(sum(a.corrective_cost_eur for a in answers)),
    )
