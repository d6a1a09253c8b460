"""One model through the simulated day: stages (clear → activate) → validate → outcome KPIs.

Seed 000 §3 (forecasting, schedule exchange, activation) and seed 001 §IV (activation,
monitoring, settlement) as one chain, the same for every model compared:

1. **Schedule exchange**: the TSO sends every DSO the scheduled import of its feeders (from the
   shared day-ahead energy market, :func:`tdcoord.simulation.timeline.day_ahead_market`); after
   the day-ahead flexibility market each DSO sends back the changed exchange.
2. **Stages** (:data:`~tdcoord.simulation.timeline.MARKET_STAGES`: day-ahead, intraday, real
   time), each cleared by :func:`clear_stage` under the model's scheme after its gate closure, on
   the forecast of that stage (the actual operating point in real time), with the earlier
   stages' activations committed: they leave the offers and enter the baseline. The TSO need is
   the mismatch at that stage: net demand − the schedule − the net injection the earlier
   activations added. Each stage's accepted offers become requests to the DERs, split pro rata
   to the flexibility each member still has; the requests accumulate into a plan whose DER state
   sets the next stage's offers (:mod:`tdcoord.simulation.residual`: no depleted battery is
   offered).
3. **Activation**: the plan runs through the DER models (:mod:`tdcoord.simulation.activation`),
   whose state carries over the day; non-delivery and delay are seeded. What is delivered (not
   what was bought) is validated.
4. **Validation** by AC power flow on every feeder and interval and DC flow on transmission
   (:func:`tdcoord.coordination.validation.validate_outcome`), and the outcome **KPIs**
   (:func:`tdcoord.kpi.metrics.compute_kpis`).

Stage order is enforced with :func:`tdcoord.simulation.stages.assert_no_lookahead`: nothing
decided in real time is used by the day-ahead stage.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np

from tdcoord.coordination.case import ClearingCase
from tdcoord.coordination.intertemporal import TimeCoupling
from tdcoord.coordination.messages import MessageLog
from tdcoord.coordination.outcome import Outcome, interface_after
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import validate_outcome
from tdcoord.der.base import Flexibility
from tdcoord.kpi.deliverability import deliverability_kpis
from tdcoord.kpi.metrics import compute_kpis
from tdcoord.market.eligibility import min_size_quantities
from tdcoord.pipeline.coupling import coupling_after
from tdcoord.pipeline.events import answer_events, with_events
from tdcoord.pipeline.rolling import clear_rolling
from tdcoord.pipeline.shared import SharedDay
from tdcoord.simulation.activation import activate
from tdcoord.simulation.day import OperatingPoint
from tdcoord.simulation.day_events import event_log
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.event_log import EventAnswer
from tdcoord.simulation.residual import rescaled_quantities, residual_flexibility
from tdcoord.simulation.stages import assert_no_lookahead, information_cutoff
from tdcoord.simulation.timeline import (
    MARKET_STAGES,
    ModelDay,
    clearing_case,
    committed_point,
    der_requests,
    merge_outcomes,
    offer_delivery_ratio,
    schedule_exchange,
)
from tdcoord.types import FloatArray

if TYPE_CHECKING:
    from tdcoord.coordination.catalogue import ModelEntry


@dataclasses.dataclass(frozen=True, eq=False)
class DayState:
    """What the stages cleared so far committed: accepted MW per offer step ``done_mw``
    ``(n_offer, T)``, requests per DER ``plan_mw`` ``(n_der, T)``, what the DERs can still do
    under that plan (``available``) and the information cut-off of the last stage (``decided``)."""

    n_cleared: int
    done_mw: FloatArray
    plan_mw: FloatArray
    available: Flexibility
    decided: FloatArray | None = None
    #: Transmission generators' redispatch committed so far ``(n_gen, T)`` (signed MW; ``None``:
    #: none yet): later stages clear around the schedule plus it.
    redispatch_mw: FloatArray | None = None

    @property
    def next_stage(self) -> str | None:
        """The stage to clear next (``None`` after real time)."""
        return MARKET_STAGES[self.n_cleared] if self.n_cleared < len(MARKET_STAGES) else None


@dataclasses.dataclass(frozen=True, eq=False)
class StageResult:
    """One cleared stage: its case, the scheme's outcome and the state after it."""

    stage: str
    point: OperatingPoint
    case: ClearingCase
    outcome: Outcome
    state: DayState


def start_state(shared: SharedDay) -> DayState:
    """Nothing committed yet (before the day-ahead stage)."""
    flex = shared.day.flexibility
    return DayState(0, np.zeros_like(shared.offers.quantity_mw), np.zeros_like(flex.up_mw), flex)


