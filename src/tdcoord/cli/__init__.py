"""The ``tdcoord`` command line (typer + rich). Entry point: :data:`app`."""

from tdcoord.cli.main import app

__all__ = ["app"]
