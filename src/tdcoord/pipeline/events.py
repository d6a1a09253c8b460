"""Emergencies answered by the model: the real-time stage re-cleared on the changed grid under
the model's own scheme (seed 000 §3.3; issue 12 item 5).

After the three market stages (:func:`tdcoord.pipeline.day.run_model_day`) every study event is
answered, in the study's order, by one more real-time clearing of the model's scheme
(:func:`tdcoord.coordination.schemes.run_scheme`) over the event's intervals only
(:func:`window_case`). The case is the real-time case with everything the model committed so far
in its baseline (the offers left rescaled to the DERs' state under the plan,
:mod:`tdcoord.simulation.residual`) and the day's energy rows after that plan on the window
(:func:`tdcoord.coordination.window_coupling.window_coupling`: deliverable in the window, and
leaving the rest of the plan deliverable), changed as the event changes the system:

``line_trip``
    The branch leaves the transmission grid, so the PTDF of every transmission view changes;
    the TSO need is only the congestion of the changed grid (the imbalance was settled in real
    time). Whoever the scheme lets act buys corrective flexibility or redispatch.
``feeder_fault``
    The faulted section is cut off: its withdrawal leaves the feeder, its offers leave the book
    (its DERs serve the island or trip), and the TSO must balance the lost import
    (need :math:`-\\sum_{j \\in S} w_{jt}`). The section then runs as an energy-limited island
    (:mod:`tdcoord.simulation.island`) — only in models whose DSO controls its DERs
    (:data:`ISLANDING_SCHEMES`); elsewhere anti-islanding trips them and the section is shed.
``dso_support`` / ``load_shedding``
    A TSO order passed through the DSO: the TSO need of the window is the order (+mw for up and
    for shedding, −mw for down) and only the DERs below the ordered feeder may answer it (the
    other feeders' offers and generator redispatch leave the window's book). The scheme procures
    it as it lets the TSO reach those DERs — through the DSO's interface offer, on a common
    platform, or directly where the DSO is passive — within the DSO's grid limits where the scheme
    models them. What it buys is bought for the TSO (buyer ``tso``), activated in the plan,
    delivered through :mod:`tdcoord.simulation.activation` and settled. What a shedding order
    could not cover with flexibility is shed by the DSO.

The accepted offers join the plan like any stage's
(:func:`tdcoord.simulation.timeline.der_requests`), so they are activated, delivered and settled
with the day.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.outcome import Outcome, interface_after
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.window_coupling import window_coupling
from tdcoord.der.base import Flexibility
from tdcoord.grid.model import GridModel
from tdcoord.pipeline.coupling import coupling_after
from tdcoord.simulation.event_log import EventAnswer
from tdcoord.simulation.events import DsoSupport, Event, FeederFault, LineTrip, LoadShedding
from tdcoord.simulation.feeder_fault import downstream_nodes
from tdcoord.simulation.island import (
    IslandResult,
    hold_island,
    walk_island,
)
from tdcoord.simulation.island import unavoidable_shed_mw as island_unavoidable_mw
from tdcoord.simulation.line_trip import splits_grid, without_branch
from tdcoord.simulation.line_trip import unavoidable_shed_mw as trip_unavoidable_mw
from tdcoord.simulation.residual import rescaled_quantities, residual_flexibility
from tdcoord.simulation.timeline import clearing_case, committed_point, der_requests
from tdcoord.types import FloatArray, IntArray

if TYPE_CHECKING:
    from tdcoord.coordination.catalogue import ModelEntry
    from tdcoord.pipeline.shared import SharedDay

#: An order's shortfall at or below this (MW) is the clearing's rounding, not load to shed.
ORDER_TOL_MW = 1e-9

#: Schemes whose DSO dispatches the DERs of its network and so may run a faulted section as a
#: microgrid island. In ``centralized`` and ``tso_first_dso_validation`` the TSO (or a platform)
#: dispatches DERs and the DSO at most limits or vetoes: anti-islanding (IEEE 1547) trips them.
ISLANDING_SCHEMES = frozenset(
    {"local", "shared_balancing", "common", "integrated", "fragmented", "multi_level",
     "distributed", "envelope"}
)


def dso_may_island(scheme: str) -> bool:
    """Whether the DSO of ``scheme`` may run a faulted section as an island (see above)."""
    return scheme in ISLANDING_SCHEMES


@dataclasses.dataclass(frozen=True, eq=False)
class EventClearing:
    """The events' re-clears of one model: outcomes on the whole day (by stage name
    ``event:<k>:<kind>``), the answers, and the plan and committed offers after them."""

    outcomes: dict[str, Outcome]
    answers: tuple[EventAnswer, ...]
    done_mw: FloatArray
    plan_mw: FloatArray


def window_case(case: ClearingCase, intervals: IntArray, **changes: Any) -> ClearingCase:
    """``case`` restricted to ``intervals`` (every per-interval array sliced), with ``changes``
    (already on the window) replacing fields."""
    ts = np.asarray(intervals, dtype=np.int64)
    T = case.n_periods
    o = case.offers
    offers = dataclasses.replace(
        o, quantity_mw=o.quantity_mw[:, ts], price_eur_per_mwh=o.price_eur_per_mwh[:, ts]
    )
    fields: dict[str, Any] = {"offers": offers}
    for f in dataclasses.fields(case):
        v = getattr(case, f.name)
        if f.name in changes or f.name == "offers":
            continue
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[-1] == T:
            fields[f.name] = v[..., ts]
        elif isinstance(v, tuple) and v and all(isinstance(a, np.ndarray) for a in v):
            fields[f.name] = tuple(a[..., ts] for a in v)
    fields.update(changes)
    return dataclasses.replace(case, **fields)


def _on_day(full: ClearingCase, w: Outcome, ts: IntArray) -> Outcome:
    """A window outcome spread onto the whole day (zeros outside the window)."""
    T = full.n_periods

    def spread(a: FloatArray) -> FloatArray:
        out = np.zeros((*a.shape[:-1], T))
        out[..., ts] = a
        return out

    act = spread(w.activation_mw)
    acts = w.activations.copy()
    if len(acts):
        acts["interval"] = ts[acts["interval"].to_numpy(dtype=np.int64)]
    slacks = w.slacks.copy()
    if len(slacks):
        slacks["interval"] = ts[slacks["interval"].to_numpy(dtype=np.int64)]
    return dataclasses.replace(
        w, activation_mw=act, activations=acts, gen_redispatch_mw=spread(w.gen_redispatch_mw),
        interface_mw=interface_after(full, act),
        interface_schedule_mw=spread(w.interface_schedule_mw), lmp_eur_per_mwh=None,
        dlmp_eur_per_mwh=tuple(None for _ in w.dlmp_eur_per_mwh), slacks=slacks,
    )


def _bought_for_tso(w: Outcome, dso: str) -> Outcome:
    """An order passed through the DSO is bought for the TSO: ``dso`` rows become ``tso``."""
    acts = w.activations.copy()
    if len(acts):
        acts.loc[acts["buyer"] == dso, "buyer"] = "tso"
    cost = dict(w.cost_by_buyer_eur)
    if dso in cost:
        cost["tso"] = cost.get("tso", 0.0) + cost.pop(dso)
    return dataclasses.replace(w, activations=acts, cost_by_buyer_eur=cost)


def realtime_case(
    sh: SharedDay,
    done_mw: FloatArray,
    residual: Flexibility,
    redispatch_mw: FloatArray | None = None,
) -> ClearingCase:
    """The real-time case with everything committed so far in its baseline: the DERs' accepted
    steps ``done_mw`` and the transmission generators' redispatch ``redispatch_mw`` (n_gen, T),
    around which they offer more at the preset's markup
    (``SharedDay.redispatch_markup_eur_per_mwh``)."""
    day, offers, markup = sh.day, sh.offers, sh.redispatch_markup_eur_per_mwh
    schedule = sh.market.schedule_mw
    base = clearing_case(
        day, day.actual, offers, schedule, sh.penalties, sh.needs, markup,
        monitor_loading=sh.spec.monitor_loading,
        monitor_feeder_loading=sh.spec.monitor_feeder_loading, margins=sh.margins,
    )
    point = committed_point(day.points["real_time"], base, done_mw)
    left = np.maximum(offers.quantity_mw - done_mw, 0.0)
    left = rescaled_quantities(offers, sh.members, left, day.flexibility, residual)
    if redispatch_mw is not None:
        schedule = schedule + redispatch_mw
    return clearing_case(
        day, point, offers.with_quantity(left), schedule, sh.penalties, sh.needs, markup,
        monitor_loading=sh.spec.monitor_loading,
        monitor_feeder_loading=sh.spec.monitor_feeder_loading,
        margins=sh.margins,
    )


def _tripped_grid(grid: GridModel, branch: int) -> tuple[GridModel, str]:
    tr = grid.transmission
    assert tr is not None
    if splits_grid(tr, [branch]):
        return grid, (
            f"branch {branch} splits the grid: its islands are balanced by shedding or "
            "curtailment, the re-clear keeps the intact grid"
        )
    changed = dataclasses.replace(grid, transmission=without_branch(tr, branch))
    return changed, f"re-cleared without branch {branch}"


def _feeder_row(grid: GridModel, feeder_id: str) -> int:
    return [fd.id for fd in grid.feeders].index(feeder_id)


def event_window(
    sh: SharedDay, case: ClearingCase, ev: Event, ts: IntArray
) -> tuple[ClearingCase, str]:
    """The window case of ``ev`` on the changed system (module doc) and a note."""
    k, nf = ts.size, case.n_feeders
    quiet: dict[str, Any] = {"tso_need_mw": np.zeros(k), "dso_need_mw": np.zeros((nf, k))}
    if isinstance(ev, LineTrip):
        grid, note = _tripped_grid(case.grid, ev.branch)
        return window_case(case, ts, grid=grid, **quiet), note
    f = _feeder_row(case.grid, ev.feeder)
    if isinstance(ev, FeederFault):
        section = downstream_nodes(case.grid.feeders[f], ev.branch)
        fp = [a[:, ts].copy() for a in case.feeder_p_mw]
        fq = [a[:, ts].copy() for a in case.feeder_q_mvar]
        lost = fp[f][section].sum(axis=0)
        fp[f][section] = 0.0
        fq[f][section] = 0.0
        o = case.offers
        cut = (o.feeder == f) & section[np.clip(o.node, 0, section.size - 1)]
        q = o.quantity_mw[:, ts].copy()
        q[cut] = 0.0
        wc = window_case(
            case, ts, feeder_p_mw=tuple(fp), feeder_q_mvar=tuple(fq), tso_need_mw=-lost,
            dso_need_mw=np.zeros((nf, k)),
        )
        return dataclasses.replace(wc, offers=wc.offers.with_quantity(q)), (
            f"section below branch {ev.branch} cut off; the TSO balances {lost.sum():.3g} "
            "MW·intervals of lost import"
        )
    sign = -1.0 if isinstance(ev, DsoSupport) and ev.direction == "down" else 1.0
    quiet["tso_need_mw"] = np.full(k, sign * ev.mw)
    if getattr(case, "redispatch_premium_eur_per_mwh", None) is not None:
        quiet["redispatch_premium_eur_per_mwh"] = None  # only the feeder's DERs can answer
    wc = window_case(case, ts, **quiet)
    q = np.where((wc.offers.feeder == f)[:, None], wc.offers.quantity_mw, 0.0)
    return dataclasses.replace(wc, offers=wc.offers.with_quantity(q)), (
        f"TSO order passed to {case.feeder_label(f)}"
    )


def _order_got_mw(w: Outcome, case: ClearingCase, f: int, sign: float) -> FloatArray:
    """What the window clearing procured in feeder ``f`` in the order's direction (k,)."""
    o = case.offers
    rows = (o.feeder == f) & (o.direction == sign) & ~o.reactive
    return np.asarray(w.activation_mw[rows].sum(axis=0), dtype=np.float64)


