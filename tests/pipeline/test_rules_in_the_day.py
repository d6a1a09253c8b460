"""The rules of the day in the pipeline: the preset's redispatch markup reaches every stage,
redispatch committed in a stage carries into the next, red units get no request in the
directions they fail, and no model's buyer buys a product it may not buy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tdcoord.der.grid_prequalification import grid_prequalify
from tdcoord.market.products import get_product
from tdcoord.pipeline import SharedDay, build_shared_day, clear_stage, run_model_day, stage_case
from tdcoord.study import load_study

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"


@pytest.fixture(scope="module")
def shared() -> SharedDay:
    return build_shared_day(load_study(SMALL))


def test_preset_markup_reaches_every_stage(shared: SharedDay) -> None:
    markup = shared.preset.transmission_redispatch_markup_eur_per_mwh()
    assert shared.redispatch_markup_eur_per_mwh == markup
    res = clear_stage(shared, "eu.central", "day_ahead")
    for name in ("intraday", "real_time"):
        case = stage_case(shared, name, res.state)
        assert case.redispatch_premium_eur_per_mwh == markup
        res = clear_stage(shared, "eu.central", name, res.state)


def test_committed_redispatch_carries_into_the_next_stage(shared: SharedDay) -> None:
    da = clear_stage(shared, "au.sip", "day_ahead")
    intraday = stage_case(shared, "intraday", da.state)
    np.testing.assert_allclose(
        intraday.gen_schedule_mw, shared.market.schedule_mw + da.outcome.gen_redispatch_mw
    )
    md = run_model_day(shared, "au.sip")
    assert np.abs(md.outcome.gen_redispatch_mw).max() > 1e-6  # generators meet the TSO need
    # the day's cost = its stages' plus its emergencies' re-clears (the small study has events)
    from tdcoord.coordination.catalogue import get_model
    from tdcoord.pipeline.events import answer_events

    st = clear_stage(shared, "au.sip", "intraday", da.state).state
    st = clear_stage(shared, "au.sip", "real_time", st).state
    ev = answer_events(shared, get_model("au.sip"), st.done_mw, st.plan_mw, st.redispatch_mw)
    assert len(ev.outcomes) == len(shared.events) > 0
    # the accounting KPI is the outcome's public value (kpi.metrics costs it from the buyers)
    assert md.kpis["transmission_redispatch_eur"] == pytest.approx(
        md.outcome.transmission_redispatch_eur, abs=1e-6
    )
    assert md.outcome.transmission_redispatch_eur == pytest.approx(
        sum(o.transmission_redispatch_eur for o in md.stages.values())
        + sum(o.transmission_redispatch_eur for o in ev.outcomes.values())
    )


def test_red_units_get_no_request_where_they_fail(shared: SharedDay) -> None:
    study = shared.study
    assert study is not None and shared.fleet is not None
    pq = grid_prequalify(
        shared.day.grid,
        shared.fleet,
        [get_product(p) for p in study.market.products],
        n_intervals=shared.day.n_intervals,
        dt_h=shared.day.dt_h,
        season=study.fleet.season,
    )
    red_dn = pq.cases["down"]["light"] == 2
    red_up = pq.cases["up"]["light"] == 2
    assert red_dn.any() or red_up.any()
    for model in ("eu.local", "eu.fragmented"):
        req = run_model_day(shared, model).response.requested_mw
        assert (req[red_dn] >= -1e-9).all(), model
        assert (req[red_up] <= 1e-9).all(), model


def test_event_reclear_offers_generator_redispatch_around_the_committed_schedule(
    shared: SharedDay,
) -> None:
    """The real-time re-clear of an emergency (pipeline.events) gets the preset's markup and
    clears around the schedule plus the redispatch the day's stages committed; without the
    markup (``None``) the TSO's re-clear could not move a generator."""
    from tdcoord.pipeline.events import realtime_case

    st = clear_stage(shared, "eu.central", "day_ahead").state
    assert st.redispatch_mw is not None
    case = realtime_case(shared, st.done_mw, st.available, st.redispatch_mw)
    assert case.redispatch_premium_eur_per_mwh == shared.redispatch_markup_eur_per_mwh
    np.testing.assert_allclose(
        case.gen_schedule_mw, shared.market.schedule_mw + st.redispatch_mw
    )
    bare = realtime_case(shared, st.done_mw, st.available)
    np.testing.assert_allclose(bare.gen_schedule_mw, shared.market.schedule_mw)
