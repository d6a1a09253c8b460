from __future__ import annotations

import pickle

import numpy as np

from tdcoord.sweep.study_file import load_sweep_study
from tdcoord.sweep.task import build_shared

from .conftest import SWEEP_STUDY


def test_the_forecast_scale_changes_forecasts_not_the_actual_day() -> None:
    study = load_sweep_study(SWEEP_STUDY).study
    assert study.compare.forecast_error_scale == 1.0
    doubled = study.model_copy(
        update={"compare": study.compare.model_copy(update={"forecast_error_scale": 2.0})}
    )
    a, b = build_shared(study).shared, build_shared(doubled).shared
    np.testing.assert_array_equal(a.day.actual.load_mw, b.day.actual.load_mw)
    err_a = a.day.points["day_ahead"].load_mw - a.day.actual.load_mw
    err_b = b.day.points["day_ahead"].load_mw - b.day.actual.load_mw
    np.testing.assert_allclose(err_b, 2.0 * err_a, rtol=1e-9, atol=1e-12)
    assert np.any(err_a != 0)


def test_the_shared_day_pickles_without_its_preset_classes() -> None:
    shared = build_shared(load_sweep_study(SWEEP_STUDY).study)
    back = pickle.loads(pickle.dumps(shared))
    assert back.shared.preset == shared.shared.preset
    np.testing.assert_array_equal(back.shared.day.actual.load_mw, shared.shared.day.actual.load_mw)
