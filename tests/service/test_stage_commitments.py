"""Later stages clear on top of earlier ones: an intraday session of the same market and delivery
day as a cleared day-ahead session clears with the day-ahead activations committed (the study
pipeline's prior commitments), so it gives the same dispatch and prices as ``compare``'s intraday
stage for the same offers and needs, bit for bit."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tdcoord.pipeline import clear_stage, run_model_day, stage_case
from tdcoord.pipeline.prices import day_prices
from tests.service.conftest import Env, make_env, small_engine
from tests.service.flow import clear_now, open_stage, play_stage, post_book, register
from tests.service.test_platform_equals_study import check_components, check_equals_compare

MODEL = "eu.central"


@pytest.fixture
def open_env(tmp_path: Path) -> Iterator[Env]:
    e = make_env(f"sqlite:///{tmp_path / 'p.db'}", area=None)
    yield e
    e.plat.store.dispose()


def test_intraday_after_day_ahead_equals_compare(open_env: Env) -> None:
    env = open_env
    # the platform's sessions have no transmission generators offering redispatch: the reference
    # is compare's day with none either (SharedDay.redispatch_markup_eur_per_mwh None)
    sh = dataclasses.replace(small_engine().shared, redispatch_markup_eur_per_mwh=None)
    da = play_stage(env, MODEL)
    portfolios = {p["name"]: p["id"] for p in env.ok("GET", "/api/v1/portfolios", "mo")}
    ida = open_stage(env, da, "intraday")
    r = env.client.post(f"/api/v1/sessions/{ida}/clearing", headers=env.h("mo"))
    assert r.status_code == 409  # still open
    # the intraday clearing waits for the day-ahead one
    env.ok("POST", f"/api/v1/sessions/{ida}/close", "mo")
    r = env.client.post(f"/api/v1/sessions/{ida}/clearing", headers=env.h("mo"))
    assert r.status_code == 409 and r.json()["code"] == "EarlierStageNotCleared"
    clear_now(env, da)

    first = clear_stage(sh, MODEL, "day_ahead")
    case = stage_case(sh, "intraday", first.state)
    ida2 = open_stage(env, da, "intraday")
    env.ok("POST", f"/api/v1/sessions/{ida2}/needs", "tso", json={"mw": case.tso_need_mw.tolist()})
    post_book(env, ida2, portfolios, case.offers)
    clear_now(env, ida2)

    day = run_model_day(sh, MODEL)
    ref = day.stages["intraday"]
    got = env.ok("GET", f"/api/v1/sessions/{ida2}/summary", "mo")
    act = np.array(got["activation_mw"], dtype=np.float64)
    assert act.shape == ref.activation_mw.shape
    assert np.array_equal(act, ref.activation_mw)
    assert ref.activation_mw.any(), "the intraday stage must activate something to test"
    prices = env.ok("GET", f"/api/v1/sessions/{ida2}/prices", "fsp1")
    lmp = np.array([p["price_eur_per_mwh"] for p in prices if p["kind"] == "lmp"])
    assert ref.lmp_eur_per_mwh is not None
    assert np.array_equal(lmp, ref.lmp_eur_per_mwh)
    check_components(prices)
    check_equals_compare(prices, day_prices(sh, day), "intraday")
    # without the day-ahead commitment the intraday case differs (the test can fail)
    plain = sh.day.points["intraday"]
    assert not all(np.array_equal(a, b) for a, b in
                   zip(plain.feeder_p_mw, case.feeder_p_mw, strict=True))


def test_commitments_skip_failed_and_other_markets(open_env: Env) -> None:
    env = open_env
    da = play_stage(env, MODEL)
    from tdcoord.service.clearing import commitments, earlier_sessions
    from tdcoord.service.models import MarketSession

    ida = open_stage(env, da, "intraday")
    with env.plat.store.read() as s:
        ms = s.get(MarketSession, ida)
        assert ms is not None
        assert [e.id for e in earlier_sessions(s, ms)] == [da]
        assert commitments(s, ms, "x") == []  # the day-ahead session is not cleared yet
    clear_now(env, da)
    with env.plat.store.read() as s:
        ms = s.get(MarketSession, ida)
        assert ms is not None
        got = commitments(s, ms, small_engine().study.market.products[0])
    assert [c.session_id for c in got] == [da]
    assert len(got[0].rows) == small_engine().shared.offers.n_offers
    _ = register  # (registration is done by play_stage)
