"""``python -m tdcoord.cli``: the command line."""

from tdcoord.cli.main import app

app(prog_name="tdcoord")
