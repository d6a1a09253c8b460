"""One coordination model through a simulated day: day-ahead → real time → activation → settlement.

Seed 000 §3 (forecasting, schedule exchange, activation) and seed 001 §IV (activation, monitoring,
settlement) as one chain, the same for every model compared:

1. **Day-ahead energy** (shared by all models, :func:`day_ahead_schedule`): the transmission
   schedule from a DC-OPF on the day-ahead forecast — nodal (line limits) for US presets, a copper
   plate (zonal, no line limits) for EU-style presets whose pricing is not nodal. Schedule
   exchange: the TSO sends every DSO the scheduled import of its feeders; the DSO answers with the
   changes its local constraints need (the day-ahead flexibility market below).
2. **Day-ahead flexibility market** under the model's scheme, on the day-ahead forecast
   (DSO needs from the forecast baseline; transmission congestion of the schedule).
3. **Intraday and real-time markets** under the same scheme, each after its gate closure, on the
   intraday forecast and then the actual operating point, with the earlier stages' activations
   committed (they leave the offers and enter the baseline). The TSO need is the mismatch at that
   stage: net demand − the schedule − the net injection the earlier activations added.
4. **Activation**: each stage's accepted offers become requests to the DERs, split pro rata to
   the flexibility each member still has; the requests accumulate into a plan whose DER state
   sets the next stage's offers (:mod:`tdcoord.simulation.residual`: no depleted battery is
   offered). The plan runs through the DER models (:mod:`tdcoord.simulation.activation`), whose
   state carries over the day; non-delivery and delay are seeded. What is delivered (not what
   was bought) is validated.
5. **Validation** by AC power flow on every feeder and interval and DC flow on transmission,
   **KPIs**, and **settlement** (metered = baseline + delivered; the metered-schedule baseline).

Stage order is enforced with :func:`tdcoord.simulation.stages.assert_no_lookahead`: nothing decided
in real time is used by the day-ahead stage.
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
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, worst_status
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import ValidationReport, validate_outcome
from tdcoord.grid.tables import FloatArray
from tdcoord.kpi.metrics import compute_kpis
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import ActivationResult, ResponseModel, activate, fleet_ids
from tdcoord.simulation.day import Day, OperatingPoint
from tdcoord.simulation.residual import rescaled_quantities, residual_flexibility
from tdcoord.simulation.stages import Stage, assert_no_lookahead, information_cutoff

#: Stages at which a flexibility market clears, in order.
MARKET_STAGES: tuple[str, ...] = ("day_ahead", "intraday", "real_time")


def _schedule_exchange(
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
    settlement (:mod:`tdcoord.settlement.imbalance_price`)."""

    schedule_mw: FloatArray
    price_eur_per_mwh: FloatArray


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
        np.asarray(res.dispatch_mw.T, dtype=np.float64), np.asarray(price, dtype=np.float64)
    )


def day_ahead_schedule(day: Day, *, nodal: bool) -> FloatArray:
    """Transmission generator schedule ``(n_gen, T)`` from the day-ahead energy market."""
    return day_ahead_market(day, nodal=nodal).schedule_mw


def tso_need_mw(point: OperatingPoint, gen_schedule_mw: FloatArray) -> FloatArray:
    """Net demand above the schedule per interval (+: the system is short, needs up)."""
    return np.asarray(point.net_demand_mw() - gen_schedule_mw.sum(axis=0), dtype=np.float64)


@dataclasses.dataclass(frozen=True, eq=False)
class GivenNeeds:
    """Needs given by the study instead of derived: TSO ``(T,)``, DSO ``(n_feeder, T)``."""

    tso_mw: FloatArray | None = None
    dso_mw: FloatArray | None = None


def _case(
    day: Day,
    point: OperatingPoint,
    offers: OfferBook,
    gen_schedule_mw: FloatArray,
    penalties: Penalties,
    needs: GivenNeeds | None = None,
) -> ClearingCase:
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
    )


