"""One small sweep (2 models × 2 samples × 1 day, inline), run once for the sweep tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tdcoord.sweep.run import SweepOptions, SweepResult, run_sweep

SWEEP_STUDY = Path(__file__).with_name("sweep_study.yaml")


@pytest.fixture(scope="session")
def inline_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SweepResult]:
    out = tmp_path_factory.mktemp("sweep") / "inline"
    result = run_sweep(SWEEP_STUDY, SweepOptions(out=out, samples=2, jobs=1, csv=True))
    return out, result


@pytest.fixture
def sweep_copy(inline_sweep: tuple[Path, SweepResult], tmp_path: Path) -> Path:
    """A copy of the inline sweep's folder, to change."""
    dst = tmp_path / "copy"
    shutil.copytree(inline_sweep[0], dst)
    return dst
