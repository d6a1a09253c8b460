"""Shiftable (flexible) load with energy neutrality over a window and rebound.

Each unit has a baseline demand profile ``d`` (MW consumed, ``units × intervals``), a maximum
shift ``s`` (MW) per interval, a connection limit ``c_max`` and a window of ``w`` intervals. Time
is cut into consecutive windows ``[j·w, (j+1)·w)``; over each window the consumed energy must
equal the baseline energy (energy neutrality: what is reduced now is recovered later in the same
window — the *rebound* — and what is consumed early is not consumed later).

With backlog ``B`` (MWh owed: positive after a reduction) at the start of interval ``t``, the
capacities left in the window after ``t`` are

    F⁺ = Σ_{t<k<end} min(s, c_max − d_k) · dt     (extra consumption possible later)
    F⁻ = Σ_{t<k<end} min(s, d_k) · dt             (reduction possible later)

and the consumption ``c`` in interval ``t`` is bounded by

    max(0, d_t − s, d_t + (B − F⁺)/dt)  <=  c  <=  min(c_max, d_t + s, d_t + (B + F⁻)/dt).

Baseline: ``c_b = d_t + B/dt`` clipped to those bounds (rebound as soon as possible; with no
backlog the baseline is the demand profile). Flexibility (up = consume less):
``up = c_b − c_min``, ``down = c_max_t − c_b``. Sign: ``p_mw = −c <= 0``.
Seed 000 §1.3: load shifting is the demand-response service DERs most often provide.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from tdcoord.der.base import (
    EnergyLimits,
    Flexibility,
    as_ids,
    check_dt,
    check_n,
    checked_activation,
    per_unit,
    per_unit_int,
    profile,
    require,
    require_nonnegative,
    require_plausible_mw,
)
from tdcoord.types import FloatArray, IntArray

KIND = "FlexibleLoad"


@dataclass(frozen=True, eq=False)
class FlexibleLoad:
    """``n`` shiftable loads (see module doc). State: ``backlog_mwh`` and ``t``.

    ``p_max_mw`` defaults to the peak of ``demand_mw + shift_max_mw`` per unit.
    """

    ids: tuple[str, ...]
    demand_mw: FloatArray
    shift_max_mw: FloatArray
    window_intervals: IntArray
    p_max_mw: FloatArray | None = None
    backlog_mwh: FloatArray | None = None
    t: int = 0

    def __post_init__(self) -> None:
        ids = as_ids(KIND, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        d = profile(KIND, "demand_mw", self.demand_mw, ids)
        require(
            KIND,
            ids,
            d >= 0,
            "demand_mw is negative",
            "give demand as a positive consumption in MW (sign is applied by the model)",
        )
        require_plausible_mw(KIND, ids, "demand_mw", d.max(axis=1))
        s(self, "demand_mw", d)
        shift = per_unit(KIND, "shift_max_mw", self.shift_max_mw, ids)
        require_nonnegative(KIND, ids, "shift_max_mw", shift)
        s(self, "shift_max_mw", shift)
        w = per_unit_int(KIND, "window_intervals", self.window_intervals, ids)
        require(KIND, ids, w >= 1, "window_intervals < 1", "use a window of at least 1 interval")
        s(self, "window_intervals", w)
        if self.p_max_mw is None:
            s(self, "p_max_mw", (d + shift[:, None]).max(axis=1))
        else:
            pm = per_unit(KIND, "p_max_mw", self.p_max_mw, ids)
            require_plausible_mw(KIND, ids, "p_max_mw", pm)
            require(
                KIND,
                ids,
                pm[:, None] >= d - 1e-12,
                "demand_mw exceeds p_max_mw",
                "raise p_max_mw to at least the peak demand",
            )
            s(self, "p_max_mw", pm)
        if self.backlog_mwh is None:
            s(self, "backlog_mwh", np.zeros(len(ids)))
        else:
            s(self, "backlog_mwh", per_unit(KIND, "backlog_mwh", self.backlog_mwh, ids))

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> FlexibleLoad:
        return cls(ids=tuple(ids), **params)

    @property
    def n_units(self) -> int:
        return len(self.ids)

    @property
    def n_profile(self) -> int:
        return int(self.demand_mw.shape[1])

    def _cumcaps(self, dt: float) -> tuple[FloatArray, FloatArray]:
        """Cumulative shift capacities (MWh) up and down, with a leading zero column.

        They depend on the profile and ``dt`` only (not on the state), so they are computed once
        and handed on to the unit's later states by :meth:`apply`.
        """
        cache: dict[float, tuple[FloatArray, FloatArray]] = self.__dict__.setdefault(
            "_cumcaps_cache", {}
        )
        if dt not in cache:
            cache[dt] = self._cumcaps_uncached(dt)
        return cache[dt]

    def _cumcaps_uncached(self, dt: float) -> tuple[FloatArray, FloatArray]:
        assert self.p_max_mw is not None
        s = self.shift_max_mw[:, None]
        up_cap = np.minimum(s, self.p_max_mw[:, None] - self.demand_mw) * dt
        dn_cap = np.minimum(s, self.demand_mw) * dt
        zero = np.zeros((self.n_units, 1))
        return (
            np.concatenate([zero, np.cumsum(up_cap, axis=1)], axis=1),
            np.concatenate([zero, np.cumsum(dn_cap, axis=1)], axis=1),
        )

    def _bounds(
        self, t: int, b: FloatArray, dt: float, caps: tuple[FloatArray, FloatArray]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(c_min, c_max, baseline c) at interval ``t`` for backlog ``b`` (units,)."""
        if t >= self.n_profile:
            z = np.zeros(self.n_units)
            return z, z, z
        d = self.demand_mw[:, t]
        f_up, f_dn = self._window_room(t, caps)
        p_lo, p_hi = self._power_bounds(t)
        c_min = np.maximum(p_lo, d + (b - f_up) / dt)
        c_max = np.minimum(p_hi, d + (b + f_dn) / dt)
        c_max = np.maximum(c_max, c_min)
        c_b = np.clip(d + b / dt, c_min, c_max)
        return c_min, c_max, c_b

    def _walk(self, n: int, dt: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        assert self.backlog_mwh is not None
        b = self.backlog_mwh.copy()
        caps = self._cumcaps(dt)
        lo = np.empty((self.n_units, n))
        hi = np.empty_like(lo)
        cb = np.empty_like(lo)
        for k in range(n):
            t = self.t + k
            lo[:, k], hi[:, k], cb[:, k] = self._bounds(t, b, dt, caps)
            d = self.demand_mw[:, t] if t < self.n_profile else 0.0
            b = b + (d - cb[:, k]) * dt
        return cb, lo, hi

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Demand plus rebound of any backlog, as ``p_mw <= 0`` (units × n)."""
        cb, _, _ = self._walk(check_n(n_intervals), check_dt(dt_h))
        return -cb

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        cb, lo, hi = self._walk(check_n(n_intervals), check_dt(dt_h))
        return Flexibility(np.maximum(cb - lo, 0.0), np.maximum(hi - cb, 0.0), None)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """New backlog after one interval at baseline + activation (up = consume less)."""
        dt = check_dt(dt_h)
        assert self.backlog_mwh is not None
        lo, hi, cb = self._bounds(self.t, self.backlog_mwh, dt, self._cumcaps(dt))
        flex = Flexibility((cb - lo)[:, None], (hi - cb)[:, None], None)
        a = checked_activation(KIND, self.ids, activation_p_mw, flex)
        c = np.clip(cb - a, lo, hi)
        d = self.demand_mw[:, self.t] if self.t < self.n_profile else 0.0
        backlog = self.backlog_mwh + (d - c) * dt
        nxt = dataclasses.replace(self, backlog_mwh=backlog, t=self.t + 1)
        nxt.__dict__["_cumcaps_cache"] = self.__dict__["_cumcaps_cache"]  # same profile and dt
        return nxt

    def energy_limits(
        self, n_intervals: int, dt_h: float, committed_mw: npt.ArrayLike | None = None
    ) -> EnergyLimits:
        """Queue rows (:class:`~tdcoord.der.base.EnergyLimits`, queue form) of further
        activations ``x`` (MW, signed: up = consume less) on top of ``committed_mw`` (units × n).

        *Exact dynamics.* With ``R⁺_t = (P_hi − d_t)Δt`` and ``R⁻_t = (d_t − P_lo)Δt``
        (``P_hi = min(c_max, d + s)``, ``P_lo = max(0, d − s)``) the baseline repays
        ``ρ(B) = clip(B, −R⁻_t, R⁺_t)`` of the backlog at once, so one interval is
        ``B_{t+1} = B_t − ρ(B_t) + a_t Δt`` and the consumption ``c_t = d_t + ρ(B_t)/Δt − a_t``.
        A request is delivered without a cut exactly when, every interval,
        ``P_lo ≤ c_t ≤ P_hi`` and ``−F⁻_t ≤ B_{t+1} ≤ F⁺_t`` (the module docstring's bounds;
        ``F`` is 0 at a window's last interval, so every window ends neutral).

        *Extra backlog.* With the committed backlog ``B^c`` the extra ``X = B − B^c`` follows
        ``X_{t+1} = σ_t(X_t) + x_t Δt``, ``σ_t(X) = (X − Δρ_t(X))``, nondecreasing and 1-Lipschitz
        with a flat part (the repayment room). Its convex upper bound
        ``σ_t(X) ≤ max(X − m_t, 0)`` with the credit ``m_t = R⁺_t − ρ(B^c_t)`` (0 where
        ``B^c_t < −R⁻_t``: no flat part just above) is exact for ``X ≥ 0``; so the queue
        ``Q_{t+1} = max(Q_t − m_t, 0) + x_t Δt`` (``Q_0 = 0``) bounds ``X`` from above and
        ``Q_{t+1} ≤ D^max_t = F⁺_t − B^c_{t+1}`` keeps the window. Alike the rise queue of
        ``−x`` with credit ``n_t = R⁻_t + ρ(B^c_t)`` (0 where ``B^c_t > R⁺_t``) and
        ``R^max_t = F⁻_t + B^c_{t+1}``. Down requests are credited against the backlog (``x`` is
        the net request).

        *Power.* ``c_t ≤ P_hi`` is ``Δρ_t(X_t) − x_t Δt ≤ (P_hi − c^c_t)Δt`` (``c^c`` the
        committed consumption) with ``Δρ_t(X) ≤ min(max(X, 0), m̄_t)``, ``m̄_t = R⁺_t − ρ(B^c_t)``
        (the rebound's own room, ``drop_rebound_mwh``); alike ``c_t ≥ P_lo`` with the rise
        queue and ``n̄_t = R⁻_t + ρ(B^c_t)``. Those rows are not convex (``min``); the clearing
        keeps one supporting half-plane per (unit, interval), chosen at its current solution
        (:mod:`tdcoord.coordination.shift_rows`). Rooms in MW, ``dn_room_mw = P_hi − c^c``,
        ``up_room_mw = c^c − P_lo``.
        """
        n, dt = check_n(n_intervals), check_dt(dt_h)
        c = np.zeros((self.n_units, n)) if committed_mw is None else np.asarray(committed_mw)
        if c.shape != (self.n_units, n):
            raise ValueError(f"committed_mw has shape {c.shape}, expected {(self.n_units, n)}")
        assert self.backlog_mwh is not None
        b = self.backlog_mwh.copy()
        caps = self._cumcaps(dt)
        # rows: D^max, R^max, m, n, m̄, n̄ (MWh), down room, up room (MW)
        out = np.empty((8, self.n_units, n))
        for k in range(n):  # intervals only, vectorised over units
            t = self.t + k
            c_lo, c_hi, cb = self._bounds(t, b, dt, caps)
            lo, hi = self._power_bounds(t)
            p_c = np.clip(cb - c[:, k], c_lo, c_hi)
            d = self.demand_mw[:, t] if t < self.n_profile else np.zeros(self.n_units)
            reb_dn = np.maximum(hi - cb, 0.0) * dt  # m̄ = R⁺ − ρ(B^c)
            reb_up = np.maximum(cb - lo, 0.0) * dt  # n̄ = R⁻ + ρ(B^c)
            tol = 1e-12
            out[2, :, k] = np.where(b >= -(d - lo) * dt - tol, reb_dn, 0.0)
            out[3, :, k] = np.where(b <= (hi - d) * dt + tol, reb_up, 0.0)
            out[4, :, k], out[5, :, k] = reb_dn, reb_up
            out[6, :, k], out[7, :, k] = np.maximum(hi - p_c, 0.0), np.maximum(p_c - lo, 0.0)
            b = b + (d - p_c) * dt
            f_up, f_dn = self._window_room(t, caps)
            out[0, :, k], out[1, :, k] = np.maximum(f_up - b, 0.0), np.maximum(f_dn + b, 0.0)
        ones = np.ones(self.n_units)
        return EnergyLimits(
            drop_up=ones, drop_dn=ones.copy(), rise_up=ones.copy(), rise_dn=ones.copy(),
            drop_max_mwh=out[0], rise_max_mwh=out[1],
            drop_credit_mwh=out[2], rise_credit_mwh=out[3],
            drop_rebound_mwh=out[4], rise_rebound_mwh=out[5],
            dn_room_mw=out[6], up_room_mw=out[7],
        )

    def _power_bounds(self, t: int) -> tuple[FloatArray, FloatArray]:
        """``P_lo = max(0, d_t − s)`` and ``P_hi = min(c_max, d_t + s)`` (0 past the profile)."""
        if t >= self.n_profile:
            z = np.zeros(self.n_units)
            return z, z.copy()
        assert self.p_max_mw is not None
        d = self.demand_mw[:, t]
        s = self.shift_max_mw
        return np.maximum(d - s, 0.0), np.minimum(self.p_max_mw, d + s)

    def _window_room(
        self, t: int, caps: tuple[FloatArray, FloatArray]
    ) -> tuple[FloatArray, FloatArray]:
        """The window's rooms after ``t``, ``F⁺_t`` and ``F⁻_t`` (MWh; 0 past the profile)."""
        n_units, T = self.demand_mw.shape
        if t >= T:
            z = np.zeros(n_units)
            return z, z.copy()
        cs_up, cs_dn = caps
        end = np.minimum((t // self.window_intervals + 1) * self.window_intervals, T)
        rows = np.arange(n_units)
        return cs_up[rows, end] - cs_up[:, t + 1], cs_dn[rows, end] - cs_dn[:, t + 1]