def _answer(
    sh: SharedDay, case: ClearingCase, ev: Event, ts: IntArray, w: Outcome
) -> tuple[float, FloatArray | None]:
    """Unmet MWh of the event and, for a shedding order, the MW left to shed (k,)."""
    dt = sh.day.dt_h
    if isinstance(ev, DsoSupport | LoadShedding):
        f = _feeder_row(case.grid, ev.feeder)
        sign = -1.0 if isinstance(ev, DsoSupport) and ev.direction == "down" else 1.0
        left = np.maximum(ev.mw - _order_got_mw(w, case, f, sign), 0.0)
        left[left <= ORDER_TOL_MW] = 0.0  # the LP's rounding is not a shortfall
        return float(left.sum() * dt), left if isinstance(ev, LoadShedding) else None
    slack = w.slacks
    unmet = float(slack["value"].abs().sum() * dt) if len(slack) else 0.0
    return unmet, None


def answer_events(
    sh: SharedDay,
    entry: ModelEntry,
    done_mw: FloatArray,
    plan_mw: FloatArray,
    redispatch_mw: FloatArray | None = None,
) -> EventClearing:
    """Re-clear real time for every study event under ``entry``'s scheme (module doc);
    ``redispatch_mw``: the generators' redispatch the day's stages committed (n_gen, T)."""
    day = sh.day
    models = list(day.fleet.models.values())
    done, plan = done_mw.copy(), plan_mw.copy()
    outcomes: dict[str, Outcome] = {}
    answers: list[EventAnswer] = []
    for k, ev in enumerate(sh.events):
        ts = np.asarray(list(ev.intervals(day.n_intervals)), dtype=np.int64)
        residual = residual_flexibility(models, plan, day.dt_h, response=sh.response)
        case = realtime_case(sh, done, residual, redispatch_mw)
        wcase, note = event_window(sh, case, ev, ts)
        # the day's energy rows after the plan so far, on the window (and protecting the rest)
        if sh.spec.time_coupling:
            wcase = dataclasses.replace(
                wcase, time_coupling=window_coupling(coupling_after(sh, plan, residual), ts)
            )
        w = run_scheme(entry.scheme, wcase, entry.params.as_dict())
        if isinstance(ev, DsoSupport | LoadShedding):
            w = _bought_for_tso(w, wcase.feeder_label(_feeder_row(day.grid, ev.feeder)))
        unmet, left = _answer(sh, wcase, ev, ts, w)
        full = _on_day(case, w, ts)
        req, _, _ = der_requests(sh.offers, sh.members, full.activation_mw, residual.up_mw,
                                 residual.down_mw)
        plan = plan + req
        done = np.minimum(done + full.activation_mw, sh.offers.quantity_mw)
        island = None
        if isinstance(ev, FeederFault):
            island = fault_island(sh, entry.scheme, ev, ts, plan)
        exo = float(exogenous_shed_mw(sh, ev, ts).sum() * day.dt_h)
        outcomes[f"event:{k}:{ev.kind}"] = full
        corrective = (np.abs(w.activation_mw).sum() + np.abs(w.gen_redispatch_mw).sum()) * day.dt_h
        answers.append(EventAnswer(
            index=k, event=ev, intervals=ts, corrective_mwh=float(corrective),
            corrective_cost_eur=w.procurement_cost_eur, unmet_mwh=unmet, note=note,
            island=island, order_left_mw=left, exogenous_shed_mwh=exo,
        ))
    return EventClearing(outcomes, tuple(answers), done, plan)


