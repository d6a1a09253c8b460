from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tdcoord.errors import StudyError
from tdcoord.sweep.days import parse_days, study_day
from tdcoord.sweep.representative import pick_medoids, representative_days


def test_no_days_is_the_study_day() -> None:
    (day,) = parse_days(None, "winter")
    assert day == study_day("winter")
    assert day.weight_days == 1.0 and day.season == "winter"
    assert parse_days(None, "summer")[0].season == "summer"


def test_a_list_of_dates_shares_the_year() -> None:
    days = parse_days("2016-07-14, 2016-01-15", "winter")
    assert [d.date for d in days] == [dt.date(2016, 1, 15), dt.date(2016, 7, 14)]
    assert [d.season for d in days] == ["winter", "summer"]
    assert sum(d.weight_days for d in days) == 365.0
    assert days[0].timestamp.tzinfo is dt.UTC


@pytest.mark.parametrize(
    "text", ["2016-13-01", "2016-01-15,2016-01-15", "representative:0", "representative:x"]
)
def test_bad_days_are_rejected(text: str) -> None:
    with pytest.raises(StudyError, match="--days"):
        parse_days(text, "winter")


def test_medoids_are_days_of_their_cluster() -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(0.0, 0.01, size=(10, 4))
    b = rng.normal(1.0, 0.01, size=(5, 4))
    picked = pick_medoids(np.vstack([a, b]), 2)
    assert sorted(size for _, size in picked) == [5, 10]
    rows = sorted(row for row, _ in picked)
    assert rows[0] < 10 <= rows[1]
    assert pick_medoids(a, 20) == [(i, 1) for i in range(10)]


@pytest.mark.slow
def test_representative_days_of_simbench_weigh_a_year() -> None:
    days = representative_days(4)
    assert 1 <= len(days) <= 4
    assert sum(d.weight_days for d in days) == pytest.approx(365.0)
    assert all(d.date.year == 2016 for d in days)
    assert days == representative_days(4)  # deterministic
