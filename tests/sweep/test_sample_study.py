from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from tdcoord.errors import StudyError
from tdcoord.sweep.sample_study import concrete_mapping, sample_study, write_sample_study
from tdcoord.sweep.study_file import load_sweep_study
from tdcoord.sweep.sweep_day import SweepDay

STUDY = Path(__file__).with_name("sweep_study.yaml")
SUMMER = SweepDay(dt.date(2016, 7, 14), 1.0)


def test_draws_map_to_study_fields() -> None:
    src = load_sweep_study(STUDY)
    draws = {
        "non_delivery_probability": 0.07,
        "der_penetration_scale": 2.0,
        "offer_markup": 0.15,
        "penalty_scale": 2.0,
        "events": [],
    }
    m = concrete_mapping(src.raw, src.study, draws, SUMMER, 1234)
    assert m["fleet"]["season"] == "summer"
    assert m["compare"]["seed"] == 1234
    assert m["compare"]["non_delivery_probability"] == 0.07
    assert m["fleet"]["shares"]["pv"] == 0.9 and m["fleet"]["shares"]["ev"] == 0.7
    assert m["fleet"]["shares"]["pv"] <= 1.0
    assert m["market"]["strategy"] == "markup"
    assert m["market"]["strategy_params"]["markup"] == 0.15
    assert m["compare"]["penalties"]["voll_eur_per_mwh"] == 20_000.0
    assert m["compare"]["events"] == []
    assert "uncertainty" not in m
    assert src.raw["compare"]["seed"] == 3  # the source is not changed


def test_markup_needs_a_cost_based_strategy() -> None:
    src = load_sweep_study(STUDY)
    raw = {**src.raw, "market": {**src.raw["market"], "strategy": "withholding"}}
    with pytest.raises(StudyError, match="offer_markup"):
        concrete_mapping(raw, src.study, {"offer_markup": 0.1}, SUMMER, 1)


def test_the_written_file_reads_back_as_the_same_study(tmp_path: Path) -> None:
    src = load_sweep_study(STUDY)
    s = sample_study(src.raw, src.study, {"forecast_error_scale": 1.5}, SUMMER, 9, STUDY)
    path = write_sample_study(s, tmp_path / "s.yaml", "a header")
    text = path.read_text()
    assert text.startswith("# a header") and "forecast_error_scale: 1.5" in text
    assert yaml.safe_load(text) == s.mapping
    # the draw is a study field, so `tdcoord compare` on the file applies it too
    assert s.mapping["compare"]["forecast_error_scale"] == 1.5
    assert s.study.compare.forecast_error_scale == 1.5


def test_a_day_of_days_carries_its_date_the_study_day_does_not() -> None:
    from tdcoord.sweep.days import parse_days

    src = load_sweep_study(STUDY)
    (own,) = parse_days(None, "winter")
    m = concrete_mapping(src.raw, src.study, {}, own, 1)
    assert "date" not in m["fleet"]  # the study's own day keeps the standard shapes
    (listed,) = parse_days("2016-03-02", "winter")
    s = sample_study(src.raw, src.study, {}, listed, 1, STUDY)
    assert s.mapping["fleet"]["date"] == "2016-03-02"
    assert s.study.fleet.date == dt.date(2016, 3, 2) and s.study.fleet.season == "winter"
