"""The sweep's only access to the engine: build the shared day of a study, run one model on it.

Two functions, the narrow interface a sweep needs, on the study pipeline (:mod:`tdcoord.pipeline`):

* :func:`build_shared` — the study's grid, fleet, day (actual + forecasts), offers, day-ahead
  market, stages and response model of one (sample, day)
  (:func:`tdcoord.pipeline.build_shared_day`), built **once** and shared, read-only, by every
  model of that sample and day; with the sweep's forecast-error scale applied;
* :func:`run_model` — one model through that day (markets, activation, validation, settlement,
  events) and its scalar KPIs (:func:`tdcoord.pipeline.run_model`): the ``kpis.json`` values of
  ``tdcoord compare``.

With ``forecast_error_scale`` = 1 the numbers are those of ``tdcoord compare`` on the sample's
study file, bit for bit (tested).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from tdcoord.pipeline import NODAL_REGIONS, SharedDay, build_shared_day, given_needs
from tdcoord.pipeline import run_model as pipeline_run_model
from tdcoord.simulation.forecast import DEFAULT_SIGMA, ForecastConfig
from tdcoord.study import Study

#: KPIs that measure time, not the result: kept out of the (bit-for-bit) sweep table.
#: ``setup_s`` is the build time of the shared day the model ran on (once per sample and day).
TIMING_KPIS: frozenset[str] = frozenset({"compute_s", "wall_s", "setup_s"})


@dataclasses.dataclass(frozen=True, eq=False)
class SweepShared:
    """The shared day of one (sample, day), picklable (sent to workers once)."""

    shared: SharedDay

    def __reduce__(self) -> tuple[Any, ...]:
        # The market preset holds generic pydantic classes that pickle cannot name: it travels
        # as the study's preset name and is loaded again on arrival (same file, same numbers).
        lean = dataclasses.replace(self.shared, preset=None)  # type: ignore[arg-type]
        return (_rebuild, (lean,))


def _rebuild(lean: SharedDay) -> SweepShared:
    from tdcoord.market.rules import load_preset

    assert lean.study is not None, "the pipeline keeps the study on the shared day"
    return SweepShared(dataclasses.replace(lean, preset=load_preset(lean.study.market.preset)))


def forecast_config(scale: float) -> ForecastConfig | None:
    """Default forecast σ × ``scale`` (``None``: the default, for scale 1)."""
    if scale == 1.0:
        return None
    return ForecastConfig(
        sigma={q: (s[0] * scale, s[1] * scale, s[2] * scale) for q, s in DEFAULT_SIGMA.items()}
    )


def with_forecast_scale(shared: SharedDay, scale: float) -> SharedDay:
    """``shared`` with its day's forecasts (and what depends on them) drawn with σ × ``scale``.

    Grid, fleet, offers, stages and the response model do not depend on forecasts and are kept;
    the day, the events and needs checked on it, and the day-ahead market (cleared on the
    day-ahead forecast) are rebuilt.
    """
    from tdcoord.simulation.day import build_day
    from tdcoord.simulation.day_events import load_events
    from tdcoord.simulation.timeline import day_ahead_market

    t0 = time.perf_counter()
    old = shared.day
    day = build_day(
        old.grid, old.fleet, n_intervals=old.n_intervals, dt_h=old.dt_h, season=old.season,
        seed=shared.spec.seed, forecast_config=forecast_config(scale),
    )
    return dataclasses.replace(
        shared,
        day=day,
        events=load_events(shared.spec.events, day),
        needs=given_needs(shared.spec, day),
        market=day_ahead_market(day, nodal=shared.preset.region in NODAL_REGIONS),
        setup_s=shared.setup_s + time.perf_counter() - t0,
    )


def build_shared(study: Study, forecast_error_scale: float = 1.0) -> SweepShared:
    """The shared day of ``study`` (module doc)."""
    shared = build_shared_day(study)
    if forecast_error_scale != 1.0:
        shared = with_forecast_scale(shared, forecast_error_scale)
    return SweepShared(shared)


def run_model(shared: SweepShared, model_id: str) -> dict[str, Any]:
    """Scalar KPIs of ``model_id`` on the shared day (the ``kpis.json`` values of compare)."""
    run = pipeline_run_model(shared.shared, model_id)
    out = {k: v for k, v in run.kpis.items() if not isinstance(v, dict)}
    out["setup_s"] = shared.shared.setup_s
    return out


def check_models(models: list[str]) -> None:
    """Every id is a catalogue model (raises the catalogue's error before any work)."""
    from tdcoord.coordination.catalogue import get_model

    for m in models:
        get_model(m)
