"""The pieces of a model's simulated day: day-ahead market, stage cases, activation requests.

Seed 000 §3 (forecasting, schedule exchange, activation) and seed 001 §IV (activation, monitoring,
settlement). The flow that chains them — day-ahead → intraday → real time, activation,
validation, settlement, KPIs — is :mod:`tdcoord.pipeline`; here are its parts, each pure:

* :func:`day_ahead_market` — the transmission schedule from a DC-OPF on the day-ahead forecast
  (shared by all models): nodal (line limits) for US presets, a copper plate (zonal, no line
  limits) for EU-style presets whose pricing is not nodal, and the demand-weighted system price;
* :func:`clearing_case` — one stage's :class:`~tdcoord.coordination.case.ClearingCase` (the TSO
  need is the mismatch at that stage: net demand − the schedule − what earlier activations added);
* :func:`committed_point` — an operating point with the earlier stages' activations in its
  baseline; :func:`schedule_exchange` — the TSO–DSO schedule messages (seed 000 §3.2);
* :func:`der_requests` — accepted offer steps split to their member DERs pro rata to flexibility;
  :func:`offer_delivery_ratio` — what the DERs delivered, back per offer step;
* :func:`merge_outcomes` — one outcome for the day from the stages' outcomes;
* :class:`ModelDay` — everything one model produced over the day.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.coordination.case import ClearingCase, Penalties
from tdcoord.coordination.injectors import prior_from_activation
from tdcoord.coordination.margins import Margins
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, worst_status
from tdcoord.coordination.validation import ValidationReport
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import ActivationResult
from tdcoord.simulation.day import Day, OperatingPoint
from tdcoord.simulation.event_log import EventLog
from tdcoord.types import FloatArray

#: Stages at which a flexibility market clears, in order.
MARKET_STAGES: tuple[str, ...] = ("day_ahead", "intraday", "real_time")


def schedule_exchange(
    log: MessageLog, day: Day, case: ClearingCase, kind: str, outcome: Outcome | None = None
) -> None:
    """Schedule exchange (seed 000 §3.2): the TSO sends every DSO the scheduled import of its
    feeders (``schedule``); after the day-ahead flexibility market each DSO sends back the
    changed exchange (``schedule_change``)."""
    for f, fd in enumerate(day.grid.feeders):
        dso = f"dso:{fd.id}"
        if outcome is None:
            log.send("tso", dso, kind, case.baseline_import_mw[f].round(6).tolist())
        else:
            log.send(dso, "tso", kind, outcome.interface_mw[f].round(6).tolist())


@dataclasses.dataclass(frozen=True, eq=False)
class DayAheadMarket:
    """The day-ahead energy market's result: generator schedule ``(n_gen, T)`` and the
    demand-weighted system price per interval ``(T,)`` — the reference price of imbalance
    settlement (:mod:`tdcoord.settlement.imbalance_price`); and the nodal LMPs ``(n_bus, T)``,
    the energy price handed to the DSOs at the T–D interfaces where a stage has no
    transmission price of its own (:mod:`tdcoord.coordination.price_table`)."""

    schedule_mw: FloatArray
    price_eur_per_mwh: FloatArray
    lmp_eur_per_mwh: FloatArray | None = None


def day_ahead_market(day: Day, *, nodal: bool) -> DayAheadMarket:
    """Day-ahead energy market on the day-ahead forecast (see module doc, step 1).

    The system price is the LMP weighted by each bus's demand (transmission loads + feeder
    imports): on a copper plate every LMP is the same and this is the zonal price.
    """
    from tdcoord.opf.transmission import solve_dcopf

    tr = day.grid.transmission
    if tr is None:
        return DayAheadMarket(np.zeros((0, day.n_intervals)), np.zeros(day.n_intervals))
    da = day.points["day_ahead"]
    if not nodal:
        # Copper plate: no line limits (an infinite rating).
        tr = dataclasses.replace(
            tr, branches=tr.branches.replace(rating_mva=np.full(len(tr.branches), np.inf))
        )
    with_w = np.zeros((day.n_intervals, tr.n_bus))
    if day.grid.feeders:
        by_f = dict(
            zip(
                day.grid.interfaces.feeder.tolist(),
                day.grid.interfaces.transmission_bus.tolist(),
                strict=True,
            )
        )
        rows = tr.bus_rows(np.array([by_f[f.id] for f in day.grid.feeders], dtype=np.int64))
        np.add.at(with_w.T, rows, da.feeder_import_mw())
    res = solve_dcopf(
        tr,
        convention="matpower",
        load_mw=da.load_mw.T,
        withdrawal_mw=with_w,
        period_hours=day.dt_h,
    )
    demand = with_w.copy()
    if len(tr.loads):
        np.add.at(demand.T, tr.bus_rows(tr.loads.bus), da.load_mw)
    weight = np.maximum(demand, 0.0)
    total = weight.sum(axis=1)
    lmp = res.lmp
    price = np.where(
        total > 0, (lmp * weight).sum(axis=1) / np.where(total > 0, total, 1.0), lmp.mean(axis=1)
    )
    return DayAheadMarket(
        np.asarray(res.dispatch_mw.T, dtype=np.float64),
        np.asarray(price, dtype=np.float64),
        np.asarray(lmp.T, dtype=np.float64),
    )


def day_ahead_schedule(day: Day, *, nodal: bool) -> FloatArray:
    """Transmission generator schedule ``(n_gen, T)`` from the day-ahead energy market."""
    return day_ahead_market(day, nodal=nodal).schedule_mw


def tso_need_mw(point: OperatingPoint, gen_schedule_mw: FloatArray) -> FloatArray:
    """Net demand above the schedule per interval (+: the system is short, needs up)."""
    return np.asarray(point.net_demand_mw() - gen_schedule_mw.sum(axis=0), dtype=np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class GivenNeeds:
    """Needs given by the study instead of derived: TSO ``(T,)``, DSO ``(n_feeder, T)``,
    commercial parties (BRPs) ``(T,)``."""

    tso_mw: FloatArray | None = None
    dso_mw: FloatArray | None = None
    brp_mw: FloatArray | None = None


def clearing_case(  # noqa: PLR0913 (one case field each; all but the first five optional)
    day: Day,
    point: OperatingPoint,
    offers: OfferBook,
    gen_schedule_mw: FloatArray,
    penalties: Penalties,
    needs: GivenNeeds | None = None,
    redispatch_premium_eur_per_mwh: float | None = None,
    monitor_loading: float | None = None,
    margins: Margins | None = None,
    monitor_feeder_loading: float | None = None,
) -> ClearingCase:
    """The clearing case of one stage: the day's grid at operating point ``point``, the offers
    left, the day-ahead schedule (with any redispatch already committed) and the needs (the TSO
    need from :func:`tso_need_mw` unless the study gives it), with the study's security
    ``margins`` (default :class:`Margins`). ``redispatch_premium_eur_per_mwh``: the preset's
    markup on transmission generators' redispatch (``None``: they offer none)."""
    given = needs or GivenNeeds()
    return ClearingCase(
        grid=day.grid,
        dt_h=day.dt_h,
        offers=offers,
        gen_schedule_mw=gen_schedule_mw,
        load_mw=point.load_mw,
        feeder_p_mw=point.feeder_p_mw,
        feeder_q_mvar=point.feeder_q_mvar,
        tso_need_mw=(
            tso_need_mw(point, gen_schedule_mw) if given.tso_mw is None else given.tso_mw
        ),
        penalties=penalties,
        dso_need_mw=given.dso_mw,
        redispatch_premium_eur_per_mwh=redispatch_premium_eur_per_mwh,
        monitor_loading=monitor_loading,
        monitor_feeder_loading=monitor_feeder_loading,
        brp_need_mw=given.brp_mw,
        margins=margins or Margins(),
    )


