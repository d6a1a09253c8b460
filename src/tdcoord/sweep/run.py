"""``tdcoord sweep`` as a function: plan, run (resumable), write the outputs.

Output folder (``docs/sweep.md``):

``sweep.parquet``   one row per (model, sample, day) (:mod:`tdcoord.sweep.table`)
``timings.parquet`` run times per row (``compute_s``, ``wall_s``)
``summary.json``    per model each KPI's mean, std, p5, p95; ``p_best``; rank probabilities
``report.html``     distributions per KPI and the rank-probability table
``samples/``        the concrete study of every (sample, day): ``tdcoord compare`` re-runs it
``sweep.json``, ``rows.jsonl``  the manifest and finished rows (for ``--resume``)
``*.csv``           CSV copies of the tables with ``--csv``

Unlike ``compare``, the folder is not swapped into place at the end (finished rows must survive
an interruption for ``--resume``); each file in it is written atomically (temporary file, rename).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tdcoord.json_output import dumps
from tdcoord.output_folder import check_output_target
from tdcoord.provenance import package_versions
from tdcoord.sweep.days import parse_days
from tdcoord.sweep.executors import check_jobs, make_executor
from tdcoord.sweep.plan import SweepPlan, make_plan
from tdcoord.sweep.rows import RowStore, row_key
from tdcoord.sweep.runner import Progress, run_plan
from tdcoord.sweep.sample_study import write_sample_study
from tdcoord.sweep.study_file import load_sweep_study
from tdcoord.sweep.summary import summarize
from tdcoord.sweep.table import (
    SIGNIFICANT_DIGITS,
    iso_duration,
    round_sig,
    rows_frame,
    timings_frame,
    write_table,
    write_text_atomic,
)
from tdcoord.sweep.task import check_models


@dataclasses.dataclass(frozen=True)
class SweepResult:
    """What a sweep wrote: paths by name, the table (unrounded) and the summary."""

    paths: dict[str, Path]
    frame: pd.DataFrame
    summary: dict[str, Any]
    ran: int


def resolve_model_ids(models: Sequence[str] | str | None, study_models: Any) -> tuple[str, ...]:
    """Model ids of ``--models`` / ``--all`` / the study's ``compare.models``."""
    from tdcoord.coordination.catalogue import list_models

    chosen = study_models if models is None else models
    if chosen == "all":
        return tuple(e.id for e in list_models())
    ids = tuple(chosen)
    check_models(list(ids))
    return ids


def write_samples(plan: SweepPlan, folder: Path) -> None:
    """The concrete study file of every (sample, day) (re-run one with ``tdcoord compare``)."""
    models = ",".join(plan.models)
    for g in plan.groups:
        path = folder / "samples" / f"{g.key}.yaml"
        header = (
            f"Study {plan.source.study.name}, sample {g.sample}, day {g.day.date} "
            f"(written by tdcoord sweep).\nRe-run alone: tdcoord compare {path.name} "
            f"--models {models}"
        )
        write_sample_study(g.study, path, header)


def _json_rounded(value: Any) -> Any:
    """Finite floats to :data:`SIGNIFICANT_DIGITS` (non-finite ones are left to the JSON writer,
    :mod:`tdcoord.json_output`: ``null``, listed under ``_nonfinite``)."""
    if isinstance(value, dict):
        return {k: _json_rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_rounded(v) for v in value]
    if isinstance(value, float):
        return round_sig(value)
    return value


def sweep_meta(plan: SweepPlan) -> dict[str, Any]:
    """Metadata of the tables and the summary (no run times: same bytes on every backend)."""
    study = plan.source.study
    return {
        **plan.manifest(),
        "models": list(plan.models),
        "samples": plan.samples,
        "scope": "day"
        if plan.days == (plan.days[0],) and plan.days[0].weight_days == 1.0
        else "annual",
        "resolution": iso_duration(study.fleet.dt_h),
        "intervals": study.fleet.n_intervals,
        "significant_digits": SIGNIFICANT_DIGITS,
        "uncertainty": plan.source.uncertainty.model_dump(mode="json"),
        "versions": package_versions(),
    }


def write_results(
    plan: SweepPlan, rows: list[dict[str, Any]], folder: Path, *, csv: bool, report: bool
) -> tuple[dict[str, Path], pd.DataFrame, dict[str, Any]]:
    """Tables, summary and report of the finished rows of ``plan``."""
    keys = {(m, g.sample, g.day.date.isoformat()) for g in plan.groups for m in plan.models}
    rows = [r for r in rows if row_key(r) in keys]
    meta = sweep_meta(plan)
    frame = rows_frame(rows, plan.models)
    paths: dict[str, Path] = {}
    for p in write_table(frame, folder / "sweep.parquet", meta, csv=csv):
        paths[p.name] = p
    for p in write_table(
        timings_frame(rows, plan.models), folder / "timings.parquet", meta, csv=csv
    ):
        paths[p.name] = p
    summary = summarize(frame, plan.models)
    doc = {"_meta": meta, **summary}
    paths["summary.json"] = write_text_atomic(folder / "summary.json", dumps(_json_rounded(doc)))
    if report:
        from tdcoord.sweep.report import write_sweep_report

        paths["report.html"] = write_sweep_report(
            frame, summary, meta, plan.models, folder / "report.html"
        )
    return paths, frame, summary


@dataclasses.dataclass(frozen=True)
class SweepOptions:
    """The options of ``tdcoord sweep`` (same names; ``models`` None: the study's)."""

    out: str | Path = "out/sweep"
    models: Sequence[str] | str | None = None
    samples: int | None = None
    days: str | None = None
    jobs: int = 1
    scheduler: str | None = None
    resume: bool = False
    csv: bool = False
    report: bool = True


def run_sweep(
    study: str | Path | None, options: SweepOptions, progress: Progress | None = None
) -> SweepResult:
    """Run every (model, sample, day) of ``study`` and write the outputs (module doc).

    Everything is checked (options, study, draws, every sample's study) before any task runs.
    """
    o = options
    check_jobs(o.jobs)
    check_output_target(o.out)
    source = load_sweep_study(study)
    ids = resolve_model_ids(o.models, source.study.compare.models)
    n = o.samples if o.samples is not None else source.uncertainty.samples
    plan = make_plan(source, ids, n, parse_days(o.days, source.study.fleet.season))
    folder = Path(o.out)
    store = RowStore(folder, plan.manifest(), resume=o.resume)
    try:
        write_samples(plan, folder)
        with make_executor(o.jobs, o.scheduler) as executor:
            ran = run_plan(plan, executor, store.done(), store.add, progress)
    finally:
        store.close()
    paths, frame, summary = write_results(plan, store.rows, folder, csv=o.csv, report=o.report)
    return SweepResult(paths, frame, summary, ran)
