"""The pipeline: the shared day, one stage of one model, one model through the day."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tdcoord.coordination.margins import Margins
from tdcoord.pipeline import (
    SharedDay,
    build_shared_day,
    clear_stage,
    day_case,
    run_model,
    run_model_day,
    stage_case,
)
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.timeline import MARKET_STAGES
from tdcoord.study import load_study
from tdcoord.study.schema import MarginSpec

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"
MODEL = "eu.central"


@pytest.fixture(scope="module")
def shared() -> SharedDay:
    return build_shared_day(load_study(SMALL))


def test_stages_by_hand_are_the_model_day(shared: SharedDay) -> None:
    md = run_model_day(shared, MODEL)
    res = clear_stage(shared, MODEL, "day_ahead")
    for name in MARKET_STAGES:
        if name != "day_ahead":
            res = clear_stage(shared, MODEL, name, res.state)
        np.testing.assert_array_equal(res.outcome.activation_mw, md.stages[name].activation_mw)
    assert res.state.next_stage is None
    # the study's events re-clear real time after the stages (issue 12 item 5): the day's
    # activations are the stages' plus the events' rows, nothing else
    acts = md.outcome.activations
    ev = acts[acts["stage"].astype(str).str.startswith("event:")]
    extra = np.zeros_like(res.state.done_mw)
    np.add.at(extra, (ev["offer_row"].to_numpy(int), ev["interval"].to_numpy(int)),
              ev["mw"].to_numpy(float))
    assert len(ev) > 0
    np.testing.assert_allclose(
        md.outcome.activation_mw,
        np.minimum(res.state.done_mw + extra, shared.offers.quantity_mw), atol=1e-9,
    )


def test_stages_clear_in_order(shared: SharedDay) -> None:
    with pytest.raises(SimulationError, match="next stage is 'day_ahead'"):
        clear_stage(shared, MODEL, "real_time")
    case = stage_case(shared, "day_ahead")
    assert case.n_periods == shared.day.n_intervals


def test_run_model_has_every_kpi(shared: SharedDay) -> None:
    run = run_model(shared, MODEL)
    k = run.kpis
    assert k["wall_s"] == run.wall_s
    assert k["settlement_residual_eur"] == pytest.approx(0.0, abs=1e-6)
    # study events: the model's own emergency shedding at VOLL joins the total cost, the
    # exogenous part (a TSO shedding order) is reported apart; availability joins it too
    own = k["emergency_cost"] - k["exogenous_cost_eur"]
    assert 0.0 <= k["exogenous_cost_eur"] <= k["emergency_cost"]
    assert k["total_cost"] == pytest.approx(
        run.day.kpis["total_cost"] + own + k["availability_cost_eur"]
    )
    assert k["welfare"] == -k["total_cost"]


def test_study_security_margins_reach_every_stage_case(shared: SharedDay) -> None:
    assert stage_case(shared, "day_ahead").margins == Margins()  # the documented defaults
    spec = shared.spec.model_copy(
        update={"security_margins": MarginSpec(rating_frac=0.1, voltage_pu=0.02)}
    )
    tight = dataclasses.replace(shared, spec=spec)
    assert stage_case(tight, "day_ahead").margins == Margins(rating_frac=0.1, voltage_pu=0.02)
    assert day_case(tight).margins == Margins(rating_frac=0.1, voltage_pu=0.02)


def test_time_coupled_model_calls_no_depleted_storage(shared: SharedDay) -> None:
    """Regression (issue 12 item 1): eu.central sees the DER state, so no request its market
    stages make exceeds a storage's state (on main before the time coupling: 302 battery cuts,
    15.9 MWh). The study's events are left out: their real-time window re-clears
    (pipeline/events.py) carry no energy rows yet (docs/coordination.md)."""
    k = run_model_day(dataclasses.replace(shared, events=()), MODEL).kpis
    assert k["depleted_storage_calls"] == 0
    assert k["undeliverable_request_mwh"] == 0.0


def test_aggregated_interface_offers_may_hide_the_state() -> None:
    """au.tstp buys per-interval aggregated interface offers: nobody clears the day with the
    members' energy, and the KPI shows it. The offers are of a product the TSO may buy
    (congestion_shared: under the buyers rule the TSO buys no congestion_dso) and generators
    offer no redispatch here (at cost they would meet the small study's TSO need instead)."""
    study = load_study(SMALL)
    study = study.model_copy(
        update={"market": study.market.model_copy(update={"products": ["congestion_shared"]})}
    )
    sh = dataclasses.replace(build_shared_day(study), redispatch_markup_eur_per_mwh=None)
    k = run_model_day(sh, "au.tstp").kpis
    assert k["depleted_storage_calls"] > 0
    assert k["undeliverable_request_mwh"] > 0.0
