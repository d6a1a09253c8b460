"""The sweep's only access to the engine: build the shared day of a study, run one model on it.

Two functions, the narrow interface a sweep needs, on the study pipeline (:mod:`tdcoord.pipeline`):

* :func:`build_shared` — the study's grid, fleet, day (actual + forecasts), offers, day-ahead
  market, stages and response model of one (sample, day)
  (:func:`tdcoord.pipeline.build_shared_day`), built **once** and shared, read-only, by every
  model of that sample and day (the sample's forecast-error scale is a study field,
  ``compare.forecast_error_scale``);
* :func:`run_model` — one model through that day (markets, activation, validation, settlement,
  events) and its scalar KPIs (:func:`tdcoord.pipeline.run_model`): the ``kpis.json`` values of
  ``tdcoord compare``.

The numbers are those of ``tdcoord compare`` on the sample's study file, bit for bit (tested).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from tdcoord.pipeline import SharedDay, build_shared_day
from tdcoord.pipeline import run_model as pipeline_run_model
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


def build_shared(study: Study) -> SweepShared:
    """The shared day of ``study`` (module doc)."""
    return SweepShared(build_shared_day(study))


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
