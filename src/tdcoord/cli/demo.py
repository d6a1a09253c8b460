"""``tdcoord demo``: the main job on the bundled default study (``make demo``).

1. Build the coupled grid, summarise it, validate it by AC power flow (``grid_info.json``,
   ``grid_check.json``).
2. Run the study day under every model of the study's ``compare.models`` (fourteen named models
   covering the ten canonical schemes by default): day-ahead, intraday and real-time markets,
   DER activation, AC validation, KPIs, settlement — and write ``kpis.json``, the Parquet tables
   (CSV with ``--csv``) and the self-contained ``report.html`` (:mod:`tdcoord.comparison.outputs`).

Everything is written into a temporary folder beside ``--out`` that replaces it at the end
(:mod:`tdcoord.output_folder`); flags and ``--out`` are checked before any work.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tdcoord.cli.common import console, run_guarded

#: Keys of ``grid_check.json`` printed as the summary table.
SUMMARY_KEYS: tuple[str, ...] = (
    "kind",
    "buses",
    "branches",
    "feeders",
    "feeder_nodes",
    "interfaces",
    "load_mw",
    "losses_mw",
    "v_min_pu",
    "v_max_pu",
    "n_violations",
)


def grid_summary(study_path: str | None, folder: Path) -> dict[str, object]:
    """Build, summarise and AC-validate the study's grid; write the two JSON files."""
    from rich.table import Table

    from tdcoord.grid.summary import grid_check, grid_info
    from tdcoord.grid.validate import validate
    from tdcoord.json_output import write_json
    from tdcoord.study import load_study

    study = load_study(study_path)
    with console.status(f"building grid of study {study.name!r}"):
        model = study.grid.build()
    info = grid_info(model)
    with console.status(f"AC validation of {len(model.feeders)} feeders and transmission"):
        check = grid_check(model, validate(model))
    write_json(folder / "grid_info.json", info)
    write_json(folder / "grid_check.json", check)
    table = Table(title=f"study {study.name}: {model.name}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in SUMMARY_KEYS:
        value = check[key]
        table.add_row(key, f"{value:.5g}" if isinstance(value, float) else str(value))
    console.print(table)
    return check


def run_demo(
    out: str | Path = "out/demo",
    study_path: str | Path | None = None,
    *,
    compare: bool = True,
    jobs: int = 0,
    csv: bool = False,
) -> dict[str, object]:
    """Run the default study and return the check summary (``jobs``: worker processes for the
    models, 0 = one per core)."""
    from tdcoord.cli.compare import print_kpi_table, run_into
    from tdcoord.cli.signals import stop_on_signals
    from tdcoord.comparison.jobs import check_jobs
    from tdcoord.output_folder import OutputFolder, check_output_target

    check_jobs(jobs)
    check_output_target(out)
    study = None if study_path is None else str(study_path)
    with stop_on_signals(), OutputFolder(out) as folder:
        check = grid_summary(study, folder.path)
        paths: dict[str, Path] = {}
        if compare:
            result, paths = run_into(
                study, None, folder.path, jobs=jobs, report=True, quiet=False, csv=csv
            )
            print_kpi_table(result)
        folder.commit()
    if paths:
        console.print(f"results written to {out}/ ({', '.join(sorted(paths))})")
    console.print(f"grid summary written to {out}/grid_info.json and {out}/grid_check.json")
    return check


def demo(
    out: str = typer.Option("out/demo", "--out", help="Folder for the results"),
    study: str | None = typer.Option(None, "--study", help="Study file (default: bundled)"),
    jobs: int = typer.Option(
        0, "--jobs", help="Models run in this many worker processes (0: one per core)"
    ),
    csv: bool = typer.Option(False, "--csv", help="Write a CSV copy of every Parquet table"),
) -> None:
    """Run the bundled default study: the grid check, then a whole day under the default
    models with AC validation, settlement, kpis.json, Parquet tables and the HTML report."""
    run_guarded(lambda: run_demo(out, study, jobs=jobs, csv=csv))
