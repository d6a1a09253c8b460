"""The small study (tests/comparison/small_study.yaml) run twice, outputs written to two
folders: a real ``kpis.json`` and two ``report.html`` files for the report's end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SMALL = Path(__file__).parents[1] / "comparison" / "small_study.yaml"


@pytest.fixture(scope="session")
def small_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two independent runs of the small study (each solved from scratch), their out folders."""
    from tdcoord.comparison.outputs import write_outputs
    from tdcoord.comparison.run import run_comparison
    from tdcoord.study import load_study

    folders = []
    for k in range(2):
        out = tmp_path_factory.mktemp(f"small{k}")
        write_outputs(run_comparison(load_study(SMALL)), out)
        folders.append(out)
    return folders[0], folders[1]