def _committed(
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


def run_model_day(
    day: Day,
    offers: OfferBook,
    gen_schedule_mw: FloatArray,
    model_id: str,
    scheme: str,
    params: Mapping[str, Any],
    *,
    penalties: Penalties | None = None,
    response: ResponseModel | None = None,
    seed: int = 0,
    ac: bool = True,
    members: sp.csr_matrix | None = None,
    stages: Mapping[str, Stage] | None = None,
    needs: GivenNeeds | None = None,
) -> ModelDay:
    """Run one model through the day (see module doc). ``stages`` (from
    :func:`tdcoord.simulation.stages.stages_for`) time-stamp each market's decisions at its gate
    closure; the real-time market checks that it only uses what was decided before its own."""
    pen = penalties or Penalties()
    day_case = _case(day, day.actual, offers, gen_schedule_mw, pen, needs)
    log = MessageLog()
    _schedule_exchange(log, day, day_case, "schedule")
    models = list(day.fleet.models.values())
    memb = members if members is not None else offer_members(offers, fleet_ids(models))
    flex = day.flexibility
    available = flex  # what the DERs can still do, from their state under the plan so far
    plan = np.zeros_like(flex.up_mw)
    outcomes: dict[str, Outcome] = {}
    done = np.zeros_like(offers.quantity_mw)
    decided: FloatArray | None = None
    intervals = np.arange(day.n_intervals)
    for k, name in enumerate(MARKET_STAGES):
        if stages is not None and decided is not None:
            # the earlier markets' activations enter this stage's baseline: they must have been
            # decided before this stage's information cut-off
            assert_no_lookahead(stages[name], intervals, decided, "earlier-stage activation")
        point = _committed(day.points[name], day_case, done)
        left = np.maximum(offers.quantity_mw - done, 0.0)
        if k > 0:
            # offers rebuilt from the DER state the committed plan leads to (no depleted
            # battery is offered, let alone called)
            left = rescaled_quantities(offers, memb, left, flex, available)
        case = _case(day, point, offers.with_quantity(left), gen_schedule_mw, pen, needs)
        outcomes[name] = run_scheme(scheme, case, params)
        accepted = outcomes[name].activation_mw
        req, _, _ = der_requests(offers, memb, accepted, available.up_mw, available.down_mw)
        plan = plan + req
        done = np.minimum(done + accepted, offers.quantity_mw)
        if k + 1 < len(MARKET_STAGES):
            available = residual_flexibility(models, plan, day.dt_h, response=response)
        if stages is not None:
            decided = information_cutoff(stages[name], intervals)
        if name == "day_ahead":
            # DSOs tell the TSO how their local markets changed the scheduled exchange
            _schedule_exchange(
                log, day, _case(day, point, offers, gen_schedule_mw, pen, needs),
                "schedule_change", outcomes[name],
            )
    total = done
    merged = merge_outcomes(day_case, outcomes, total)
    merged.messages.extend(log)
    # Activation: the plan (requests per DER, pro rata inside aggregated offers at each stage)
    # run through the DER models; non-delivery and delay are seeded.
    result = activate(models, plan, day.dt_h, start_interval=0, response=response, seed=seed)
    ratio = offer_delivery_ratio(offers, memb, result)
    delivered = dataclasses.replace(merged, activation_mw=total * ratio)
    delivered = dataclasses.replace(
        delivered, interface_mw=_interface(day_case, delivered.activation_mw)
    )
    report = validate_outcome(day_case, delivered, ac=ac)
    kpis = compute_kpis(day_case, merged, report)
    return ModelDay(
        model_id=model_id,
        scheme=scheme,
        params=dict(params),
        stages=outcomes,
        case=day_case,
        outcome=merged,
        delivered_outcome=delivered,
        response=result,
        validation=report,
        kpis=kpis,
    )


def _interface(case: ClearingCase, activation_mw: FloatArray) -> FloatArray:
    from tdcoord.coordination.outcome import interface_after

    return interface_after(case, activation_mw)
