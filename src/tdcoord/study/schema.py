"""The one schema of the study file (pydantic v2): grid, fleet, market, compare, limits.

.. code-block:: yaml

    name: default
    grid:
      transmission: pglib:case14_ieee        # any SOURCE
      feeders:
        - source: pandapower:create_cigre_network_mv
          buses: all_loads                    # or a list of transmission bus ids
          per_bus: auto                       # or a whole number of copies per bus
          rating_factor: 1.5                  # interface rating = factor · |S_bus| / copies
    fleet:                                    # docs/der.md
      phase: subsequent_phase
      season: summer
      customer_peak_kw: 50
    market:                                   # docs/market.md
      preset: eu_generic
      products: [congestion_shared]
      strategy: cost_based
      aggregate: node
    compare:                                  # docs/compare.md
      models: [au.sip, eu.local, eu.common]   # catalogue ids, or "all"
      seed: 0
    settlement:                               # docs/settlement.md (optional)
      pricing: dlmp                           # or pay_as_bid | pay_as_clear
      baseline: metered_schedule              # default: the preset's baseline method
      stacking_priority: [dso, platform, tso] # value stacking order of buyer kinds
    limits: {max_intervals: 2976}             # safety bounds (tdcoord.limits)

Every number is finite (``allow_inf_nan=False`` on every model) and within the range its
``Field`` states; rules that need two fields or another file (catalogue ids, SimBench builder on
a SimBench grid, delay shorter than the day, sizes within :mod:`tdcoord.limits`) are in
:mod:`tdcoord.study.checks`. The rules and bounds are listed in ``docs/study.md``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from tdcoord.grid.model import GridModel

DEFAULT_STUDY = Path(__file__).resolve().parents[3] / "scenarios" / "default.yaml"

#: Largest seed (numpy's ``SeedSequence`` takes any int >= 0; 2**32 - 1 keeps seeds portable).
MAX_SEED = 2**32 - 1

#: Every section: unknown keys are errors, NaN and ±inf are errors.
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)


class FeederAttachment(BaseModel):
    """Feeders attached below transmission load buses."""

    model_config = STRICT
    source: str = Field(min_length=1)
    buses: Literal["all_loads"] | list[int] = "all_loads"
    per_bus: Literal["auto"] | int = Field(default="auto")
    rating_factor: float = Field(default=1.5, gt=0, le=100)
    """Interface rating = rating_factor · |S_bus| / copies (dimensionless)."""

    @model_validator(mode="after")
    def _copies(self) -> FeederAttachment:
        if isinstance(self.per_bus, int) and self.per_bus < 1:
            raise ValueError(f"per_bus = {self.per_bus}: give 'auto' or a whole number >= 1")
        if isinstance(self.buses, list) and not self.buses:
            raise ValueError("buses is an empty list: give bus ids or 'all_loads'")
        return self


class GridSpec(BaseModel):
    """The grid of a study: a transmission SOURCE and feeder attachments, or one SOURCE."""

    model_config = STRICT
    transmission: str | None = Field(default=None, min_length=1)
    source: str | None = Field(default=None, min_length=1)
    feeders: list[FeederAttachment] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_source(self) -> GridSpec:
        if (self.transmission is None) == (self.source is None):
            raise ValueError("grid needs exactly one of 'transmission' or 'source'")
        return self

    def sources(self) -> list[str]:
        """Every SOURCE string of the section, transmission first."""
        return [s for s in (self.transmission, self.source) if s] + [a.source for a in self.feeders]

    def build(self) -> GridModel:
        """Load the sources and attach the feeders (:func:`tdcoord.study.build.build_grid`)."""
        from tdcoord.study.build import build_grid

        return build_grid(self)


#: Customer DER types of the penetration fleet builder.
CUSTOMER_TYPES: tuple[str, ...] = ("pv", "battery", "ev", "heat_pump", "flexible_load")

#: Share presets (fraction of customers owning each DER type), see docs/der.md.
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
    """The ``fleet:`` section: how to build the fleet of a study (docs/der.md)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)

    builder: Literal["penetration", "simbench"] = "penetration"
    phase: Literal["initial_phase", "subsequent_phase"] = "initial_phase"
    shares: dict[str, float] = Field(default_factory=dict)
    customer_peak_kw: float = Field(default=2.0, gt=0, le=100_000)
    households_per_customer: float = Field(default=1.0, gt=0, le=10_000)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    n_aggregators: int = Field(default=3, ge=0)
    season: Literal["winter", "summer"] = "winter"
    date: dt.date | None = None
    """A calendar day: its SimBench profiles (load shapes, PV) replace the season's standard
    shapes (:mod:`tdcoord.der.fleet_profiles`); only month and day matter (SimBench's 2016)."""
    latitude_deg: float = Field(default=50.0, ge=-90, le=90)
    feeders: Literal["all"] | list[int] = "all"
    n_intervals: int = Field(default=96, ge=1)
    dt_h: float = Field(default=0.25, gt=0, le=24)
    flexible_share_of_load: float = Field(default=0.1, ge=0, le=1)
    simbench_start_interval: int = Field(default=0, ge=0, le=10_000_000)

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