def fault_island(
    sh: SharedDay, scheme: str, ev: FeederFault, ts: IntArray, plan_mw: FloatArray
) -> IslandResult:
    """The faulted section as an energy-limited island from the DERs' state under the plan
    (:mod:`tdcoord.simulation.island`), or shed where the scheme's DSO may not island."""
    day = sh.day
    f, section, rows = _section(sh, ev)
    need = day.points["real_time"].feeder_p_mw[f][section][:, ts].sum(axis=0)
    load = _gross_load_mw(sh, f)[section][:, ts].sum(axis=0)
    if not dso_may_island(scheme):
        return hold_island(need, np.zeros_like(need), load, formed=False, reason=(
            f"the {scheme} scheme gives the DSO no control of the section's DERs: "
            "anti-islanding trips them (IEEE 1547), the section is shed"))
    flex = day.flexibility
    if not rows.size or float((flex.up_mw[rows] + flex.down_mw[rows])[:, ts[0]].sum()) <= 0.0:
        return hold_island(need, np.zeros_like(need), load, formed=False,
                           reason="no grid-forming unit in the section")
    got = walk_island(list(day.fleet.models.values()), plan_mw, rows, ts, need, day.dt_h)
    return hold_island(need, got, load, formed=True,
                       reason="the DSO runs the section as a microgrid island")


