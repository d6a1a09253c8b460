"""Baselines: what a DER would have injected without activation, as a named registry.

Delivered flexibility is measured against a *baseline* (counterfactual) — for scheduled units the
declared schedule, for DERs without one an estimate from meter history (Lind et al., "Baseline
methods in the context of modern distributed flexibility", Utilities Policy 2023,
doi:10.1016/j.jup.2023.101688, compare nine methods; seed 000 §3.2: DER schedules are shared
after the day-ahead market; docs/coordination-models.md "Baseline schedule").

All arrays are in the platform sign convention of :mod:`tdcoord.der.base` (net **injection**,
MW, consumption negative) and vectorised over DERs × intervals:

* ``metered_mw``   (U, T)    metered net injection on the settlement day
* ``event_mask``   (U, T)    True where the DER is activated (any buyer, any direction)
* ``schedule_mw``  (U, T)    declared / day-ahead schedule (``metered_schedule``)
* ``history_mw``   (D, U, T) metered net injection on D earlier days, **oldest first**
* ``history_eligible`` (D, U) False excludes a day (event day, holiday) for that DER

Every baseline returns a (U, T) array. Names and bound parameters live in a registry
(:func:`available_baselines`, :func:`get_baseline`, :func:`register_baseline`,
:func:`compute_baseline`). Sources are on each registry entry (``Baseline.source``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

from tdcoord.settlement._common import as_grid
from tdcoord.settlement.errors import SettlementError
from tdcoord.types import BoolArray, FloatArray

Selection = Literal["recent", "high_consumption", "high_injection"]
Adjustment = Literal["none", "additive", "multiplicative"]


@dataclass(frozen=True)
class BaselineInputs:
    """Meter data and schedules of U DERs over T intervals (see the module docstring)."""

    metered_mw: FloatArray
    event_mask: BoolArray | None = None
    schedule_mw: FloatArray | None = None
    history_mw: FloatArray | None = None
    history_eligible: BoolArray | None = None
    before_mw: FloatArray | None = None
    dt_h: float = 0.25

    def __post_init__(self) -> None:
        m = as_grid(self.metered_mw, "metered_mw")
        object.__setattr__(self, "metered_mw", m)
        u, t = m.shape
        ev = np.zeros((u, t), dtype=bool) if self.event_mask is None else self.event_mask
        ev = np.asarray(ev, dtype=bool)
        if ev.shape != (u, t):
            raise SettlementError(
                f"event_mask has shape {ev.shape}, expected {(u, t)}",
                where="event_mask",
                fix="one row per DER and one column per interval, like metered_mw",
            )
        object.__setattr__(self, "event_mask", ev)
        if self.schedule_mw is not None:
            object.__setattr__(
                self, "schedule_mw", as_grid(self.schedule_mw, "schedule_mw", (u, t))
            )
        if self.history_mw is not None:
            h = as_grid(self.history_mw, "history_mw", ndim=3)
            if h.shape[1:] != (u, t):
                raise SettlementError(
                    f"history_mw has shape {h.shape}, expected (days, {u}, {t})",
                    where="history_mw",
                    fix="days × DERs × intervals, oldest day first, DERs in der_ids order",
                )
            object.__setattr__(self, "history_mw", h)
            el = (
                np.ones(h.shape[:2], dtype=bool)
                if self.history_eligible is None
                else np.asarray(self.history_eligible, dtype=bool)
            )
            if el.shape != h.shape[:2]:
                raise SettlementError(
                    f"history_eligible has shape {el.shape}, expected {h.shape[:2]}",
                    where="history_eligible",
                    fix="one flag per (history day, DER)",
                )
            object.__setattr__(self, "history_eligible", el)
        if self.before_mw is not None:
            b = as_grid(self.before_mw, "before_mw", (u,), ndim=1)
            object.__setattr__(self, "before_mw", b)
        if not np.isfinite(self.dt_h) or self.dt_h <= 0:
            raise SettlementError(
                f"dt_h={self.dt_h!r} is not positive",
                where="BaselineInputs.dt_h",
                fix="0.25 for 15 min",
            )

    @property
    def shape(self) -> tuple[int, int]:
        u, t = self.metered_mw.shape
        return int(u), int(t)


def _need(inputs: BaselineInputs, name: str, baseline: str) -> Any:
    value = getattr(inputs, name)
    if value is None:
        raise SettlementError(
            f"baseline {baseline!r} needs {name}",
            where=f"BaselineInputs.{name}",
            fix=f"pass {name} or choose a baseline that does not need it",
        )
    return value


# --------------------------------------------------------------------------- the methods


def schedule_baseline(inputs: BaselineInputs) -> FloatArray:
    """``b[u, t] = schedule[u, t]``: the declared (day-ahead / final physical notification)
    schedule is the baseline; delivered = metered − schedule."""
    return np.array(_need(inputs, "schedule_mw", "metered_schedule"), dtype=np.float64)


def _select_days(
    inputs: BaselineInputs, x: int, y: int, select: Selection, name: str
) -> FloatArray:
    """Mean over the chosen X of the Y most recent eligible days, per DER and interval.

    Ranking: ``recent`` takes the newest; ``high_consumption`` the days with the lowest net
    injection (highest load) summed over the DER's event intervals (all intervals if it has no
    event) — the DR convention (NYISO/PJM pick high-load days); ``high_injection`` the opposite.
    Ties go to the newer day. Fewer than X eligible days: the mean of those available.
    """
    if not (isinstance(x, int | np.integer) and isinstance(y, int | np.integer) and 1 <= x <= y):
        raise SettlementError(
            f"X-of-Y needs integers 1 <= X <= Y, got X={x!r}, Y={y!r}",
            where=f"baseline {name}",
            fix="e.g. X=10, Y=10 (CAISO) or X=4, Y=5 (PJM)",
        )
    hist: FloatArray = _need(inputs, "history_mw", name)[::-1]  # newest first
    elig: BoolArray = _need(inputs, "history_eligible", name)[::-1]
    rank = np.cumsum(elig, axis=0)  # 1-based recency rank among eligible days
    window = elig & (rank <= y)
    n_sel = np.minimum(window.sum(axis=0), x)  # (U,)
    if (n_sel == 0).any():
        u = int(np.flatnonzero(n_sel == 0)[0])
        raise SettlementError(
            f"no eligible history day for DER row {u}",
            where=f"baseline {name}",
            fix="give more history days or mark fewer days ineligible",
        )
    ev = np.asarray(inputs.event_mask, dtype=bool)
    weights = np.where(ev.any(axis=1, keepdims=True), ev, True).astype(np.float64)  # (U, T)
    if select == "recent":
        score = -np.arange(hist.shape[0], dtype=np.float64)[:, None] * np.ones(hist.shape[1])
    elif select in ("high_consumption", "high_injection"):
        energy = np.einsum("dut,ut->du", hist, weights)
        score = -energy if select == "high_consumption" else energy
    else:
        raise SettlementError(
            f"unknown day selection {select!r}",
            where=f"baseline {name}",
            fix="use 'recent', 'high_consumption' or 'high_injection'",
        )
    score = np.where(window, score, -np.inf)
    order = np.argsort(-score, axis=0, kind="stable")[:x]  # (x, U): best first, newer on ties
    picked = np.take_along_axis(hist, order[:, :, None], axis=0)  # (x, U, T)
    use = (np.arange(order.shape[0])[:, None] < n_sel[None, :]).astype(np.float64)
    return np.asarray(np.einsum("xut,xu->ut", picked, use) / n_sel[:, None], dtype=np.float64)


def _adjust(
    inputs: BaselineInputs,
    raw: FloatArray,
    adjustment: Adjustment,
    window_h: float,
    lag_h: float,
    cap: float | None,
    name: str,
) -> FloatArray:
    """Same-day adjustment from the window of ``window_h`` hours that ends ``lag_h`` hours before
    each DER's first activated interval: ``additive`` b + mean(m − b), ``multiplicative``
    b · Σm/Σb (ratio clipped to [1 − cap, 1 + cap]; a ratio ≤ 0 or Σb = 0 means no adjustment);
    for ``additive`` the shift is clipped to ±cap·|mean b|. DERs without activation, or whose
    window lies before the first interval, are not adjusted."""
    if adjustment == "none":
        return raw
    if adjustment not in ("additive", "multiplicative"):
        raise SettlementError(
            f"unknown adjustment {adjustment!r}",
            where=f"baseline {name}",
            fix="use 'none', 'additive' or 'multiplicative'",
        )
    if cap is not None and cap < 0:
        raise SettlementError(f"negative cap {cap}", where=f"baseline {name}", fix="cap >= 0")
    m = inputs.metered_mw
    ev = np.asarray(inputs.event_mask, dtype=bool)
    u_n, t_n = m.shape
    n_win = round(window_h / inputs.dt_h)
    n_lag = round(lag_h / inputs.dt_h)
    has = ev.any(axis=1)
    first = np.where(has, ev.argmax(axis=1), 0)
    end = np.clip(first - n_lag, 0, t_n)
    start = np.clip(first - n_lag - n_win, 0, t_n)
    n = end - start
    ok = has & (n > 0)
    zeros = np.zeros((u_n, 1))
    cm = np.hstack([zeros, np.cumsum(m, axis=1)])
    cb = np.hstack([zeros, np.cumsum(raw, axis=1)])
    rows = np.arange(u_n)
    sum_m = cm[rows, end] - cm[rows, start]
    sum_b = cb[rows, end] - cb[rows, start]
    n_safe = np.maximum(n, 1)
    if adjustment == "additive":
        shift = (sum_m - sum_b) / n_safe
        if cap is not None:
            lim = cap * np.abs(sum_b / n_safe)
            shift = np.clip(shift, -lim, lim)
        shift = np.where(ok, shift, 0.0)
        return np.asarray(raw + shift[:, None], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(sum_b != 0, sum_m / np.where(sum_b != 0, sum_b, 1.0), 1.0)
    ratio = np.where(ratio > 0, ratio, 1.0)
    if cap is not None:
        ratio = np.clip(ratio, 1.0 - cap, 1.0 + cap)
    ratio = np.where(ok, ratio, 1.0)
    return np.asarray(raw * ratio[:, None], dtype=np.float64)


def x_of_y_baseline(
    inputs: BaselineInputs,
    *,
    x: int = 10,
    y: int = 10,
    select: Selection = "recent",
    adjustment: Adjustment = "none",
    adjust_window_h: float = 3.0,
    adjust_lag_h: float = 1.0,
    adjust_cap: float | None = None,
) -> FloatArray:
    """X-of-Y days: ``b[u, t]`` = mean over the X selected of the Y most recent eligible days of
    ``history[d, u, t]``, then an optional same-day adjustment (:func:`_adjust`)."""
    raw = _select_days(inputs, x, y, select, "x_of_y")
    return _adjust(inputs, raw, adjustment, adjust_window_h, adjust_lag_h, adjust_cap, "x_of_y")


def rolling_average_baseline(inputs: BaselineInputs, *, days: int = 5) -> FloatArray:
    """Rolling average: ``b[u, t]`` = mean of ``history[d, u, t]`` over the ``days`` most recent
    eligible days (X = Y = days, no adjustment)."""
    return _select_days(inputs, days, days, "recent", "rolling_average")


def meter_before_after_baseline(
    inputs: BaselineInputs, *, mode: Literal["before", "mean"] = "before"
) -> FloatArray:
    """Meter before / meter after: in an activated interval, ``b[u, t] = m[u, t0]`` with ``t0``
    the last non-activated interval before the activation block (``before_mw[u]`` if the block
    starts at t = 0); ``mode="mean"`` averages it with the first non-activated interval after the
    block (before only if the block runs to the end). Outside activations ``b = m``."""
    if mode not in ("before", "mean"):
        raise SettlementError(
            f"unknown mode {mode!r}", where="baseline meter_before_after", fix="'before' or 'mean'"
        )
    m = inputs.metered_mw
    ev = np.asarray(inputs.event_mask, dtype=bool)
    u_n, t_n = m.shape
    t_idx = np.arange(t_n)
    before = np.maximum.accumulate(np.where(~ev, t_idx, -1), axis=1)
    missing = before < 0
    if missing.any() and inputs.before_mw is None:
        u = int(np.argwhere(missing)[0][0])
        raise SettlementError(
            f"DER row {u} is activated from the first interval; no meter reading before it",
            where="baseline meter_before_after",
            fix="pass before_mw (the reading in the interval before the horizon)",
        )
    rows = np.arange(u_n)[:, None]
    prior = np.where(missing, 0.0, m[rows, np.maximum(before, 0)])
    if missing.any():
        prior = np.where(missing, np.asarray(inputs.before_mw)[:, None], prior)
    base = prior
    if mode == "mean":
        after = np.minimum.accumulate(np.where(~ev, t_idx, t_n)[:, ::-1], axis=1)[:, ::-1]
        has_after = after < t_n
        post = m[rows, np.minimum(after, t_n - 1)]
        base = np.where(has_after, 0.5 * (prior + post), prior)
    return np.asarray(np.where(ev, base, m), dtype=np.float64)


# --------------------------------------------------------------------------- registry

BaselineFn = Callable[..., FloatArray]


@dataclass(frozen=True)
class Baseline:
    """A named baseline: a method, parameters bound to it, and where the rule comes from."""

    name: str
    fn: BaselineFn
    source: str
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    description: str = ""

    def __call__(self, inputs: BaselineInputs, **override: Any) -> FloatArray:
        return self.fn(inputs, **{**self.params, **override})


_LIND = "Lind et al., Utilities Policy 2023, doi:10.1016/j.jup.2023.101688"

_REGISTRY: dict[str, Baseline] = {
    b.name: b
    for b in (
        Baseline(
            "metered_schedule",
            schedule_baseline,
            "Declared schedule as baseline: GB BSC Section Q (final physical notification is the "
            "reference for bid-offer acceptances); seed 000 §3.2 (schedules exchanged after the "
            f"day-ahead market); docs/coordination-models.md 'Baseline schedule'; {_LIND}.",
            description="the declared / day-ahead schedule",
        ),
        Baseline(
            "x_of_y",
            x_of_y_baseline,
            f"X-of-Y days, generic (default 10 of 10, no adjustment); {_LIND} §3 'XofY'.",
            MappingProxyType({"x": 10, "y": 10, "select": "recent"}),
            "mean of X of the last Y eligible days",
        ),
        Baseline(
            "caiso_10_of_10",
            x_of_y_baseline,
            "CAISO Tariff §4.13.4 / BPM for Demand Response: 10-in-10 non-event-day customer load "
            "baseline with a day-of (load point) adjustment capped at ±20%; AEMO WDR baseline "
            "register (based on the CAISO '10 of 10'). Window 3 h ending 1 h before the event: "
            "check the current BPM.",
            MappingProxyType(
                {
                    "x": 10,
                    "y": 10,
                    "select": "recent",
                    "adjustment": "multiplicative",
                    "adjust_window_h": 3.0,
                    "adjust_lag_h": 1.0,
                    "adjust_cap": 0.2,
                }
            ),
            "10 of 10 days, multiplicative same-day adjustment capped ±20%",
        ),
        Baseline(
            "pjm_high_4_of_5",
            x_of_y_baseline,
            "PJM Manual 11 §10 (Economic Load Response customer baseline load: highest 4 of the "
            "5 most recent eligible weekdays, symmetric additive adjustment over the 3 hours "
            "ending 1 hour before the event).",
            MappingProxyType(
                {
                    "x": 4,
                    "y": 5,
                    "select": "high_consumption",
                    "adjustment": "additive",
                    "adjust_window_h": 3.0,
                    "adjust_lag_h": 1.0,
                }
            ),
            "high 4 of 5 days, additive same-day adjustment",
        ),
        Baseline(
            "nyiso_high_5_of_10",
            x_of_y_baseline,
            "NYISO Emergency Demand Response Program Manual §5 (CBL: highest 5 of the last 10 "
            "weekdays, weather-sensitive adjustment over a 2-hour window ending 2 hours before "
            "the event, capped ±20%).",
            MappingProxyType(
                {
                    "x": 5,
                    "y": 10,
                    "select": "high_consumption",
                    "adjustment": "multiplicative",
                    "adjust_window_h": 2.0,
                    "adjust_lag_h": 2.0,
                    "adjust_cap": 0.2,
                }
            ),
            "high 5 of 10 days, multiplicative adjustment capped ±20%",
        ),
        Baseline(
            "rolling_average",
            rolling_average_baseline,
            f"Rolling average of the last N eligible days (N = 5 as in NODES-style local "
            f"markets, issue 6); {_LIND} §3 'rolling average'. Check the Market Specific "
            "Schedule of the NODES market modelled.",
            MappingProxyType({"days": 5}),
            "mean of the 5 most recent eligible days",
        ),
        Baseline(
            "meter_before_after",
            meter_before_after_baseline,
            "NAESB WEQ-015 Measurement and Verification standards ('Meter Before / Meter After' "
            f"performance evaluation methodology, FERC Order 676-H); {_LIND} §3 'MBMA'.",
            MappingProxyType({"mode": "before"}),
            "metered value in the interval before the activation",
        ),
    )
}


def available_baselines() -> list[str]:
    """Names of the registered baselines, sorted."""
    return sorted(_REGISTRY)


def get_baseline(name: str) -> Baseline:
    """The registered baseline ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise SettlementError(
            f"unknown baseline {name!r}",
            where="baseline registry",
            fix=f"use one of {', '.join(available_baselines())} or register_baseline() your own",
        ) from None


def register_baseline(baseline: Baseline, *, replace: bool = False) -> None:
    """Add ``baseline`` to the registry (``replace=True`` to overwrite an existing name)."""
    if baseline.name in _REGISTRY and not replace:
        raise SettlementError(
            f"baseline {baseline.name!r} is already registered",
            where="baseline registry",
            fix="pick another name or pass replace=True",
        )
    _REGISTRY[baseline.name] = baseline


def compute_baseline(name: str, inputs: BaselineInputs, **params: Any) -> FloatArray:
    """The (U, T) baseline of the registered method ``name`` (``params`` override its bound
    parameters); an unknown parameter raises :class:`SettlementError`."""
    baseline = get_baseline(name)
    try:
        out = baseline(inputs, **params)
    except TypeError as err:
        raise SettlementError(
            f"bad parameter for baseline {name!r}: {err}",
            where=f"baseline {name}",
            fix=f"its parameters are {sorted(baseline.params)}",
        ) from err
    return np.asarray(out, dtype=np.float64)
