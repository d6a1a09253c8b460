"""The pipeline: the one flow from a study to KPIs, shared by ``compare``, ``sweep`` and the
platform.

.. code-block:: text

    study ─▶ grid ─▶ fleet ─▶ day ─▶ offers ─▶ day-ahead market        build_shared_day
          ─▶ for each stage (day-ahead → intraday → real time):
                 clear (the model's scheme) ─▶ activate (requests to DERs)   clear_stage
          ─▶ activation through the DER models ─▶ validate ─▶ outcome KPIs     run_model_day
          ─▶ settle ─▶ events ─▶ every KPI (kpi/)                              run_model

Public entry points:

* :func:`build_shared_day` — everything every model of a study shares (grid, fleet, day,
  offers, day-ahead market, stages, penalties), built once;
* :func:`clear_stage` — clear one stage of one model on the shared day (what the platform's
  clearing worker calls); :func:`stage_case` — the case a stage clears;
* :func:`run_model_day`, :func:`run_model` — one model through the whole day (``ModelRun``
  holds its settlement and every KPI).

Many models on one study: :func:`tdcoord.comparison.run.run_comparison` builds the shared day and
runs :func:`run_model` for each (in worker processes with ``jobs > 1``).
"""

from tdcoord.pipeline.day import (
    DayState,
    StageResult,
    clear_stage,
    day_case,
    run_model_day,
    stage_case,
    start_state,
)
from tdcoord.pipeline.model import ModelRun, Progress, run_model, run_one_model
from tdcoord.pipeline.settle import bundle_matrix, settle_model, settlement_inputs
from tdcoord.pipeline.shared import (
    NODAL_REGIONS,
    SharedDay,
    build_shared_day,
    given_needs,
    market_offers,
    study_min_duration,
)

__all__ = [
    "NODAL_REGIONS",
    "DayState",
    "ModelRun",
    "Progress",
    "SharedDay",
    "StageResult",
    "build_shared_day",
    "bundle_matrix",
    "clear_stage",
    "day_case",
    "given_needs",
    "market_offers",
    "run_model",
    "run_model_day",
    "run_one_model",
    "settle_model",
    "settlement_inputs",
    "stage_case",
    "start_state",
    "study_min_duration",
]
