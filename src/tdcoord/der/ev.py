"""Electric-vehicle charging sessions (one session per unit, vectorised).

A unit is plugged in for intervals ``arrival_interval <= k < departure_interval`` and must store
``e_need_mwh`` (energy into the battery) by departure. With ``R`` the energy still needed at the
start of interval ``t`` and ``m`` the number of plugged-in intervals after ``t``, charging power
``c = −p`` (MW, consumption) is bounded by

    c_min = max(0, (R − m · c_max · η · dt) / (η · dt))   (the rest must still fit after t)
    c_max_t = min(c_max, R / (η · dt))                     (never store more than needed)

Baseline policy ``"asap"`` charges ``c_max_t`` (plug-and-charge, the usual uncontrolled
baseline); ``"alap"`` charges ``c_min`` (as late as possible). Flexibility (up = charge less):

    up_t = c_b − c_min,     down_t = c_max_t − c_b

so any sequence of activations inside the reported flexibility still delivers ``e_need_mwh`` by
departure (the invariant tests check this). A session whose need cannot be met even at full power
from arrival is rejected with :class:`~tdcoord.der.errors.DerError`. Unidirectional charging only
(no vehicle-to-grid) in this version.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self

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
    require,
    require_efficiency,
    require_nonnegative,
    require_plausible_mw,
)
from tdcoord.types import FloatArray, IntArray

KIND = "EvCharger"
_E_TOL = 1e-9
Policy = Literal["asap", "alap"]


@dataclass(frozen=True, eq=False)
class EvCharger:
    """``n`` EV charging sessions. Sign: ``p_mw <= 0`` (charging is consumption).

    ``arrival_interval``/``departure_interval``: interval indices (departure exclusive, i.e. the
    car leaves at the start of that interval). ``e_need_mwh``: energy to store. State:
    ``e_delivered_mwh`` (stored so far) and ``t`` (index of the next interval).
    """

    ids: tuple[str, ...]
    arrival_interval: IntArray
    departure_interval: IntArray
    e_need_mwh: FloatArray
    p_charger_max_mw: FloatArray
    eta_charge: FloatArray = field(default_factory=lambda: np.array(0.92))
    baseline_policy: Policy = "asap"
    e_delivered_mwh: FloatArray | None = None
    t: int = 0

    def __post_init__(self) -> None:
        ids = as_ids(KIND, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        s(
            self,
            "arrival_interval",
            per_unit_int(KIND, "arrival_interval", self.arrival_interval, ids),
        )
        s(
            self,
            "departure_interval",
            per_unit_int(KIND, "departure_interval", self.departure_interval, ids),
        )
        for name in ("e_need_mwh", "p_charger_max_mw", "eta_charge"):
            s(self, name, per_unit(KIND, name, getattr(self, name), ids))
        require(
            KIND,
            ids,
            self.arrival_interval >= 0,
            "arrival_interval is negative",
            "count intervals from 0",
        )
        require(
            KIND,
            ids,
            self.departure_interval > self.arrival_interval,
            "departure before (or at) arrival",
            "departure_interval must exceed arrival_interval",
        )
        require_nonnegative(KIND, ids, "e_need_mwh", self.e_need_mwh)
        require_nonnegative(KIND, ids, "p_charger_max_mw", self.p_charger_max_mw)
        require_plausible_mw(KIND, ids, "p_charger_max_mw", self.p_charger_max_mw)
        require_plausible_mw(KIND, ids, "e_need_mwh", self.e_need_mwh)
        require_efficiency(KIND, ids, "eta_charge", self.eta_charge)
        if self.baseline_policy not in ("asap", "alap"):
            raise ValueError(
                f"baseline_policy must be 'asap' or 'alap', got {self.baseline_policy!r}"
            )
        if self.e_delivered_mwh is None:
            s(self, "e_delivered_mwh", np.zeros(len(ids)))
        else:
            s(self, "e_delivered_mwh", per_unit(KIND, "e_delivered_mwh", self.e_delivered_mwh, ids))

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> EvCharger:
        return cls(ids=tuple(ids), **params)

    @property
    def n_units(self) -> int:
        return len(self.ids)

    @property
    def e_remaining_mwh(self) -> FloatArray:
        assert self.e_delivered_mwh is not None
        return np.maximum(self.e_need_mwh - self.e_delivered_mwh, 0.0)

    def _check_feasible(self, dt: float) -> None:
        """The need must fit in the plugged-in time at full power (checked once dt is known)."""
        start = np.maximum(self.arrival_interval, self.t)
        slots = np.maximum(self.departure_interval - start, 0)
        cap = slots * self.p_charger_max_mw * self.eta_charge * dt
        require(
            KIND,
            self.ids,
            self.e_remaining_mwh <= cap + _E_TOL * (1 + cap),
            "energy need cannot be met by departure even at full charger power",
            "lower e_need_mwh, raise p_charger_max_mw or widen the arrival-departure window",
        )

    def _bounds(self, t: int, r: FloatArray, dt: float) -> tuple[FloatArray, FloatArray]:
        """Charging bounds (c_min, c_max_t) in MW at interval ``t`` with remaining need ``r``."""
        present = (self.arrival_interval <= t) & (t < self.departure_interval)
        per_slot = self.p_charger_max_mw * self.eta_charge * dt
        later = np.maximum(self.departure_interval - np.maximum(self.arrival_interval, t + 1), 0)
        c_min = np.maximum(r - later * per_slot, 0.0) / (self.eta_charge * dt)
        c_max = np.minimum(self.p_charger_max_mw, r / (self.eta_charge * dt))
        c_min = np.where(present, np.minimum(c_min, c_max), 0.0)
        c_max = np.where(present, c_max, 0.0)
        return c_min, c_max

    def _walk(self, n: int, dt: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Baseline charging, c_min and c_max along the baseline (units × n each)."""
        self._check_feasible(dt)
        r = self.e_remaining_mwh.copy()
        cb = np.empty((self.n_units, n))
        lo = np.empty_like(cb)
        hi = np.empty_like(cb)
        for k in range(n):
            c_min, c_max = self._bounds(self.t + k, r, dt)
            c = c_max if self.baseline_policy == "asap" else c_min
            cb[:, k], lo[:, k], hi[:, k] = c, c_min, c_max
            r = np.maximum(r - c * self.eta_charge * dt, 0.0)
        return cb, lo, hi

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Baseline power (``<= 0``) from interval ``t`` on, per the baseline policy."""
        cb, _, _ = self._walk(check_n(n_intervals), check_dt(dt_h))
        return -cb

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        cb, lo, hi = self._walk(check_n(n_intervals), check_dt(dt_h))
        return Flexibility(np.maximum(cb - lo, 0.0), np.maximum(hi - cb, 0.0), None)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """New state after one interval at baseline + activation (up = charge less)."""
        dt = check_dt(dt_h)
        cb, lo, hi = self._walk(1, dt)
        flex = Flexibility(np.maximum(cb - lo, 0.0), np.maximum(hi - cb, 0.0), None)
        a = checked_activation(KIND, self.ids, activation_p_mw, flex)
        c = np.clip(cb[:, 0] - a, lo[:, 0], hi[:, 0])
        assert self.e_delivered_mwh is not None
        delivered = np.minimum(self.e_delivered_mwh + c * self.eta_charge * dt, self.e_need_mwh)
        return dataclasses.replace(self, e_delivered_mwh=delivered, t=self.t + 1)

    def energy_limits(
        self, n_intervals: int, dt_h: float, committed_mw: npt.ArrayLike | None = None
    ) -> EnergyLimits:
        """Energy rows (:class:`~tdcoord.der.base.EnergyLimits`) of further activations on top
        of ``committed_mw`` (units × n, signed: up = charge less).

        At activation the stored energy ``S`` after a plugged-in interval ``t`` must satisfy
        ``E_need − m_t·c_max·η·Δt ≤ S_{t+1} ≤ E_need`` (``m_t`` plugged intervals after ``t``:
        the rest still fits, and never more than needed). A request is a deviation from the
        baseline *from the current state*, ``S_{t+1} = f_t(S_t) − η Δt a_t`` with ``f_t``
        monotone of slope 0 or 1 (``asap``: ``min(S + c_max η Δt, E)``; ``alap``:
        ``max(S, E − m_t c_max η Δt)``), so the gap to the committed trajectory ``S^c`` obeys
        ``min(G_t, 0) − ηΔt a_t ≤ G_{t+1} ≤ max(G_t, 0) − ηΔt a_t``; by induction
        ``G_{t+1} ≥ −ηΔt Σ_{s≤t}(u_s − d_s)`` and ``G_{t+1} ≤ ηΔt Σ_{s≤t} d_s``: rows with
        ``κ^drop = (η, η)``, ``κ^rise = (0, η)`` are sufficient. Limits (``inf`` outside the
        plugged-in time): ``D^max_t = S^c_{t+1} − E_need + m_t c_max η Δt``,
        ``R^max_t = E_need − S^c_{t+1}`` (clipped at 0).
        """
        n, dt = check_n(n_intervals), check_dt(dt_h)
        self._check_feasible(dt)
        c = np.zeros((self.n_units, n)) if committed_mw is None else np.asarray(committed_mw)
        if c.shape != (self.n_units, n):
            raise ValueError(f"committed_mw has shape {c.shape}, expected {(self.n_units, n)}")
        assert self.e_delivered_mwh is not None
        s = self.e_delivered_mwh.copy()
        per_slot = self.p_charger_max_mw * self.eta_charge * dt
        drop = np.full((self.n_units, n), np.inf)
        rise = np.full((self.n_units, n), np.inf)
        for k in range(n):  # intervals only, vectorised over units
            t = self.t + k
            lo, hi = self._bounds(t, np.maximum(self.e_need_mwh - s, 0.0), dt)
            base = hi if self.baseline_policy == "asap" else lo
            ck = np.clip(base - c[:, k], lo, hi)
            s = np.minimum(s + ck * self.eta_charge * dt, self.e_need_mwh)
            present = (self.arrival_interval <= t) & (t < self.departure_interval)
            first_later = np.maximum(self.arrival_interval, t + 1)
            later = np.maximum(self.departure_interval - first_later, 0)
            drop[:, k] = np.where(present, s - self.e_need_mwh + later * per_slot, np.inf)
            rise[:, k] = np.where(present, self.e_need_mwh - s, np.inf)
        eta = self.eta_charge.copy()
        return EnergyLimits(
            drop_up=eta,
            drop_dn=eta.copy(),
            rise_up=np.zeros(self.n_units),
            rise_dn=eta.copy(),
            drop_max_mwh=np.maximum(drop, 0.0),
            rise_max_mwh=np.maximum(rise, 0.0),
        )
