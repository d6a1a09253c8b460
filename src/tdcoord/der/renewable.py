"""Inverter-coupled variable generation (shared by :mod:`~tdcoord.der.pv` and
:mod:`~tdcoord.der.wind`).

A unit produces its available power ``p_avail`` (MW, from a weather profile) unless curtailed.
Baseline = available power (maximum power point, no curtailment). Hence

    up_t   = 0                              (cannot produce more than the resource allows)
    down_t = p_avail,t                      (curtailment to zero, down-flexibility)
    q_t    = sqrt(S² − p_avail,t²)          (reactive capability of the inverter rated S MVA)

The reactive range follows the apparent-power limit of the inverter; grid codes (IEEE 1547-2018
§5.2, EU RfG 2016/631 Art. 21) define the minimum range, the rating bounds it. Seed 000 §1.3 lists
voltage control through reactive power among the network-related services DERs can provide.
State: ``t``, the index of the next interval (curtailment does not carry over).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

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

#: Available power may exceed the inverter rating by this fraction before it is an input error
#: (DC/AC ratios above 1 are common for PV; the excess is clipped by the inverter).
_CLIP_TOL = 1e-9

#: Available power above this multiple of the rating is treated as a unit mistake.
MAX_FACTOR = 2.0


@dataclass(frozen=True, eq=False)
class InverterGenerator:
    """``n`` curtailable inverter-based generators. Sign: ``p_mw >= 0`` (injection only).

    ``s_inverter_mva`` per unit; ``available_p_mw`` is ``units × intervals`` (a 1-D profile is
    shared). Available power above the inverter rating is clipped to it (oversized DC side);
    negative available power is an error. Past the end of the profile the unit is unavailable.
    """

    KIND: ClassVar[str] = "InverterGenerator"

    ids: tuple[str, ...]
    s_inverter_mva: FloatArray
    available_p_mw: FloatArray
    t: int = 0

    def __post_init__(self) -> None:
        kind = self.KIND
        ids = as_ids(kind, self.ids)
        s = object.__setattr__
        s(self, "ids", ids)
        rating = per_unit(kind, "s_inverter_mva", self.s_inverter_mva, ids)
        require_nonnegative(kind, ids, "s_inverter_mva", rating)
        require_plausible_mw(kind, ids, "s_inverter_mva", rating)
        avail = profile(kind, "available_p_mw", self.available_p_mw, ids)
        require(
            kind,
            ids,
            avail >= 0,
            "available_p_mw is negative",
            "available power is >= 0 (generation); model consumption with another type",
        )
        require(
            kind,
            ids,
            avail <= MAX_FACTOR * rating[:, None] + _CLIP_TOL,
            f"available_p_mw exceeds {MAX_FACTOR:g}× the inverter rating",
            "check units (MW, not kW) or the per-unit scaling of the profile",
        )
        s(self, "s_inverter_mva", rating)
        s(self, "available_p_mw", np.minimum(avail, rating[:, None]))

    @classmethod
    def create(cls, ids: Sequence[str], **params: Any) -> Self:
        return cls(ids=tuple(ids), **params)

    @property
    def n_units(self) -> int:
        return len(self.ids)

    def baseline_p_mw(self, n_intervals: int, dt_h: float) -> FloatArray:
        """Available power from interval ``t`` on (units × n)."""
        check_dt(dt_h)
        return take_window(self.available_p_mw, self.t, check_n(n_intervals))

    def flexibility(self, n_intervals: int, dt_h: float) -> Flexibility:
        p = self.baseline_p_mw(n_intervals, dt_h)
        q = np.sqrt(np.maximum(self.s_inverter_mva[:, None] ** 2 - p**2, 0.0))
        return Flexibility(np.zeros_like(p), p.copy(), q)

    def apply(self, activation_p_mw: npt.ArrayLike, dt_h: float) -> Self:
        """Advance one interval; the activation (curtailment, ``<= 0``) is only checked."""
        checked_activation(self.KIND, self.ids, activation_p_mw, self.flexibility(1, dt_h))
        return dataclasses.replace(self, t=self.t + 1)
