"""Run the models of a comparison one after the other or in worker processes.

The models of a comparison are independent given the shared day
(:class:`~tdcoord.pipeline.SharedDay`: grid, fleet, forecasts, offers, day-ahead market):
each clears its own markets, activates its own DERs and is validated and settled on its own,
with its own seeds. So they run in parallel without changing a number — ``jobs=2`` gives the same
KPIs as ``jobs=1``, bit for bit (tested).

Workers are forked processes (:mod:`concurrent.futures` with the ``fork`` start method): they
inherit the shared day from the parent without pickling it, and send back one
:class:`~tdcoord.pipeline.ModelRun` each. Where ``fork`` is not available (Windows, or
macOS's default), the models run one after the other. Each worker solves with one thread, so
``jobs`` should not exceed the number of cores.

Workers ignore SIGINT and take the default action on SIGTERM: the parent owns the signals. When
the parent is interrupted (Ctrl-C, SIGTERM) or a model fails, it terminates every worker before
the error travels on, so no worker outlives the run.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING

from tdcoord.errors import StudyError

if TYPE_CHECKING:
    from tdcoord.coordination.catalogue import ModelEntry
    from tdcoord.pipeline import ModelRun, Progress, SharedDay

#: The shared day of the comparison being run, set in the parent before the workers fork.
_SHARED: SharedDay | None = None


def auto_jobs(n_models: int) -> int:
    """Worker count for ``--jobs 0``: one per core, at most one per model."""
    return max(1, min(n_models, os.cpu_count() or 1))


def check_jobs(jobs: int) -> int:
    """``jobs`` as a count >= 0, or a clear error (checked before any work)."""
    if int(jobs) != jobs or jobs < 0:
        raise StudyError(
            f"jobs = {jobs!r}", where="compare --jobs", fix="give 0 (one per core) or a count >= 1"
        )
    from tdcoord.limits import check_limit

    check_limit("max_jobs", int(jobs), "--jobs")
    return int(jobs)


def _worker_init() -> None:
    """Workers leave SIGINT to the parent and die on SIGTERM (see module doc)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate every worker of this process and drop the queued models."""
    for child in multiprocessing.active_children():
        child.terminate()
    for child in multiprocessing.active_children():
        child.join(timeout=5)
    pool.shutdown(wait=False, cancel_futures=True)


def _run_in_pool(
    entries: Sequence[ModelEntry], workers: int, progress: Progress | None
) -> list[ModelRun]:
    ctx = multiprocessing.get_context("fork")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    runs: list[ModelRun] = []
    n = len(entries)
    try:
        futures: list[Future[ModelRun]] = [pool.submit(_in_worker, e) for e in entries]
        for k, (entry, fut) in enumerate(zip(entries, futures, strict=True)):
            if progress is not None:
                progress(entry.id, k, n)
            runs.append(fut.result())
    except BaseException:
        _stop_workers(pool)
        raise
    pool.shutdown(wait=True)
    return runs


def _in_worker(entry: ModelEntry) -> ModelRun:
    from tdcoord.pipeline import run_one_model

    assert _SHARED is not None, "the shared day is set before the workers start"
    return run_one_model(_SHARED, entry)


def run_models(
    shared: SharedDay,
    entries: Sequence[ModelEntry],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> tuple[ModelRun, ...]:
    """Every model of ``entries`` on ``shared``, in order; ``jobs`` worker processes (0: auto)."""
    from tdcoord.pipeline import run_one_model

    global _SHARED
    jobs = check_jobs(jobs)
    n = len(entries)
    workers = auto_jobs(n) if jobs == 0 else min(int(jobs), max(n, 1))
    if workers > 1 and "fork" not in multiprocessing.get_all_start_methods():
        workers = 1
    runs: list[ModelRun] = []
    if workers <= 1:
        for k, entry in enumerate(entries):
            if progress is not None:
                progress(entry.id, k, n)
            runs.append(run_one_model(shared, entry))
    else:
        _SHARED = shared
        try:
            runs = _run_in_pool(entries, workers, progress)
        finally:
            _SHARED = None
    if progress is not None:
        progress("done", n, n)
    return tuple(runs)
