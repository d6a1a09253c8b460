"""From activation requests to DER response, with the DER state carried across stages.

Seed 000 §3.2: DER owners or aggregators "take on the responsibility of activation based on
dispatch directives, price signals, and penalties for non-fulfillment", and a storage unit "that
has depleted its energy capacity, but gets called upon for discharging" must not happen. Seed 001
§IV lists activation and dispatch, real-time monitoring and settlement as the open operational
questions. This module turns a window of requests (DER × interval, MW, signed: + raises injection)
into delivered power, step by step through each DER model's ``apply`` (state of charge, EV energy,
shifted-load backlog and its rebound carry over), in four steps:

1. **Minimum activation duration** ``m`` (intervals, the product's ``min_duration_min``): a *run*
   is a maximal sequence of same-sign non-zero requests of one DER inside the window. With
   ``short_request="extend"`` a run shorter than ``m`` is held at its last level until ``m``
   intervals have passed (never past the window end; an opposite request inside that time is
   overridden and reported as rejected); with ``"reject"`` such a run is dropped and reported.
   A run that reaches the window end is taken as complete.
2. **Flexibility cut**: at each interval the request is clipped to the flexibility the DER reports
   *from its current state* (``flexibility(...).first()``): a depleted battery has no
   up-flexibility, so a discharge request is cut, never executed; the cut is reported.
3. **Response**: per DER and run, with probability ``non_delivery_prob`` the DER does not respond at
   all; otherwise it delivers ``delivery_fraction`` of the (cut) request, starting
   ``delay_intervals`` late (the first ``delay`` intervals of each run deliver nothing) and ending
   with the request. Draws come from ``default_rng([seed, window start])``: deterministic.
4. **State**: each model steps with ``apply(delivered)``; every DER steps every interval (a zero
   activation keeps its baseline), so the returned models start the next stage where this one ended.

Accounting per DER × interval (exact): ``effective = requested + extended − rejected`` and
``effective = delivered + cut + shortfall``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tdcoord.der.base import DerModel, Flexibility
from tdcoord.simulation.errors import SimulationError
from tdcoord.types import FloatArray, IntArray

ShortRequest = Literal["extend", "reject"]


@dataclass(frozen=True)
class ResponseModel:
    """How DERs respond to activation requests (see the module doc)."""

    non_delivery_prob: float = 0.0
    delivery_fraction: float = 1.0
    delay_intervals: int = 0
    min_duration_intervals: int = 1
    short_request: ShortRequest = "extend"

    def __post_init__(self) -> None:
        w = "ResponseModel"
        if not 0.0 <= self.non_delivery_prob <= 1.0:
            raise SimulationError(
                f"non_delivery_prob = {self.non_delivery_prob!r}", where=w, fix="give 0..1"
            )
        if not 0.0 <= self.delivery_fraction <= 1.0:
            raise SimulationError(
                f"delivery_fraction = {self.delivery_fraction!r}",
                where=w,
                fix="give 0..1 (1 = full delivery)",
            )
        if int(self.delay_intervals) != self.delay_intervals or self.delay_intervals < 0:
            raise SimulationError(
                f"delay_intervals = {self.delay_intervals!r}", where=w, fix="give an integer >= 0"
            )
        if (
            int(self.min_duration_intervals) != self.min_duration_intervals
            or self.min_duration_intervals < 1
        ):
            raise SimulationError(
                f"min_duration_intervals = {self.min_duration_intervals!r}",
                where=w,
                fix="give an integer >= 1 (ceil(min_duration_min / interval_min))",
            )
        if self.short_request not in ("extend", "reject"):
            raise SimulationError(
                f"short_request = {self.short_request!r}", where=w, fix="use 'extend' or 'reject'"
            )


def min_duration_intervals(min_duration_min: float | None, interval_min: float) -> int:
    """Intervals needed to cover a product's minimum duration (at least 1)."""
    if min_duration_min is None or min_duration_min <= 0:
        return 1
    return max(1, int(np.ceil(min_duration_min / interval_min - 1e-9)))


