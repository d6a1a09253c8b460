"""Outputs written atomically and runs stopped cleanly (issue 16 items 4 and 5)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tdcoord.errors import OutputError
from tdcoord.output_folder import OutputFolder, check_output_target

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "comparison" / "small_study.yaml"


def test_commit_replaces_every_old_file(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("old report")
    (out / "kpis.json").write_text("old")
    with OutputFolder(out) as folder:
        (folder.path / "kpis.json").write_text("new")
        folder.commit()
    assert sorted(p.name for p in out.iterdir()) == ["kpis.json"]  # no stale report
    assert (out / "kpis.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder left


def test_failed_run_keeps_previous_results(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "kpis.json").write_text("previous")
    with pytest.raises(RuntimeError), OutputFolder(out) as folder:
        (folder.path / "kpis.json").write_text("half")
        raise RuntimeError("killed")
    assert (out / "kpis.json").read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("bad", ["/dev/null/x", "/proc/version"])
def test_unwritable_target_fails_at_once(bad: str) -> None:
    with pytest.raises(OutputError):
        check_output_target(bad)


def _children(pid: int) -> set[int]:
    out: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out |= {int(c) for c in (task / "children").read_text().split()}
    return out


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.split(") ")[1][0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_workers_and_removes_temporary_output(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "tdcoord.cli",
        "compare",
        str(SMALL),
        "--jobs",
        "2",
        "--out",
        str(out),
        "--json",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.2)
    assert len(workers) >= 2, "the workers never started"
    time.sleep(0.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "interrupted" in err and "Traceback" not in err, err
    time.sleep(0.5)
    assert not any(_alive(w) for w in workers), "a worker outlived the run"
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # the temporary folder is gone
