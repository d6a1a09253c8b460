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
        n_units, T = self.demand_mw.shape
        assert self.p_max_mw is not None
        if t >= T:
            z = np.zeros(n_units)
            return z, z, z
        d = self.demand_mw[:, t]
        s = self.shift_max_mw
        cs_up, cs_dn = caps
        end = np.minimum((t // self.window_intervals + 1) * self.window_intervals, T)
        rows = np.arange(n_units)
        f_up = cs_up[rows, end] - cs_up[:, t + 1]
        f_dn = cs_dn[rows, end] - cs_dn[:, t + 1]
        c_min = np.maximum.reduce([np.zeros(n_units), d - s, d + (b - f_up) / dt])
        c_max = np.minimum.reduce([self.p_max_mw, d + s, d + (b + f_dn) / dt])
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
        """Energy rows (:class:`~tdcoord.der.base.EnergyLimits`) of further activations on top of
        ``committed_mw`` (units × n, signed: up = consume less), in MWh of backlog.

        An activation is deliverable in interval ``t`` exactly when the consumption stays within
        the power bounds ``[P_lo, P_hi] = [max(0, d − s), min(c_max, d + s)]`` and the backlog
        after it can still be recovered in the window, ``−F⁻_t ≤ B_{t+1} ≤ F⁺_t`` (the backlog
        terms of the bounds in the module docstring). With the committed backlog ``B^c`` the extra
        backlog ``X`` must stay within ``D^max_t = F⁺_t − B^c_{t+1}`` (its negative within
        ``R^max_t = F⁻_t + B^c_{t+1}``), both clipped at 0: a window's last interval has no room
        left, so each window ends neutral.

        *Rebound.* The baseline repays backlog at once, at most ``R'_t`` (MWh) beyond the
        committed repayment (``(P_hi − c^b_t)Δt``; ``(c^b_t − P_lo)Δt`` for negative backlog). The
        extra repayment ``g(X) = min(B^c_t + X, R_t) − min(B^c_t, R_t)`` is concave for
        ``B^c_t ≥ 0`` and above its chord on ``[0, X̄_t]`` (``X̄_t = D^max_{t−1}``), so
        ``X_{t+1} ≤ δ_t X_t + x_t Δt`` with ``δ_t = 1 − g(X̄_t)/X̄_t`` (1 where ``B^c_t < 0``, 0 at
        a window's start). Down activations are not credited against the drop row (nor up
        against the rise row). The repayment ``Δρ_t ≤ min(X_t, R'_t)/Δt`` also takes power room
        from a down request in the same interval; ``d ≤ max(R' − X, 0)/Δt + (room left)`` is not
        convex in ``X``, so each (unit, interval) keeps one of its two supporting half-planes:
        where ``R'_t ≥ X̄_t`` the row ``X_t/Δt + d_t ≤ P_hi − c^c_t`` (``κ_t = 1/Δt``; it never
        binds an up run), and also where a committed request already uses part of the rebound's
        room (``P_hi − c^c_t < R'_t/Δt``: the rebound alone could cut the committed plan);
        elsewhere ``d_t ≤ P_hi − c^c_t − R'_t/Δt`` (``κ_t = 0``: no extra down request while the
        rebound may take the room); alike for the rise and up requests.
        """
        n, dt = check_n(n_intervals), check_dt(dt_h)
        c = np.zeros((self.n_units, n)) if committed_mw is None else np.asarray(committed_mw)
        if c.shape != (self.n_units, n):
            raise ValueError(f"committed_mw has shape {c.shape}, expected {(self.n_units, n)}")
        assert self.backlog_mwh is not None
        b = self.backlog_mwh.copy()
        caps = self._cumcaps(dt)
        rooms = np.empty((4, self.n_units, n))  # up room, down room, D^max, R^max
        decays = np.ones((2, self.n_units, n))  # drop, rise
        kappa = np.zeros((self.n_units, n))
        x_bar = np.zeros((2, self.n_units))  # the previous interval's D^max and R^max
        for k in range(n):  # intervals only, vectorised over units
            t = self.t + k
            lo, hi, cb = self._bounds(t, b, dt, caps)
            p_c = np.clip(cb - c[:, k], lo, hi)
            d, p_lo, p_hi, f_up, f_dn, r_up, r_dn = self._step_rooms(t, dt, caps)
            decays[:, :, k] = self._rebound_decays(t, b, x_bar, r_up, r_dn)
            rebound = np.maximum(np.vstack([p_hi - cb, cb - p_lo]), 0.0) * dt  # R'⁺, R'⁻
            room = np.maximum(np.vstack([p_c - p_lo, p_hi - p_c]), 0.0)  # up, down
            # the κ row where it cannot bind an up run, and where a committed request already
            # uses the rebound's room (the rebound alone could then cut the committed plan)
            harmless = (rebound >= x_bar).all(axis=0)
            needed = (room[::-1] * dt < rebound - 1e-12).any(axis=0)
            harmless |= needed
            kappa[:, k] = np.where(harmless, 1.0 / dt, 0.0)
            room[0] = np.where(harmless, room[0], np.maximum(room[0] - rebound[1] / dt, 0.0))
            room[1] = np.where(harmless, room[1], np.maximum(room[1] - rebound[0] / dt, 0.0))
            b = b + (d - p_c) * dt
            rooms[:2, :, k] = room
            rooms[2, :, k] = np.maximum(f_up - b, 0.0)
            rooms[3, :, k] = np.maximum(f_dn + b, 0.0)
            x_bar = rooms[2:, :, k]
        ones, zero = np.ones(self.n_units), np.zeros(self.n_units)
        return EnergyLimits(
            drop_up=ones, drop_dn=zero, rise_up=zero.copy(), rise_dn=ones.copy(),
            drop_max_mwh=rooms[2], rise_max_mwh=rooms[3],
            drop_decay=decays[0], rise_decay=decays[1],
            rebound_mw_per_mwh=kappa, up_room_mw=rooms[0], dn_room_mw=rooms[1],
        )

    def _step_rooms(
        self, t: int, dt: float, caps: tuple[FloatArray, FloatArray]
    ) -> tuple[FloatArray, ...]:
        """At interval ``t``: demand ``d``, the power bounds ``P_lo``/``P_hi``, the window's
        rooms after ``t`` ``F⁺``/``F⁻`` (MWh) and this interval's repayment rooms
        ``R⁺``/``R⁻`` (MWh)."""
        n_units, T = self.demand_mw.shape
        assert self.p_max_mw is not None
        if t >= T:
            z = np.zeros(n_units)
            return z, z, z, z, z, z, z
        d = self.demand_mw[:, t]
        s = self.shift_max_mw
        cs_up, cs_dn = caps
        end = np.minimum((t // self.window_intervals + 1) * self.window_intervals, T)
        rows = np.arange(n_units)
        f_up = cs_up[rows, end] - cs_up[:, t + 1]
        f_dn = cs_dn[rows, end] - cs_dn[:, t + 1]
        p_lo = np.maximum(d - s, 0.0)
        p_hi = np.minimum(self.p_max_mw, d + s)
        r_up = cs_up[:, t + 1] - cs_up[:, t]
        r_dn = cs_dn[:, t + 1] - cs_dn[:, t]
        return d, p_lo, p_hi, f_up, f_dn, r_up, r_dn

    def _rebound_decays(
        self, t: int, backlog: FloatArray, x_bar: FloatArray, r_up: FloatArray,
        r_dn: FloatArray,
    ) -> FloatArray:
        """Chord decays ``δ`` (2 × units: drop, rise) of the extra backlog carried into ``t``
        (see :meth:`energy_limits`)."""
        out = np.ones((2, self.n_units))
        for row, (b_c, room) in enumerate(((backlog, r_up), (-backlog, r_dn))):
            xb = x_bar[row]
            g = np.minimum(b_c + xb, room) - np.minimum(b_c, room)
            chord = np.where(xb > 1e-12, 1.0 - g / np.where(xb > 1e-12, xb, 1.0), 0.0)
            out[row] = np.where(b_c >= 0.0, np.clip(chord, 0.0, 1.0), 1.0)
        out[:, t % self.window_intervals == 0] = 0.0  # a window starts neutral
        return out