# --------------------------------------------------------------------------- fleet helpers


def fleet_ids(models: Sequence[DerModel]) -> tuple[str, ...]:
    """Unit ids of all models, in order (the row order of every array here)."""
    ids = tuple(i for m in models for i in m.ids)
    if len(set(ids)) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise SimulationError(
            f"DER id {dup!r} appears in two models", where="fleet", fix="make DER ids unique"
        )
    return ids


def _model_t(model: DerModel) -> int:
    return int(getattr(model, "t", 0))


def _check_horizon(model: DerModel) -> int:
    """Horizon over which ``apply`` checks an activation (batteries: the rest of the schedule)."""
    sched = getattr(model, "schedule_p_mw", None)
    if sched is None:
        return 1
    return max(1, int(np.shape(sched)[1]) - _model_t(model))


def available_flexibility(models: Sequence[DerModel], n_intervals: int, dt_h: float) -> Flexibility:
    """Up/down flexibility of every DER (rows in :func:`fleet_ids` order) from its current state.

    Recompute it before each stage: it reflects everything already delivered (a depleted battery
    reports zero up-flexibility, a full one zero down-flexibility).
    """
    fleet_ids(models)
    ups, downs = [], []
    for m in models:
        f = m.flexibility(n_intervals, dt_h)
        ups.append(f.up_mw)
        downs.append(f.down_mw)
    if not ups:
        z = np.zeros((0, n_intervals))
        return Flexibility(z, z.copy(), None)
    return Flexibility(np.vstack(ups), np.vstack(downs), None)


def requests_from_frame(
    frame: pd.DataFrame, ids: Sequence[str], start_interval: int, n_intervals: int
) -> FloatArray:
    """Signed requests (DER × interval) from long rows ``der_id, interval`` and either
    ``signed_mw`` or ``direction`` (+1/−1) and ``mw`` (e.g. ``Outcome.activations``); rows of
    the same DER and interval (several buyers) are summed."""
    need = {"der_id", "interval"}
    if not need <= set(frame.columns) or not (
        "signed_mw" in frame.columns or {"direction", "mw"} <= set(frame.columns)
    ):
        raise SimulationError(
            f"activation frame has columns {list(frame.columns)}",
            where="requests_from_frame",
            fix="give der_id, interval and signed_mw (or direction and mw)",
        )
    pos = {d: i for i, d in enumerate(ids)}
    unknown = sorted(set(frame["der_id"].astype(str)) - set(pos))
    if unknown:
        raise SimulationError(
            f"unknown DER id {unknown[0]!r} ({len(unknown)} unknown)",
            where="activation requests",
            fix="request only DERs of the fleet (fleet_ids(models))",
        )
    t = frame["interval"].to_numpy(dtype=np.int64) - start_interval
    if np.any((t < 0) | (t >= n_intervals)):
        raise SimulationError(
            f"request interval outside {start_interval}..{start_interval + n_intervals - 1}",
            where="activation requests",
            fix="request only intervals of this stage window",
        )
    if "signed_mw" in frame.columns:
        mw = frame["signed_mw"].to_numpy(dtype=np.float64)
    else:
        mw = frame["direction"].to_numpy(dtype=np.float64) * frame["mw"].to_numpy(np.float64)
    rows = np.array([pos[str(d)] for d in frame["der_id"]], dtype=np.int64)
    out = np.zeros((len(ids), n_intervals))
    np.add.at(out, (rows, t), mw)
    return out


# --------------------------------------------------------------------------- request shaping


