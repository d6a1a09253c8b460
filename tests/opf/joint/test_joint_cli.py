"""``tdcoord opf joint``: JSON keys, table output, coupling on the fly, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tdcoord.cli.opf import app
from tdcoord.grid.io.native import write_grid
from tdcoord.grid.model import GridModel
from tests.opf.feeder.test_distflow import chain
from tests.opf.joint.test_joint import coupled, tr3


@pytest.fixture(scope="module")
def coupled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    grid = coupled(tr3(), [chain(4, load_mw=1.0, r=0.001, x=0.002)], [3], [2.0])
    return write_grid(grid, tmp_path_factory.mktemp("joint") / "t3.json")


def test_joint_json_keys_and_prices(coupled_file: Path) -> None:
    out = CliRunner().invoke(app, ["joint", str(coupled_file), "--lossless", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["status"] == "optimal_with_slacks"
    assert {s["kind"] for s in payload["slacks"]} == {"load_shedding"}
    assert payload["prices"]["f0/3"]["price_set_by_slack"] is True
    assert {"status", "objective", "prices", "binding", "slacks", "solver", "time_s",
            "interfaces"} <= set(payload)
    assert {"1", "2", "3", "f0/0", "f0/3"} <= set(payload["prices"])
    itf = payload["interfaces"]["f0"]
    # 3 MW + 0.9 Mvar through a 2 MVA transformer and no local resource: the rest is shed at VOLL
    assert itf["rating_mva"] == 2.0 and itf["congestion_price"] > 1000.0
    assert payload["prices"]["f0/0"]["total"] == pytest.approx(
        payload["prices"]["3"]["total"] + itf["congestion_price"], abs=1e-6
    )


def test_joint_table_and_bad_input(coupled_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["joint", str(coupled_file), "--periods", "2"])
    assert ok.exit_code == 0 and "congestion" in ok.output
    bad = runner.invoke(app, ["joint", str(coupled_file), "--per-bus", "zero"])
    assert bad.exit_code == 2 and "per-bus" in bad.output
    alg = runner.invoke(app, ["joint", str(coupled_file), "--algorithm", "admm"])
    assert alg.exit_code == 2
    lone = write_grid(GridModel(name="t", transmission=tr3(), feeders=()), tmp_path / "t.json")
    flat = runner.invoke(app, ["joint", str(lone)])
    assert flat.exit_code == 2 and "coupled" in flat.output


def test_joint_attaches_feeders(coupled_file: Path, tmp_path: Path) -> None:
    lone = write_grid(GridModel(name="t", transmission=tr3(), feeders=()), tmp_path / "t.json")
    feeder = write_grid(GridModel(name="c", transmission=None, feeders=(chain(3),)),
                        tmp_path / "c.json")
    out = CliRunner().invoke(app, ["joint", str(lone), "--feeders", str(feeder), "--json",
                                   "--algorithm", "benders", "--per-bus", "auto"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["method"] == "benders"
    # 90 MW at bus 3, a 2 MW template: 45 copies of 2 MW each
    assert len(payload["interfaces"]) == 45 and "chain@3#44" in payload["interfaces"]
    flows = [v["flow_mw"] for v in payload["interfaces"].values()]
    assert 90.0 < sum(flows) < 91.0  # the 90 MW load plus the feeders' losses



@pytest.mark.parametrize("periods", ["1", "3"])
def test_joint_screened_equals_monolithic(coupled_file: Path, periods: str) -> None:
    runner = CliRunner()
    base = ["joint", str(coupled_file), "--lossless", "--json", "--periods", periods]
    mono = runner.invoke(app, [*base, "--algorithm", "monolithic"])
    scr = runner.invoke(app, [*base, "--algorithm", "screened"])
    assert mono.exit_code == 0 and scr.exit_code == 0, scr.output
    a, b = json.loads(mono.stdout), json.loads(scr.stdout)
    assert b["method"] == "screened" and b["status"] == a["status"]
    assert b["objective"] == pytest.approx(a["objective"], rel=1e-7)
    assert b["prices"]["f0/3"]["total"] == pytest.approx(a["prices"]["f0/3"]["total"], abs=1e-6)


def test_joint_screened_needs_lossless(coupled_file: Path) -> None:
    out = CliRunner().invoke(app, ["joint", str(coupled_file), "--algorithm", "screened"])
    assert out.exit_code == 2 and "lossless" in out.output
