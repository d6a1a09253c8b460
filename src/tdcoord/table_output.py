"""The one table writer of ``compare`` and ``sweep``: Parquet, with a CSV copy on request.

Rules, the same for every table (docs/compare.md, docs/sweep.md, "File formats"):

* **Parquet** (``<name>.parquet``, pyarrow) always; **CSV** (``<name>.csv``) beside it with
  ``--csv``. The Parquet schema metadata key ``tdcoord`` holds JSON (:func:`table_meta`): the
  study, the resolution of the study day as ISO 8601 (``PT15M``), the UTC start of interval 0
  and ``significant_digits``.
* **Time**: a table with an ``interval`` column gets a tz-aware UTC ``timestamp`` column right
  after it, the start of the interval: ``start_utc + interval · dt`` (:func:`with_timestamp`).
* **Floats without noise**: every float is written rounded to :data:`SIGNIFICANT_DIGITS`
  significant digits (``29.99999999999999`` → ``30.0``), at write time only; the numbers the
  engine computes, compares and sums are never rounded (``kpis.json`` keeps them exactly).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "SIGNIFICANT_DIGITS",
    "iso_duration",
    "round_sig",
    "rounded",
    "table_meta",
    "with_timestamp",
    "write_table",
    "write_text_atomic",
]

#: Significant digits of every float written (tables and summary.json).
SIGNIFICANT_DIGITS = 12


def round_sig(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` to ``digits`` significant digits (NaN and infinities unchanged)."""
    if not math.isfinite(value) or value == 0.0:
        return value
    return float(f"{value:.{digits}g}")


def iso_duration(dt_h: float) -> str:
    """ISO 8601 duration of a resolution in hours: 0.25 → ``PT15M``, 1 → ``PT1H``."""
    seconds = round(dt_h * 3600.0)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    text = "PT" + (f"{h}H" if h else "") + (f"{m}M" if m else "") + (f"{s}S" if s else "")
    return text if text != "PT" else "PT0S"


def table_meta(study: str, dt_h: float, start_utc: dt.datetime, **extra: Any) -> dict[str, Any]:
    """The ``tdcoord`` Parquet metadata of a table (module doc), plus ``extra`` keys."""
    return {
        "study": study,
        "resolution": iso_duration(dt_h),
        "start_utc": start_utc.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "significant_digits": SIGNIFICANT_DIGITS,
        **extra,
    }


def with_timestamp(frame: pd.DataFrame, start_utc: dt.datetime, dt_h: float) -> pd.DataFrame:
    """``frame`` with ``timestamp = start_utc + interval · dt_h`` (tz-aware UTC) right after its
    ``interval`` column; unchanged without one (or when it has one already)."""
    if "interval" not in frame.columns or "timestamp" in frame.columns:
        return frame
    seconds = round(dt_h * 3600.0)
    interval = pd.to_numeric(frame["interval"], errors="coerce")
    stamp = pd.Timestamp(start_utc).tz_convert("UTC") + pd.to_timedelta(
        interval * seconds, unit="s"
    )
    out = frame.copy()
    out.insert(list(out.columns).index("interval") + 1, "timestamp", stamp)
    return out


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every float column rounded to :data:`SIGNIFICANT_DIGITS`."""
    out = frame.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(round_sig)
    return out


def write_table(
    frame: pd.DataFrame, path: Path, meta: dict[str, Any], *, csv: bool = False
) -> list[Path]:
    """Write ``frame`` (rounded) to ``path`` (``.parquet``) with ``meta`` under ``tdcoord``;
    a CSV copy (same stem) too when ``csv``. Returns the paths written."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    out = rounded(frame)
    table = pa.Table.from_pandas(out, preserve_index=False)
    old = table.schema.metadata or {}
    table = table.replace_schema_metadata(
        {**old, b"tdcoord": json.dumps(meta, sort_keys=True).encode()}
    )
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    written = [path]
    if csv:
        csv_path = path.with_suffix(".csv")
        out.to_csv(csv_path, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
        written.append(csv_path)
    return written


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file (never a half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
