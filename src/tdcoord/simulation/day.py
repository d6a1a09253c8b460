"""The day of a study: actual and forecast operating points, per stage, on one interval grid.

Built once per study and shared by every coordination model compared (same inputs for all):

* **Transmission loads** ``(n_load, T)``: each load's static value × a normalised daily shape
  (half household H0, half commercial G0 — :func:`tdcoord.der.fleet_profiles.load_shape`; the
  season's standard shapes, or a calendar day's SimBench profiles when the study gives
  ``fleet.date``).
* **Feeder net withdrawal** per node ``(n_node, T)``: node load × household shape − the
  injection of the DERs not already embedded in the load (fleet baseline; PV at its available
  power, EV and heat-pump consumption as negative injection). Reactive load follows the same shape.
* **Forecasts** per stage (``day_ahead``, ``intraday``, ``real_time``) from
  :func:`tdcoord.simulation.forecast.forecast`: loads with the ``load`` σ, the PV part of the DER
  baseline with the ``pv`` σ; real time sees the actual values (σ = 0 by default).

Seed 000 §3.1 asks for exactly this chain: forecasts of load and DER output that improve closer to
real time, schedules built on them, and deviations resolved by flexibility.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cached_property
from typing import Any

import numpy as np

from tdcoord.der.base import Flexibility
from tdcoord.der.fleet import Fleet
from tdcoord.der.fleet_profiles import load_shape
from tdcoord.grid.model import GridModel
from tdcoord.simulation.forecast import ForecastConfig, forecast
from tdcoord.types import FloatArray

STAGES: tuple[str, ...] = ("day_ahead", "intraday", "real_time")


@dataclasses.dataclass(frozen=True, eq=False)
class OperatingPoint:
    """Loads and feeder net withdrawals as known at one stage (MW, Mvar; element × interval)."""

    load_mw: FloatArray
    feeder_p_mw: tuple[FloatArray, ...]
    feeder_q_mvar: tuple[FloatArray, ...]

    def feeder_import_mw(self) -> FloatArray:
        """Net import of every feeder, ``(n_feeder, T)`` (lossless sum of node withdrawals)."""
        if not self.feeder_p_mw:
            return np.zeros((0, self.load_mw.shape[1]))
        return np.vstack([p.sum(axis=0) for p in self.feeder_p_mw])

    def net_demand_mw(self) -> FloatArray:
        """System net demand per interval: transmission loads + feeder imports."""
        return np.asarray(self.load_mw.sum(axis=0) + self.feeder_import_mw().sum(axis=0))


@dataclasses.dataclass(frozen=True, eq=False)
class Day:
    """The shared inputs of one simulated day."""

    grid: GridModel
    fleet: Fleet
    n_intervals: int
    dt_h: float
    der_baseline_mw: FloatArray
    points: dict[str, OperatingPoint]
    season: str
    der_forecast_mw: dict[str, FloatArray] = dataclasses.field(default_factory=dict)
    """The DER baseline ``(n_der, T)`` as forecast at each stage (PV with the stage's error):
    the intraday one is the BRP's final position in imbalance settlement."""

    @cached_property
    def flexibility(self) -> Flexibility:
        """The fleet's flexibility along its baseline (computed once per day)."""
        return self.fleet.flexibility(self.n_intervals, self.dt_h)

    @property
    def actual(self) -> OperatingPoint:
        """What really happens (the real-time view)."""
        return self.points["real_time"]


def build_day(
    grid: GridModel,
    fleet: Fleet,
    *,
    n_intervals: int,
    dt_h: float,
    season: str,
    seed: int,
    forecast_config: ForecastConfig | None = None,
    date: dt.date | None = None,
) -> Day:
    """Actual and per-stage forecast operating points (see module doc); ``date`` takes the
    shapes from that day's SimBench profiles (:mod:`tdcoord.der.fleet_profiles`)."""
    T = n_intervals
    res = load_shape("residential", season, T, dt_h, date=date)  # type: ignore[arg-type]
    com = load_shape("commercial", season, T, dt_h, date=date)  # type: ignore[arg-type]
    mixed = 0.5 * res + 0.5 * com
    mixed = mixed / mixed.max()
    tr = grid.transmission
    t_load = (
        np.asarray(tr.loads.p_mw)[:, None] * mixed[None, :] if tr is not None else np.zeros((0, T))
    )
    base = fleet.baseline_p_mw(T, dt_h)
    is_pv = np.asarray(fleet.der_type == "pv")
    cfg = forecast_config or ForecastConfig()
    points: dict[str, OperatingPoint] = {}
    der_forecast: dict[str, FloatArray] = {}
    for stage in STAGES:
        load_f = forecast(t_load, stage, quantity="load", config=cfg, seed=seed)
        der_f = base.copy()
        if is_pv.any():
            der_f[is_pv] = np.maximum(
                forecast(base[is_pv], stage, quantity="pv", config=cfg, seed=seed), 0.0
            )
        fp: list[FloatArray] = []
        fq: list[FloatArray] = []
        for f, fd in enumerate(grid.feeders):
            node_p = np.asarray(fd.node_load_mw() - fd.node_sgen_mw())[:, None] * res[None, :]
            node_q = np.asarray(fd.node_load_mvar() - fd.node_sgen_mvar())[:, None] * res[None, :]
            node_p = forecast(node_p, stage, quantity="load", config=cfg, seed=seed + 7919 * f)
            inj = fleet.net_injection_by_node(
                f, fd.n_node, der_f, n_intervals=T, dt_h=dt_h, include_embedded=False
            )
            p = node_p - inj
            p[0] = 0.0
            q = node_q.copy()
            q[0] = 0.0
            fp.append(np.asarray(p))
            fq.append(np.asarray(q))
        points[stage] = OperatingPoint(np.asarray(load_f), tuple(fp), tuple(fq))
        der_forecast[stage] = der_f
    return Day(grid, fleet, T, dt_h, base, points, season, der_forecast)


def describe(day: Day) -> dict[str, Any]:
    """Headline numbers of a day (JSON-able)."""
    a = day.actual
    nd = a.net_demand_mw()
    return {
        "intervals": day.n_intervals,
        "dt_h": day.dt_h,
        "ders": int(day.fleet.n_der),
        "peak_net_demand_mw": float(nd.max()),
        "min_net_demand_mw": float(nd.min()),
        "energy_mwh": float(nd.sum() * day.dt_h),
        "da_forecast_error_mwh": float(
            np.abs(day.points["day_ahead"].net_demand_mw() - nd).sum() * day.dt_h
        ),
    }
