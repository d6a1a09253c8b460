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

**Floats without noise**: every float is written rounded to
:data:`tdcoord.table_output.SIGNIFICANT_DIGITS` significant digits (``29.99999999999999`` →
``30.0``); the computation and the summary statistics use the unrounded values. The writer is
the one of ``compare`` too (:mod:`tdcoord.table_output`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tdcoord.table_output import (
    SIGNIFICANT_DIGITS,
    iso_duration,
    round_sig,
    rounded,
    write_table,
    write_text_atomic,
)

__all__ = [
    "KEY_COLUMNS",
    "SIGNIFICANT_DIGITS",
    "iso_duration",
    "round_sig",
    "rounded",
    "rows_frame",
    "timings_frame",
    "write_table",
    "write_text_atomic",
]

KEY_COLUMNS: tuple[str, ...] = ("model_id", "sample", "day")


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
