"""Probability distributions of the uncertainty draws (pydantic v2, tagged by ``distribution``).

Every uncertain quantity of a study's ``uncertainty:`` section is one of these (see
``docs/sweep.md``); each draws one number from a :class:`numpy.random.Generator`:

============  ==================================  ==============================================
distribution  parameters                          draw
============  ==================================  ==============================================
fixed         ``value``                           ``value`` (no variation; no random number used)
uniform       ``low < high``                      ``U(low, high)``
triangular    ``low <= mode <= high``, low<high   triangular (Kotz & van Dorp 2004)
normal        ``mean``, ``std >= 0``              ``N(mean, std²)``
lognormal     ``median > 0``, ``sigma >= 0``      ``median · exp(sigma · N(0, 1))``
============  ==================================  ==============================================

A draw outside the quantity's valid range (a probability above 1, a negative markup) is clipped
to it (:meth:`Distribution.draw` takes the range); ``docs/sweep.md`` lists each range.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Base(BaseModel, ABC):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @abstractmethod
    def sample(self, rng: np.random.Generator) -> float:
        """One unclipped draw from the distribution."""

    def draw(self, rng: np.random.Generator, low: float, high: float) -> float:
        """One draw, clipped to the quantity's valid range ``[low, high]``."""
        return float(min(max(self.sample(rng), low), high))


class Fixed(_Base):
    """No uncertainty: always ``value``."""

    distribution: Literal["fixed"] = "fixed"
    value: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.value)


class Uniform(_Base):
    """``U(low, high)``."""

    distribution: Literal["uniform"] = "uniform"
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high, got low={self.low}, high={self.high}")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


class Triangular(_Base):
    """Triangular on ``[low, high]`` with its peak at ``mode``."""

    distribution: Literal["triangular"] = "triangular"
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                f"triangular needs low <= mode <= high and low < high, got "
                f"({self.low}, {self.mode}, {self.high})"
            )
        return self

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(self.low, self.mode, self.high))


class Normal(_Base):
    """``N(mean, std²)``."""

    distribution: Literal["normal"] = "normal"
    mean: float
    std: float = Field(ge=0)

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.normal(self.mean, self.std))


class LogNormal(_Base):
    """``median · exp(sigma · Z)``, ``Z ~ N(0, 1)``: a positive factor around ``median``."""

    distribution: Literal["lognormal"] = "lognormal"
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.median * np.exp(self.sigma * rng.standard_normal()))


Distribution = Annotated[
    Fixed | Uniform | Triangular | Normal | LogNormal, Field(discriminator="distribution")
]
