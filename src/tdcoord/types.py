"""Array type aliases shared by every package (one definition, imported everywhere).

``FloatArray`` holds float64 values (MW, MWh, prices, …), ``IntArray`` int64 positions or ids,
``BoolArray`` masks. They are aliases of :class:`numpy.typing.NDArray`, for annotations only.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["BoolArray", "FloatArray", "IntArray"]
