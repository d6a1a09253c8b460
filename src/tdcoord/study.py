"""Study files (YAML, validated by pydantic): what grid, fleet, day and models a study runs.

Today the grid section is read; the other sections are added by the study pipeline.

.. code-block:: yaml

    name: default
    grid:
      transmission: pglib:case14_ieee        # any SOURCE
      feeders:
        - source: pandapower:create_cigre_network_mv
          buses: all_loads                    # or a list of transmission bus ids
          per_bus: auto                       # or a whole number of copies per bus
          rating_factor: 1.5                  # interface rating = factor · |S_bus| / copies
    fleet:                                    # FleetSpec (docs/der.md)
      phase: subsequent_phase
      season: summer
      customer_peak_kw: 50
    market:                                   # MarketSpec (docs/market.md)
      preset: eu_generic
      products: [congestion_dso]
      strategy: cost_based
      aggregate: node
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tdcoord.comparison.spec import CompareSpec
from tdcoord.der.fleet_spec import FleetSpec
from tdcoord.errors import StudyError
from tdcoord.grid.model import GridModel

DEFAULT_STUDY = Path(__file__).resolve().parents[2] / "scenarios" / "default.yaml"


class FeederAttachment(BaseModel):
    """Feeders attached below transmission load buses."""

    model_config = ConfigDict(extra="forbid")
    source: str
    buses: Literal["all_loads"] | list[int] = "all_loads"
    per_bus: Literal["auto"] | int = Field(default="auto")
    rating_factor: float = Field(default=1.5, gt=0)


class GridSpec(BaseModel):
    """The grid of a study: a transmission SOURCE and feeder attachments, or one SOURCE."""

    model_config = ConfigDict(extra="forbid")
    transmission: str | None = None
    source: str | None = None
    feeders: list[FeederAttachment] = Field(default_factory=list)

    def build(self) -> GridModel:
        """Load the sources and attach the feeders."""
        from tdcoord.grid.coupling import attach_feeders
        from tdcoord.grid.io.source import load_grid

        if (self.transmission is None) == (self.source is None):
            raise StudyError("grid needs exactly one of 'transmission' or 'source'", where="grid")
        model = load_grid(self.source or self.transmission or "")
        for k, att in enumerate(self.feeders):
            feeder_model = load_grid(att.source)
            if not feeder_model.feeders:
                raise StudyError(
                    f"{att.source} holds no radial feeder",
                    where=f"grid.feeders[{k}]",
                    fix="use a radial distribution source such as pandapower:case33bw",
                )
            model = attach_feeders(
                model,
                list(feeder_model.feeders),
                None if att.buses == "all_loads" else att.buses,
                feeders_per_bus=att.per_bus,
                rating_factor=att.rating_factor,
                name=model.name,
            )
        return model


#: Default products of a study's offers: one pool of locational flexibility that the schemes
#: clear for TSO and DSO needs alike (one product, so no DER flexibility is offered twice).
DEFAULT_PRODUCTS: tuple[str, ...] = ("congestion_dso",)


class MarketSpec(BaseModel):
    """The ``market:`` section: jurisdiction preset, products, bidding strategy, aggregation
    (see docs/market.md)."""

    model_config = ConfigDict(extra="forbid")
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
        from tdcoord.market.errors import MarketError
        from tdcoord.market.products import available_products
        from tdcoord.market.rules import available_presets, load_preset
        from tdcoord.market.strategies import available_strategies, get_strategy

        is_path = self.preset.endswith((".yaml", ".yml"))
        if not is_path and self.preset not in available_presets():
            raise ValueError(
                f"unknown preset {self.preset!r}: use one of {', '.join(available_presets())} "
                "or a path to a preset YAML file"
            )
        unknown = [p for p in self.products if p not in available_products()]
        if unknown:
            raise ValueError(
                f"unknown product {unknown[0]!r}: use one of {', '.join(available_products())}"
            )
        if len(set(self.products)) != len(self.products):
            raise ValueError("a product is listed twice under market.products: list it once")
        for pid, price in self.availability_price_eur_per_mw_h.items():
            if pid not in self.products:
                raise ValueError(
                    f"availability price for {pid!r}, which is not in market.products: "
                    "add the product or remove its price"
                )
            from tdcoord.market.products import get_product

            if not get_product(pid).availability:
                raise ValueError(
                    f"product {pid!r} is not a capacity product (availability: false): "
                    "availability prices apply to products such as capacity_nwa"
                )
            if not (price >= 0 and price < float("inf")):
                raise ValueError(
                    f"availability price {price!r} for {pid!r}: give a finite price >= 0 "
                    "per MW and hour"
                )
        if self.strategy not in available_strategies():
            raise ValueError(
                f"unknown bidding strategy {self.strategy!r}: use one of "
                f"{', '.join(available_strategies())}"
            )
        try:
            get_strategy(self.strategy, **self.strategy_params)
            if not is_path:
                pre = load_preset(self.preset)
                off = [p for p in self.products if not pre.product_available(p)]
                if off:
                    raise ValueError(
                        f"product {off[0]!r} is not available under preset {self.preset!r}: "
                        "remove it from market.products"
                    )
        except MarketError as err:
            raise ValueError(str(err)) from err
        return self


class Study(BaseModel):
    """A study file."""

    model_config = ConfigDict(extra="forbid")
    name: str
    grid: GridSpec
    fleet: FleetSpec = FleetSpec()
    market: MarketSpec = MarketSpec()
    compare: CompareSpec = Field(default_factory=CompareSpec)


def load_study(path: str | Path | None = None) -> Study:
    """Read and validate a study file (the bundled default when ``path`` is None)."""
    path = Path(path) if path is not None else DEFAULT_STUDY
    if not path.exists():
        raise StudyError(f"no such study file: {path}", fix="check the path")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise StudyError(f"{path} is not valid YAML: {exc}", fix="fix the YAML syntax") from exc
    try:
        return Study.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise StudyError(
            f"{path.name}: {first['msg']}", where=where, fix="see docs/study.md for the format"
        ) from exc
