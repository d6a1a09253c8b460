"""``tdcoord grid info|check SOURCE``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tdcoord.cli.common import console, print_json, run_guarded

if TYPE_CHECKING:
    from rich.table import Table

    from tdcoord.grid.model import GridModel

app = typer.Typer(
    help="Inspect and validate grids (SOURCE: file.m, file.json, pandapower:NAME, "
    "pglib:CASE, simbench:CODE, or a study file .yaml: its coupled grid).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def load_source(source: str) -> GridModel:
    """The grid of ``source``: a study file (``.yaml``/``.yml``) gives its coupled grid
    (transmission + attached feeders, :meth:`tdcoord.study.schema.GridSpec.build`); any other
    SOURCE goes to :func:`tdcoord.grid.io.source.load_grid`."""
    from pathlib import Path

    if Path(source).suffix.lower() in (".yaml", ".yml"):
        from tdcoord.study import load_study

        return load_study(source).grid.build()
    from tdcoord.grid.io.source import load_grid

    return load_grid(source)


def _table(title: str, data: dict[str, object]) -> Table:
    from rich.table import Table

    table = Table(title=title, show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value")
    for key, value in data.items():
        if isinstance(value, list):
            continue
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    return table


@app.command()
def info(
    source: str = typer.Argument(..., help="Grid SOURCE or study file (.yaml)"),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (documented keys)"),
) -> None:
    """Counts, total load and generation, feeders and interfaces of a grid."""

    def body() -> None:
        from tdcoord.grid.summary import grid_info

        data = grid_info(load_source(source))
        if json_out:
            print_json(data)
        else:
            console.print(_table(f"grid {data['name']}", data))

    run_guarded(body)


@app.command()
def check(
    source: str = typer.Argument(..., help="Grid SOURCE or study file (.yaml)"),
    json_out: bool = typer.Option(False, "--json", help="Print JSON (documented keys)"),
) -> None:
    """AC power-flow validation (pandapower): losses, voltages and every violation."""

    def body() -> None:
        from rich.table import Table

        from tdcoord.grid.summary import grid_check
        from tdcoord.grid.validate import validate

        model = load_source(source)
        data = grid_check(model, validate(model))
        if json_out:
            print_json(data)
            return
        console.print(_table(f"grid {data['name']}: AC validation", data))
        violations = data["violations"]
        assert isinstance(violations, list)
        if violations:
            table = Table(title=f"{len(violations)} violations")
            for col in ("network", "kind", "element", "value", "limit"):
                table.add_column(col)
            for v in violations[:50]:
                table.add_row(
                    *(
                        f"{v[c]:.5g}" if isinstance(v[c], float) else str(v[c])
                        for c in ("network", "kind", "element", "value", "limit")
                    )
                )
            console.print(table)
        else:
            console.print("[green]no violations[/]")

    run_guarded(body)
