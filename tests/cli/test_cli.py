"""The command line contract: --version, --help everywhere, JSON keys, one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tdcoord import __version__
from tdcoord.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["grid", "--help"],
        ["grid", "info", "--help"],
        ["grid", "check", "--help"],
        ["demo", "--help"],
        ["models", "--help"],
        ["compare", "--help"],
        ["opf", "joint", "--help"],
    ],
)
def test_help_everywhere(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_grid_info_json() -> None:
    result = runner.invoke(app, ["grid", "info", "pandapower:case33bw", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "distribution"
    assert data["feeders"] == 1 and data["feeder_nodes"] == 33 and data["interfaces"] == 0
    assert data["load_mw"] == pytest.approx(3.715)
    for key in ("buses", "branches", "feeders", "interfaces", "load_mw"):
        assert key in data


def test_grid_check_json() -> None:
    result = runner.invoke(app, ["grid", "check", "pandapower:case33bw", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["losses_mw"] == pytest.approx(0.20268, abs=5e-6)
    assert data["v_min_pu"] == pytest.approx(0.91309, abs=5e-6)
    assert data["violations"] == [] and data["converged"] is True
    assert "v_max_pu" in data


def test_error_is_one_line_without_traceback() -> None:
    result = runner.invoke(app, ["grid", "info", "pandapower:case33"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "did you mean" in result.output


@pytest.mark.parametrize(
    "args", [["opf", "--help"], ["opf", "dc", "--help"], ["opf", "feeder", "--help"]]
)
def test_opf_help(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_opf_dc_pjm5_json() -> None:
    """PJM 5-bus, MATPOWER convention (../shared/reference/README.md): LMP at bus 4 (id 3) = 39.943."""
    result = runner.invoke(
        app, ["opf", "dc", "pandapower:case5", "--convention", "matpower", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(17479.90, abs=0.01)
    price = data["prices"]["3"]
    assert price["total"] == pytest.approx(39.943, abs=1e-3)
    assert price["energy"] + price["congestion"] + price["loss"] == pytest.approx(
        price["total"], abs=1e-9
    )


def test_opf_feeder_json_keys() -> None:
    result = runner.invoke(app, ["opf", "feeder", "pandapower:case33bw", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in (
        "status",
        "objective",
        "prices",
        "binding",
        "slacks",
        "solver",
        "time_s",
        "losses_mw",
        "v_min_pu",
        "v_max_pu",
    ):
        assert key in data
