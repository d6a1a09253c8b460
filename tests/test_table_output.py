"""The one table writer (tdcoord.table_output): rounding, ISO durations, timestamps, Parquet."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tdcoord.table_output import (
    SIGNIFICANT_DIGITS,
    iso_duration,
    round_sig,
    table_meta,
    with_timestamp,
    write_table,
)

START = dt.datetime(2016, 7, 14, tzinfo=dt.UTC)


def test_noise_is_rounded_away() -> None:
    assert round_sig(29.99999999999999) == 30.0
    assert round_sig(0.1 + 0.2) == 0.3
    assert str(round_sig(1 / 3)) == "0.333333333333"
    assert math.isnan(round_sig(math.nan)) and round_sig(math.inf) == math.inf


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_rounding_keeps_twelve_significant_digits(x: float) -> None:
    r = round_sig(x)
    assert abs(r - x) <= 0.5 * 10.0 ** (math.floor(math.log10(abs(x))) - 11) * (1 + 1e-9) if x else r == 0
    assert round_sig(r) == r  # idempotent


@pytest.mark.parametrize(
    ("dt_h", "text"), [(0.25, "PT15M"), (1.0, "PT1H"), (1.5, "PT1H30M"), (1 / 120, "PT30S")]
)
def test_iso_durations(dt_h: float, text: str) -> None:
    assert iso_duration(dt_h) == text


def test_timestamp_sits_beside_interval() -> None:
    frame = pd.DataFrame({"model_id": ["a", "a", "b"], "interval": [0, 95, 3], "mw": [1.0, 2, 3]})
    out = with_timestamp(frame, START, 0.25)
    assert list(out.columns) == ["model_id", "interval", "timestamp", "mw"]
    assert str(out["timestamp"].dt.tz) == "UTC"
    assert out["timestamp"].tolist() == [
        pd.Timestamp("2016-07-14T00:00Z"),
        pd.Timestamp("2016-07-14T23:45Z"),
        pd.Timestamp("2016-07-14T00:45Z"),
    ]
    assert "timestamp" not in with_timestamp(frame.drop(columns="interval"), START, 0.25)


def test_missing_intervals_get_no_time() -> None:
    frame = pd.DataFrame({"interval": [np.nan, 2.0]})
    out = with_timestamp(frame, START, 1.0)
    assert out["timestamp"].isna().tolist() == [True, False]


def test_parquet_round_trip_with_metadata_and_csv(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    frame = with_timestamp(
        pd.DataFrame({"interval": [0, 1], "cost_eur": [29.99999999999999, 0.1 + 0.2]}), START, 0.25
    )
    meta = table_meta("s", 0.25, START, table="t")
    paths = write_table(frame, tmp_path / "t.parquet", meta, csv=True)
    assert [p.name for p in paths] == ["t.parquet", "t.csv"]
    table = pq.read_table(paths[0])
    got = json.loads(table.schema.metadata[b"tdcoord"])
    assert got == {
        "study": "s",
        "resolution": "PT15M",
        "start_utc": "2016-07-14T00:00:00Z",
        "significant_digits": SIGNIFICANT_DIGITS,
        "table": "t",
    }
    back = table.to_pandas()
    assert back["cost_eur"].tolist() == [30.0, 0.3]
    assert back["timestamp"].equals(frame["timestamp"].astype(back["timestamp"].dtype))
    text = paths[1].read_text().splitlines()
    assert text == [
        "interval,timestamp,cost_eur",
        "0,2016-07-14T00:00:00Z,30.0",
        "1,2016-07-14T00:15:00Z,0.3",
    ]
    assert frame["cost_eur"].iloc[0] == 29.99999999999999  # the frame itself is not rounded
