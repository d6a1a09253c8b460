"""``tdcoord sweep``: bad input fails with one line before any work."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tdcoord.cli import app

STUDY = str(Path(__file__).parents[1] / "sweep" / "sweep_study.yaml")


def test_models_and_all_exclude_each_other(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["sweep", STUDY, "--models", "eu.local", "--all", "--out", str(tmp_path)]
    )
    assert res.exit_code != 0
    assert "exclude each other" in res.output


def test_bad_samples_and_days_are_rejected(tmp_path: Path) -> None:
    for args in (["--samples", "0"], ["--days", "representative:0"], ["--jobs", "-2"]):
        res = CliRunner().invoke(app, ["sweep", STUDY, "--out", str(tmp_path / "x"), *args])
        assert res.exit_code != 0, args
    assert not (tmp_path / "x" / "rows.jsonl").exists()


def test_an_unknown_model_is_named(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["sweep", STUDY, "--models", "xx.none", "--out", str(tmp_path)])
    assert res.exit_code != 0
    assert "xx.none" in res.output


def test_an_out_that_is_a_file_is_rejected_before_any_work(tmp_path: Path) -> None:
    target = tmp_path / "a_file"
    target.write_text("x")
    res = CliRunner().invoke(app, ["sweep", STUDY, "--out", str(target)])
    assert res.exit_code != 0
    assert "not a folder" in res.output
