from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from tdcoord.sweep.distributions import Distribution

ADAPTER: TypeAdapter[object] = TypeAdapter(Distribution)


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.mark.parametrize(
    "spec",
    [
        {"distribution": "fixed", "value": 0.3},
        {"distribution": "uniform", "low": 0.1, "high": 0.2},
        {"distribution": "triangular", "low": 0.0, "mode": 0.1, "high": 0.5},
        {"distribution": "normal", "mean": 1.0, "std": 0.1},
        {"distribution": "lognormal", "median": 1.0, "sigma": 0.3},
    ],
)
def test_each_distribution_draws_within_the_range(spec: dict[str, object]) -> None:
    dist = ADAPTER.validate_python(spec)
    values = [dist.draw(rng(), 0.0, 1.0) for _ in range(3)]  # type: ignore[attr-defined]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values[0] == values[1]  # same generator state, same draw


def test_draws_are_clipped_to_the_range() -> None:
    dist = ADAPTER.validate_python({"distribution": "fixed", "value": 1.7})
    assert dist.draw(rng(), 0.0, 1.0) == 1.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "spec",
    [
        {"distribution": "uniform", "low": 0.3, "high": 0.2},
        {"distribution": "triangular", "low": 0.0, "mode": 0.9, "high": 0.5},
        {"distribution": "normal", "mean": 1.0, "std": -0.1},
        {"distribution": "lognormal", "median": 0.0, "sigma": 0.3},
        {"distribution": "beta", "a": 1.0},
    ],
)
def test_bad_distributions_are_rejected(spec: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ADAPTER.validate_python(spec)