def committed_point(
    point: OperatingPoint, case: ClearingCase, activation_mw: FloatArray
) -> OperatingPoint:
    """The operating point with the activations of an earlier stage in its baseline."""
    prior = prior_from_activation(case, activation_mw)
    fp = tuple(p - dp for p, dp in zip(point.feeder_p_mw, prior.feeder_p_mw, strict=True))
    fq = tuple(q - dq for q, dq in zip(point.feeder_q_mvar, prior.feeder_q_mvar, strict=True))
    load = point.load_mw
    tr = case.grid.transmission
    if tr is not None and prior.bus_p_mw.any() and len(tr.loads):
        # Transmission-connected activations: carried as negative load at their bus (first load
        # of the bus, or spread evenly when the bus has no load row is not possible: kept at 0).
        load = load.copy()
        l_rows = tr.bus_rows(tr.loads.bus)
        first = {int(b): i for i, b in reversed(list(enumerate(l_rows.tolist())))}
        for b in np.flatnonzero(prior.bus_p_mw.any(axis=1)).tolist():
            if b in first:
                load[first[b]] -= prior.bus_p_mw[b]
    return OperatingPoint(load, fp, fq)


def merge_outcomes(
    case: ClearingCase, stages: Mapping[str, Outcome], activation_mw: FloatArray
) -> Outcome:
    """One outcome for the day: activations of every stage (column ``stage``), summed costs,
    all messages, the last stage's prices and interface flows."""
    frames = [o.activations.assign(stage=s) for s, o in stages.items() if len(o.activations)]
    acts = (
        pd.concat(frames, ignore_index=True)
        if frames
        else next(iter(stages.values())).activations.assign(stage=pd.Series(dtype=object))
    )
    cost: dict[str, float] = {}
    log = MessageLog()
    slacks = []
    for s, o in stages.items():
        for k, v in o.cost_by_buyer_eur.items():
            cost[k] = cost.get(k, 0.0) + v
        log.extend(o.messages)
        if len(o.slacks):
            slacks.append(o.slacks.assign(stage=s))
    last = list(stages.values())[-1]
    first = next(iter(stages.values()))
    from tdcoord.coordination.outcome import interface_after

    return Outcome(
        scheme=last.scheme,
        params=dict(last.params),
        status=worst_status(*(o.status for o in stages.values())),
        activation_mw=activation_mw,
        activations=acts,
        gen_redispatch_mw=np.sum([o.gen_redispatch_mw for o in stages.values()], axis=0),
        interface_mw=interface_after(case, activation_mw),
        interface_schedule_mw=first.interface_schedule_mw,
        lmp_eur_per_mwh=last.lmp_eur_per_mwh,
        dlmp_eur_per_mwh=last.dlmp_eur_per_mwh,
        slacks=pd.concat(slacks, ignore_index=True) if slacks else last.slacks,
        cost_by_buyer_eur=cost,
        messages=log,
        compute_s=float(sum(o.compute_s for o in stages.values())),
        iterations=int(sum(o.iterations for o in stages.values())),
        transmission_redispatch_eur=float(
            sum(o.transmission_redispatch_eur for o in stages.values())
        ),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class ModelDay:
    """Everything one model produced over the day."""

    model_id: str
    scheme: str
    params: dict[str, Any]
    stages: dict[str, Outcome]
    case: ClearingCase
    outcome: Outcome
    delivered_outcome: Outcome
    response: ActivationResult
    validation: ValidationReport
    kpis: dict[str, Any]
    #: What the study's events did (``None`` without events; :mod:`tdcoord.simulation.day_events`).
    events: EventLog | None = None


def offer_members(offers: OfferBook, fleet_ids: tuple[str, ...]) -> sp.csr_matrix:
    """Membership (offer step × DER, fleet order) for offers that name one DER each."""
    pos = {d: i for i, d in enumerate(fleet_ids)}
    rows = np.array([pos.get(d, -1) for d in offers.der_id], dtype=np.int64)
    known = np.flatnonzero(rows >= 0)
    return sp.csr_matrix(
        (np.ones(known.size), (known, rows[known])), shape=(offers.n_offers, len(fleet_ids))
    )


def der_requests(
    offers: OfferBook,
    members: sp.csr_matrix,
    activation_mw: FloatArray,
    up_mw: FloatArray,
    down_mw: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Split offer activations to their member DERs pro rata to the members' flexibility.

    For an up step ``i`` with members ``M_i`` and activation ``a_it``, DER ``j`` is asked
    ``up_jt · a_it / Σ_{k∈M_i} up_kt`` (down steps alike with the down flexibility, negative
    sign); reactive steps carry no active-power request. Returns the signed requests per DER
    ``(n_der, T)`` and the member-flexibility totals of the up and down steps (for the ratio).
    """
    active = ~offers.reactive
    up = sp.diags((active & (offers.direction > 0)).astype(np.float64)) @ members
    dn = sp.diags((active & (offers.direction < 0)).astype(np.float64)) @ members
    tot_up = np.asarray(up @ up_mw)
    tot_dn = np.asarray(dn @ down_mw)
    with np.errstate(divide="ignore", invalid="ignore"):
        share_up = np.where(tot_up > 1e-12, activation_mw / tot_up, 0.0)
        share_dn = np.where(tot_dn > 1e-12, activation_mw / tot_dn, 0.0)
    req = up_mw * np.asarray(up.T @ share_up) - down_mw * np.asarray(dn.T @ share_dn)
    return np.asarray(req), tot_up, tot_dn


def offer_delivery_ratio(
    offers: OfferBook,
    members: sp.csr_matrix,
    response: ActivationResult,
) -> FloatArray:
    """Delivered / requested per offer step and interval (1 where nothing was requested),
    from each member DER's own delivered / requested ratio weighted by its request."""
    req = response.requested_mw
    ratio = np.ones_like(req)
    asked = np.abs(req) > 1e-12
    ratio[asked] = np.clip(response.delivered_mw[asked] / req[asked], 0.0, 1.0)
    weight = np.abs(req)
    num = np.asarray(members @ (weight * ratio))
    den = np.asarray(members @ weight)
    return np.where(den > 1e-12, num / np.where(den > 1e-12, den, 1.0), 1.0)
