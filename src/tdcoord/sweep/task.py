"""The sweep's only access to the engine: build the shared day of a study, run one model on it.

Two functions, the narrow interface a sweep needs:

* :func:`build_shared` — the study's grid, fleet, day (actual + forecasts), offers, day-ahead
  market, stages and response model of one (sample, day), built **once** and shared, read-only,
  by every model of that sample and day (the setup of
  :func:`tdcoord.comparison.run.run_comparison`, step for step, plus the sweep's forecast-error
  scale);
* :func:`run_model` — one model through that day (markets, activation, validation, settlement,
  events) and its scalar KPIs, exactly the ``kpis.json`` values of ``tdcoord compare``.

With ``forecast_error_scale`` = 1 the numbers are those of ``tdcoord compare`` on the sample's
study file, bit for bit (tested). When the study pipeline (``tdcoord.pipeline``) lands, only this
module changes.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tdcoord.comparison.run import (
    NODAL_REGIONS,
    Comparison,
    SharedDay,
    given_needs,
    run_one_model,
    study_min_duration,
)
from tdcoord.coordination.case import Penalties
from tdcoord.coordination.catalogue import get_model
from tdcoord.simulation.activation import ResponseModel
from tdcoord.simulation.forecast import DEFAULT_SIGMA, ForecastConfig
from tdcoord.study import Study

#: KPIs that measure time, not the result: kept out of the (bit-for-bit) sweep table.
#: ``setup_s`` is the build time of the shared day the model ran on (once per sample and day).
TIMING_KPIS: frozenset[str] = frozenset({"compute_s", "wall_s", "setup_s"})


@dataclasses.dataclass(frozen=True, eq=False)
class SweepShared:
    """The shared day of one (sample, day) and the study it was built from."""

    study: Study
    shared: SharedDay
    setup_s: float

    def __reduce__(self) -> tuple[Any, ...]:
        # The market preset holds generic pydantic classes that pickle cannot name: it travels
        # as the study's preset name and is loaded again on arrival (same file, same numbers).
        lean = dataclasses.replace(self.shared, preset=None)  # type: ignore[arg-type]
        return (_rebuild, (self.study, lean, self.setup_s))


def _rebuild(study: Study, lean: SharedDay, setup_s: float) -> SweepShared:
    from tdcoord.market.rules import load_preset

    shared = dataclasses.replace(lean, preset=load_preset(study.market.preset))
    return SweepShared(study, shared, setup_s)


def forecast_config(scale: float) -> ForecastConfig | None:
    """Default forecast σ × ``scale`` (``None``: the default, for scale 1)."""
    if scale == 1.0:
        return None
    return ForecastConfig(
        sigma={q: (s[0] * scale, s[1] * scale, s[2] * scale) for q, s in DEFAULT_SIGMA.items()}
    )


def build_shared(study: Study, forecast_error_scale: float = 1.0) -> SweepShared:
    """Grid, fleet, day, offers, day-ahead market and stages of ``study`` (module doc)."""
    from tdcoord.der.fleet_spec import build_fleet
    from tdcoord.market.offer_building import build_offers
    from tdcoord.market.rules import load_preset
    from tdcoord.simulation.day import build_day
    from tdcoord.simulation.day_events import load_events
    from tdcoord.simulation.stages import StudyClock, stages_for
    from tdcoord.simulation.timeline import day_ahead_market

    t0 = time.perf_counter()
    spec = study.compare
    grid = study.grid.build()
    fleet = build_fleet(grid, study.fleet)
    preset = load_preset(study.market.preset)
    T, dt = study.fleet.n_intervals, study.fleet.dt_h
    day = build_day(
        grid,
        fleet,
        n_intervals=T,
        dt_h=dt,
        season=study.fleet.season,
        seed=spec.seed,
        forecast_config=forecast_config(forecast_error_scale),
    )
    events = load_events(spec.events, day)
    needs = given_needs(spec, day)
    built = build_offers(
        fleet,
        n_intervals=T,
        dt_h=dt,
        preset=preset,
        products=study.market.products,
        strategy=study.market.strategy,
        aggregate=study.market.aggregate,
        seed=study.fleet.seed,
        flexibility=day.flexibility,
        strategy_params=dict(study.market.strategy_params) or None,
    )
    import scipy.sparse as sp

    shared = SharedDay(
        day=day,
        offers=built.book,
        members=sp.csr_matrix(built.members),
        preset=preset,
        market=day_ahead_market(day, nodal=preset.region in NODAL_REGIONS),
        stages={s.name: s for s in stages_for(preset, StudyClock(T, dt * 60.0))},
        penalties=Penalties(**spec.penalties.model_dump()),
        response=ResponseModel(
            non_delivery_prob=spec.non_delivery_probability,
            delivery_fraction=spec.delivery_fraction,
            delay_intervals=spec.delay_intervals,
            min_duration_intervals=study_min_duration(study.market.products, dt * 60.0),
        ),
        spec=spec,
        events=events,
        needs=needs,
        availability_price_eur_per_mw_h=dict(study.market.availability_price_eur_per_mw_h),
    )
    return SweepShared(study, shared, time.perf_counter() - t0)


def run_model(shared: SweepShared, model_id: str) -> dict[str, Any]:
    """Scalar KPIs of ``model_id`` on the shared day (the ``kpis.json`` values of compare)."""
    sh = shared.shared
    run = run_one_model(sh, get_model(model_id))
    comparison = Comparison(
        shared.study,
        sh.day.grid,
        sh.day.fleet,
        sh.preset,
        sh.day,
        sh.offers,
        sh.members,
        sh.market.schedule_mw,
        (run,),
        shared.setup_s,
        sh.market.price_eur_per_mwh,
    )
    kpis = comparison.kpis()[model_id]
    out = {k: v for k, v in kpis.items() if not isinstance(v, dict)}
    out["setup_s"] = shared.setup_s
    return out


def check_models(models: list[str]) -> None:
    """Every id is a catalogue model (raises the catalogue's error before any work)."""
    for m in models:
        get_model(m)
