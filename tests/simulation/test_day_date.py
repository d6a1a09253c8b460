"""A dated study day (``fleet.date``): the date's own profiles reach the day builder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tdcoord.pipeline import build_shared_day
from tdcoord.study import Study
from tdcoord.study.load import load_study

pytest.importorskip("simbench")
STUDY = Path(__file__).parents[1] / "comparison" / "small_study.yaml"


def _dated(date: str | None) -> Study:
    base = load_study(STUDY)
    fleet = base.fleet.model_copy(
        update={"date": None if date is None else dt.date.fromisoformat(date)}
    )
    return base.model_copy(update={"fleet": fleet})


def _baseline(date: str | None) -> tuple[np.ndarray, np.ndarray]:
    day = build_shared_day(_dated(date)).day
    return day.der_baseline_mw, day.actual.net_demand_mw()


def test_two_dates_give_different_baselines_the_same_date_identical_ones() -> None:
    der_a, nd_a = _baseline("2016-01-15")
    der_b, nd_b = _baseline("2016-03-02")
    der_a2, nd_a2 = _baseline("2016-01-15")
    assert not np.array_equal(nd_a, nd_b)
    assert not np.array_equal(der_a, der_b)  # PV and flexible load follow the date
    assert np.array_equal(nd_a, nd_a2) and np.array_equal(der_a, der_a2)


def test_without_a_date_the_standard_day_is_unchanged() -> None:
    _, nd_none = _baseline(None)
    _, nd_date = _baseline("2016-01-15")
    assert not np.array_equal(nd_none, nd_date)
    assert np.array_equal(nd_none, build_shared_day(load_study(STUDY)).day.actual.net_demand_mw())
