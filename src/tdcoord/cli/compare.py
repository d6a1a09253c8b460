"""``tdcoord compare [STUDY] [--models id,id,… | --all] [--out DIR] [--json] [--jobs N]``."""

from __future__ import annotations

from typing import Any

import typer

from tdcoord.cli.common import console, print_json, run_guarded

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


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 10 else f"{value:.3g}"
    return str(value)


def compare(
    study: str | None = typer.Argument(None, help="Study file (default: the bundled one)"),
    models: str | None = typer.Option(None, "--models", help="Comma-separated catalogue ids"),
    all_models: bool = typer.Option(False, "--all", help="Every model of the catalogue"),
    out: str = typer.Option("out/compare", "--out", help="Folder for kpis.json, CSVs, report"),
    json_out: bool = typer.Option(False, "--json", help="Print kpis.json to stdout"),
    no_report: bool = typer.Option(False, "--no-report", help="Skip the HTML report"),
    jobs: int = typer.Option(
        1, "--jobs", help="Models run in this many worker processes (0: one per core)"
    ),
) -> None:
    """Run named coordination models on the same study day; print and write the KPIs."""

    def body() -> None:
        from rich import box
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        from tdcoord.comparison.outputs import write_outputs
        from tdcoord.comparison.run import run_comparison
        from tdcoord.errors import StudyError
        from tdcoord.study import load_study

        if models and all_models:
            raise StudyError(
                "--models and --all exclude each other", where="compare", fix="give one of them"
            )
        chosen: list[str] | str | None = "all" if all_models else None
        if models:
            chosen = [m.strip() for m in models.split(",") if m.strip()]
        spec = load_study(study)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            disable=json_out,
            transient=True,
        ) as bar:
            task = bar.add_task("setting up the study day", total=None)

            def progress(model_id: str, k: int, n: int) -> None:
                bar.update(task, total=n, completed=k, description=f"model {model_id}")

            result = run_comparison(spec, chosen, progress=progress, jobs=jobs)
            bar.update(task, description="validation done; writing outputs")
            paths = write_outputs(result, out, report=not no_report)
        kpis = result.kpis()
        if json_out:
            import json

            print_json(json.loads(paths["kpis.json"].read_text()))
            return
        title = f"study {spec.name}: {len(kpis)} models, {result.day.n_intervals} intervals"
        table = Table(title=title, box=box.SIMPLE_HEAD, padding=(0, 1))
        table.add_column("model", no_wrap=True)
        for _, label in TABLE_KPIS:
            table.add_column(label, justify="right")
        for r in result.runs:
            k = kpis[r.entry.id]
            cells = (_fmt(k.get(key, "")) for key, _ in TABLE_KPIS)
            table.add_row(r.entry.id, *cells)
        console.print(table)
        console.print(f"results written to {out}/ ({', '.join(sorted(paths))})")

    run_guarded(body)
