"""Run several named coordination models on one study day (``tdcoord compare``).

The flow is the pipeline's (:mod:`tdcoord.pipeline`): :func:`run_comparison` builds the shared
day once (:func:`tdcoord.pipeline.build_shared_day`) and runs every model through it
(:func:`tdcoord.pipeline.run_model`, in worker processes with ``jobs > 1``,
:mod:`tdcoord.comparison.jobs`). Every model sees the same grid, fleet, offers, forecasts,
day-ahead schedule, penalties and seeds; only the coordination scheme (and its parameters, from
the catalogue) differs — which is what makes the KPIs comparable. The KPIs are computed in
:mod:`tdcoord.kpi` (:func:`tdcoord.kpi.settled.model_kpis`); :class:`Comparison` only holds them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pandas as pd
import scipy.sparse as sp

from tdcoord.comparison.jobs import check_jobs, run_models
from tdcoord.coordination.catalogue import ModelEntry, get_model, list_models
from tdcoord.der.fleet import Fleet
from tdcoord.grid.model import GridModel
from tdcoord.kpi import settled
from tdcoord.market.offers import OfferBook
from tdcoord.market.rules import Preset
from tdcoord.pipeline import ModelRun, Progress, SharedDay, build_shared_day
from tdcoord.simulation.day import Day
from tdcoord.study import Study
from tdcoord.types import FloatArray

__all__ = [
    "Comparison",
    "ModelRun",
    "Progress",
    "SharedDay",
    "kpi_frame",
    "resolve_models",
    "run_comparison",
]


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
        """KPIs per model id (each run's :attr:`ModelRun.kpis`, a copy)."""
        return {r.entry.id: dict(r.kpis) for r in self.runs}

    def kpi_frame(self) -> pd.DataFrame:
        """Scalar KPIs as a table, one row per model (:func:`tdcoord.kpi.settled.kpi_frame`)."""
        return settled.kpi_frame(self.kpis())


def resolve_models(models: Sequence[str] | str) -> tuple[ModelEntry, ...]:
    """Catalogue entries of ``models`` (ids, or ``"all"``); unknown ids raise."""
    if models == "all":
        return list_models()
    return tuple(get_model(m) for m in models)


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
    check_jobs(jobs)
    entries = resolve_models(models if models is not None else study.compare.models)
    shared = build_shared_day(study)
    runs = run_models(shared, entries, jobs=jobs, progress=progress)
    assert shared.grid is not None and shared.fleet is not None
    return Comparison(
        study,
        shared.grid,
        shared.fleet,
        shared.preset,
        shared.day,
        shared.offers,
        shared.members,
        shared.market.schedule_mw,
        runs,
        shared.setup_s,
        shared.market.price_eur_per_mwh,
    )


def kpi_frame(comparison: Comparison) -> pd.DataFrame:
    """Scalar KPIs, one row per model (:meth:`Comparison.kpi_frame`)."""
    return comparison.kpi_frame()
