"""``tdcoord fleet build|prequalify`` on a small study (CIGRE MV, large customers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tdcoord.cli.fleet import app

STUDY = """\
name: small
grid:
  source: pandapower:create_cigre_network_mv
fleet:
  phase: subsequent_phase
  season: summer
  customer_peak_kw: 40
  n_intervals: 24
  dt_h: 1.0
market:
  preset: nodes
  products: [congestion_dso, voltage_support]
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("study") / "small.yaml"
    path.write_text(STUDY)
    return path


def test_build_json(study: Path) -> None:
    res = runner.invoke(app, ["build", str(study), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    fleet = data["fleet"]
    assert data["study"] == "small"
    assert sum(v["count"] for v in fleet["by_type"].values()) == fleet["n_der"] > 0
    assert sum(v["count"] for v in fleet["by_aggregator"].values()) == fleet["n_der"]
    off = data["offers"]
    assert off["n_rows"] == sum(v["rows"] for v in off["by_direction"].values())
    assert set(off["by_product"]) == {"congestion_dso", "voltage_support"}
    assert {"up", "down", "q_up", "q_down"} <= set(off["by_direction"])
    assert data["market"]["preset"] == "nodes"


def test_build_table(study: Path) -> None:
    res = runner.invoke(app, ["build", str(study)])
    assert res.exit_code == 0 and "by type" in res.output and "offers:" in res.output


def test_prequalify_json(study: Path) -> None:
    res = runner.invoke(app, ["prequalify", str(study), "--json", "--limit", "3"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    for pid in ("congestion_dso", "voltage_support"):
        p = data["products"][pid]
        assert sum(p["counts"].values()) == data["n_der"]
        assert p["n_flagged"] == p["counts"]["red"] + p["counts"]["amber"]
        assert len(p["flagged"]) == min(3, p["n_flagged"])
        for row in p["flagged"]:
            assert row["light"] in ("red", "amber") and row["reasons"]


def test_bad_study_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(STUDY.replace("preset: nodes", "preset: atlantis"))
    res = runner.invoke(app, ["build", str(bad)])
    assert res.exit_code == 2
    assert "unknown preset 'atlantis'" in res.output and "market" in res.output


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("preset: nodes", "preset: atlantis", "unknown preset 'atlantis'"),
        ("[congestion_dso, voltage_support]", "[congestion_dso, flex9]", "unknown product 'flex9'"),
        ("preset: nodes", "preset: nodes\n  strategy: greedy", "unknown bidding strategy"),
        ("customer_peak_kw: 40", "customer_peak_kw: -1", "greater than 0"),
        (
            "[congestion_dso, voltage_support]",
            "[congestion_dso, voltage_support]\n  availability_price_eur_per_mw_h: {capacity_nwa: 5}",
            "not in market.products",
        ),
        (
            "[congestion_dso, voltage_support]",
            "[congestion_dso, voltage_support]\n  availability_price_eur_per_mw_h: "
            "{congestion_dso: 5}",
            "not a capacity product",
        ),
    ],
)
def test_study_sections_validated(tmp_path: Path, old: str, new: str, message: str) -> None:
    from tdcoord.errors import StudyError
    from tdcoord.study import load_study

    bad = tmp_path / "bad.yaml"
    bad.write_text(STUDY.replace(old, new))
    with pytest.raises(StudyError, match=message) as err:
        load_study(bad)
    assert err.value.where.split(".")[0] in ("market", "fleet")


def test_default_study_sections() -> None:
    from tdcoord.study import load_study

    spec = load_study()
    assert spec.fleet.phase == "subsequent_phase" and spec.fleet.customer_peak_kw == 100
    assert spec.market.preset == "eu_generic" and spec.market.products == ["congestion_shared"]
