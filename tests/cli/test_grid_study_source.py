"""``tdcoord grid info|check`` take a study file as SOURCE: the study's coupled grid."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tdcoord.cli import app
from tdcoord.grid.coupling import load_buses
from tdcoord.grid.io.source import load_grid
from tdcoord.study import load_study

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "comparison" / "small_study.yaml"
LARGE = ROOT / "scenarios" / "large.yaml"


def test_grid_info_of_a_study_is_its_coupled_grid() -> None:
    result = runner.invoke(app, ["grid", "info", str(SMALL), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    grid = load_study(SMALL).grid.build()  # independent: the study's own grid builder
    assert data["kind"] == "coupled"
    assert data["feeders"] == len(grid.feeders) == data["interfaces"] > 0
    assert data["buses"] == grid.transmission.n_bus
    assert data["feeder_nodes"] == sum(f.n_node for f in grid.feeders)


def test_grid_check_of_a_study_validates_its_coupled_grid() -> None:
    result = runner.invoke(app, ["grid", "check", str(SMALL), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["converged"] is True and "violations" in data


def test_a_bad_study_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ngrid: {transmission: pglib:case14_ieee, source: pglib:case5_pjm}\n")
    result = runner.invoke(app, ["grid", "info", str(bad)])
    assert result.exit_code != 0
    assert "Traceback" not in result.output and "bad.yaml" in result.output


def test_large_study_is_national_scale() -> None:
    """scenarios/large.yaml: 2,000 transmission buses, ~1,000 feeders (>= 1 per load bus)."""
    result = runner.invoke(app, ["grid", "info", str(LARGE), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    spec = load_study(LARGE)
    assert spec.grid.transmission is not None
    n_load_buses = len(load_buses(load_grid(spec.grid.transmission).transmission))
    assert data["buses"] == 2000 and data["kind"] == "coupled"
    assert data["interfaces"] == data["feeders"] >= n_load_buses == 1010
    assert 1000 <= data["feeders"] <= 1300  # about 1,000: 1,259 (per_bus: auto)
    assert spec.fleet.phase == "subsequent_phase"
