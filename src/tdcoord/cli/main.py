"""Root of the ``tdcoord`` command line."""

from __future__ import annotations

import typer

from tdcoord import __version__
from tdcoord.cli import grid, opf
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
) -> None:
    """Run the bundled default study (today: grid summary and AC validation of the default
    coupled grid; the full study pipeline follows)."""
    from tdcoord.cli.common import run_guarded
    from tdcoord.demo import run_demo

    run_guarded(lambda: run_demo(out))
