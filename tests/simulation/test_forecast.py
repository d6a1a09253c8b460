"""Seeded forecast errors: determinism, shrinking with the stage, unbiasedness, AR(1)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.forecast import (
    DEFAULT_SIGMA,
    ForecastConfig,
    forecast,
    forecast_errors,
    scaled_forecast_config,
)

ACTUAL = 2.0 + np.sin(np.linspace(0, 2 * np.pi, 96))


def test_deterministic_and_seed_dependent() -> None:
    a = forecast(ACTUAL, "day_ahead", quantity="load", seed=7)
    b = forecast(ACTUAL, "day_ahead", quantity="load", seed=7)
    c = forecast(ACTUAL, "day_ahead", quantity="load", seed=8)
    d = forecast(ACTUAL, "day_ahead", quantity="pv", seed=7)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, d)


def test_real_time_sees_the_actual_and_zero_stays_zero() -> None:
    assert np.array_equal(forecast(ACTUAL, "real_time", quantity="load", seed=1), ACTUAL)
    pv = np.zeros((3, 96))
    pv[:, 30:60] = 1.0
    f = forecast(pv, "day_ahead", quantity="pv", seed=3)
    assert np.all(f[:, :30] == 0.0) and not np.allclose(f[:, 30:60], 1.0)


def test_errors_shrink_unbiased_with_configured_sigma_and_correlation() -> None:
    cfg = ForecastConfig(sigma={"load": (0.05, 0.02, 0.01)}, rho=0.8)
    e = forecast_errors((4000, 96), "load", cfg, seed=11)  # 4000 independent paths
    sd = {k: float(v.std()) for k, v in e.items()}
    assert sd["day_ahead"] > sd["intraday"] > sd["real_time"] > 0
    for stage, sigma in zip(
        ("day_ahead", "intraday", "real_time"), (0.05, 0.02, 0.01), strict=True
    ):
        assert sd[stage] == pytest.approx(sigma, rel=0.03)
        # unbiased: the mean over paths of every interval is within 5 standard errors of 0
        se = sigma / np.sqrt(4000)
        assert np.all(np.abs(e[stage].mean(axis=0)) < 5 * se)
        # lag-1 autocorrelation of the AR(1) process (independent estimator: corrcoef)
        r = np.corrcoef(e[stage][:, :-1].ravel(), e[stage][:, 1:].ravel())[0, 1]
        assert r == pytest.approx(0.8, abs=0.02)
    # nesting: day-ahead error = intraday error + independent innovation
    inc = e["day_ahead"] - e["intraday"]
    assert abs(np.corrcoef(inc.ravel(), e["intraday"].ravel())[0, 1]) < 0.02
    # relative errors scale with the actual profile
    f = forecast(ACTUAL, "intraday", quantity="load", config=cfg, seed=11)
    assert np.allclose((f - ACTUAL) / ACTUAL, forecast_errors((96,), "load", cfg, 11)["intraday"])


def test_bad_config() -> None:
    with pytest.raises(SimulationError, match="shrink"):
        ForecastConfig(sigma={"load": (0.01, 0.05, 0.0)})
    with pytest.raises(SimulationError, match="rho"):
        ForecastConfig(rho=1.0)
    with pytest.raises(SimulationError, match="no forecast error configured"):
        forecast(ACTUAL, "day_ahead", quantity="hydro")
    with pytest.raises(SimulationError, match="unknown stage"):
        forecast(ACTUAL, "week_ahead", quantity="load")
    with pytest.raises(SimulationError, match="finite"):
        forecast(np.array([1.0, np.nan]), "day_ahead", quantity="load")


def test_scaled_forecast_config_scales_every_sigma() -> None:
    assert scaled_forecast_config(1.0) is None  # the defaults themselves: numbers unchanged
    cfg = scaled_forecast_config(2.0)
    assert cfg is not None
    for q, sigma in DEFAULT_SIGMA.items():
        assert cfg.sigma[q] == tuple(2.0 * s for s in sigma)
    zero = scaled_forecast_config(0.0)
    assert zero is not None and all(s == (0.0, 0.0, 0.0) for s in zero.sigma.values())
