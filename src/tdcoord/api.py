"""The Python API behind ``import tdcoord`` (see ``docs/python.md``).

Thin, documented entry points over :mod:`tdcoord.pipeline`: read a study, run one model or
compare several on its day, and list the catalogue of named models. Everything returned is a
plain result object (:class:`~tdcoord.comparison.run.Comparison`,
:class:`~tdcoord.pipeline.ModelRun`, :class:`~tdcoord.coordination.catalogue.Catalogue`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tdcoord.comparison.run import Comparison, run_comparison
from tdcoord.coordination.catalogue import Catalogue, ModelEntry, load_catalogue
from tdcoord.pipeline import ModelRun, Progress, build_shared_day
from tdcoord.pipeline import run_model as run_on_day
from tdcoord.study import Study, load_study

__all__ = ["catalogue", "compare", "load_study", "run_model"]

StudyLike = Study | str | Path
"""A :class:`~tdcoord.study.Study` or the path of a study file."""


def _study(study: StudyLike) -> Study:
    return study if isinstance(study, Study) else load_study(study)


def compare(
    study: StudyLike,
    models: Sequence[str] | str | None = None,
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> Comparison:
    """Run ``models`` (ids, ``"all"``, or by default the study's ``compare.models``) side by side
    on the study's day; ``jobs`` worker processes (the numbers do not depend on it).
    ``result.kpi_frame()`` is the KPI table (one row per model)."""
    return run_comparison(_study(study), models, progress=progress, jobs=jobs)


def run_model(study: StudyLike, model: str | ModelEntry) -> ModelRun:
    """One named model (catalogue id or entry) through the study's day: its day (stages,
    activation, validation), settlement and KPIs (``run.kpis``)."""
    return run_on_day(build_shared_day(_study(study)), model)


def catalogue(path: str | Path | None = None) -> Catalogue:
    """The catalogue of named coordination models (the built-in one, plus the models of the
    catalogue file ``path`` if given); ``catalogue().ids`` lists them."""
    return load_catalogue(path)
