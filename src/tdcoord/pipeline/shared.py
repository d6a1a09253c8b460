"""Build the shared day of a study: what every compared model sees, built once.

study → grid → fleet → day (profiles, forecasts per stage) → offers → day-ahead energy market →
stages (gate closures) → penalties, response model, events and given needs. Every model of a
comparison sees the same :class:`SharedDay` — the same grid, fleet, offers, forecasts, day-ahead
schedule, penalties and seeds; only the coordination scheme (and its parameters, from the
catalogue) differs, which is what makes the KPIs comparable (design doc, "Total cost ...
comparable across models only because the penalties are the same for all"). Bad events and
needs fail here, before any solver call.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.case import Penalties
from tdcoord.coordination.margin_calibration import calibrated_margins
from tdcoord.coordination.margins import Margins
from tdcoord.errors import StudyError
from tdcoord.simulation.activation import ResponseModel, min_duration_intervals
from tdcoord.simulation.day import Day, build_day
from tdcoord.simulation.day_events import load_events
from tdcoord.simulation.forecast import scaled_forecast_config
from tdcoord.simulation.stages import Stage, StudyClock, stages_for
from tdcoord.simulation.timeline import DayAheadMarket, GivenNeeds, day_ahead_market

if TYPE_CHECKING:
    from tdcoord.der.fleet import Fleet
    from tdcoord.grid.model import GridModel
    from tdcoord.market.offers import OfferBook
    from tdcoord.market.rules import Preset
    from tdcoord.study import Study
    from tdcoord.study.schema import CompareSpec

#: Preset regions whose day-ahead energy market is nodal (LMP); the others clear zonally.
NODAL_REGIONS: frozenset[str] = frozenset({"US"})


@dataclasses.dataclass(frozen=True, eq=False)
class SharedDay:
    """Everything every model of a study shares (built once by :func:`build_shared_day`,
    read-only). ``study``, ``grid`` and ``fleet`` are kept for the outputs and the report."""

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
    #: Markup of transmission generators' redispatch over their marginal cost (the preset's
    #: ``energy.transmission_redispatch_markup_eur_per_mwh``); ``None``: generators offer none.
    redispatch_markup_eur_per_mwh: float | None = None
    study: Study | None = None
    grid: GridModel | None = None
    fleet: Fleet | None = None
    setup_s: float = 0.0

    @cached_property
    def margins(self) -> Margins:
        """The clearings' security margins (study ``compare.security_margins``), calibrated per
        node by an AC power flow of the day-ahead forecast when the study asks
        (:func:`tdcoord.coordination.margin_calibration.calibrated_margins`)."""
        spec = self.spec.security_margins
        base = Margins(rating_frac=spec.rating_frac, voltage_pu=spec.voltage_pu)
        if not spec.calibrate:
            return base
        point = self.day.points["day_ahead"]
        return calibrated_margins(
            base, self.day.grid.feeders, point.feeder_p_mw, point.feeder_q_mvar
        )


def _values(values: Sequence[float], n: int, where: str) -> None:
    if len(values) != n:
        raise StudyError(
            f"{where} has {len(values)} values for {n} intervals",
            where=where,
            fix="give one MW value per interval of the day",
        )


def given_needs(spec: CompareSpec, day: Day) -> GivenNeeds | None:
    """The study's given needs as arrays (checked against the day and the feeders)."""
    n = spec.needs
    if n.tso_mw is None and n.dso_mw is None and n.brp_mw is None:
        return None
    T = day.n_intervals
    tso = None
    if n.tso_mw is not None:
        _values(n.tso_mw, T, "compare.needs.tso_mw")
        tso = np.asarray(n.tso_mw, dtype=np.float64)
    dso = None
    if n.dso_mw is not None:
        ids = [f.id for f in day.grid.feeders]
        dso = np.zeros((len(ids), T))
        for fid, values in n.dso_mw.items():
            if fid not in ids:
                raise StudyError(
                    f"no feeder {fid!r}",
                    where="compare.needs.dso_mw",
                    fix=f"use feeder ids of the grid, e.g. {ids[:3]}",
                )
            _values(values, T, f"compare.needs.dso_mw.{fid}")
            dso[ids.index(fid)] = values
    brp = None
    if n.brp_mw is not None:
        _values(n.brp_mw, T, "compare.needs.brp_mw")
        brp = np.asarray(n.brp_mw, dtype=np.float64)
    return GivenNeeds(tso, dso, brp)