def _section(sh: SharedDay, ev: FeederFault) -> tuple[int, Any, IntArray]:
    """Feeder row, section mask (node rows) and the section's DER rows (fleet order)."""
    day = sh.day
    f = _feeder_row(day.grid, ev.feeder)
    fd = day.grid.feeders[f]
    section = downstream_nodes(fd, ev.branch)
    fleet = day.fleet
    rows = np.flatnonzero((fleet.feeder == f) & section[np.clip(fleet.node, 0, fd.n_node - 1)])
    return f, section, rows


def _gross_load_mw(sh: SharedDay, f: int) -> FloatArray:
    """Gross load per node row of feeder ``f`` in real time: net withdrawal + DER baseline."""
    day = sh.day
    node_m = day.fleet.node_matrix(f, day.grid.feeders[f].n_node)
    return np.asarray(
        day.points["real_time"].feeder_p_mw[f] + np.asarray(node_m @ day.der_baseline_mw)
    )


def exogenous_shed_mw(sh: SharedDay, ev: Event, ts: IntArray) -> FloatArray:
    """Load of the event no model can serve, per event interval (k,) — the same in every model:
    computed from the real-time point before any market and the DERs' full flexibility
    (:func:`tdcoord.simulation.island.unavoidable_shed_mw`,
    :func:`tdcoord.simulation.line_trip.unavoidable_shed_mw`; for a shedding order the part
    beyond all the feeder's up flexibility, ``max(mw − Σ_i u_it, 0)``)."""
    day = sh.day
    flex = day.flexibility
    rt = day.points["real_time"]
    if isinstance(ev, LineTrip):
        tr = day.grid.transmission
        assert tr is not None
        load = np.zeros((tr.n_bus, ts.size))
        np.add.at(load, tr.bus_rows(tr.loads.bus), rt.load_mw[:, ts])
        if day.grid.feeders:
            rows = tr.bus_rows(np.asarray([
                dict(zip(day.grid.interfaces.feeder.tolist(),
                         day.grid.interfaces.transmission_bus.tolist(), strict=True))[fd.id]
                for fd in day.grid.feeders], dtype=np.int64))
            np.add.at(load, rows, rt.feeder_import_mw()[:, ts])
        return np.asarray(
            trip_unavoidable_mw(tr, [ev.branch], np.maximum(load, 0.0)).sum(axis=0)
        )
    if isinstance(ev, DsoSupport):
        return np.zeros(ts.size)
    if isinstance(ev, LoadShedding):
        f = _feeder_row(day.grid, ev.feeder)
        up = flex.up_mw[day.fleet.feeder == f][:, ts].sum(axis=0)
        load = np.maximum(_gross_load_mw(sh, f)[:, ts], 0.0).sum(axis=0)
        return np.asarray(np.minimum(np.maximum(ev.mw - up, 0.0), load))
    assert isinstance(ev, FeederFault)
    f, section, rows = _section(sh, ev)
    need = rt.feeder_p_mw[f][section][:, ts].sum(axis=0)
    up, down = flex.up_mw[rows][:, ts], flex.down_mw[rows][:, ts]
    load = _gross_load_mw(sh, f)[section][:, ts].sum(axis=0)
    gf = bool(rows.size) and float((up + down)[:, 0].sum()) > 0.0
    return island_unavoidable_mw(need, up.sum(axis=0), down.sum(axis=0), load, grid_forming=gf)


def with_events(stages: Mapping[str, Outcome], events: Mapping[str, Outcome]) -> dict[str, Outcome]:
    """Stage outcomes with the events' re-clears before the last stage (whose prices and
    scheme the merged outcome keeps)."""
    names = list(stages)
    out = {n: stages[n] for n in names[:-1]}
    out.update(events)
    out[names[-1]] = stages[names[-1]]
    return out
