"""The sweep tables: ``sweep.parquet`` (results), ``timings.parquet`` (run times), CSV on request.

``sweep.parquet`` has one row per (model, sample, day), sorted by model (in the order given),
sample and day, with the columns

* ``model_id``, ``sample``, ``day`` (date), ``timestamp`` (start of the day, tz-aware UTC),
  ``weight_days`` (days of the year the day stands for), ``sim_seed`` (the simulation seed);
* ``draw_<quantity>`` for each varied quantity, ``draw_events_count`` and ``draw_events``
  (JSON) when events vary;
* every scalar KPI of ``kpis.json`` (``total_cost``, ``procurement_cost``, … , ``status``,
  ``worst_state``) except the run times ``compute_s`` and ``wall_s``, which go to
  ``timings.parquet`` (same keys, with ``setup_s``, the build time of the shared day), so that
  ``sweep.parquet`` is the same bit for bit whatever ran it.

The Parquet schema metadata key ``tdcoord`` holds JSON: study name and hash, the resolution of
the study day as ISO 8601 (``PT15M``), ``significant_digits`` and the column units.

**Floats without noise**: every float is written rounded to :data:`SIGNIFICANT_DIGITS`
significant digits (``29.99999999999999`` → ``30.0``); the computation and the summary
statistics use the unrounded values.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

#: Significant digits of every float written (tables and summary.json).
SIGNIFICANT_DIGITS = 12

KEY_COLUMNS: tuple[str, ...] = ("model_id", "sample", "day")


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


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file (never a half-written file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def rows_frame(rows: list[dict[str, Any]], models: tuple[str, ...]) -> pd.DataFrame:
    """The rows as a frame, sorted (module doc), floats unrounded; ``_timing`` left out."""
    order = {m: i for i, m in enumerate(models)}
    ordered = sorted(rows, key=lambda r: (order[r["model_id"]], r["sample"], r["day"]))
    columns: dict[str, None] = {}
    for r in ordered:
        columns.update(dict.fromkeys(k for k in r if k != "_timing"))
    frame = pd.DataFrame([{k: r.get(k) for k in columns} for r in ordered], columns=list(columns))
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    stamp = pd.to_datetime(frame["day"].astype(str)).dt.tz_localize("UTC")
    frame.insert(3, "timestamp", stamp)
    return frame


def timings_frame(rows: list[dict[str, Any]], models: tuple[str, ...]) -> pd.DataFrame:
    """Run times per row: keys and ``compute_s``, ``wall_s``, ``setup_s``."""
    order = {m: i for i, m in enumerate(models)}
    ordered = sorted(rows, key=lambda r: (order[r["model_id"]], r["sample"], r["day"]))
    return pd.DataFrame(
        [{**{k: r[k] for k in KEY_COLUMNS}, **r.get("_timing", {})} for r in ordered]
    )


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
    """Write ``frame`` (rounded) as Parquet with ``meta`` under ``tdcoord``; a CSV copy too."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    table = pa.Table.from_pandas(rounded(frame), preserve_index=False)
    old = table.schema.metadata or {}
    table = table.replace_schema_metadata(
        {**old, b"tdcoord": json.dumps(meta, sort_keys=True).encode()}
    )
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    written = [path]
    if csv:
        csv_path = path.with_suffix(".csv")
        rounded(frame).to_csv(csv_path, index=False)
        written.append(csv_path)
    return written
