"""The main job on the bundled default study (``make demo``).

1. Build the coupled grid, summarise it, validate it by AC power flow (``grid_info.json``,
   ``grid_check.json``).
2. Run the study day under every model of the study's ``compare.models`` (fourteen named models
   covering the ten canonical schemes by default): day-ahead, intraday and real-time markets,
   DER activation, AC validation, KPIs, settlement — and write ``kpis.json``, the CSV tables and
   the self-contained ``report.html`` (:mod:`tdcoord.comparison.outputs`).
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from tdcoord.cli.common import _clean


def run_demo(
    out: str | Path = "out/demo",
    study_path: str | Path | None = None,
    *,
    compare: bool = True,
    jobs: int = 0,
) -> dict[str, object]:
    """Run the default study and return the check summary (``jobs``: worker processes for the
    models, 0 = one per core)."""
    from tdcoord.grid.summary import grid_check, grid_info
    from tdcoord.grid.validate import validate
    from tdcoord.study import load_study

    console = Console()
    study = load_study(study_path)
    with console.status(f"building grid of study {study.name!r}"):
        model = study.grid.build()
    info = grid_info(model)
    with console.status(f"AC validation of {len(model.feeders)} feeders and transmission"):
        check = grid_check(model, validate(model))
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "grid_info.json").write_text(json.dumps(_clean(info), indent=2))
    (folder / "grid_check.json").write_text(json.dumps(_clean(check), indent=2))
    table = Table(title=f"study {study.name}: {model.name}")
    table.add_column("quantity")
    table.add_column("value", justify="right")
    for key in (
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
    ):
        value = check[key]
        table.add_row(key, f"{value:.5g}" if isinstance(value, float) else str(value))
    console.print(table)
    if compare:
        from tdcoord.cli.compare import compare as compare_command

        compare_command(
            study=str(study_path) if study_path is not None else None,
            models=None,
            all_models=False,
            out=str(folder),
            json_out=False,
            no_report=False,
            jobs=jobs,
        )
    console.print(f"grid summary written to {folder}/grid_info.json and {folder}/grid_check.json")
    return check
