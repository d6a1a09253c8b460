"""Root of the ``tdcoord`` command line."""

from __future__ import annotations

import typer

from tdcoord.cli.admin import app as admin_app
from tdcoord.cli.common import set_debug, show_warnings_as_lines
from tdcoord.cli.compare import compare as compare_command
from tdcoord.cli.demo import demo as demo_command
from tdcoord.cli.fleet import app as fleet_app
from tdcoord.cli.grid import app as grid_app
from tdcoord.cli.models import models as models_command
from tdcoord.cli.opf import app as opf_app
from tdcoord.cli.serve import serve as serve_command
from tdcoord.cli.sweep import sweep as sweep_command

app = typer.Typer(
    name="tdcoord",
    help="TSO–DSO coordination of distributed energy resources: grids, prices, coordination "
    "models, validation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: rich and pygments stay unimported (fast --help)
)
app.add_typer(grid_app, name="grid")
app.add_typer(opf_app, name="opf")
app.add_typer(fleet_app, name="fleet")
app.command("models", help="List every named coordination model of the catalogue.")(
    models_command
)
app.command("serve", help="Serve the live platform (needs the service extra).")(serve_command)
app.add_typer(admin_app, name="admin")
app.command("compare", help="Run named coordination models side by side on a study day.")(
    compare_command
)
app.command("demo")(demo_command)
app.command("sweep", help="Monte Carlo over samples and days (docs/sweep.md).")(sweep_command)


def _version(value: bool) -> None:
    if value:
        from tdcoord import __version__

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
