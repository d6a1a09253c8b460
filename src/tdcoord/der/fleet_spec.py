"""The ``fleet:`` section of a study file (pydantic), and :func:`build_fleet`.

.. code-block:: yaml

    fleet:
      builder: penetration          # or simbench (needs a SimBench grid with profiles)
      phase: initial_phase          # named share preset (seed 000 §1, "a phased approach")
      shares: {pv: 0.3}             # optional overrides of the preset's shares
      customer_peak_kw: 2.0         # customers per node = round(node peak load / this)
      households_per_customer: 1.0  # a customer stands for this many households (DER sizes × it)
      seed: 0
      n_aggregators: 3
      season: winter                # load shape, PV day, outdoor temperature
      feeders: all                  # or a list of feeder indices
      n_intervals: 96
      dt_h: 0.25

Share presets (fraction of customers owning each DER type). Seed 000 (§1, "A phased approach
framework for distributed resource penetration") describes an **initial phase** with low DER
penetration and flows mainly from transmission to end users, and a **subsequent phase** with high
penetration and bidirectional flows. It gives no numbers; the shares below are illustrative
values chosen to produce those two regimes on the bundled grids (the subsequent phase reverses
midday flows on summer days):

=================  =====  =======  ====  ==========  =============
phase              pv     battery  ev    heat_pump   flexible_load
=================  =====  =======  ====  ==========  =============
initial_phase      0.10   0.02     0.05  0.05        0.10
subsequent_phase   0.45   0.20     0.35  0.30        0.40
=================  =====  =======  ====  ==========  =============
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from tdcoord.der.fleet import Fleet
    from tdcoord.grid.model import GridModel

CUSTOMER_TYPES: tuple[str, ...] = ("pv", "battery", "ev", "heat_pump", "flexible_load")

PHASES: dict[str, dict[str, float]] = {
    "initial_phase": {
        "pv": 0.10,
        "battery": 0.02,
        "ev": 0.05,
        "heat_pump": 0.05,
        "flexible_load": 0.10,
    },
    "subsequent_phase": {
        "pv": 0.45,
        "battery": 0.20,
        "ev": 0.35,
        "heat_pump": 0.30,
        "flexible_load": 0.40,
    },
}


class FleetSpec(BaseModel):
    """How to build the fleet of a study (see module doc)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    builder: Literal["penetration", "simbench"] = "penetration"
    phase: Literal["initial_phase", "subsequent_phase"] = "initial_phase"
    shares: dict[str, float] = Field(default_factory=dict)
    customer_peak_kw: float = Field(default=2.0, gt=0)
    households_per_customer: float = Field(default=1.0, gt=0)
    seed: int = 0
    n_aggregators: int = Field(default=3, ge=0)
    season: Literal["winter", "summer"] = "winter"
    latitude_deg: float = Field(default=50.0, ge=-90, le=90)
    feeders: Literal["all"] | list[int] = "all"
    n_intervals: int = Field(default=96, ge=1)
    dt_h: float = Field(default=0.25, gt=0)
    flexible_share_of_load: float = Field(default=0.1, ge=0, le=1)
    simbench_start_interval: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _check_shares(self) -> FleetSpec:
        unknown = sorted(set(self.shares) - set(CUSTOMER_TYPES))
        if unknown:
            raise ValueError(
                f"unknown DER type {unknown[0]!r} in shares (use {', '.join(CUSTOMER_TYPES)})"
            )
        bad = {k: v for k, v in self.shares.items() if not 0.0 <= v <= 1.0}
        if bad:
            k = sorted(bad)[0]
            raise ValueError(f"share of {k} is {bad[k]}; give a fraction in [0, 1] (0.3, not 30)")
        return self

    def effective_shares(self) -> dict[str, float]:
        """The phase preset's shares with the explicit overrides applied."""
        return {**PHASES[self.phase], **self.shares}


def build_fleet(grid: GridModel, spec: FleetSpec | None = None) -> Fleet:
    """Build the fleet of ``spec`` (default spec when ``None``) on ``grid``."""
    from tdcoord.der.fleet_penetration import penetration_fleet
    from tdcoord.der.fleet_simbench import simbench_fleet

    spec = spec if spec is not None else FleetSpec()
    if spec.builder == "simbench":
        return simbench_fleet(grid, spec)
    return penetration_fleet(grid, spec)
