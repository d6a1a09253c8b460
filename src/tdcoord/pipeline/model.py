"""One model through the shared day: the model day, settlement, study events, every KPI."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from tdcoord.coordination.catalogue import ModelEntry, get_model
from tdcoord.kpi.ex_ante import ex_ante_cost_eur
from tdcoord.kpi.operation import operation_kpis
from tdcoord.kpi.settled import model_kpis
from tdcoord.pipeline.day import run_model_day, stage_case
from tdcoord.pipeline.prices import DAY_PRICE_COLUMNS, day_prices
from tdcoord.pipeline.settle import settle_model
from tdcoord.pipeline.shared import SharedDay
from tdcoord.settlement.run import Settlement
from tdcoord.simulation.event_log import EventLog
from tdcoord.simulation.timeline import ModelDay

#: Progress callback of a many-model run: ``(model id or "done", models done, models)``.
Progress = Callable[[str, int, int], None]


@dataclasses.dataclass(frozen=True, eq=False)
class ModelRun:
    """One model's run: its catalogue entry, its day, its settlement, what the study's events did
    to it, its wall time and every KPI (:func:`tdcoord.kpi.settled.model_kpis`)."""

    entry: ModelEntry
    day: ModelDay
    settlement: Settlement
    events: EventLog | None
    wall_s: float
    kpis: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: Every price of the day (:func:`tdcoord.pipeline.prices.day_prices`).
    prices: pd.DataFrame = dataclasses.field(
        default_factory=lambda: pd.DataFrame(columns=list(DAY_PRICE_COLUMNS))
    )


def run_model(shared: SharedDay, model: ModelEntry | str) -> ModelRun:
    """One model (catalogue entry or id) through the shared day: stages, the events' re-clears,
    activation, validation, settlement, KPIs."""
    entry = get_model(model) if isinstance(model, str) else model
    t1 = time.perf_counter()
    md = run_model_day(shared, entry)
    prices = day_prices(shared, md)
    settlement = settle_model(shared, md, prices)
    log = md.events
    ex_ante = ex_ante_cost_eur(
        stage_case(shared, "day_ahead"), md.stages["day_ahead"].activation_mw
    )
    wall_s = time.perf_counter() - t1
    kpis = model_kpis(
        md.kpis,
        settlement,
        log,
        dt_h=shared.day.dt_h,
        voll_eur_per_mwh=shared.penalties.voll_eur_per_mwh,
        wall_s=wall_s,
        ex_ante_cost_eur=ex_ante,
        operation=operation_kpis(
            md.outcome.messages.to_frame(),
            shared.spec.operation_costs,
            shared.day.n_intervals * shared.day.dt_h,
        ),
    )
    return ModelRun(entry, md, settlement, log, wall_s, kpis, prices)


def run_one_model(shared: SharedDay, entry: ModelEntry) -> ModelRun:
    """:func:`run_model` under the name the worker pool calls."""
    return run_model(shared, entry)
