"""The sweep end to end on a small study: tables, summary, report, re-run with compare, resume."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tdcoord.comparison.run import run_comparison
from tdcoord.errors import StudyError
from tdcoord.study import load_study
from tdcoord.sweep.rows import ROWS
from tdcoord.sweep.run import SweepOptions, SweepResult, run_sweep
from tdcoord.sweep.task import TIMING_KPIS

from .conftest import SWEEP_STUDY

Sweep = tuple[Path, SweepResult]


def test_one_row_per_model_sample_day(inline_sweep: Sweep) -> None:
    out, _result = inline_sweep
    frame = pd.read_parquet(out / "sweep.parquet")
    assert list(frame.columns[:6]) == [
        "model_id",
        "sample",
        "day",
        "timestamp",
        "weight_days",
        "sim_seed",
    ]
    assert list(zip(frame["model_id"], frame["sample"], strict=True)) == [
        ("eu.central", 0),
        ("eu.central", 1),
        ("eu.local", 0),
        ("eu.local", 1),
    ]
    assert str(frame["timestamp"].dt.tz) == "UTC"
    for col in (
        "total_cost",
        "procurement_cost",
        "unresolved_violations",
        "status",
        "draw_non_delivery_probability",
        "draw_events",
        "worst_state",
    ):
        assert col in frame.columns
    assert not TIMING_KPIS & set(frame.columns)
    assert set(pd.read_parquet(out / "timings.parquet").columns) >= TIMING_KPIS
    meta = json.loads(pq.read_schema(out / "sweep.parquet").metadata[b"tdcoord"])
    assert meta["resolution"] == "PT1H" and meta["scope"] == "day"
    assert (out / "sweep.csv").exists() and (out / "report.html").exists()


def test_common_random_numbers_across_models(inline_sweep: Sweep) -> None:
    frame = inline_sweep[1].frame
    draws = [c for c in frame.columns if c.startswith("draw_")] + ["sim_seed"]
    by_model = [part[draws].reset_index(drop=True) for _, part in frame.groupby("model_id")]
    pd.testing.assert_frame_equal(by_model[0], by_model[1])


def test_summary_per_model(inline_sweep: Sweep) -> None:
    doc = json.loads((inline_sweep[0] / "summary.json").read_text())
    assert doc["_meta"]["models"] == ["eu.central", "eu.local"]
    p_best = [doc[m]["p_best"] for m in ("eu.central", "eu.local")]
    assert sum(p_best) == pytest.approx(1.0)
    assert set(doc["eu.central"]["total_cost"]) == {"mean", "std", "p5", "p95"}


def test_report_is_offline(inline_sweep: Sweep) -> None:
    page = (inline_sweep[0] / "report.html").read_text()
    assert "Rank probability" in page and "total_cost" in page
    assert re.search(r"<script[^>]*\bsrc\s*=", page) is None
    assert "<link" not in page and page.count("plotly.js v") == 1


def test_a_sample_reruns_alone_with_compare(inline_sweep: Sweep) -> None:
    out, _result = inline_sweep
    study = load_study(out / "samples" / "s1_2016-01-15.yaml")
    kpis = run_comparison(study, ["eu.central", "eu.local"]).kpis()
    rows = [json.loads(line) for line in (out / ROWS).read_text().splitlines()]
    for row in (r for r in rows if r["sample"] == 1):
        ref = kpis[row["model_id"]]
        same = [k for k in ref if k in row]
        assert len(same) > 20
        assert {k: row[k] for k in same} == {k: ref[k] for k in same}


def test_resume_runs_only_the_missing_rows(inline_sweep: Sweep, sweep_copy: Path) -> None:
    lines = (sweep_copy / ROWS).read_text().splitlines()
    (sweep_copy / ROWS).write_text("\n".join(lines[:2]) + "\n" + lines[2][:40])  # cut mid-row
    (sweep_copy / "sweep.parquet").unlink()
    with pytest.raises(StudyError, match="--resume"):
        run_sweep(SWEEP_STUDY, SweepOptions(out=sweep_copy, samples=2))
    resumed = run_sweep(
        SWEEP_STUDY, SweepOptions(out=sweep_copy, samples=2, resume=True, report=False)
    )
    assert resumed.ran == 2
    original = (inline_sweep[0] / "sweep.parquet").read_bytes()
    assert (sweep_copy / "sweep.parquet").read_bytes() == original


def test_resume_refuses_another_study(sweep_copy: Path) -> None:
    with pytest.raises(StudyError, match="another study or other days"):
        run_sweep(
            SWEEP_STUDY, SweepOptions(out=sweep_copy, samples=2, resume=True, days="2016-02-01")
        )


@pytest.mark.slow
def test_two_local_workers_give_the_same_table(inline_sweep: Sweep, tmp_path: Path) -> None:
    run_sweep(SWEEP_STUDY, SweepOptions(out=tmp_path / "j2", samples=2, jobs=2, report=False))
    original = (inline_sweep[0] / "sweep.parquet").read_bytes()
    assert (tmp_path / "j2" / "sweep.parquet").read_bytes() == original


@pytest.mark.slow
def test_a_two_worker_dask_cluster_gives_the_same_table(
    inline_sweep: Sweep, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        processes=True,
    ) as cluster:
        run_sweep(
            SWEEP_STUDY,
            SweepOptions(
                out=tmp_path / "dask", samples=2, scheduler=cluster.scheduler_address, report=False
            ),
        )
    original = (inline_sweep[0] / "sweep.parquet").read_bytes()
    assert (tmp_path / "dask" / "sweep.parquet").read_bytes() == original
