"""Sweep scaling: ``--jobs 2`` against ``--jobs 1``, and the per-task overhead of Dask.

    python benchmarks/bench_sweep.py [--study tests/sweep/sweep_study.yaml] [--samples 4]
                                     [--models eu.central,eu.local] [--no-dask] [--noop 200]

One run, ratios printed (timings on a shared machine vary; compare ratios of one run):

1. **jobs** — the same sweep (models × samples × 1 day) with ``--jobs 1`` and ``--jobs 2``
   (local process pool); wall times, speed-up and whether ``sweep.parquet`` is the same bytes.
2. **overhead** — ``--noop`` empty tasks through the local pool (2 workers) and through a
   two-worker Dask ``LocalCluster`` on 127.0.0.1 (one thread per worker), via the same
   :class:`~tdcoord.sweep.executors.SweepExecutor` interface: wall / tasks = per-task overhead;
   then the sweep itself on the Dask cluster against the local pool.
3. **per-task cost** — from ``timings.parquet`` of the ``--jobs 1`` run: mean model-day wall
   time and the group (shared-day) build time, and the wall time of 42,000 model-days
   (35 models × 100 samples × 12 days) on 64 workers estimated from them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from tdcoord.sweep.executors import DaskExecutor, LocalExecutor, SweepExecutor
from tdcoord.sweep.run import SweepOptions, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def noop(x: int) -> int:
    return x


def burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def machine_capacity(n: int = 10_000_000) -> float:
    """What 2 processes get on this (shared) machine: serial / parallel time of pure Python."""
    from concurrent.futures import ProcessPoolExecutor

    t0 = time.perf_counter()
    burn(n)
    burn(n)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        pool.submit(burn, 10).result()
        t0 = time.perf_counter()
        list(pool.map(burn, [n, n]))
        parallel = time.perf_counter() - t0
    return serial / parallel


def timed_sweep(study: Path, options: SweepOptions) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = run_sweep(study, options)
    return time.perf_counter() - t0, result


def task_overhead_s(executor: SweepExecutor, n: int) -> float:
    executor.submit(noop, 0).result()  # warm: workers up
    t0 = time.perf_counter()
    futures = [executor.submit(noop, k) for k in range(n)]
    for f in futures:
        f.result()
    return (time.perf_counter() - t0) / n


def estimate(model_day_s: float, build_s: float, workers: int = 64) -> float:
    """Hours for 35 models × 100 samples × 12 days on ``workers`` (ideal packing)."""
    tasks, groups = 35 * 100 * 12, 100 * 12
    return (tasks * model_day_s + groups * build_s) / workers / 3600.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default=str(ROOT / "tests" / "sweep" / "sweep_study.yaml"))
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--models", default="eu.central,eu.local")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--noop", type=int, default=200)
    args = ap.parse_args()
    study = Path(args.study)
    models = args.models.split(",")
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    base = {"models": models, "samples": args.samples, "report": False}

    cap_before = machine_capacity()
    t1, r1 = timed_sweep(study, SweepOptions(out=tmp / "j1", jobs=1, **base))
    t2, _ = timed_sweep(study, SweepOptions(out=tmp / "j2", jobs=2, **base))
    cap = (cap_before + machine_capacity()) / 2
    same = (tmp / "j1" / "sweep.parquet").read_bytes() == (tmp / "j2" / "sweep.parquet").read_bytes()
    n_tasks = len(r1.frame)
    print(f"sweep: {len(models)} models × {args.samples} samples = {n_tasks} model-days")
    print(f"  --jobs 1: {t1:6.1f} s   --jobs 2: {t2:6.1f} s   speed-up {t1 / t2:4.2f}×   "
          f"same bytes: {same}")
    print(f"  machine capacity for 2 processes now (pure Python, 2 vs 1): {cap:4.2f}×; "
          f"parallel efficiency {t1 / t2 / cap:4.2f}")

    timings = pd.read_parquet(tmp / "j1" / "timings.parquet")
    model_day_s = float(timings["wall_s"].mean())
    build_s = float(timings.drop_duplicates(["sample", "day"])["setup_s"].mean())
    print(f"  per model-day {model_day_s:.2f} s, per shared day (build) {build_s:.2f} s")
    print(f"  42,000 model-days on 64 workers: ≈ {estimate(model_day_s, build_s):.2f} h "
          "(this study's per-task cost)")

    with LocalExecutor(2) as local:
        local_s = task_overhead_s(local, args.noop)
    print(f"overhead per empty task: local pool {local_s * 1e3:.2f} ms", end="")
    if args.no_dask:
        print()
        return
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None, processes=True) as cluster:
        with DaskExecutor(cluster.scheduler_address) as dask:
            dask_s = task_overhead_s(dask, args.noop)
        print(f", Dask {dask_s * 1e3:.2f} ms ({dask_s / local_s:.1f}×)")
        td, _ = timed_sweep(study, SweepOptions(out=tmp / "dask", scheduler=cluster.scheduler_address, **base))
    same_dask = (tmp / "j1" / "sweep.parquet").read_bytes() == (tmp / "dask" / "sweep.parquet").read_bytes()
    print(f"  sweep on Dask (2 workers): {td:6.1f} s vs local pool {t2:6.1f} s: "
          f"{(td - t2) / n_tasks * 1e3:+.0f} ms per task; same bytes: {same_dask}")


if __name__ == "__main__":
    main()
