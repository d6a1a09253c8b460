"""Run several named coordination models on one study day and settle each (``tdcoord compare``).

Every model sees the same grid, fleet, offers, forecasts, day-ahead schedule, penalties and seeds;
only the coordination scheme (and its parameters, from the catalogue) differs — which is what
makes the KPIs comparable (design doc, "Total cost ... comparable across models only because the
penalties are the same for all").
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tdcoord.comparison.spec import CompareSpec
from tdcoord.coordination.case import Penalties
from tdcoord.coordination.catalogue import ModelEntry, get_model, list_models
from tdcoord.der.fleet import Fleet
from tdcoord.grid.model import GridModel
from tdcoord.grid.tables import FloatArray
from tdcoord.market.offers import OfferBook
from tdcoord.market.rules import Preset
from tdcoord.settlement.imbalance_price import single_imbalance_price
from tdcoord.settlement.reservation import reserved_availability
from tdcoord.settlement.run import Settlement, settle_run
from tdcoord.simulation.activation import ResponseModel, min_duration_intervals
from tdcoord.simulation.day import Day, build_day
from tdcoord.simulation.day_events import EventLog, apply_events, load_events
from tdcoord.simulation.stages import Stage, StudyClock, stages_for
from tdcoord.simulation.timeline import (
    DayAheadMarket,
    GivenNeeds,
    ModelDay,
    day_ahead_market,
    run_model_day,
)
from tdcoord.study import Study

#: Preset regions whose day-ahead energy market is nodal (LMP); the others clear zonally.
NODAL_REGIONS: frozenset[str] = frozenset({"US"})

Progress = Callable[[str, int, int], None]


@dataclasses.dataclass(frozen=True, eq=False)
class ModelRun:
    """One compared model: its catalogue entry, its day and its settlement."""

    entry: ModelEntry
    day: ModelDay
    settlement: Settlement
    events: EventLog | None
    wall_s: float


@dataclasses.dataclass(frozen=True, eq=False)
class Comparison:
    """Shared inputs and the runs of every model."""

    study: Study
    grid: GridModel
    fleet: Fleet
    preset: Preset
    day: Day
    offers: OfferBook
    members: sp.csr_matrix
    gen_schedule_mw: FloatArray
    runs: tuple[ModelRun, ...]
    setup_s: float
    day_ahead_price_eur_per_mwh: FloatArray | None = None
    """Demand-weighted day-ahead price per interval (the imbalance reference price)."""

    def kpis(self) -> dict[str, dict[str, Any]]:
        """KPIs per model id (plus settlement and timing keys)."""
        out: dict[str, dict[str, Any]] = {}
        for r in self.runs:
            k = dict(r.day.kpis)
            k["settlement_residual_eur"] = r.settlement.residual_eur
            imb = r.settlement.imbalance_mw
            dt = self.day.dt_h
            k["imbalance_mwh"] = 0.0 if imb is None else float(np.abs(imb).sum() * dt)
            tx = r.settlement.transactions
            k["imbalance_paid_by_brps_eur"] = -float(
                tx.loc[tx["item"] == "imbalance", "amount_eur"].sum()
            )
            k["availability_paid_eur"] = float(
                tx.loc[tx["item"] == "availability", "amount_eur"].sum()
            )
            stacking = r.settlement.stacking
            k["stacking_conflicts"] = 0 if stacking is None else len(stacking.conflicts)
            if r.events is not None:
                # Emergencies (study events) on the model's real-time operating point: energy
                # not served priced at VOLL joins the total cost, like any unresolved violation.
                ens = r.events.energy_not_served_mwh
                k["emergency_energy_not_served_mwh"] = ens
                k["emergency_cost"] = ens * self.study.compare.penalties.voll_eur_per_mwh
                k["worst_state"] = r.events.worst_state
                k["total_cost"] = k["total_cost"] + k["emergency_cost"]
            k["wall_s"] = r.wall_s
            out[r.entry.id] = k
        return out


def given_needs(spec: CompareSpec, day: Day) -> GivenNeeds | None:
    """The study's given needs as arrays (checked against the day and the feeders)."""
    from tdcoord.errors import StudyError

    n = spec.needs
    if n.tso_mw is None and n.dso_mw is None:
        return None
    T = day.n_intervals
    tso = None
    if n.tso_mw is not None:
        if len(n.tso_mw) != T:
            raise StudyError(
                f"compare.needs.tso_mw has {len(n.tso_mw)} values for {T} intervals",
                where="compare.needs.tso_mw", fix="give one MW value per interval of the day",
            )
        tso = np.asarray(n.tso_mw, dtype=np.float64)
    dso = None
    if n.dso_mw is not None:
        ids = [f.id for f in day.grid.feeders]
        dso = np.zeros((len(ids), T))
        for fid, values in n.dso_mw.items():
            if fid not in ids:
                raise StudyError(
                    f"no feeder {fid!r}", where="compare.needs.dso_mw",
                    fix=f"use feeder ids of the grid, e.g. {ids[:3]}",
                )
            if len(values) != T:
                raise StudyError(
                    f"{len(values)} values for {T} intervals", where=f"compare.needs.dso_mw.{fid}",
                    fix="give one MW value per interval of the day",
                )
            dso[ids.index(fid)] = values
    return GivenNeeds(tso, dso)


