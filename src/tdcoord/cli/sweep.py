"""``tdcoord sweep STUDY [--models …|--all] [--samples N] [--days …] [--out DIR] [--jobs N]
[--scheduler ADDRESS] [--resume] [--csv]``: Monte Carlo over samples and days (docs/sweep.md).

SIGTERM and Ctrl-C stop the run (:mod:`tdcoord.cli.signals`): the local workers are terminated,
the rows finished so far stay in ``DIR/rows.jsonl``, and ``--resume`` runs the rest.
"""

from __future__ import annotations

import typer

from tdcoord.cli.common import console, run_guarded


def sweep(  # typer: one parameter per command-line option
    study: str = typer.Argument(..., help="Study file (with an optional uncertainty: section)"),
    models: str | None = typer.Option(None, "--models", help="Comma-separated catalogue ids"),
    all_models: bool = typer.Option(False, "--all", help="Every model of the catalogue"),
    samples: int | None = typer.Option(
        None, "--samples", help="Samples (default: the study's uncertainty.samples)"
    ),
    days: str | None = typer.Option(
        None, "--days", help="ISO dates (2016-01-15,2016-07-14) or representative:K"
    ),
    out: str = typer.Option("out/sweep", "--out", help="Folder for sweep.parquet, summary, report"),
    jobs: int = typer.Option(1, "--jobs", help="Local worker processes (0: one per core)"),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Dask scheduler address (tcp://host:8786) instead of --jobs"
    ),
    resume: bool = typer.Option(False, "--resume", help="Keep finished rows, run the missing"),
    csv: bool = typer.Option(False, "--csv", help="CSV copies of the tables"),
    no_report: bool = typer.Option(False, "--no-report", help="Skip the HTML report"),
) -> None:
    """Run every (model, sample, day) of a study; write sweep.parquet, summary.json, report."""

    def body() -> None:
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        from tdcoord.cli.compare import chosen_models
        from tdcoord.cli.signals import stop_on_signals
        from tdcoord.output_folder import check_output_target
        from tdcoord.sweep.run import SweepOptions, run_sweep

        chosen = chosen_models(models, all_models)  # flags and --out checked before any work
        check_output_target(out)
        with stop_on_signals(), Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console.real(),
            transient=True,
        ) as bar:
            task = bar.add_task("planning the sweep", total=None)

            def progress(k: int, n: int) -> None:
                bar.update(task, total=n, completed=k, description="model-days")

            options = SweepOptions(
                out=out,
                models=chosen,
                samples=samples,
                days=days,
                jobs=jobs,
                scheduler=scheduler,
                resume=resume,
                csv=csv,
                report=not no_report,
            )
            result = run_sweep(study, options, progress)
        n_rows = len(result.frame)
        console.print(f"{result.ran} model-days run, {n_rows} rows in {out}/sweep.parquet")
        for m, s in result.summary.items():
            cost = s.get("total_cost", {})
            console.print(
                f"  {m}: p_best {s.get('p_best', float('nan')):.2f}, total_cost mean "
                f"{cost.get('mean', float('nan')):,.0f} (p5 {cost.get('p5', float('nan')):,.0f}, "
                f"p95 {cost.get('p95', float('nan')):,.0f})"
            )
        console.print(f"results written to {out}/ ({', '.join(sorted(result.paths))})")

    run_guarded(body)