def apply_min_duration(
    requests_mw: FloatArray, m: int, mode: ShortRequest
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(effective, extended, rejected) requests under a minimum duration of ``m`` intervals.

    Vectorised over DERs; loops over the (few) intervals of the window.
    """
    r = np.asarray(requests_mw, dtype=np.float64)
    n, k = r.shape
    eff = np.zeros_like(r)
    if m <= 1:
        return r.copy(), np.zeros_like(r), np.zeros_like(r)
    sgn = np.sign(r)
    if mode == "reject":
        # length of the run each element belongs to: backward "length from here", forward copy
        from_here = np.zeros((n, k), dtype=np.int64)
        nxt = np.zeros(n, dtype=np.int64)
        for t in range(k - 1, -1, -1):
            cont = (sgn[:, t] != 0) & (t + 1 < k) & (sgn[:, min(t + 1, k - 1)] == sgn[:, t])
            from_here[:, t] = np.where(sgn[:, t] != 0, 1 + np.where(cont, nxt, 0), 0)
            nxt = from_here[:, t]
        run_len = np.zeros_like(from_here)
        cur = np.zeros(n, dtype=np.int64)
        for t in range(k):
            start = (sgn[:, t] != 0) & ((t == 0) | (sgn[:, max(t - 1, 0)] != sgn[:, t]))
            cur = np.where(start, from_here[:, t], np.where(sgn[:, t] != 0, cur, 0))
            run_len[:, t] = cur
        keep = run_len >= m
        eff = np.where(keep, r, 0.0)
        return eff, np.zeros_like(r), np.where(keep, 0.0, r)
    remain = np.zeros(n, dtype=np.int64)
    last = np.zeros(n)
    for t in range(k):
        s = sgn[:, t]
        s_last = np.sign(last)
        holding = remain > 0
        cont = (s != 0) & (s == s_last) & (t > 0)
        conflict = holding & (s != 0) & (s != s_last)
        fill = holding & (s == 0)
        new = (s != 0) & ~cont & ~conflict
        val = np.where(fill | conflict, last, np.where(s != 0, r[:, t], 0.0))
        eff[:, t] = val
        remain = np.where(new, m - 1, np.where(cont | fill | conflict, remain - 1, 0))
        remain = np.maximum(remain, 0)
        last = val
    extended = np.where(eff != r, eff, 0.0)
    rejected = np.where(eff != r, r, 0.0)
    return eff, extended, rejected


def _runs(eff: FloatArray) -> tuple[IntArray, IntArray]:
    """Start interval of the run each element belongs to, and the position inside it."""
    n, k = eff.shape
    sgn = np.sign(eff)
    start = np.zeros((n, k), dtype=np.int64)
    cur = np.zeros(n, dtype=np.int64)
    for t in range(k):
        new = (sgn[:, t] != 0) & ((t == 0) | (sgn[:, max(t - 1, 0)] != sgn[:, t]))
        cur = np.where(new, t, cur)
        start[:, t] = cur
    pos = np.arange(k)[None, :] - start
    return start, pos


def response_factor(
    eff: FloatArray, response: ResponseModel, seed: int, start_interval: int
) -> FloatArray:
    """Multiplier in [0, 1] applied to the (cut) request: non-delivery per run, delivery
    fraction, and nothing during the first ``delay_intervals`` of each run."""
    n, k = eff.shape
    rng = np.random.default_rng([int(seed), int(start_interval)])
    u = rng.random((n, k))
    start, pos = _runs(eff)
    fails = np.take_along_axis(u, start, axis=1) < response.non_delivery_prob
    factor = np.where(fails | (pos < response.delay_intervals), 0.0, response.delivery_fraction)
    return np.where(eff != 0, factor, 0.0)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, eq=False)
class ActivationResult:
    """Response of a fleet over one window (arrays DER × interval, rows in ``ids`` order)."""

    ids: tuple[str, ...]
    start_interval: int
    requested_mw: FloatArray
    extended_mw: FloatArray
    rejected_mw: FloatArray
    effective_mw: FloatArray
    cut_mw: FloatArray
    """Part of the effective request beyond the DER's flexibility at that moment (not sent)."""
    shortfall_mw: FloatArray
    """Part of the feasible request the DER did not deliver (non-delivery, fraction, delay)."""
    delivered_mw: FloatArray
    baseline_p_mw: FloatArray
    realised_p_mw: FloatArray
    models: tuple[Any, ...]
    available_up_mw: FloatArray
    """Up-flexibility each DER reported at each interval, from the state reached by then."""
    available_down_mw: FloatArray
    """Down-flexibility reported likewise (magnitude)."""

    @property
    def undelivered_mw(self) -> FloatArray:
        """Effective request not delivered: ``cut + shortfall``."""
        return self.cut_mw + self.shortfall_mw

    def report(self, tol_mw: float = 1e-9) -> pd.DataFrame:
        """Rows (der_id, interval) where a request was extended, rejected, cut or not delivered."""
        mask = (
            (np.abs(self.extended_mw) > tol_mw)
            | (np.abs(self.rejected_mw) > tol_mw)
            | (np.abs(self.cut_mw) > tol_mw)
            | (np.abs(self.shortfall_mw) > tol_mw)
        )
        d, t = np.nonzero(mask)
        return pd.DataFrame(
            {
                "der_id": np.asarray(self.ids, dtype=object)[d] if d.size else [],
                "interval": t + self.start_interval,
                "requested_mw": self.requested_mw[d, t],
                "extended_mw": self.extended_mw[d, t],
                "rejected_mw": self.rejected_mw[d, t],
                "cut_mw": self.cut_mw[d, t],
                "shortfall_mw": self.shortfall_mw[d, t],
                "delivered_mw": self.delivered_mw[d, t],
            }
        )


def activate(
    models: Sequence[DerModel],
    requests_mw: npt.ArrayLike,
    dt_h: float,
    *,
    start_interval: int,
    response: ResponseModel | None = None,
    seed: int = 0,
) -> ActivationResult:
    """Run ``requests_mw`` (DER × k intervals from ``start_interval``) through the DER models."""
    ids = fleet_ids(models)
    r = np.asarray(requests_mw, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != len(ids) or r.shape[1] < 1:
        raise SimulationError(
            f"requests have shape {r.shape}, expected ({len(ids)}, k)",
            where="activate",
            fix="one row per DER (fleet_ids order), one column per interval of the window",
        )
    if not np.all(np.isfinite(r)):
        raise SimulationError("requests contain NaN or inf", where="activate", fix="give MW")
    late = [m for m in models if _model_t(m) != start_interval]
    if late:
        raise SimulationError(
            f"model of {late[0].ids[0]!r} is at interval {_model_t(late[0])}, the window starts "
            f"at {start_interval}",
            where="activate",
            fix="pass the models returned by the previous stage (state carried over)",
        )
    resp = response or ResponseModel()
    eff, ext, rej = apply_min_duration(r, resp.min_duration_intervals, resp.short_request)
    factor = response_factor(eff, resp, seed, start_interval)
    n, k = r.shape
    cut = np.zeros((n, k))
    delivered = np.zeros((n, k))
    base = np.zeros((n, k))
    avail_up = np.zeros((n, k))
    avail_down = np.zeros((n, k))
    offs = np.cumsum([0] + [m.n_units for m in models])
    current: list[Any] = list(models)
    for t in range(k):
        for g, m in enumerate(current):
            rows = slice(int(offs[g]), int(offs[g + 1]))
            f = m.flexibility(_check_horizon(m), dt_h).first()
            avail_up[rows, t] = f.up_mw[:, 0]
            avail_down[rows, t] = f.down_mw[:, 0]
            ok = np.clip(eff[rows, t], -f.down_mw[:, 0], f.up_mw[:, 0])
            cut[rows, t] = eff[rows, t] - ok
            delivered[rows, t] = factor[rows, t] * ok
            base[rows, t] = m.baseline_p_mw(1, dt_h)[:, 0]
            current[g] = m.apply(delivered[rows, t], dt_h)
    shortfall = eff - cut - delivered
    return ActivationResult(
        ids=ids,
        start_interval=start_interval,
        requested_mw=r.copy(),
        extended_mw=ext,
        rejected_mw=rej,
        effective_mw=eff,
        cut_mw=cut,
        shortfall_mw=shortfall,
        delivered_mw=delivered,
        baseline_p_mw=base,
        realised_p_mw=base + delivered,
        models=tuple(current),
        available_up_mw=avail_up,
        available_down_mw=avail_down,
    )