def resolve_models(models: Sequence[str] | str) -> tuple[ModelEntry, ...]:
    """Catalogue entries of ``models`` (ids, or ``"all"``); unknown ids raise."""
    if models == "all":
        return list_models()
    return tuple(get_model(m) for m in models)


def bundle_matrix(offers: OfferBook, members: sp.csr_matrix) -> tuple[list[str], sp.csr_matrix]:
    """The sellers named in the offers (``der_id``: a DER or a bundle) and their members."""
    names: list[str] = []
    first: dict[str, int] = {}
    for i, d in enumerate(offers.der_id):
        if d not in first:
            first[d] = i
            names.append(d)
    rows = np.array([first[d] for d in names], dtype=np.int64)
    return names, sp.csr_matrix(members[rows])


def settle_model(
    comparison_inputs: tuple[Day, OfferBook, sp.csr_matrix, Preset],
    md: ModelDay,
    day_ahead_price_eur_per_mwh: FloatArray | None = None,
    availability_price_eur_per_mw_h: Mapping[str, float] | None = None,
) -> Settlement:
    """Settle one model: metered = baseline + delivered per seller (DER or bundle).

    With the day-ahead price given, imbalance is settled too: each seller's BRP position is its
    intraday forecast (``Day.der_forecast_mw``), the price the single imbalance price of
    :func:`tdcoord.settlement.imbalance_price.single_imbalance_price` from the TSO's activations.
    Capacity products with an availability price are paid for what the day-ahead market reserved
    (:func:`tdcoord.settlement.reservation.reserved_availability`).
    """
    day, offers, members, preset = comparison_inputs
    names, bundles = bundle_matrix(offers, members)
    base = np.asarray(bundles @ day.der_baseline_mw)
    metered = base + np.asarray(bundles @ md.response.delivered_mw)
    aggregator = {
        d: a for d, a in zip(offers.der_id, offers.aggregator_id, strict=True) if a and d != a
    }
    acts = md.outcome.activations
    if len(acts):
        acts = acts[acts["der_id"].isin(set(names))]
    # Value stacking: what each seller can deliver per direction caps what all its buyers get
    # (no MW sold twice; priority DSO congestion before TSO balancing).
    flex = day.flexibility
    imbalance: dict[str, Any] = {}
    if day_ahead_price_eur_per_mwh is not None:
        forecast = day.der_forecast_mw.get("intraday", day.der_baseline_mw)
        imbalance = {
            "imbalance_price_eur_per_mwh": single_imbalance_price(
                day_ahead_price_eur_per_mwh, md.outcome.activations
            ),
            "position_mw": np.asarray(bundles @ forecast),
        }
    reserved = None
    if availability_price_eur_per_mw_h and "day_ahead" in md.stages:
        reserved = reserved_availability(
            md.stages["day_ahead"].activations, availability_price_eur_per_mw_h
        )
        reserved = reserved[reserved["der_id"].isin(set(names))]
    return settle_run(
        acts,
        metered,
        "metered_schedule",
        preset,
        der_ids=names,
        dt_h=day.dt_h,
        schedule_mw=base,
        der_aggregator=aggregator,
        capacity_up_mw=np.asarray(bundles @ flex.up_mw),
        capacity_down_mw=np.asarray(bundles @ flex.down_mw),
        priority="dso_first",
        availability=reserved,
        **imbalance,
    )


def study_min_duration(products: Sequence[str], interval_min: float) -> int:
    """Minimum activation run (intervals) of the study's products: the strictest one, since a
    DER's requests from several products add up to one run."""
    from tdcoord.market.products import get_product

    return max(
        min_duration_intervals(get_product(p).min_duration_min, interval_min) for p in products
    )


