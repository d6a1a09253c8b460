"""The ``uncertainty:`` section of a study file, and the draws of one sample.

.. code-block:: yaml

    uncertainty:
      samples: 100                                   # default sample count (--samples overrides)
      forecast_error_scale: {distribution: lognormal, median: 1.0, sigma: 0.3}
      non_delivery_probability: {distribution: uniform, low: 0.0, high: 0.1}
      der_penetration_scale: {distribution: triangular, low: 0.8, mode: 1.0, high: 1.3}
      offer_markup: {distribution: uniform, low: 0.0, high: 0.3}
      penalty_scale: {distribution: fixed, value: 1.0}
      events: {occurrence_probability: 0.5, shift_intervals: 2}

Each quantity left out keeps the study's value (no variation). What each draw changes, and its
valid range (draws outside it are clipped, :mod:`tdcoord.sweep.distributions`):

=========================  ============  ========================================================
quantity                   range         applied to
=========================  ============  ========================================================
forecast_error_scale       [0, 10]       every forecast σ (load, PV, wind; all stages) × the draw
non_delivery_probability   [0, 1]        ``compare.non_delivery_probability``
der_penetration_scale      [0, 10]       ``fleet.shares``: each DER type's share × draw (≤ 1)
offer_markup               [0, 10]       price level of the offers: ``market.strategy: markup``
                                         with ``markup`` = draw (cost-based prices × (1 + draw))
penalty_scale              [0.01, 100]   price level of unresolved violations: every
                                         ``compare.penalties`` price × the draw
events                     —             each study event happens with ``occurrence_probability``
                                         and moves by ``U{−shift, …, +shift}`` intervals
=========================  ============  ========================================================

**Seeds.** Every quantity ``q`` of sample ``k`` draws from its own generator
``default_rng(SeedSequence([study_seed, k, crc32(q)]))`` with ``study_seed`` the study's
``compare.seed``: the draws of a sample do not depend on the model (common random numbers: the
models of a sample see the same future, so their differences are paired), nor on which other
quantities vary. The simulation seed of (sample ``k``, day ``d``) — forecast errors and DER
non-delivery — is ``SeedSequence([study_seed, k, d.toordinal()]).generate_state(1)[0]``.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from tdcoord.sweep.distributions import Distribution

#: Bounds on the sample count of a sweep (the study's ``samples`` and ``--samples``).
MAX_SAMPLES = 100_000

#: Valid range of each scalar quantity (draws are clipped to it).
RANGES: dict[str, tuple[float, float]] = {
    "forecast_error_scale": (0.0, 10.0),
    "non_delivery_probability": (0.0, 1.0),
    "der_penetration_scale": (0.0, 10.0),
    "offer_markup": (0.0, 10.0),
    "penalty_scale": (0.01, 100.0),
}


class EventDraws(BaseModel):
    """How the study's events vary: occurrence (Bernoulli) and timing (uniform integer shift)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    occurrence_probability: float = Field(default=1.0, ge=0, le=1)
    shift_intervals: int = Field(default=0, ge=0, le=96)


class UncertaintySpec(BaseModel):
    """What varies between the samples of a sweep and how (see module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    samples: int = Field(default=10, ge=1, le=MAX_SAMPLES)
    forecast_error_scale: Distribution | None = None
    non_delivery_probability: Distribution | None = None
    der_penetration_scale: Distribution | None = None
    offer_markup: Distribution | None = None
    penalty_scale: Distribution | None = None
    events: EventDraws | None = None

    def varied(self) -> tuple[str, ...]:
        """Names of the scalar quantities that vary, in a fixed order."""
        return tuple(q for q in RANGES if getattr(self, q) is not None)


def quantity_rng(study_seed: int, sample: int, quantity: str) -> np.random.Generator:
    """The generator of one quantity of one sample (see module doc)."""
    key = [int(study_seed) & 0xFFFFFFFF, int(sample), zlib.crc32(quantity.encode("utf-8"))]
    return np.random.default_rng(np.random.SeedSequence(key))


def simulation_seed(study_seed: int, sample: int, day_ordinal: int) -> int:
    """The ``compare.seed`` of (sample, day): forecast errors and DER response (module doc)."""
    seq = np.random.SeedSequence([int(study_seed) & 0xFFFFFFFF, int(sample), int(day_ordinal)])
    return int(seq.generate_state(1, dtype=np.uint32)[0])


def draw_events(
    spec: EventDraws, events: list[dict[str, Any]], rng: np.random.Generator, n_intervals: int
) -> list[dict[str, Any]]:
    """The study's events as they happen in one sample: some dropped, some moved in time.

    Each event draws ``u ~ U(0, 1)`` (happens if ``u < occurrence_probability``) and a shift
    ``s ~ U{−shift, …, +shift}``, in the order of the study's list; the shifted start is kept
    inside the day (``0 <= interval <= n_intervals − duration``).
    """
    out: list[dict[str, Any]] = []
    for ev in events:
        happens = rng.random() < spec.occurrence_probability
        shift = int(rng.integers(-spec.shift_intervals, spec.shift_intervals + 1))
        if not happens:
            continue
        moved = dict(ev)
        if "interval" in moved:
            last = max(n_intervals - int(moved.get("duration", 1)), 0)
            moved["interval"] = int(min(max(int(moved["interval"]) + shift, 0), last))
        out.append(moved)
    return out


def draw_sample(
    spec: UncertaintySpec,
    study_seed: int,
    sample: int,
    events: list[dict[str, Any]],
    n_intervals: int,
) -> dict[str, Any]:
    """The draws of sample ``sample``: each varied quantity's value, and the events if they vary.

    Keys: the quantity names of :data:`RANGES` that vary, plus ``events`` (the drawn event list)
    when ``uncertainty.events`` is given. The same (study seed, sample) give the same draws.
    """
    draws: dict[str, Any] = {}
    for q in spec.varied():
        dist = getattr(spec, q)
        low, high = RANGES[q]
        draws[q] = dist.draw(quantity_rng(study_seed, sample, q), low, high)
    if spec.events is not None:
        rng = quantity_rng(study_seed, sample, "events")
        draws["events"] = draw_events(spec.events, events, rng, n_intervals)
    return draws
