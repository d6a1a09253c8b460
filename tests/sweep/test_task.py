from __future__ import annotations

import pickle

import numpy as np

from tdcoord.simulation.forecast import DEFAULT_SIGMA
from tdcoord.sweep.study_file import load_sweep_study
from tdcoord.sweep.task import build_shared, forecast_config, with_forecast_scale

from .conftest import SWEEP_STUDY


def test_forecast_config_scales_every_sigma() -> None:
    assert forecast_config(1.0) is None
    cfg = forecast_config(2.0)
    assert cfg is not None
    assert cfg.sigma["pv"] == tuple(2.0 * s for s in DEFAULT_SIGMA["pv"])


def test_the_forecast_scale_changes_forecasts_not_the_actual_day() -> None:
    shared = build_shared(load_sweep_study(SWEEP_STUDY).study).shared
    scaled = with_forecast_scale(shared, 2.0)
    a, b = shared.day, scaled.day
    np.testing.assert_array_equal(a.actual.load_mw, b.actual.load_mw)
    err_a = a.points["day_ahead"].load_mw - a.actual.load_mw
    err_b = b.points["day_ahead"].load_mw - b.actual.load_mw
    np.testing.assert_allclose(err_b, 2.0 * err_a, rtol=1e-9, atol=1e-12)
    assert scaled.offers is shared.offers and scaled.grid is shared.grid


def test_the_shared_day_pickles_without_its_preset_classes() -> None:
    shared = build_shared(load_sweep_study(SWEEP_STUDY).study)
    back = pickle.loads(pickle.dumps(shared))
    assert back.shared.preset == shared.shared.preset
    np.testing.assert_array_equal(back.shared.day.actual.load_mw, shared.shared.day.actual.load_mw)
