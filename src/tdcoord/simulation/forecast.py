"""Seeded forecast errors per stage: shrinking with the lead time, AR(1)-correlated in time.

Seed 000 §3.1: with more DERs "there will be a much greater need for more accurate forecasting of
load and generation"; seed 000 §3.2: schedules are updated "closer to real time". The model:

* For a quantity ``q`` (``load``, ``pv``, ``wind``, or any name with a configured σ) and stage
  ``s``, the forecast is ``f = a + |a| · e_s`` (relative error, so a zero actual — PV at night — is
  forecast exactly; no clipping, so the forecast stays unbiased: E[f] = a).
* Errors are **nested**, as information arrives: ``e_rt = σ_rt·x₁``,
  ``e_id = e_rt + sqrt(σ_id² − σ_rt²)·x₂``, ``e_da = e_id + sqrt(σ_da² − σ_id²)·x₃``, with
  independent standardised AR(1) processes ``x_k`` over intervals:
  ``x_0 = z_0``, ``x_t = ρ x_{t−1} + sqrt(1 − ρ²) z_t`` (stationary, unit variance, lag-1
  correlation ρ). Hence Var(e_da) = σ_da² ≥ Var(e_id) = σ_id² ≥ Var(e_rt) = σ_rt² (0 by default:
  real time sees the actual), and every stage's forecast is unbiased.
* Deterministic: the draws come from ``numpy.random.default_rng([seed, crc32(q)])``; the same
  seed and quantity give the same errors bit for bit, and every stage of one quantity uses the same
  draws (the nesting above).

Default σ (relative, 1 standard deviation) follow typical day-ahead/intraday accuracies
(load ≈ 2–5 % day-ahead, PV and wind 10–25 %); they are study settings, change them freely.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.stages import STAGE_NAMES, Stage
from tdcoord.types import FloatArray

DEFAULT_SIGMA: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {
        "load": (0.04, 0.02, 0.0),
        "pv": (0.20, 0.10, 0.0),
        "wind": (0.15, 0.08, 0.0),
    }
)


@dataclass(frozen=True)
class ForecastConfig:
    """σ per quantity as (day-ahead, intraday, real-time) relative errors, and the AR(1) ρ."""

    sigma: Mapping[str, tuple[float, float, float]] = field(
        default_factory=lambda: dict(DEFAULT_SIGMA)
    )
    rho: float = 0.9

    def __post_init__(self) -> None:
        if not (-1.0 < self.rho < 1.0):
            raise SimulationError(
                f"AR(1) correlation rho = {self.rho!r} outside (-1, 1)",
                where="ForecastConfig.rho",
                fix="use e.g. 0.9 (strong correlation between consecutive intervals)",
            )
        for q, s in self.sigma.items():
            if len(s) != 3 or not all(np.isfinite(x) and x >= 0 for x in s):
                raise SimulationError(
                    f"sigma for {q!r} must be three non-negative numbers, got {s!r}",
                    where=f"ForecastConfig.sigma[{q!r}]",
                    fix="give (day_ahead, intraday, real_time), e.g. (0.04, 0.02, 0.0)",
                )
            if not (s[0] >= s[1] >= s[2]):
                raise SimulationError(
                    f"sigma for {q!r} does not shrink towards real time: {s!r}",
                    where=f"ForecastConfig.sigma[{q!r}]",
                    fix="order them day_ahead >= intraday >= real_time",
                )

    def sigmas(self, quantity: str) -> tuple[float, float, float]:
        if quantity not in self.sigma:
            raise SimulationError(
                f"no forecast error configured for quantity {quantity!r}",
                where="ForecastConfig.sigma",
                fix=f"use one of {sorted(self.sigma)} or add a sigma entry for it",
            )
        return self.sigma[quantity]


def _stage_index(stage: Stage | str) -> int:
    name = stage.name if isinstance(stage, Stage) else stage
    if name not in STAGE_NAMES:
        raise SimulationError(
            f"unknown stage {name!r}", where="forecast", fix=f"use one of {list(STAGE_NAMES)}"
        )
    return STAGE_NAMES.index(name)


def ar1(z: FloatArray, rho: float) -> FloatArray:
    """Stationary unit-variance AR(1) along the last axis from i.i.d. N(0,1) draws ``z``."""
    c = float(np.sqrt(1.0 - rho**2))
    w = np.array(z, dtype=np.float64, copy=True)
    w[..., 0] /= c
    return np.asarray(lfilter([c], [1.0, -rho], w, axis=-1), dtype=np.float64)


def forecast_errors(
    shape: tuple[int, ...], quantity: str, config: ForecastConfig, seed: int
) -> dict[str, FloatArray]:
    """Relative errors of every stage for one quantity: ``{stage name: array(shape)}``."""
    if len(shape) < 1 or shape[-1] < 1:
        raise SimulationError(
            f"shape {shape!r} has no interval axis", where="forecast", fix="pass (..., T)"
        )
    s_da, s_id, s_rt = config.sigmas(quantity)
    rng = np.random.default_rng([int(seed), zlib.crc32(quantity.encode("utf-8"))])
    z = rng.standard_normal((3, *shape))
    x = ar1(z, config.rho)
    e_rt = s_rt * x[0]
    e_id = e_rt + np.sqrt(s_id**2 - s_rt**2) * x[1]
    e_da = e_id + np.sqrt(s_da**2 - s_id**2) * x[2]
    return {"day_ahead": e_da, "intraday": e_id, "real_time": e_rt}


def forecast(
    actual: npt.ArrayLike,
    stage: Stage | str,
    *,
    quantity: str,
    config: ForecastConfig | None = None,
    seed: int = 0,
) -> FloatArray:
    """Forecast of ``actual`` (``(..., T)``, MW) as seen at ``stage``: ``a + |a|·e_stage``."""
    a = np.asarray(actual, dtype=np.float64)
    if a.ndim < 1 or a.shape[-1] < 1 or not np.all(np.isfinite(a)):
        raise SimulationError(
            f"actual profile of {quantity!r} must be a finite array with an interval axis",
            where="forecast",
            fix="pass (units, T) or (T,) finite values in MW",
        )
    cfg = config or ForecastConfig()
    e = forecast_errors(a.shape, quantity, cfg, seed)[STAGE_NAMES[_stage_index(stage)]]
    return np.asarray(a + np.abs(a) * e, dtype=np.float64)


def scaled_forecast_config(scale: float) -> ForecastConfig | None:
    """The default forecast errors with every σ × ``scale`` (``compare.forecast_error_scale``);
    ``None`` (the defaults themselves, bit for bit) for ``scale`` = 1."""
    if scale == 1.0:
        return None
    return ForecastConfig(
        sigma={q: (s[0] * scale, s[1] * scale, s[2] * scale) for q, s in DEFAULT_SIGMA.items()}
    )
