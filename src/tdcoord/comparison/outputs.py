"""What ``tdcoord compare`` writes: ``kpis.json``, Parquet tables (CSV on request) and the report.

Files in the output folder (stable names; columns documented in ``docs/compare.md``). Every
table is written by :func:`tdcoord.table_output.write_table`: ``<name>.parquet`` always,
``<name>.csv`` beside it with ``--csv``; a table with an ``interval`` column gets a tz-aware UTC
``timestamp`` beside it (start of the interval on the study's calendar day,
:func:`tdcoord.der.fleet_profiles.study_date`); floats are written to 12 significant digits;
the Parquet metadata ``tdcoord`` and ``kpis.json`` ``_meta`` state the resolution as ISO 8601
(``resolution``: ``PT15M``) and the UTC start of interval 0 (``start_utc``). The tables are
listed below by their CSV names; each is converted the same way, whatever its columns.

``kpis.json``
    One object per model id with the KPIs of :mod:`tdcoord.kpi.metrics` under their stable keys
    (``total_cost``, ``procurement_cost``, ``unresolved_violations``, ``curtailment_mwh``,
    ``double_activations``, ``counter_activations``, ``messages``, ``bytes``, ``compute_s``, …)
    plus ``settlement_residual_eur`` and ``wall_s``; and a ``_meta`` object (study, models,
    provenance with ``created_utc``, the only clock time written). Its numbers are exact (not
    rounded: the values every check compares bit for bit).
``kpis.csv``                 scalar KPIs, one row per model
``activations.csv``          every activation (model_id, stage, offer, DER or bundle, buyer, MW, €)
``interface_flows.csv``      model_id, feeder_id, interval, scheduled_mw, actual_mw
``violations.csv``           what AC/DC validation found after each model (model_id, network, …)
``messages.csv``             model_id, sender, receiver, messages, bytes
``settlement.csv``           model_id, party, counterparty, item, interval, mwh, amount_eur
``prices.csv``               model, stage, interval, node, component, price_eur_per_mwh: every
                             transmission LMP and DLMP computed (:mod:`tdcoord.pipeline.prices`)
``report.html``              the self-contained report (:mod:`tdcoord.report`)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.comparison.report_input import build_report_input
from tdcoord.comparison.run import Comparison, kpi_frame
from tdcoord.der.fleet_profiles import study_date
from tdcoord.json_output import write_json
from tdcoord.provenance import provenance
from tdcoord.table_output import iso_duration, table_meta, with_timestamp, write_table

#: The columns of ``prices.csv`` (the issue 12 contract).
PRICES_CSV_COLUMNS: tuple[str, ...] = (
    "model",
    "stage",
    "interval",
    "node",
    "component",
    "price_eur_per_mwh",
)


def comparison_provenance(c: Comparison) -> dict[str, Any]:
    """Versions and the hash of the study inputs."""
    return provenance(c.study.model_dump(mode="json"), c.grid.fingerprint())


def start_utc(c: Comparison) -> dt.datetime:
    """UTC start of interval 0: midnight of the study's calendar day."""
    day = study_date(c.study.fleet.season, c.study.fleet.date)
    return dt.datetime(day.year, day.month, day.day, tzinfo=UTC)


def _table_writer(
    c: Comparison, folder: Path, paths: dict[str, Path], csv: bool
) -> Callable[[str, pd.DataFrame], None]:
    """``write(csv_name, frame)``: the table as Parquet (+ CSV), recorded in ``paths``."""
    start = start_utc(c)

    def write(name: str, frame: pd.DataFrame) -> None:
        stem = name.removesuffix(".csv")
        meta = table_meta(c.study.name, c.day.dt_h, start, table=stem)
        stamped = with_timestamp(frame, start, c.day.dt_h)
        for path in write_table(stamped, folder / f"{stem}.parquet", meta, csv=csv):
            paths[path.name] = path

    return write


def write_outputs(
    c: Comparison, out: str | Path, *, report: bool = True, csv: bool = False
) -> dict[str, Path]:
    """Write every output file (see module doc); returns name → path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    prov = comparison_provenance(c)
    kpis = c.kpis()
    doc = {
        "_meta": {
            "study": c.study.name,
            "models": [r.entry.id for r in c.runs],
            "intervals": c.day.n_intervals,
            "dt_h": c.day.dt_h,
            "resolution": iso_duration(c.day.dt_h),
            "start_utc": start_utc(c).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "setup_s": c.setup_s,
            # the creation time lives here and in the terminal only (never in report.html)
            "provenance": {**prov, "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        },
        **kpis,
    }
    paths: dict[str, Path] = {}
    paths["kpis.json"] = folder / "kpis.json"
    write_json(paths["kpis.json"], doc)
    write = _table_writer(c, folder, paths, csv)
    write("kpis.csv", kpi_frame(c))
    acts, flows, viol, msgs, settle, prices = [], [], [], [], [], []
    T = c.day.n_intervals
    for r in c.runs:
        mid = r.entry.id
        o = r.day.outcome
        if len(o.activations):
            acts.append(o.activations.assign(model_id=mid))
        for f, fd in enumerate(c.grid.feeders):
            flows.append(
                pd.DataFrame(
                    {
                        "model_id": mid,
                        "feeder_id": fd.id,
                        "interval": np.arange(T),
                        "scheduled_mw": o.interface_schedule_mw[f],
                        "actual_mw": r.day.delivered_outcome.interface_mw[f],
                    }
                )
            )
        if len(r.day.validation.violations):
            viol.append(r.day.validation.violations.assign(model_id=mid))
        bp = o.messages.by_pair()
        if len(bp):
            msgs.append(bp.assign(model_id=mid))
        if len(r.settlement.statements):
            settle.append(r.settlement.statements.assign(model_id=mid))
        if len(r.prices):
            prices.append(r.prices.assign(model=mid))
    for name, frames in (
        ("activations.csv", acts),
        ("interface_flows.csv", flows),
        ("violations.csv", viol),
        ("messages.csv", msgs),
        ("settlement.csv", settle),
        ("prices.csv", prices),
    ):
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        if name == "prices.csv":
            frame = frame.reindex(columns=list(PRICES_CSV_COLUMNS))
        if "model_id" in frame.columns:
            frame = frame[["model_id", *[x for x in frame.columns if x != "model_id"]]]
        write(name, frame)
    if report:
        from tdcoord.report import write_report

        paths["report.html"] = write_report(build_report_input(c, prov), folder / "report.html")
    return paths