def study_min_duration(products: Sequence[str], interval_min: float) -> int:
    """Minimum activation run (intervals) of the study's products: the strictest one, since a
    DER's requests from several products add up to one run."""
    from tdcoord.market.products import get_product

    return max(
        min_duration_intervals(get_product(p).min_duration_min, interval_min) for p in products
    )


def market_offers(
    study: Study, fleet: Fleet, preset: Preset, day: Day
) -> tuple[OfferBook, sp.csr_matrix]:
    """The study's offer book (per the market section) and its membership (step × DER), with
    the rules of the day applied (:mod:`tdcoord.market.eligibility`: the preset's export ban,
    the DSO's grid prequalification — red units out in the directions they fail, amber units
    capped at their hosting headroom — and the minimum sizes)."""
    from tdcoord.der.grid_prequalification import grid_prequalify
    from tdcoord.market.eligibility import build_eligible_offers
    from tdcoord.market.products import get_product

    pq = grid_prequalify(
        day.grid,
        fleet,
        [get_product(p) for p in study.market.products],
        n_intervals=day.n_intervals,
        dt_h=day.dt_h,
        season=study.fleet.season,
    )
    built = build_eligible_offers(
        fleet,
        n_intervals=day.n_intervals,
        dt_h=day.dt_h,
        preset=preset,
        products=study.market.products,
        grid_prequalification=pq,
        strategy=study.market.strategy,
        aggregate=study.market.aggregate,
        seed=study.fleet.seed,
        flexibility=day.flexibility,
        strategy_params=dict(study.market.strategy_params) or None,
    )
    return built.book, sp.csr_matrix(built.members)


def build_shared_day(study: Study) -> SharedDay:
    """study → grid → fleet → day → offers → day-ahead market → stages (see module docstring)."""
    import time

    from tdcoord.der.fleet_spec import build_fleet
    from tdcoord.market.rules import load_preset

    t0 = time.perf_counter()
    spec: CompareSpec = study.compare
    grid = study.grid.build()
    fleet = build_fleet(grid, study.fleet)
    preset = load_preset(study.market.preset)
    T, dt = study.fleet.n_intervals, study.fleet.dt_h
    day = build_day(
        grid, fleet, n_intervals=T, dt_h=dt, season=study.fleet.season, seed=spec.seed,
        forecast_config=scaled_forecast_config(spec.forecast_error_scale), date=study.fleet.date,
    )
    events = load_events(spec.events, day)  # bad events and needs fail before any solver call
    needs = given_needs(spec, day)
    offers, members = market_offers(study, fleet, preset, day)
    market = day_ahead_market(day, nodal=preset.region in NODAL_REGIONS)
    response = ResponseModel(
        non_delivery_prob=spec.non_delivery_probability,
        delivery_fraction=spec.delivery_fraction,
        delay_intervals=spec.delay_intervals,
        min_duration_intervals=study_min_duration(study.market.products, dt * 60.0),
    )
    day.flexibility  # noqa: B018  # computed once here, inherited by every model (and worker)
    return SharedDay(
        day=day,
        offers=offers,
        members=members,
        preset=preset,
        market=market,
        stages={s.name: s for s in stages_for(preset, StudyClock(T, dt * 60.0))},
        penalties=Penalties(**spec.penalties.model_dump()),
        response=response,
        spec=spec,
        events=events,
        needs=needs,
        availability_price_eur_per_mw_h=dict(study.market.availability_price_eur_per_mw_h),
        redispatch_markup_eur_per_mwh=preset.transmission_redispatch_markup_eur_per_mwh(),
        study=study,
        grid=grid,
        fleet=fleet,
        setup_s=time.perf_counter() - t0,
    )
