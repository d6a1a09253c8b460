"""Shared driver for the invariant tests: random activations inside the reported flexibility."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def drive(
    model: Any,
    fracs: np.ndarray,
    dt_h: float,
    horizon: int,
    check: Callable[[Any], None],
) -> tuple[Any, np.ndarray]:
    """Step ``fracs.shape[1]`` intervals; in each, activate ``frac * up`` (frac > 0) or
    ``frac * down`` (frac < 0) of the flexibility reported for that interval, then ``check`` the
    new state. Returns the final model and the realised power (units × steps)."""
    realised = np.empty(fracs.shape)
    for k in range(fracs.shape[1]):
        flex = model.flexibility(max(1, horizon - k), dt_h)
        up, down = flex.up_mw[:, 0], flex.down_mw[:, 0]
        assert np.all(up >= 0) and np.all(down >= 0)
        f = fracs[:, k]
        act = np.where(f >= 0, f * up, f * down)
        realised[:, k] = model.baseline_p_mw(1, dt_h)[:, 0] + act
        model = model.apply(act, dt_h)
        check(model)
    return model, realised