def day_case(shared: SharedDay) -> ClearingCase:
    """The day's case: the actual operating point with every offer (validation, KPIs)."""
    sh = shared
    return clearing_case(
        sh.day, sh.day.actual, sh.offers, sh.market.schedule_mw, sh.penalties, sh.needs,
        sh.redispatch_markup_eur_per_mwh, monitor_loading=sh.spec.monitor_loading,
        monitor_feeder_loading=sh.spec.monitor_feeder_loading,
        margins=sh.margins,
    )


def stage_case(shared: SharedDay, stage: str, state: DayState | None = None) -> ClearingCase:
    """The clearing case of ``stage`` after what ``state`` committed (default: nothing)."""
    return _stage_inputs(shared, stage, state or start_state(shared))[1]


def _stage_inputs(
    shared: SharedDay, stage: str, state: DayState
) -> tuple[OperatingPoint, ClearingCase]:
    sh, offers = shared, shared.offers
    if stage != state.next_stage:
        raise SimulationError(
            f"stage {stage!r} cannot clear now: the next stage is {state.next_stage!r}",
            where="pipeline.clear_stage",
            fix=f"clear the stages in order {', '.join(MARKET_STAGES)}, passing each "
            "StageResult.state to the next",
        )
    if stage in sh.stages and state.decided is not None:
        # the earlier markets' activations enter this stage's baseline: they must have been
        # decided before this stage's information cut-off
        intervals = np.arange(sh.day.n_intervals)
        assert_no_lookahead(sh.stages[stage], intervals, state.decided, "earlier-stage activation")
    point = committed_point(sh.day.points[stage], day_case(sh), state.done_mw)
    left = np.maximum(offers.quantity_mw - state.done_mw, 0.0)
    if state.n_cleared > 0:
        # offers rebuilt from the DER state the committed plan leads to (no depleted battery is
        # offered, let alone called)
        left = rescaled_quantities(offers, sh.members, left, sh.day.flexibility, state.available)
        # the preset's minimum sizes hold for the rescaled bids too (market.eligibility rule 4)
        left = min_size_quantities(offers, left, sh.preset)
    schedule = sh.market.schedule_mw
    if state.redispatch_mw is not None:
        schedule = schedule + state.redispatch_mw  # earlier stages' redispatch is committed
    case = clearing_case(
        sh.day, point, offers.with_quantity(left), schedule, sh.penalties, sh.needs,
        sh.redispatch_markup_eur_per_mwh, monitor_loading=sh.spec.monitor_loading,
        monitor_feeder_loading=sh.spec.monitor_feeder_loading,
        margins=sh.margins,
    )
    coupling = stage_coupling(sh, state) if sh.spec.time_coupling else None
    return point, dataclasses.replace(case, time_coupling=coupling)


def clear_stage(
    shared: SharedDay,
    model: ModelEntry | str,
    stage: str = "day_ahead",
    state: DayState | None = None,
) -> StageResult:
    """Clear one stage of one model on the shared day (see module docstring, step 2).

    ``model`` is a catalogue entry or id; ``state`` what the earlier stages committed (default:
    nothing — the day-ahead stage). Stages clear in the order of ``MARKET_STAGES``; pass each
    result's ``state`` to the next call.
    """
    entry = _entry(model)
    sh = shared
    st = state or start_state(sh)
    point, case = _stage_inputs(sh, stage, st)
    k = sh.spec.horizon_intervals
    if k is not None and k < case.n_periods:
        outcome = clear_rolling(sh, entry, case, st.plan_mw, st.available, k)
    else:
        outcome = run_scheme(entry.scheme, case, entry.params.as_dict())
    after = advance_state(sh, st, stage, outcome.activation_mw, outcome.gen_redispatch_mw)
    return StageResult(stage, point, case, outcome, after)


def advance_state(
    shared: SharedDay,
    state: DayState,
    stage: str,
    accepted_mw: FloatArray,
    redispatch_mw: FloatArray | None = None,
) -> DayState:
    """The state after ``stage`` accepted ``accepted_mw`` (per offer step of the study's book,
    ``(n_offer, T)``) and redispatched ``redispatch_mw``: the requests split to the DERs pro rata
    to their available flexibility (:func:`tdcoord.simulation.timeline.der_requests`) join the
    plan; before the last stage the DERs' residual flexibility under that plan is recomputed."""
    sh, st = shared, state
    req, _, _ = der_requests(
        sh.offers, sh.members, accepted_mw, st.available.up_mw, st.available.down_mw
    )
    plan = st.plan_mw + req
    done = np.minimum(st.done_mw + accepted_mw, sh.offers.quantity_mw)
    available = st.available
    if st.n_cleared + 1 < len(MARKET_STAGES):
        models = list(sh.day.fleet.models.values())
        available = residual_flexibility(models, plan, sh.day.dt_h, response=sh.response)
    decided = st.decided
    if stage in sh.stages:
        decided = information_cutoff(sh.stages[stage], np.arange(sh.day.n_intervals))
    red = redispatch_mw
    if st.redispatch_mw is not None and red is not None:
        red = st.redispatch_mw + red
    elif red is None:
        red = st.redispatch_mw
    return DayState(st.n_cleared + 1, done, plan, available, decided, red)


