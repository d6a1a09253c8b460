from __future__ import annotations

from pathlib import Path

import pytest

from tdcoord.errors import StudyError
from tdcoord.sweep.study_file import load_sweep_study

STUDY = Path(__file__).with_name("sweep_study.yaml")


def test_the_uncertainty_section_is_read_apart() -> None:
    s = load_sweep_study(STUDY)
    assert s.study.name == "small_sweep"
    assert s.uncertainty.samples == 3
    assert "uncertainty" not in s.raw
    assert s.uncertainty.varied() == (
        "non_delivery_probability",
        "der_penetration_scale",
        "offer_markup",
        "penalty_scale",
    )


def test_a_study_without_uncertainty_is_fine() -> None:
    s = load_sweep_study(Path(__file__).parents[1] / "comparison" / "small_study.yaml")
    assert s.uncertainty.varied() == () and s.uncertainty.events is None


def test_a_bad_uncertainty_section_says_where(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = STUDY.read_text().replace("high: 0.1}", "high: -0.1}")
    bad.write_text(text)
    with pytest.raises(StudyError, match="uncertainty.non_delivery_probability"):
        load_sweep_study(bad)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="no such study file"):
        load_sweep_study(tmp_path / "nope.yaml")
