"""The CLI front door stays light: ``tdcoord --version`` and ``--help`` import none of the heavy
packages (issue 11: under 0.3 s; timings themselves live in benchmarks/)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("numpy", "pandas", "scipy", "pandapower", "plotly", "highspy", "rich", "pygments")


def test_front_door_imports_no_heavy_package() -> None:
    code = (
        "import sys\n"
        "from tdcoord.cli.main import app\n"
        "try:\n"
        "    app(['--help'], prog_name='tdcoord')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "[]", out
