"""``tdcoord compare [STUDY] [--models id,id,… | --all] [--out DIR] [--json] [--jobs N]``.

Order of work: flags are checked, then ``--out`` (writable, :mod:`tdcoord.output_folder`), then
the study file (every problem listed), and only then is anything built or solved. Results go to
a temporary folder beside ``--out`` that replaces it at the end; SIGTERM/SIGINT stop the workers
and remove the temporary folder (:mod:`tdcoord.cli.signals`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tdcoord.cli.common import console, print_json, run_guarded

if TYPE_CHECKING:
    from tdcoord.comparison.run import Comparison

#: KPI columns of the printed table (all keys are in kpis.json).
TABLE_KPIS: tuple[tuple[str, str], ...] = (
    ("total_cost", "total €"),
    ("procurement_cost", "bought €"),
    ("unresolved_violations", "viol."),
    ("double_activations", "dbl"),
    ("counter_activations", "ctr"),
    ("messages", "msgs"),
    ("compute_s", "s"),
)

#: What each abbreviated column means (printed as a legend line under the table).
TABLE_LEGEND: dict[str, str] = {
    "total €": "total cost incl. penalties for unresolved violations (EUR)",
    "bought €": "flexibility procurement cost (EUR)",
    "viol.": "unresolved violations after AC validation (count)",
    "dbl": "double activations (count)",
    "ctr": "counter-activations (count)",
    "msgs": "messages exchanged (count)",
    "s": "computation time (s)",
}


def table_legend() -> str:
    """One line explaining every abbreviated column of :data:`TABLE_KPIS`."""
    return "; ".join(f"{label} = {TABLE_LEGEND[label]}" for _, label in TABLE_KPIS)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def chosen_models(models: str | None, all_models: bool) -> list[str] | str | None:
    """The ``--models``/``--all`` choice: ids, ``"all"`` or None (the study's own list)."""
    from tdcoord.errors import UsageError

    if models is not None and all_models:
        raise UsageError(
            "--models and --all exclude each other", where="compare", fix="give one of them"
        )
    if all_models:
        return "all"
    if models is None:
        return None
    ids = [m.strip() for m in models.split(",") if m.strip()]
    if not ids:
        raise UsageError(
            f"--models {models!r} names no model",
            where="--models",
            fix="give comma-separated catalogue ids (see `tdcoord models`), or leave it out",
        )
    return ids


def run_into(
    study_path: str | None,
    chosen: list[str] | str | None,
    folder: Path,
    *,
    jobs: int,
    report: bool,
    quiet: bool,
    csv: bool = False,
) -> tuple[Comparison, dict[str, Path]]:
    """Run the comparison of ``study_path`` and write its outputs into ``folder``."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tdcoord.comparison.outputs import write_outputs
    from tdcoord.comparison.run import run_comparison
    from tdcoord.study import load_study

    spec = load_study(study_path)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console.real(),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("setting up the study day", total=None)

        def progress(model_id: str, k: int, n: int) -> None:
            bar.update(task, total=n, completed=k, description=f"model {model_id}")

        result = run_comparison(spec, chosen, progress=progress, jobs=jobs)
        bar.update(task, description="validation done; writing outputs")
        paths = write_outputs(result, folder, report=report, csv=csv)
    return result, paths


def print_kpi_table(result: Comparison) -> None:
    """The KPI table of a comparison (columns :data:`TABLE_KPIS`)."""
    from rich import box
    from rich.table import Table

    kpis = result.kpis()
    title = f"study {result.study.name}: {len(kpis)} models, {result.day.n_intervals} intervals"
    table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("model", no_wrap=True)
    for _, label in TABLE_KPIS:
        table.add_column(label, justify="right")
    for r in result.runs:
        k = kpis[r.entry.id]
        table.add_row(r.entry.id, *(_fmt(k.get(key, "")) for key, _ in TABLE_KPIS))
    console.print(table)
    console.print(table_legend(), highlight=False)


def compare(
    study: str | None = typer.Argument(None, help="Study file (default: the bundled one)"),
    models: str | None = typer.Option(None, "--models", help="Comma-separated catalogue ids"),
    all_models: bool = typer.Option(False, "--all", help="Every model of the catalogue"),
    out: str = typer.Option(
        "out/compare", "--out", help="Folder for kpis.json, Parquet tables, report"
    ),
    json_out: bool = typer.Option(False, "--json", help="Print kpis.json to stdout"),
    no_report: bool = typer.Option(False, "--no-report", help="Skip the HTML report"),
    jobs: int = typer.Option(
        1, "--jobs", help="Models run in this many worker processes (0: one per core)"
    ),
    csv: bool = typer.Option(False, "--csv", help="Write a CSV copy of every Parquet table"),
) -> None:
    """Run named coordination models on the same study day; print and write the KPIs."""

    def body() -> None:
        import json

        from tdcoord.cli.signals import stop_on_signals
        from tdcoord.comparison.jobs import check_jobs
        from tdcoord.output_folder import OutputFolder, check_output_target

        chosen = chosen_models(models, all_models)
        check_jobs(jobs)
        check_output_target(out)
        with stop_on_signals(), OutputFolder(out) as folder:
            result, paths = run_into(
                study,
                chosen,
                folder.path,
                jobs=jobs,
                report=not no_report,
                quiet=json_out,
                csv=csv,
            )
            target = folder.commit()
        if json_out:
            print_json(json.loads((target / "kpis.json").read_text()))
            return
        print_kpi_table(result)
        meta = json.loads((target / "kpis.json").read_text()).get("_meta", {})
        created = meta.get("provenance", {}).get("created_utc", "?")
        console.print(f"results written to {out}/ ({', '.join(sorted(paths))}), created {created}")

    run_guarded(body)