#: Default products of a study's offers: one pool of locational flexibility that the TSO and the
#: DSOs may both buy (``congestion_shared``: buyers TSO, DSO; the buyers rule lets no clearing
#: buy a product its buyers may not), one product so no DER flexibility is offered twice.
DEFAULT_PRODUCTS: tuple[str, ...] = ("congestion_shared",)


class MarketSpec(BaseModel):
    """The ``market:`` section: jurisdiction preset, products, bidding strategy, aggregation
    (see docs/market.md). Names are checked against the registries."""

    model_config = STRICT
    preset: str = "eu_generic"
    products: list[str] = Field(default_factory=lambda: list(DEFAULT_PRODUCTS), min_length=1)
    strategy: str = "cost_based"
    strategy_params: dict[str, float | list[float]] = Field(default_factory=dict)
    aggregate: Literal["node", "none"] = "node"
    availability_price_eur_per_mw_h: dict[str, float] = Field(default_factory=dict)
    """Availability price per capacity product (``availability: true``, e.g. ``capacity_nwa``):
    what the buyer pays per MW reserved and hour on top of the utilisation (activation)
    payment. A study assumption (DSO flexibility tenders publish both prices)."""

    @model_validator(mode="after")
    def _known_names(self) -> MarketSpec:
        from tdcoord.study.market_names import check_market_names

        check_market_names(self)
        return self


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

    model_config = STRICT
    voll_eur_per_mwh: float = Field(default=10_000.0, gt=0, le=1e6)
    curtailment_eur_per_mwh: float = Field(default=1_000.0, gt=0, le=1e6)
    overload_eur_per_mwh: float = Field(default=20_000.0, gt=0, le=1e6)
    voltage_eur_per_pu_h: float = Field(default=1_000_000.0, gt=0, le=1e9)


class OperationCostSpec(BaseModel):
    """Each actor's cost of running a coordination model (docs/compare.md, "Operation cost").

    ``platform_eur_per_day``: running a dedicated flexibility platform (an actor ``platform``
    in the message log); ``market_operation_eur_per_day``: operating one market, per actor that
    receives offers; ``data_exchange_eur_per_message``: per message exchanged. No published
    source gives these for the catalogue's models, so every default is 0 (never an invented
    number); a study sets its own.
    """

    model_config = STRICT
    platform_eur_per_day: float = Field(default=0.0, ge=0, le=1e9)
    market_operation_eur_per_day: float = Field(default=0.0, ge=0, le=1e9)
    data_exchange_eur_per_message: float = Field(default=0.0, ge=0, le=1e6)


#: Largest |need| in MW accepted per interval (100 GW: above any one system's peak load).
MAX_NEED_MW = 100_000.0


