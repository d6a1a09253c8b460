"""SIGTERM stops ``tdcoord sweep --jobs 2``: no worker outlives it, finished rows are kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

STUDY = str(Path(__file__).parents[1] / "sweep" / "sweep_study.yaml")


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            pids.append(int(entry.name))
    return pids


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_sigterm_stops_the_workers_and_keeps_the_rows(tmp_path: Path) -> None:
    out = tmp_path / "interrupted-sweep"
    cmd = [sys.executable, "-m", "tdcoord.cli", "sweep", STUDY, "--samples", "6", "--jobs", "2",
           "--out", str(out), "--no-report"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rows = out / "rows.jsonl"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if rows.exists() and rows.read_text().count("\n") >= 1:
            break
        time.sleep(0.2)
    assert proc.poll() is None, "the sweep ended before it could be interrupted"
    os.kill(proc.pid, signal.SIGTERM)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, output
    time.sleep(0.5)
    assert _processes_mentioning(str(out)) == []
    kept = rows.read_text().count("\n")
    assert 1 <= kept < 12
