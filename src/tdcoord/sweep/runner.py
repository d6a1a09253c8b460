"""Run the tasks of a sweep plan on an executor: build each group's shared day once, then one
task per (model, sample, day); every finished row is handed to ``on_row`` at once (so an
interrupted sweep keeps it, :mod:`tdcoord.sweep.rows`).

At most ``2 · workers`` groups are open at a time (built or being built, with models still to
run), so the workers alternate between building days and running models and memory stays
bounded. The order in which tasks finish does not matter: rows are sorted when the tables are
written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Any

from tdcoord.study import Study
from tdcoord.sweep.executors import SweepExecutor, resolve_shared
from tdcoord.sweep.plan import Group, SweepPlan, draws_json
from tdcoord.sweep.task import TIMING_KPIS, SweepShared, build_shared, run_model

RowKey = tuple[str, int, str]
"""(model id, sample, ISO date) of one row."""

OnRow = Callable[[dict[str, Any]], None]
Progress = Callable[[int, int], None]


def build_task(study: Study) -> SweepShared:
    """Task: the shared day of one group."""
    return build_shared(study)


def model_task(handle: Any, model_id: str) -> dict[str, Any]:
    """Task: one model on a shared day (by handle) and its scalar KPIs."""
    return run_model(resolve_shared(handle), model_id)


def row_of(group: Group, model_id: str, kpis: dict[str, Any]) -> dict[str, Any]:
    """The table row of (model, group): keys, weight, seed, draws, KPIs (timings apart)."""
    row: dict[str, Any] = {
        "model_id": model_id,
        "sample": group.sample,
        "day": group.day.date.isoformat(),
        "weight_days": group.day.weight_days,
        "sim_seed": group.sim_seed,
    }
    row.update(draws_json(group.draws))
    row.update({k: v for k, v in kpis.items() if k not in TIMING_KPIS})
    row["_timing"] = {k: kpis[k] for k in sorted(TIMING_KPIS) if k in kpis}
    return row


def _pending(plan: SweepPlan, done: set[RowKey]) -> Iterator[tuple[Group, list[str]]]:
    for g in plan.groups:
        missing = [m for m in plan.models if (m, g.sample, g.day.date.isoformat()) not in done]
        if missing:
            yield g, missing


def run_plan(
    plan: SweepPlan,
    executor: SweepExecutor,
    done: set[RowKey],
    on_row: OnRow,
    progress: Progress | None = None,
) -> int:
    """Run every (model, group) of ``plan`` not in ``done``; returns the number of rows run."""
    todo = list(_pending(plan, done))
    total = sum(len(m) for _, m in todo)
    window = max(2, 2 * executor.workers)
    queue = iter(todo)
    builds: dict[Future[Any], tuple[Group, list[str]]] = {}
    runs: dict[Future[Any], tuple[Group, str]] = {}
    open_left: dict[str, list[Any]] = {}  # group key -> [handle, models left]
    finished = 0

    def open_next() -> None:
        for g, missing in queue:
            fut = executor.submit(build_task, g.study.study)
            builds[fut] = (g, missing)
            return

    for _ in range(window):
        open_next()
    while builds or runs:
        ready, _ = wait([*builds, *runs], return_when=FIRST_COMPLETED)
        for fut in ready:
            if fut in builds:
                g, missing = builds.pop(fut)
                handle = executor.share(g.key, fut.result())
                open_left[g.key] = [handle, len(missing)]
                for m in missing:
                    runs[executor.submit(model_task, handle, m)] = (g, m)
                continue
            g, m = runs.pop(fut)
            on_row(row_of(g, m, fut.result()))
            finished += 1
            if progress is not None:
                progress(finished, total)
            entry = open_left[g.key]
            entry[1] -= 1
            if entry[1] == 0:
                executor.release(entry[0])
                del open_left[g.key]
                open_next()
    return finished
