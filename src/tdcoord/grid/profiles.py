"""Time series of a grid source: per-unit factors by profile name (SimBench style).

An element with ``profile = "H0-A"`` and ``p_mw = 0.004`` draws ``0.004 · p_factor[t, "H0-A"]`` MW
at time step t. Factors are stored as one read-only 2-D array (time × profile).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tdcoord.grid.tables import StrArray
from tdcoord.types import FloatArray


@dataclasses.dataclass(frozen=True, eq=False)
class Profiles:
    """Factor time series: ``time`` (ISO 8601 strings), ``names``, ``p_factor`` and ``q_factor``
    of shape (len(time), len(names))."""

    time: StrArray
    names: StrArray
    p_factor: FloatArray
    q_factor: FloatArray

    def __post_init__(self) -> None:
        for name in ("time", "names"):
            arr = np.asarray([str(v) for v in getattr(self, name)], dtype=object)
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)
        for name in ("p_factor", "q_factor"):
            arr = np.array(getattr(self, name), dtype=np.float64, copy=True)
            if arr.shape != (len(self.time), len(self.names)):
                raise ValueError(
                    f"Profiles.{name} must be (time, names) = "
                    f"{(len(self.time), len(self.names))}, got {arr.shape}"
                )
            arr.flags.writeable = False
            object.__setattr__(self, name, arr)

    def column(self, name: str) -> int:
        """Column position of a profile name."""
        hits = np.flatnonzero(self.names == name)
        if len(hits) == 0:
            raise KeyError(name)
        return int(hits[0])

    def equals(self, other: object) -> bool:
        """Exact equality."""
        return (
            isinstance(other, Profiles)
            and np.array_equal(self.time, other.time)
            and np.array_equal(self.names, other.names)
            and np.array_equal(self.p_factor, other.p_factor, equal_nan=True)
            and np.array_equal(self.q_factor, other.q_factor, equal_nan=True)
        )