class NeedsSpec(BaseModel):
    """Needs given in the study instead of derived (MW per interval of the day).

    ``tso_mw``: the system imbalance the TSO must resolve (+ = short, needs up), replacing the
    mismatch derived from forecasts against the schedule at every stage; ``dso_mw``: per feeder
    id, the DSO need (+ = more injection needed in the feeder), replacing the need derived from
    the feeder model (feeders not listed: no DSO need); ``brp_mw``: the net flexibility need of
    the commercial parties (BRPs; + = short, needs up), bought only where the model lets
    commercial parties procure (scheme ``integrated``: docs/models.md; none when not given).
    Each value finite, |value| <= :data:`MAX_NEED_MW`; one value per interval of the day.
    """

    model_config = STRICT
    tso_mw: list[float] | None = None
    dso_mw: dict[str, list[float]] | None = None
    brp_mw: list[float] | None = None

    @model_validator(mode="after")
    def _magnitudes(self) -> NeedsSpec:
        series = {"tso_mw": self.tso_mw or [], "brp_mw": self.brp_mw or []}
        series.update({f"dso_mw.{k}": v for k, v in (self.dso_mw or {}).items()})
        for name, values in series.items():
            big = [v for v in values if abs(v) > MAX_NEED_MW]
            if big:
                raise ValueError(
                    f"{name} holds {big[0]:g} MW, above {MAX_NEED_MW:g} MW: give MW, not W or kW"
                )
        return self


class MarginSpec(BaseModel):
    """Security margins of the clearings' linearised feeder model
    (:mod:`tdcoord.coordination.margins`): ratings used at ``1 - rating_frac``, voltage limits
    tightened by ``voltage_pu``. Set them above the LinDistFlow error of the study's feeders, or
    set ``calibrate: true`` to add, per node, the error an AC power flow of the day-ahead forecast
    measures (:mod:`tdcoord.coordination.margin_calibration`); ``voltage_pu`` then only covers
    the error's change with the dispatch."""

    model_config = STRICT
    rating_frac: float = Field(default=0.03, ge=0, lt=0.5)
    voltage_pu: float = Field(default=0.005, ge=0, le=0.1)
    calibrate: bool = False


