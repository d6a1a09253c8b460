"""The ``compare:`` section of a study file: which named models run, and how the day is simulated.

.. code-block:: yaml

    compare:
      models: [au.sip, eu.local, eu.common]   # catalogue ids, or "all"; default: DEFAULT_MODELS
      seed: 0                                 # forecast errors and DER response
      non_delivery_probability: 0.02          # chance a DER ignores an activation (per DER)
      delivery_fraction: 1.0                  # share of the request a responding DER delivers
      delay_intervals: 0                      # response starts this many intervals late
      validation: ac                          # ac (pandapower on every feeder) or dc (skip AC)
      penalties: {voll_eur_per_mwh: 10000}    # prices of unresolved violations (all models)
      events: []                              # emergencies (docs/simulation.md)
      needs: {tso_mw: null, dso_mw: null}     # given needs instead of derived ones (optional)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

#: The default comparison when a study names no models: fourteen named models over all ten
#: canonical schemes (the slow decentralized ``common`` variant left out; run it by id or with
#: ``--all``).
DEFAULT_MODELS: tuple[str, ...] = (
    "au.sip",
    "au.hybrid",
    "eu.local",
    "eu.central",
    "eu.integrated",
    "eu.fragmented",
    "eu.distributed",
    "smartnet.cs_c",
    "gb.world_c",
    "gb.world_d",
    "ca.hybrid_b",
    "ferc2222.tso",
    "au.tstp",
    "eu.multi_level",
)


class PenaltySpec(BaseModel):
    """Prices of unresolved violations (the same for every model compared)."""

    model_config = ConfigDict(extra="forbid")
    voll_eur_per_mwh: float = Field(default=10_000.0, gt=0)
    curtailment_eur_per_mwh: float = Field(default=1_000.0, gt=0)
    overload_eur_per_mwh: float = Field(default=20_000.0, gt=0)
    voltage_eur_per_pu_h: float = Field(default=1_000_000.0, gt=0)


class NeedsSpec(BaseModel):
    """Needs given in the study instead of derived (MW per interval of the day).

    ``tso_mw``: the system imbalance the TSO must resolve (+ = short, needs up), replacing the
    mismatch derived from forecasts against the schedule at every stage; ``dso_mw``: per feeder
    id, the DSO need (+ = more injection needed in the feeder), replacing the need derived from
    the feeder model (feeders not listed: no DSO need).
    """

    model_config = ConfigDict(extra="forbid")
    tso_mw: list[float] | None = None
    dso_mw: dict[str, list[float]] | None = None


class CompareSpec(BaseModel):
    """How ``tdcoord compare`` runs a study (see module doc)."""

    model_config = ConfigDict(extra="forbid")
    models: list[str] | Literal["all"] = Field(default_factory=lambda: list(DEFAULT_MODELS))
    seed: int = 0
    non_delivery_probability: float = Field(default=0.02, ge=0, le=1)
    delivery_fraction: float = Field(default=1.0, ge=0, le=1)
    delay_intervals: int = Field(default=0, ge=0)
    validation: Literal["ac", "dc"] = "ac"
    penalties: PenaltySpec = Field(default_factory=PenaltySpec)
    events: list[dict[str, Any]] = Field(default_factory=list)
    needs: NeedsSpec = Field(default_factory=NeedsSpec)
