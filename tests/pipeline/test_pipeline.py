"""The pipeline: the shared day, one stage of one model, one model through the day."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tdcoord.pipeline import (
    SharedDay,
    build_shared_day,
    clear_stage,
    run_model,
    run_model_day,
    stage_case,
)
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.timeline import MARKET_STAGES
from tdcoord.study import load_study

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
    np.testing.assert_array_equal(res.state.done_mw, md.outcome.activation_mw)


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
    # study events: energy not served at VOLL joins the total cost
    assert k["total_cost"] == pytest.approx(run.day.kpis["total_cost"] + k["emergency_cost"])


def test_time_coupled_model_calls_no_depleted_storage(shared: SharedDay) -> None:
    """Regression (issue 12 item 1): eu.central sees the DER state, so no request of its day
    exceeds a storage's state (on main before the time coupling: 302 battery cuts, 15.9 MWh)."""
    k = run_model_day(shared, MODEL).kpis
    assert k["depleted_storage_calls"] == 0
    assert k["undeliverable_request_mwh"] == 0.0


def test_aggregated_interface_offers_may_hide_the_state(shared: SharedDay) -> None:
    """au.tstp buys per-interval aggregated interface offers: nobody clears the day with the
    members' energy, and the KPI shows it."""
    k = run_model_day(shared, "au.tstp").kpis
    assert k["depleted_storage_calls"] > 0
    assert k["undeliverable_request_mwh"] > 0.0