def stage_coupling(shared: SharedDay, state: DayState) -> TimeCoupling:
    """The stage's time coupling (:mod:`tdcoord.coordination.intertemporal`): energy rows of the
    storage-like DERs from the state the committed plan leads to, split weights of the members'
    flexibility (the split of :func:`tdcoord.simulation.timeline.der_requests`), the products'
    minimum duration (:func:`tdcoord.pipeline.coupling.coupling_after`)."""
    return coupling_after(shared, state.plan_mw, state.available)


def _deliverability(shared: SharedDay, plan_mw: FloatArray) -> dict[str, Any]:
    """The day plan's deliverability KPIs (:mod:`tdcoord.kpi.deliverability`)."""
    models = list(shared.day.fleet.models.values())
    return deliverability_kpis(models, plan_mw, shared.day.dt_h, shared.response)


def _entry(model: ModelEntry | str) -> ModelEntry:
    from tdcoord.coordination.catalogue import get_model

    return get_model(model) if isinstance(model, str) else model


def _delivered(
    shared: SharedDay, case: ClearingCase, merged: Outcome, plan_mw: FloatArray, seed: int
) -> tuple[Outcome, Any]:
    """Activation (step 3): the plan through the DER models; the outcome as delivered."""
    sh = shared
    models = list(sh.day.fleet.models.values())
    result = activate(
        models, plan_mw, sh.day.dt_h, start_interval=0, response=sh.response, seed=seed
    )
    ratio = offer_delivery_ratio(sh.offers, sh.members, result)
    delivered = dataclasses.replace(merged, activation_mw=merged.activation_mw * ratio)
    delivered = dataclasses.replace(
        delivered, interface_mw=interface_after(case, delivered.activation_mw)
    )
    return delivered, result


def run_model_day(shared: SharedDay, model: ModelEntry | str) -> ModelDay:
    """One model through the day: every stage, activation, validation, outcome KPIs."""
    entry = _entry(model)
    sh = shared
    case = day_case(sh)
    log = MessageLog()
    schedule_exchange(log, sh.day, case, "schedule")
    outcomes: dict[str, Outcome] = {}
    state = start_state(sh)
    for name in MARKET_STAGES:
        res = clear_stage(sh, entry, name, state)
        outcomes[name], state = res.outcome, res.state
        if name == "day_ahead":
            # DSOs tell the TSO how their local markets changed the scheduled exchange
            full = clearing_case(
                sh.day, res.point, sh.offers, sh.market.schedule_mw, sh.penalties, sh.needs,
                sh.redispatch_markup_eur_per_mwh, monitor_loading=sh.spec.monitor_loading,
        monitor_feeder_loading=sh.spec.monitor_feeder_loading,
                margins=sh.margins,
            )
            schedule_exchange(log, sh.day, full, "schedule_change", res.outcome)
    stages, state, answers = _answer_events(sh, entry, outcomes, state)
    merged = merge_outcomes(case, stages, state.done_mw)
    merged.messages.extend(log)
    delivered, response = _delivered(sh, case, merged, state.plan_mw, sh.spec.seed)
    report = validate_outcome(case, delivered, ac=sh.spec.validation == "ac")
    md = ModelDay(
        model_id=entry.id,
        scheme=entry.scheme,
        params=entry.params.as_dict(),
        stages=outcomes,
        case=case,
        outcome=merged,
        delivered_outcome=delivered,
        response=response,
        validation=report,
        kpis=compute_kpis(case, merged, report, _deliverability(sh, state.plan_mw)),
    )
    if not sh.events:
        return md
    log_ = event_log(sh.day, md, answers, voll_eur_per_mwh=sh.penalties.voll_eur_per_mwh)
    return dataclasses.replace(md, events=log_)


def _answer_events(
    shared: SharedDay, entry: ModelEntry, outcomes: dict[str, Outcome], state: DayState
) -> tuple[dict[str, Outcome], DayState, tuple[EventAnswer, ...]]:
    """The study's events answered by the model's real-time re-clears
    (:func:`tdcoord.pipeline.events.answer_events`): their outcomes join the day's stages (before
    the last, whose prices the day keeps) and their activations the plan."""
    if not shared.events:
        return outcomes, state, ()
    ec = answer_events(shared, entry, state.done_mw, state.plan_mw, state.redispatch_mw)
    after = dataclasses.replace(state, done_mw=ec.done_mw, plan_mw=ec.plan_mw)
    return with_events(outcomes, ec.outcomes), after, ec.answers
