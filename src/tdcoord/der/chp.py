"""Small combined heat and power units (must-run while scheduled, ramp-limited).

Each unit runs between ``p_min_mw`` and ``p_max_mw`` and changes output by at most
``ramp_mw_per_h · dt`` between consecutive intervals. With ``p_prev`` the output of the previous
interval and ``s_t`` the schedule (heat-led plan or day-ahead position; default: hold ``p_init``)

    p_b,t  = clip(s_t, max(p_min, p_prev − r·dt), min(p_max, p_prev + r·dt))
    up_t   = min(p_max, p_prev + r·dt) − p_b,t
    down_t = p_b,t − max(p_min, p_prev − r·dt)

After an activation the baseline ramps back to the schedule. ``fuel_cost_eur_per_mwh`` is the
marginal cost per MWh of electricity (fuel / electric efficiency), used by offer builders.
Without a schedule the unit holds ``p_set_mw`` (default: the initial output ``p_prev_mw``).
Sign: ``p_mw >= 0`` (injection). Seed 000 §1.3 lists small generation among DERs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from tdcoord.der.base import (
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
    take_window,
)
from tdcoord.types import FloatArray

KIND = "Chp"


@dataclass(frozen=True, eq=False)
class Chp:
    """``n`` small CHP units. State: ``p_prev_mw`` (output in the previous interval) and ``t``.

    Past the end of ``schedule_p_mw`` the unit holds its previous output.
    """

    ids: tuple[str, ...]
    p_min_mw: FloatArray
    p_max_mw: FloatArray
    ramp_mw_per_h: FloatArray
    fuel_cost_eur_per_mwh: FloatArray
    schedule_p_mw: FloatArray | None = None
    p_prev_mw: FloatArray | None = None
    p_set_mw: FloatArray | None = None
    t: int = 0

    def __post_init__(self) -> None:
        ids = as_ids(KIND, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        for name in ("p_min_mw", "p_max_mw", "ramp_mw_per_h", "fuel_cost_eur_per_mwh"):
            s(self, name, per_unit(KIND, name, getattr(self, name), ids))
        for name in ("p_min_mw", "p_max_mw", "ramp_mw_per_h", "fuel_cost_eur_per_mwh"):
            require_nonnegative(KIND, ids, name, getattr(self, name))
        require_plausible_mw(KIND, ids, "p_max_mw", self.p_max_mw)
        require(
            KIND,
            ids,
            self.p_min_mw <= self.p_max_mw,
            "p_min_mw > p_max_mw",
            "swap p_min_mw and p_max_mw",
        )
        require(
            KIND,
            ids,
            self.ramp_mw_per_h > 0,
            "ramp_mw_per_h is zero",
            "give a positive ramp rate in MW per hour",
        )
        if self.p_prev_mw is None:
            s(self, "p_prev_mw", self.p_min_mw.copy())
        else:
            s(self, "p_prev_mw", per_unit(KIND, "p_prev_mw", self.p_prev_mw, ids))
        assert self.p_prev_mw is not None
        require(
            KIND,
            ids,
            (self.p_prev_mw >= self.p_min_mw - 1e-9) & (self.p_prev_mw <= self.p_max_mw + 1e-9),
            "p_prev_mw outside [p_min_mw, p_max_mw]",
            "start inside the operating range",
        )
        if self.p_set_mw is None:
            s(self, "p_set_mw", self.p_prev_mw.copy())
        else:
            pset = per_unit(KIND, "p_set_mw", self.p_set_mw, ids)
            require(
                KIND,
                ids,
                (pset >= self.p_min_mw) & (pset <= self.p_max_mw),
                "p_set_mw outside [p_min_mw, p_max_mw]",
                "choose a set point inside the operating range",
            )
            s(self, "p_set_mw", pset)
        if self.schedule_p_mw is not None:
            sched = profile(KIND, "schedule_p_mw", self.schedule_p_mw, ids)
            require(
                KIND,
                ids,
                (sched >= self.p_min_mw[:, None] - 1e-9) & (sched <= self.p_max_mw[:, None] + 1e-9),
                "schedule_p_mw outside [p_min_mw, p_max_mw]",
                "schedule within the operating range (model shut-down as another unit)",
            )
            s(self, "schedule_p_mw", sched)

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> Chp:
        return cls(ids=tuple(ids), **params)

    @property
    def n_units(self) -> int:
        return len(self.ids)

    def _walk(self, n: int, dt: float) -> tuple[FloatArray, FloatArray, FloatArray]:
        assert self.p_prev_mw is not None
        prev = self.p_prev_mw.copy()
        if self.schedule_p_mw is None:
            assert self.p_set_mw is not None
            sched = np.repeat(self.p_set_mw[:, None], n, axis=1)
        else:
            sched = take_window(self.schedule_p_mw, self.t, n, fill=np.nan)
        lo = np.empty((self.n_units, n))
        hi = np.empty_like(lo)
        pb = np.empty_like(lo)
        step = self.ramp_mw_per_h * dt
        for k in range(n):
            lo[:, k] = np.maximum(self.p_min_mw, prev - step)
            hi[:, k] = np.minimum(self.p_max_mw, prev + step)
            target = np.where(np.isnan(sched[:, k]), prev, sched[:, k])
            pb[:, k] = np.clip(target, lo[:, k], hi[:, k])
            prev = pb[:, k]
        return lo, hi, pb

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Schedule followed within ramp limits (units × n), ``>= 0``."""
        return self._walk(check_n(n_intervals), check_dt(dt_h))[2]

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        lo, hi, pb = self._walk(check_n(n_intervals), check_dt(dt_h))
        return Flexibility(np.maximum(hi - pb, 0.0), np.maximum(pb - lo, 0.0), None)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """Output after one interval at baseline + activation (up = more output)."""
        dt = check_dt(dt_h)
        lo, hi, pb = self._walk(1, dt)
        flex = Flexibility(hi - pb, pb - lo, None)
        a = checked_activation(KIND, self.ids, activation_p_mw, flex)
        p = np.clip(pb[:, 0] + a, lo[:, 0], hi[:, 0])
        return dataclasses.replace(self, p_prev_mw=p, t=self.t + 1)