class CompareSpec(BaseModel):
    """How ``tdcoord compare`` runs a study.

    ``models``: catalogue ids or ``"all"``; ``seed``: forecast errors and DER response;
    ``non_delivery_probability``: chance a DER ignores an activation; ``delivery_fraction``:
    share of the request a responding DER delivers; ``delay_intervals``: response starts this
    many intervals late (fewer than the day's intervals); ``forecast_error_scale``: every
    forecast error σ (load, PV, wind; every stage) × this factor (1: the defaults of
    :data:`tdcoord.simulation.forecast.DEFAULT_SIGMA`; 0: perfect forecasts); ``validation``:
    ``ac`` (pandapower on every feeder) or ``dc``; ``penalties``; ``events``
    (docs/simulation.md); ``needs``; ``operation_costs`` (each actor's cost of running the
    model, defaults 0); ``security_margins`` (the clearings' margins on the linearised feeder
    model, :class:`MarginSpec`).
    """

    model_config = STRICT
    models: list[str] | Literal["all"] = Field(
        default_factory=lambda: list(DEFAULT_MODELS), min_length=1
    )
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    non_delivery_probability: float = Field(default=0.02, ge=0, le=1)
    delivery_fraction: float = Field(default=1.0, ge=0, le=1)
    delay_intervals: int = Field(default=0, ge=0)
    forecast_error_scale: float = Field(default=1.0, ge=0, le=10)
    validation: Literal["ac", "dc"] = "ac"
    penalties: PenaltySpec = Field(default_factory=PenaltySpec)
    events: list[dict[str, Any]] = Field(default_factory=list)
    needs: NeedsSpec = Field(default_factory=NeedsSpec)
    operation_costs: OperationCostSpec = Field(default_factory=OperationCostSpec)
    monitor_loading: float | None = Field(default=None, ge=0, le=10)
    """Critical branches: the clearing constrains only transmission branches whose baseline flow
    reaches this share of their rating in some interval (None: every rated branch; validation
    always checks every branch). For grids of thousands of branches (scenarios/large.yaml)."""
    time_coupling: bool = True
    """Whether the stages (and the event re-clears) clear as one multi-period problem with the
    DERs' energy rows (docs/coordination.md). ``false`` clears every interval alone: for a
    national-scale day whose coupled LP does not fit in memory; the deliverability KPIs then
    count what the uncoupled dispatch asks beyond the DER state."""
    horizon_intervals: int | None = Field(default=None, ge=1)
    """Rolling horizon: every market stage clears in consecutive windows of this many
    intervals, in order, each after what the earlier windows committed and (with
    ``time_coupling``) with the DERs' energy rows from that state (:mod:`tdcoord.pipeline.rolling`).
    Requests stay deliverable; look-ahead beyond the window is lost. None (default): the whole
    day as one problem. For a national-scale day whose day-long LP does not fit in memory
    (scenarios/large.yaml)."""
    monitor_feeder_loading: float | None = Field(default=None, gt=0, le=1)
    """Critical feeder elements: the clearings' LinDistFlow rows cover only the feeder branches
    whose baseline flow reaches this share of their rating, and the nodes whose baseline voltage
    drop (or rise) from the root reaches this share of the allowed one, in some interval (None:
    every rated branch and every node; validation always checks all). For studies of a thousand
    feeders, where the full rows exceed the solver's memory (scenarios/large.yaml)."""
    security_margins: MarginSpec = Field(default_factory=MarginSpec)


class SettlementSpec(BaseModel):
    """How every model's day is settled (``docs/settlement.md``); each key overrides the
    preset's default.

    ``pricing``: ``pay_as_bid`` or ``pay_as_clear`` for every product (default: the preset's rule
    per product), or ``dlmp`` — distribution flexibility at the DLMP of its node in the stage
    that bought it (seed 000 §1.4), the rest under the preset's rule; ``baseline``: a
    registered baseline method (default: the preset's ``settlement.baseline``, else
    ``metered_schedule``); ``stacking_priority``: the buyer kinds in the order value stacking
    honours them, e.g. ``[tso, dso, platform]`` (default: the preset's, else
    ``[dso, platform, tso]``). Names are checked by :mod:`tdcoord.study.checks`.
    """

    model_config = STRICT
    pricing: Literal["pay_as_bid", "pay_as_clear", "dlmp"] | None = None
    baseline: str | None = Field(default=None, min_length=1)
    stacking_priority: list[str] | None = Field(default=None, min_length=1)


class Study(BaseModel):
    """A study file: name, grid, fleet, market, compare, (optional) settlement and limits."""

    model_config = STRICT
    name: str = Field(min_length=1)
    grid: GridSpec
    fleet: FleetSpec = FleetSpec()
    market: MarketSpec = MarketSpec()
    compare: CompareSpec = Field(default_factory=CompareSpec)
    settlement: SettlementSpec = Field(
        default_factory=SettlementSpec, exclude_if=lambda v: v == SettlementSpec()
    )
    limits: dict[str, int] = Field(default_factory=dict, exclude_if=lambda v: not v)
    """Overrides of the safety bounds of :mod:`tdcoord.limits` (``max_intervals``, …)."""

    @model_validator(mode="after")
    def _known_limits(self) -> Study:
        from tdcoord.limits import DEFAULT_LIMITS

        for key, value in self.limits.items():
            if key not in DEFAULT_LIMITS:
                raise ValueError(
                    f"unknown limit {key!r}: use one of {', '.join(sorted(DEFAULT_LIMITS))}"
                )
            if value < 1:
                raise ValueError(f"limit {key} = {value}: give a whole number >= 1")
        return self
