"""Battery storage units (vectorised over many units).

State of charge, in energy terms ``e`` (MWh), evolves over an interval of ``dt`` hours at power
``p`` (MW, positive = discharge into the grid) as

    e⁺ = e − dt · p / η_dis      if p > 0   (discharging: the grid receives p, the cell loses more)
    e⁺ = e − dt · p · η_ch       if p ≤ 0   (charging: the cell stores less than the grid delivers)

with ``soc_min · e_max ≤ e ≤ soc_max · e_max`` and ``−p_charge_max ≤ p ≤ p_discharge_max``.

Flexibility of interval ``t`` (up = more discharge / less charge) is the largest deviation from the
baseline that keeps the energy of *every later* baseline state within its limits:

    up_t   = min(p_dis_max, p(Δe_b − H⁻_t)) − p_b,   H⁻_t = min_{k>t} (e_k − e_min)
    down_t = p_b − max(−p_ch_max, p(Δe_b + H⁺_t)),   H⁺_t = min_{k>t} (e_max − e_k)

where ``p(Δe)`` inverts the energy change above (piecewise linear, monotone). A depleted battery
therefore offers no up-flexibility and a full one no down-flexibility. Reactive capability is
``sqrt(S² − p_b²)`` for an inverter rating ``S`` (IEEE 1547-2018 §5.2 reactive capability).

Seed 000 §1.3: storage "can be modeled as a load as well as a generation resource"; here it is both.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    profile,
    require,
    require_efficiency,
    require_nonnegative,
    require_plausible_mw,
    take_window,
)
from tdcoord.types import FloatArray

KIND = "Battery"
_E_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Battery:
    """``n`` battery units. Sign: ``p_mw > 0`` discharge (injection), ``< 0`` charge.

    Parameters are per unit (scalars are broadcast). ``soc_*`` are fractions of ``e_max_mwh``.
    ``schedule_p_mw`` (units × intervals, optional) is the planned dispatch (e.g. after the
    day-ahead market); the baseline is that schedule clipped to what the state of charge allows,
    idle (0 MW) when omitted or past its end. State: ``e_mwh`` (stored energy) and ``t`` (index of
    the next interval).
    """

    ids: tuple[str, ...]
    e_max_mwh: FloatArray
    p_charge_max_mw: FloatArray
    p_discharge_max_mw: FloatArray
    eta_charge: FloatArray = field(default_factory=lambda: np.array(0.95))
    eta_discharge: FloatArray = field(default_factory=lambda: np.array(0.95))
    soc_min: FloatArray = field(default_factory=lambda: np.array(0.0))
    soc_max: FloatArray = field(default_factory=lambda: np.array(1.0))
    soc_init: FloatArray = field(default_factory=lambda: np.array(0.5))
    s_inverter_mva: FloatArray | None = None
    schedule_p_mw: FloatArray | None = None
    e_mwh: FloatArray | None = None
    t: int = 0

    def __post_init__(self) -> None:
        ids = as_ids(KIND, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        for name in (
            "e_max_mwh",
            "p_charge_max_mw",
            "p_discharge_max_mw",
            "eta_charge",
            "eta_discharge",
            "soc_min",
            "soc_max",
            "soc_init",
        ):
            s(self, name, per_unit(KIND, name, getattr(self, name), ids))
        for name in ("e_max_mwh", "p_charge_max_mw", "p_discharge_max_mw"):
            require_nonnegative(KIND, ids, name, getattr(self, name))
            require_plausible_mw(KIND, ids, name, getattr(self, name))
        require(KIND, ids, self.e_max_mwh > 0, "e_max_mwh is zero", "give a positive capacity")
        require_efficiency(KIND, ids, "eta_charge", self.eta_charge)
        require_efficiency(KIND, ids, "eta_discharge", self.eta_discharge)
        for name in ("soc_min", "soc_max", "soc_init"):
            v = getattr(self, name)
            require(
                KIND,
                ids,
                (v >= 0) & (v <= 1),
                f"{name} outside [0, 1]",
                f"give {name} as a fraction of e_max_mwh (0.2, not 20)",
            )
        require(
            KIND,
            ids,
            self.soc_min <= self.soc_max,
            "soc_min > soc_max (limits upside down)",
            "swap soc_min and soc_max",
        )
        require(
            KIND,
            ids,
            (self.soc_init >= self.soc_min) & (self.soc_init <= self.soc_max),
            "soc_init outside [soc_min, soc_max]",
            "start inside the state-of-charge limits",
        )
        if self.s_inverter_mva is None:
            s(self, "s_inverter_mva", np.maximum(self.p_charge_max_mw, self.p_discharge_max_mw))
        else:
            sv = per_unit(KIND, "s_inverter_mva", self.s_inverter_mva, ids)
            require_nonnegative(KIND, ids, "s_inverter_mva", sv)
            require_plausible_mw(KIND, ids, "s_inverter_mva", sv)
            s(self, "s_inverter_mva", sv)
        if self.schedule_p_mw is not None:
            s(self, "schedule_p_mw", profile(KIND, "schedule_p_mw", self.schedule_p_mw, ids))
        if self.e_mwh is None:
            s(self, "e_mwh", self.soc_init * self.e_max_mwh)
        else:
            e = per_unit(KIND, "e_mwh", self.e_mwh, ids)
            require(
                KIND,
                ids,
                (e >= self.e_min_mwh - _E_TOL) & (e <= self.e_hi_mwh + _E_TOL),
                "stored energy e_mwh outside the state-of-charge limits",
                "pass a state between soc_min and soc_max times e_max_mwh",
            )
            s(self, "e_mwh", e)
        if self.t < 0:
            raise ValueError("t must be >= 0")

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> Battery:
        """Build from scalars or sequences (each broadcast to one value per unit)."""
        return cls(ids=tuple(ids), **params)

    # ----------------------------------------------------------------- derived quantities
    @property
    def n_units(self) -> int:
        return len(self.ids)

    @property
    def e_min_mwh(self) -> FloatArray:
        return self.soc_min * self.e_max_mwh

    @property
    def e_hi_mwh(self) -> FloatArray:
        return self.soc_max * self.e_max_mwh

    @property
    def soc(self) -> FloatArray:
        """Current state of charge as a fraction of ``e_max_mwh``."""
        assert self.e_mwh is not None
        return self.e_mwh / self.e_max_mwh

    def _de(self, p: FloatArray, dt: float) -> FloatArray:
        """Energy change of the cells over one interval at grid power ``p``."""
        return -dt * np.where(p > 0, p / self.eta_discharge, p * self.eta_charge)

    def _p_of_de(self, de: FloatArray, dt: float) -> FloatArray:
        """Grid power that produces the energy change ``de`` (inverse of :meth:`_de`)."""
        return np.where(de <= 0, -de * self.eta_discharge / dt, -de / (self.eta_charge * dt))

    def _trajectory(self, n: int, dt: float) -> tuple[FloatArray, FloatArray]:
        """Baseline power (units × n) and stored energy at interval starts (units × n+1)."""
        assert self.e_mwh is not None
        sched = (
            np.zeros((self.n_units, n))
            if self.schedule_p_mw is None
            else take_window(self.schedule_p_mw, self.t, n)
        )
        p = np.empty((self.n_units, n))
        e = np.empty((self.n_units, n + 1))
        e[:, 0] = self.e_mwh
        for k in range(n):
            pk = np.clip(sched[:, k], -self.p_charge_max_mw, self.p_discharge_max_mw)
            lo = self._p_of_de(self.e_hi_mwh - e[:, k], dt)
            hi = self._p_of_de(self.e_min_mwh - e[:, k], dt)
            pk = np.clip(pk, lo, np.maximum(lo, hi))
            p[:, k] = pk
            e[:, k + 1] = np.clip(e[:, k] + self._de(pk, dt), self.e_min_mwh, self.e_hi_mwh)
        return p, e

    # ----------------------------------------------------------------- public API
    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Schedule clipped to power and energy limits, from interval ``t`` on (units × n)."""
        return self._trajectory(check_n(n_intervals), check_dt(dt_h))[0]

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        """Up/down flexibility and reactive capability per unit and interval (see module doc)."""
        n, dt = check_n(n_intervals), check_dt(dt_h)
        p_b, e = self._trajectory(n, dt)
        fut = e[:, 1:]
        lo_margin = np.minimum.accumulate((fut - self.e_min_mwh[:, None])[:, ::-1], axis=1)[:, ::-1]
        hi_margin = np.minimum.accumulate((self.e_hi_mwh[:, None] - fut)[:, ::-1], axis=1)[:, ::-1]
        lo_margin = np.maximum(lo_margin, 0.0)
        hi_margin = np.maximum(hi_margin, 0.0)
        eta_c, eta_d = self.eta_charge[:, None], self.eta_discharge[:, None]
        de_b = -dt * np.where(p_b > 0, p_b / eta_d, p_b * eta_c)

        def p_of(de: FloatArray) -> FloatArray:
            return np.where(de <= 0, -de * eta_d / dt, -de / (eta_c * dt))

        p_up = np.minimum(self.p_discharge_max_mw[:, None], p_of(de_b - lo_margin))
        p_dn = np.maximum(-self.p_charge_max_mw[:, None], p_of(de_b + hi_margin))
        up = np.maximum(p_up - p_b, 0.0)
        down = np.maximum(p_b - p_dn, 0.0)
        assert self.s_inverter_mva is not None
        q = np.sqrt(np.maximum(self.s_inverter_mva[:, None] ** 2 - p_b**2, 0.0))
        return Flexibility(up, down, q)

    def _horizon(self) -> int:
        if self.schedule_p_mw is None:
            return 1
        return max(1, int(self.schedule_p_mw.shape[1]) - self.t)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """New state after one interval at baseline + ``activation_p_mw`` (signed, MW).

        Raises :class:`~tdcoord.der.errors.DerError` if the activation is outside the flexibility
        reported for this interval (with the remaining schedule as horizon).
        """
        dt = check_dt(dt_h)
        n = self._horizon()
        flex = self.flexibility(n, dt)
        a = checked_activation(KIND, self.ids, activation_p_mw, flex)
        assert self.e_mwh is not None
        p = self._trajectory(1, dt)[0][:, 0] + a
        e = np.clip(self.e_mwh + self._de(p, dt), self.e_min_mwh, self.e_hi_mwh)
        return dataclasses.replace(self, e_mwh=e, t=self.t + 1)

    def energy_limits(
        self, n_intervals: int, dt_h: float, committed_mw: npt.ArrayLike | None = None
    ) -> EnergyLimits:
        """Energy rows (:class:`~tdcoord.der.base.EnergyLimits`) of further activations on top
        of ``committed_mw`` (units × n, signed, already planned from interval ``t`` on).

        At activation (:meth:`apply`) a deviation at ``t`` must keep every later baseline state
        inside the limits: with the baseline trajectory ``e_b`` and the cumulative shift ``D_t``
        of the stored energy after ``t``, ``e_b,k + D_t ∈ [e_min, e_hi]`` for
        ``t < k ≤ t + H_t`` (``H`` the checked horizon: the rest of the schedule, 1 without one).
        The committed plan shifts the state by ``D^c_t`` (walked exactly, with both
        efficiencies). The cell energy change of a further deviation is piecewise linear in the
        grid power (slope ``1/η_dis`` discharging, ``η_ch`` charging) and concave, so the drop
        caused by ``u`` up and ``d`` down is at most ``Δt(u/η_dis − η_ch d)`` and the rise at
        most ``Δt(d/η_dis − η_ch u)``: rows with these coefficients are sufficient. Limits
        ``D^max_t = min_k(e_b,k − e_min) + D^c_t``, ``R^max_t = min_k(e_hi − e_b,k) − D^c_t``
        (clipped at 0: further activations never need to repair a committed plan).
        """
        n, dt = check_n(n_intervals), check_dt(dt_h)
        length = 0 if self.schedule_p_mw is None else int(self.schedule_p_mw.shape[1]) - self.t
        length = max(length, 0)
        horizon = np.maximum(length - np.arange(n), 1)  # checked horizon at each step
        total = int(max(n, length)) + 1
        p_b, e_b = self._trajectory(total, dt)
        lo_state = e_b[:, 1:] - self.e_min_mwh[:, None]
        hi_state = self.e_hi_mwh[:, None] - e_b[:, 1:]
        sched = horizon > 1  # a horizon beyond one step runs to the schedule's end
        lo_suffix = np.minimum.accumulate(lo_state[:, :length][:, ::-1], axis=1)[:, ::-1]
        hi_suffix = np.minimum.accumulate(hi_state[:, :length][:, ::-1], axis=1)[:, ::-1]
        lo = lo_state[:, :n].copy()
        hi = hi_state[:, :n].copy()
        k = np.flatnonzero(sched)
        lo[:, k], hi[:, k] = lo_suffix[:, k], hi_suffix[:, k]
        shift = self._committed_shift(p_b[:, :n], e_b[:, : n + 1], committed_mw, dt)
        ones = np.ones(self.n_units)
        return EnergyLimits(
            drop_up=ones / self.eta_discharge,
            drop_dn=self.eta_charge.copy(),
            rise_up=self.eta_charge.copy(),
            rise_dn=ones / self.eta_discharge,
            drop_max_mwh=np.maximum(lo + shift, 0.0),
            rise_max_mwh=np.maximum(hi - shift, 0.0),
        )

    def _committed_shift(
        self, p_b: FloatArray, e_b: FloatArray, committed_mw: npt.ArrayLike | None, dt: float
    ) -> FloatArray:
        """Shift ``D^c_t`` of the stored energy after ``t`` under the committed plan (units × n)."""
        n = p_b.shape[1]
        if committed_mw is None:
            return np.zeros((self.n_units, n))
        c = np.asarray(committed_mw, dtype=np.float64)
        if c.shape != (self.n_units, n):
            raise ValueError(f"committed_mw has shape {c.shape}, expected {(self.n_units, n)}")
        e = e_b[:, 0].copy()
        shift = np.empty((self.n_units, n))
        for k in range(n):  # intervals only, vectorised over units
            e = np.clip(e + self._de(p_b[:, k] + c[:, k], dt), self.e_min_mwh, self.e_hi_mwh)
            shift[:, k] = e - e_b[:, k + 1]
        return shift
