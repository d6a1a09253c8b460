"""Root of the ``tdcoord`` command line."""

from __future__ import annotations

import typer

from tdcoord import __version__
from tdcoord.cli import admin as admin_cli
from tdcoord.cli import compare as compare_cli
from tdcoord.cli import fleet, grid, opf
from tdcoord.cli import models as models_cli
from tdcoord.cli import serve as serve_cli
from tdcoord.cli.common import console, set_debug

app = typer.Typer(
    name="tdcoord",
    help="TSO–DSO coordination of distributed energy resources: grids, prices, coordination "
    "models, validation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(grid.app, name="grid")
app.add_typer(opf.app, name="opf")
app.add_typer(fleet.app, name="fleet")
app.command("models", help="List every named coordination model of the catalogue.")(
    models_cli.models
)
app.command("serve", help="Serve the live platform (needs the service extra).")(serve_cli.serve)
app.add_typer(admin_cli.app, name="admin")
app.command("compare", help="Run named coordination models side by side on a study day.")(
    compare_cli.compare
)


def _version(value: bool) -> None:
    if value:
        console.print(f"tdcoord {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """tdcoord command line."""
    set_debug(debug)


@app.command()
def demo(
    out: str = typer.Option("out/demo", "--out", help="Folder for the results"),
    study: str | None = typer.Option(None, "--study", help="Study file (default: bundled)"),
    jobs: int = typer.Option(
        0, "--jobs", help="Models run in this many worker processes (0: one per core)"
    ),
) -> None:
    """Run the bundled default study: the grid check, then a whole day under the default
    models with AC validation, settlement, kpis.json and the HTML report."""
    from tdcoord.cli.common import run_guarded
    from tdcoord.demo import run_demo

    run_guarded(lambda: run_demo(out, study, jobs=jobs))
