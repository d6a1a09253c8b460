"""Heat pumps with a first-order (1R1C) thermal model of the heated building.

    C · dT/dτ = −(T − T_out)/R + COP · P_el

with ``C`` (MWh/K), ``R`` (K/MW), ``COP`` (thermal/electric) and electric power ``P_el`` (MW).
Holding ``P_el`` and ``T_out`` constant over an interval of ``dt`` hours gives the exact update

    T⁺ = a · T + (1 − a) · (T_out + R · COP · P_el),     a = exp(−dt / (R · C)).

The power that reaches temperature ``x`` at the end of the interval is
``P(x) = ((x − a·T)/(1 − a) − T_out) / (R · COP)`` (increasing in ``x``). With the comfort band
``[T_min, T_max]`` and ``0 <= P_el <= P_max``:

    P_lo = clip(P(T_min), 0, P_max),   P_hi = clip(P(T_max), 0, P_max)

Baseline (thermostat): ``P_b = clip(P(T_set), P_lo, P_hi)``. Flexibility (up = consume less):
``up = P_b − P_lo``, ``down = P_hi − P_b``; so the indoor temperature stays in the band after any
activation inside the reported flexibility, as long as the band is reachable at all
(``T_out + R·COP·P_max >= T_min`` and ``T_out <= T_max``; otherwise the flexibility is zero and
the baseline does its best). Heating only. Sign: ``p_mw = −P_el <= 0``.
The 1R1C model is the standard grey-box building model (e.g. Bacher & Madsen, Energy and
Buildings 43 (2011) 1511–1522).
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
    profile,
    require,
    require_nonnegative,
    require_plausible_mw,
)
from tdcoord.types import FloatArray

KIND = "HeatPump"
#: A COP above this is almost certainly a percentage or a typo.
MAX_PLAUSIBLE_COP = 15.0


@dataclass(frozen=True, eq=False)
class HeatPump:
    """``n`` heat pumps. ``t_out_c`` is ``units × intervals`` (or 1-D shared; the last value is
    held past its end). ``t_set_c`` defaults to the middle of the band. State: ``temp_c``, ``t``.
    """

    ids: tuple[str, ...]
    p_el_max_mw: FloatArray
    cop: FloatArray
    c_th_mwh_per_k: FloatArray
    r_th_k_per_mw: FloatArray
    t_min_c: FloatArray
    t_max_c: FloatArray
    t_out_c: FloatArray
    t_set_c: FloatArray | None = None
    temp_c: FloatArray | None = None
    t: int = 0

    def __post_init__(self) -> None:
        ids = as_ids(KIND, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        for name in ("p_el_max_mw", "cop", "c_th_mwh_per_k", "r_th_k_per_mw", "t_min_c", "t_max_c"):
            s(self, name, per_unit(KIND, name, getattr(self, name), ids))
        require_nonnegative(KIND, ids, "p_el_max_mw", self.p_el_max_mw)
        require_plausible_mw(KIND, ids, "p_el_max_mw", self.p_el_max_mw)
        require(
            KIND,
            ids,
            (self.cop > 0) & (self.cop <= MAX_PLAUSIBLE_COP),
            f"cop outside (0, {MAX_PLAUSIBLE_COP:g}]",
            "give the COP as a ratio (3.5, not 350 %)",
        )
        require(
            KIND,
            ids,
            self.c_th_mwh_per_k > 0,
            "c_th_mwh_per_k <= 0",
            "thermal capacitance must be positive (a house is ~0.005-0.02 MWh/K)",
        )
        require(
            KIND,
            ids,
            self.r_th_k_per_mw > 0,
            "r_th_k_per_mw <= 0",
            "thermal resistance must be positive (a house is ~2000-8000 K/MW)",
        )
        require(
            KIND,
            ids,
            self.t_min_c < self.t_max_c,
            "t_min_c >= t_max_c (comfort band upside down)",
            "give t_min_c below t_max_c",
        )
        s(self, "t_out_c", profile(KIND, "t_out_c", self.t_out_c, ids))
        if self.t_set_c is None:
            s(self, "t_set_c", 0.5 * (self.t_min_c + self.t_max_c))
        else:
            s(self, "t_set_c", per_unit(KIND, "t_set_c", self.t_set_c, ids))
        assert self.t_set_c is not None
        require(
            KIND,
            ids,
            (self.t_set_c >= self.t_min_c) & (self.t_set_c <= self.t_max_c),
            "t_set_c outside the comfort band",
            "choose a set point inside [t_min_c, t_max_c]",
        )
        if self.temp_c is None:
            s(self, "temp_c", self.t_set_c.copy())
        else:
            s(self, "temp_c", per_unit(KIND, "temp_c", self.temp_c, ids))

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> HeatPump:
        return cls(ids=tuple(ids), **params)

    @property
    def n_units(self) -> int:
        return len(self.ids)

    def _a(self, dt: float) -> FloatArray:
        a: FloatArray = np.exp(-dt / (self.r_th_k_per_mw * self.c_th_mwh_per_k))
        return a

    def _t_out(self, k: int) -> FloatArray:
        return self.t_out_c[:, min(k, self.t_out_c.shape[1] - 1)]

    def _step_bounds(
        self, k: int, temp: FloatArray, a: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(P_lo, P_hi, P_b) for interval ``k`` from indoor temperature ``temp``."""
        gain = self.r_th_k_per_mw * self.cop
        t_out = self._t_out(k)

        def p_for(x: FloatArray) -> FloatArray:
            return ((x - a * temp) / (1.0 - a) - t_out) / gain

        lo = np.clip(p_for(self.t_min_c), 0.0, self.p_el_max_mw)
        hi = np.clip(p_for(self.t_max_c), 0.0, self.p_el_max_mw)
        assert self.t_set_c is not None
        pb = np.clip(p_for(self.t_set_c), lo, hi)
        return lo, hi, pb

    def _next_temp(self, k: int, temp: FloatArray, p: FloatArray, a: FloatArray) -> FloatArray:
        return a * temp + (1.0 - a) * (self._t_out(k) + self.r_th_k_per_mw * self.cop * p)

    def _walk(self, n: int, dt: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        a = self._a(dt)
        assert self.temp_c is not None
        temp = self.temp_c.copy()
        lo = np.empty((self.n_units, n))
        hi = np.empty_like(lo)
        pb = np.empty_like(lo)
        for k in range(n):
            lo[:, k], hi[:, k], pb[:, k] = self._step_bounds(self.t + k, temp, a)
            temp = self._next_temp(self.t + k, temp, pb[:, k], a)
        return lo, hi, pb

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Thermostat baseline towards ``t_set_c`` as ``p_mw <= 0`` (units × n)."""
        _, _, pb = self._walk(check_n(n_intervals), check_dt(dt_h))
        return -pb

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        lo, hi, pb = self._walk(check_n(n_intervals), check_dt(dt_h))
        return Flexibility(np.maximum(pb - lo, 0.0), np.maximum(hi - pb, 0.0), None)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """New indoor temperature after one interval at baseline + activation."""
        dt = check_dt(dt_h)
        a = self._a(dt)
        assert self.temp_c is not None
        lo, hi, pb = self._step_bounds(self.t, self.temp_c, a)
        flex = Flexibility((pb - lo)[:, None], (hi - pb)[:, None], None)
        act = checked_activation(KIND, self.ids, activation_p_mw, flex)
        p = np.clip(pb - act, lo, hi)
        temp = self._next_temp(self.t, self.temp_c, p, a)
        return dataclasses.replace(self, temp_c=temp, t=self.t + 1)

    def _decays(
        self, a: FloatArray, gain: FloatArray, p_set: FloatArray, temp: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """Chord decays ``δ`` of the deficit and the excess for one step (see
        :meth:`energy_limits`) from the committed temperature ``temp``."""
        per_mw = (1.0 - a) * gain / a  # kelvin of deviation the thermostat makes up per MW
        head_cold = np.clip(self.p_el_max_mw - p_set, 0.0, None) * per_mw
        head_warm = np.clip(p_set, 0.0, None) * per_mw
        x_cold = temp - self.t_min_c
        x_warm = self.t_max_c - temp
        with np.errstate(divide="ignore", invalid="ignore"):
            d_cold = np.where(x_cold > 0, np.maximum(a - head_cold / x_cold, 0.0), a)
            d_warm = np.where(x_warm > 0, np.maximum(a - head_warm / x_warm, 0.0), a)
        ok_cold = p_set >= 0.0  # the thermostat is not already at zero power
        ok_warm = p_set <= self.p_el_max_mw
        return np.where(ok_cold, d_cold, a), np.where(ok_warm, d_warm, a)

    def energy_limits(
        self, n_intervals: int, dt_h: float, committed_mw: npt.ArrayLike | None = None
    ) -> EnergyLimits:
        """Energy rows (:class:`~tdcoord.der.base.EnergyLimits`) of further activations on top
        of ``committed_mw`` (units × n, signed: up = consume less), in thermal MWh stored in the
        building (``C·ΔT``).

        With the committed temperature trajectory ``T^c`` and the deficit ``X = max(T^c − T, 0)``
        one step is ``T_{k+1} = f_k(T_k) − c·act_k`` with ``c = (1 − a)·R·COP`` (K/MW) and
        ``f_k`` the thermostat step (baseline minus the committed activation): the thermostat
        heats back towards ``T_set`` (the rebound) with its power headroom ``P_max − P_set``,
        worth ``m_k = (P_max − P_set)(1 − a)RCOP/a`` kelvin of deficit, so
        ``X_{k+1} ≤ max(0, a X_k − m_k) + c u_k``. On ``0 ≤ X_k ≤ X̄_k = T^c_k − T_min`` (what the
        rows allow) the convex ``max(0, aX − m)`` lies below its chord:
        ``X_{k+1} ≤ δ_k X_k + c u_k`` with ``δ_k = max(0, a − m_k / X̄_k)`` (a full reset where
        the headroom covers the largest deficit); alike the excess with ``d`` and the headroom
        ``P_set`` down to zero power. The rebound also moves the thermostat's power: a deficit
        ``X`` raises it by up to ``κ X`` (``κ = a/((1 − a)R·COP)`` MW per kelvin), eating the
        room for a down request, an excess lowers it: the power-room rows
        ``κ C⁻¹·drop_{t−1} + d_t ≤ P_hi − P^c_t`` and ``κ C⁻¹·rise_{t−1} + u_t ≤ P^c_t − P_lo``
        (:class:`~tdcoord.der.base.EnergyLimits`, ``rebound_mw_per_mwh``). Energy rows with
        ``κ^drop = (C c/Δt, 0)``, ``κ^rise = (0, C c/Δt)`` and these decays keep
        ``T ∈ [T_min, T_max]`` (the band the flexibility of :meth:`flexibility` protects).
        Limits ``D^max_k = C (T^c_{k+1} − T_min)``, ``R^max_k = C (T_max − T^c_{k+1})``
        (clipped at 0). The rows bound the temperature; a baseline driven to zero power by a
        warmer house (nothing left to curtail) is not a row (docs/coordination.md, "Time
        coupling and the information boundary").
        """
        n, dt = check_n(n_intervals), check_dt(dt_h)
        c = np.zeros((self.n_units, n)) if committed_mw is None else np.asarray(committed_mw)
        if c.shape != (self.n_units, n):
            raise ValueError(f"committed_mw has shape {c.shape}, expected {(self.n_units, n)}")
        a = self._a(dt)
        gain = self.r_th_k_per_mw * self.cop
        assert self.temp_c is not None and self.t_set_c is not None
        temp = self.temp_c.copy()
        temps = np.empty((self.n_units, n))
        drop_decay = np.empty((self.n_units, n))
        rise_decay = np.empty((self.n_units, n))
        up_room = np.empty((self.n_units, n))
        dn_room = np.empty((self.n_units, n))
        for k in range(n):  # intervals only, vectorised over units
            lo, hi, pb = self._step_bounds(self.t + k, temp, a)
            p_set = ((self.t_set_c - a * temp) / (1.0 - a) - self._t_out(self.t + k)) / gain
            drop_decay[:, k], rise_decay[:, k] = self._decays(a, gain, p_set, temp)
            p_c = np.clip(pb - c[:, k], lo, hi)
            up_room[:, k], dn_room[:, k] = np.maximum(p_c - lo, 0.0), np.maximum(hi - p_c, 0.0)
            temp = self._next_temp(self.t + k, temp, p_c, a)
            temps[:, k] = temp
        cap = self.c_th_mwh_per_k
        coef = cap * (1.0 - a) * gain / dt
        zero = np.zeros(self.n_units)
        return EnergyLimits(
            drop_up=coef,
            drop_dn=zero,
            rise_up=zero.copy(),
            rise_dn=coef.copy(),
            drop_max_mwh=np.maximum(cap[:, None] * (temps - self.t_min_c[:, None]), 0.0),
            rise_max_mwh=np.maximum(cap[:, None] * (self.t_max_c[:, None] - temps), 0.0),
            drop_decay=drop_decay,
            rise_decay=rise_decay,
            rebound_mw_per_mwh=a / ((1.0 - a) * gain * cap),
            up_room_mw=up_room,
            dn_room_mw=dn_room,
        )
