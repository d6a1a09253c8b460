"""Root of the ``tdcoord`` command line."""

from __future__ import annotations

import typer

from tdcoord import __version__
from tdcoord.cli import admin as admin_cli
from tdcoord.cli import compare as compare_cli
from tdcoord.cli import fleet, grid, opf
from tdcoord.cli import models as models_cli
from tdcoord.cli import serve as serve_cli
from tdcoord.cli import sweep as sweep_cli
from tdcoord.cli.common import set_debug, show_warnings_as_lines
from tdcoord.cli.demo import demo as demo_command

app = typer.Typer(
    name="tdcoord",
    help="TSO–DSO coordination of distributed energy resources: grids, prices, coordination "
    "models, validation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich and pygments stay unimported (fast --help)
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
app.command("demo")(demo_command)
app.command("sweep", help="Monte Carlo over samples and days (docs/sweep.md).")(sweep_cli.sweep)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tdcoord {__version__}")  # plain echo: rich is not imported for this
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
    show_warnings_as_lines()