def _offers(
    study: Study, fleet: Fleet, preset: Preset, day: Day
) -> tuple[OfferBook, sp.csr_matrix]:
    from tdcoord.market.offer_building import build_offers

    built = build_offers(
        fleet,
        n_intervals=day.n_intervals,
        dt_h=day.dt_h,
        preset=preset,
        products=study.market.products,
        strategy=study.market.strategy,
        aggregate=study.market.aggregate,
        seed=study.fleet.seed,
        flexibility=day.flexibility,
        strategy_params=dict(study.market.strategy_params) or None,
    )
    return built.book, sp.csr_matrix(built.members)


@dataclasses.dataclass(frozen=True, eq=False)
class SharedDay:
    """Everything every model of a comparison shares (built once, read-only)."""

    day: Day
    offers: OfferBook
    members: sp.csr_matrix
    preset: Preset
    market: DayAheadMarket
    stages: dict[str, Stage]
    penalties: Penalties
    response: ResponseModel
    spec: CompareSpec
    events: Any
    needs: GivenNeeds | None
    availability_price_eur_per_mw_h: dict[str, float] = dataclasses.field(default_factory=dict)


def run_one_model(shared: SharedDay, entry: ModelEntry) -> ModelRun:
    """One model through the shared day: markets, activation, validation, settlement, events."""
    t1 = time.perf_counter()
    sh = shared
    md = run_model_day(
        sh.day,
        sh.offers,
        sh.market.schedule_mw,
        entry.id,
        entry.scheme,
        entry.params.as_dict(),
        penalties=sh.penalties,
        response=sh.response,
        seed=sh.spec.seed,
        ac=sh.spec.validation == "ac",
        members=sh.members,
        stages=sh.stages,
        needs=sh.needs,
    )
    settlement = settle_model(
        (sh.day, sh.offers, sh.members, sh.preset),
        md,
        sh.market.price_eur_per_mwh,
        sh.availability_price_eur_per_mw_h,
    )
    log = apply_events(sh.day, md, sh.events) if sh.events else None
    return ModelRun(entry, md, settlement, log, time.perf_counter() - t1)


def run_comparison(
    study: Study,
    models: Sequence[str] | str | None = None,
    *,
    progress: Progress | None = None,
    jobs: int = 1,
) -> Comparison:
    """Run ``models`` (default: the study's ``compare.models``) on the study day.

    ``jobs`` > 1 runs the models in that many worker processes
    (:func:`tdcoord.comparison.jobs.run_models`); the numbers are the same as with one.
    """
    from tdcoord.comparison.jobs import check_jobs, run_models
    from tdcoord.der.fleet_spec import build_fleet
    from tdcoord.market.rules import load_preset

    check_jobs(jobs)
    spec: CompareSpec = study.compare
    entries = resolve_models(models if models is not None else spec.models)
    t0 = time.perf_counter()
    grid = study.grid.build()
    fleet = build_fleet(grid, study.fleet)
    preset = load_preset(study.market.preset)
    T, dt = study.fleet.n_intervals, study.fleet.dt_h
    day = build_day(
        grid, fleet, n_intervals=T, dt_h=dt, season=study.fleet.season, seed=spec.seed
    )
    events = load_events(spec.events, day)  # bad events and needs fail before any solver call
    needs = given_needs(spec, day)
    offers, members = _offers(study, fleet, preset, day)
    market = day_ahead_market(day, nodal=preset.region in NODAL_REGIONS)
    stage_list = stages_for(preset, StudyClock(T, dt * 60.0))
    response = ResponseModel(
        non_delivery_prob=spec.non_delivery_probability,
        delivery_fraction=spec.delivery_fraction,
        delay_intervals=spec.delay_intervals,
        min_duration_intervals=study_min_duration(study.market.products, dt * 60.0),
    )
    shared = SharedDay(
        day=day,
        offers=offers,
        members=members,
        preset=preset,
        market=market,
        stages={s.name: s for s in stage_list},
        penalties=Penalties(**spec.penalties.model_dump()),
        response=response,
        spec=spec,
        events=events,
        needs=needs,
        availability_price_eur_per_mw_h=dict(study.market.availability_price_eur_per_mw_h),
    )
    day.flexibility  # noqa: B018  # computed once here, inherited by every model (and worker)
    setup_s = time.perf_counter() - t0
    runs = run_models(shared, entries, jobs=jobs, progress=progress)
    return Comparison(
        study, grid, fleet, preset, day, offers, members, market.schedule_mw, runs, setup_s,
        market.price_eur_per_mwh,
    )


def kpi_frame(comparison: Comparison) -> pd.DataFrame:
    """Scalar KPIs, one row per model (dict-valued KPIs left out)."""
    rows = []
    for model_id, k in comparison.kpis().items():
        row: dict[str, Any] = {"model_id": model_id}
        row.update({key: v for key, v in k.items() if not isinstance(v, dict)})
        rows.append(row)
    return pd.DataFrame(rows)
