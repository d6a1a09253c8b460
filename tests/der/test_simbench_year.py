"""A calendar day's SimBench profiles (tdcoord.der.simbench_year) and the dated fleet shapes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tdcoord.der.errors import DerError
from tdcoord.der.fleet_profiles import clear_sky_pv, load_shape, pv_shape

simbench = pytest.importorskip("simbench")
FOLDER = Path(simbench.__file__).resolve().parent / "networks/1-complete_data-mixed-all-0-sw"


def _csv_day(name: str, columns: list[str], date: dt.date) -> np.ndarray:
    """The date's 96 rows read independently: 96 consecutive rows from the date's position
    (SimBench's rows are consecutive quarter hours of CET; the labels follow daylight saving)."""
    frame = pd.read_csv(FOLDER / name, sep=";", usecols=["time", *columns])
    first = (date - dt.date(2016, 1, 1)).days * 96
    rows = frame.iloc[first : first + 96]
    label = rows["time"].iloc[0]
    shift = "01:00" if 3 < date.month < 10 else "00:00"  # summer time: CET 00:00 is 01:00 CEST
    assert label == f"{date:%d.%m.%Y} {shift}", label
    return rows[columns].to_numpy(dtype=np.float64)


def test_a_dated_load_shape_is_the_days_profile_at_peak_one() -> None:
    date = dt.date(2016, 3, 9)
    raw = _csv_day("LoadProfile.csv", ["H0-A_pload"], date)[:, 0]
    shape = load_shape("residential", "winter", date=date)
    np.testing.assert_allclose(shape, raw / raw.max(), rtol=1e-12)
    assert shape.max() == 1.0
    # hourly: the mean of each hour's four quarter hours
    hourly = load_shape("residential", "winter", 24, 1.0, date=date)
    np.testing.assert_allclose(hourly, shape.reshape(24, 4).mean(axis=1), rtol=1e-12)


def test_dated_pv_is_the_mean_of_simbench_pv_per_unit_of_module() -> None:
    date = dt.date(2016, 7, 14)
    raw = _csv_day("RESProfile.csv", [f"PV{k}" for k in range(1, 9)], date)
    np.testing.assert_allclose(pv_shape(date=date), raw.mean(axis=1), rtol=1e-12)
    # without a date: the clear sky of the season, bit for bit
    assert np.array_equal(pv_shape(season="winter"), clear_sky_pv(season="winter"))


def test_only_month_and_day_count_and_leap_day_exists() -> None:
    a = load_shape("commercial", "winter", date=dt.date(2016, 2, 29))
    assert a.shape == (96,)
    b = load_shape("commercial", "winter", date=dt.date(2030, 5, 2))
    assert np.array_equal(b, load_shape("commercial", "summer", date=dt.date(2016, 5, 2)))


def test_two_dates_differ_and_a_date_differs_from_the_standard_shape() -> None:
    jan = load_shape("residential", "winter", date=dt.date(2016, 1, 15))
    jul = load_shape("residential", "winter", date=dt.date(2016, 7, 15))
    assert not np.array_equal(jan, jul)
    assert not np.array_equal(jan, load_shape("residential", "winter"))


def test_unknown_profile_kind_is_a_clear_error() -> None:
    from tdcoord.der.simbench_year import date_shape

    with pytest.raises(DerError, match="no profile"):
        date_shape("wind", dt.date(2016, 1, 1))
