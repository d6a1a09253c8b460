"""Jurisdiction presets: market rules as data (YAML), every value with its source.

A preset describes, for one jurisdiction, the rules that decide whether and how a DER or an
aggregation can take part: market time units, gate closure, pricing rule, price cap and floor,
minimum sizes (alone and in aggregation), whether demand response may export, and how DERs are
priced. The bundled presets live in ``presets/*.yaml``; list them with :func:`available_presets`
and load one with :func:`load_preset` (a bundled name or a path to your own file).

File format (see ``docs/market.md``): every leaf is ``{value: ..., source: "..."}`` (an optional
``note:`` may add context). A section may carry one ``source:`` that its leaves inherit; leaves
in such a section may then be bare values. Unknown keys, leaves without a source and wrong units
(``"100 kVA"`` for a size) are rejected with :class:`~tdcoord.market.errors.PresetError`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tdcoord.market.errors import PresetError
from tdcoord.market.products import available_products, get_product
from tdcoord.market.units import DurationMin, PowerMW

T = TypeVar("T")

Pricing = Literal["pay_as_clear", "pay_as_bid"]
PriceBasis = Literal["nodal", "zonal", "load_zone", "uniform", "bilateral"]

_PRESET_PACKAGE = "tdcoord.market"
_PRESET_DIR = "presets"


class Sourced(BaseModel, Generic[T]):
    """A value with the source it comes from (regulation article, rule book, seed section)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: T
    source: str = Field(min_length=5)
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _must_be_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(
                "expected {value: ..., source: '...'}; every preset value needs a source "
                "(or put one 'source:' on the section)"
            )
        return data


def _inherit_source(data: Any) -> Any:
    """Section-level ``source`` → each leaf without one (bare leaves get wrapped)."""
    if not isinstance(data, dict) or "source" not in data:
        return data
    src = data["source"]
    out: dict[str, Any] = {"source": src}
    for key, val in data.items():
        if key == "source":
            continue
        if isinstance(val, dict) and "value" in val:
            out[key] = {"source": src, **val}
        elif isinstance(val, dict) or val is None:
            out[key] = val
        else:
            out[key] = {"value": val, "source": src}
    return out


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _section_source(cls, data: Any) -> Any:
        return _inherit_source(data)


class EnergyRules(_Section):
    """Wholesale energy market timing and pricing."""

    market_time_unit: Sourced[DurationMin]
    day_ahead_time_unit: Sourced[DurationMin] | None = None
    dispatch_interval: Sourced[DurationMin] | None = None
    day_ahead_gate_closure: Sourced[str] | None = None
    gate_closure_before_delivery: Sourced[DurationMin] | None = None
    pricing: Sourced[Pricing]
    price_cap_per_mwh: Sourced[float] | None = None
    price_floor_per_mwh: Sourced[float] | None = None

    @model_validator(mode="after")
    def _checks(self) -> EnergyRules:
        if self.market_time_unit.value <= 0:
            raise ValueError("market_time_unit must be positive")
        cap, floor = self.price_cap_per_mwh, self.price_floor_per_mwh
        if cap is not None and floor is not None and floor.value >= cap.value:
            raise ValueError("price_floor_per_mwh must be below price_cap_per_mwh")
        return self


class ParticipationRules(_Section):
    """Who may take part and at which size (seed 000 §1.3)."""

    min_size: Sourced[PowerMW]
    min_size_standalone: Sourced[PowerMW] | None = None
    aggregation_allowed: Sourced[bool]
    min_unit_size_in_aggregation: Sourced[PowerMW] | None = None
    demand_response_export_allowed: Sourced[bool]
    der_price_basis: Sourced[PriceBasis]
    der_price_basis_below: Sourced[PowerMW] | None = None
    der_price_basis_above: Sourced[PriceBasis] | None = None
    storage_as_generation: Sourced[bool] | None = None

    @model_validator(mode="after")
    def _checks(self) -> ParticipationRules:
        for name in (
            "min_size",
            "min_size_standalone",
            "min_unit_size_in_aggregation",
            "der_price_basis_below",
        ):
            item = getattr(self, name)
            if item is not None and item.value < 0:
                raise ValueError(f"{name} must be >= 0")
        if (self.der_price_basis_below is None) != (self.der_price_basis_above is None):
            raise ValueError("give der_price_basis_below and der_price_basis_above together")
        return self


class SettlementRules(_Section):
    """How the jurisdiction measures delivered flexibility: the baseline method (a name of
    :func:`tdcoord.settlement.baselines.available_baselines`; the study's ``settlement.baseline``
    overrides it) and, optionally, the value-stacking order of buyer kinds."""

    baseline: Sourced[str]
    stacking_priority: Sourced[list[str]] | None = None


class ProductRules(_Section):
    """Per-product overrides of a preset."""

    min_size: Sourced[PowerMW] | None = None
    pricing: Sourced[Pricing] | None = None
    gate_closure_before_delivery: Sourced[DurationMin] | None = None
    available: Sourced[bool] | None = None


class Preset(BaseModel):
    """A validated jurisdiction preset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    region: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    description: str = ""
    energy: EnergyRules
    participation: ParticipationRules
    products: dict[str, ProductRules] = Field(default_factory=dict)
    settlement: SettlementRules | None = None

    @model_validator(mode="after")
    def _known_products(self) -> Preset:
        unknown = sorted(set(self.products) - set(available_products()))
        if unknown:
            raise ValueError(
                f"unknown product {unknown[0]!r} under 'products' "
                f"(known: {', '.join(available_products())})"
            )
        return self

    # ----------------------------------------------------------------- convenience accessors
    def _rule(self, product_id: str) -> ProductRules | None:
        get_product(product_id)  # raises MarketError for an unknown id
        return self.products.get(product_id)

    def product_available(self, product_id: str) -> bool:
        rule = self._rule(product_id)
        return True if rule is None or rule.available is None else rule.available.value

    def min_size_mw(self, product_id: str) -> float:
        """Minimum offer size (alone or as an aggregation) in MW: the preset's per-product
        override, else its general ``participation.min_size`` (the product's own ``min_size_mw``
        is the default when no preset is used)."""
        rule = self._rule(product_id)
        if rule is not None and rule.min_size is not None:
            return rule.min_size.value
        return self.participation.min_size.value

    def min_size_standalone_mw(self, product_id: str) -> float:
        """Smallest resource that may take part *alone*; smaller ones only via aggregation."""
        standalone = self.participation.min_size_standalone
        base = self.min_size_mw(product_id)
        return base if standalone is None else max(base, standalone.value)

    def min_unit_in_aggregation_mw(self) -> float:
        item = self.participation.min_unit_size_in_aggregation
        return 0.0 if item is None else item.value

    def pricing(self, product_id: str) -> Pricing:
        rule = self._rule(product_id)
        if rule is not None and rule.pricing is not None:
            return rule.pricing.value
        return self.energy.pricing.value

    def der_price_basis(self, p_max_mw: float) -> PriceBasis:
        """Price basis for a DER of this size (ERCOT: below 10 MW the load-zone price)."""
        part = self.participation
        below, above = part.der_price_basis_below, part.der_price_basis_above
        if below is not None and above is not None and p_max_mw >= below.value:
            return above.value
        return part.der_price_basis.value

    def sources(self) -> dict[str, str]:
        """Every value's dotted key → its source (for reports and audits)."""
        out: dict[str, str] = {}

        def walk(prefix: str, obj: Any) -> None:
            if isinstance(obj, Sourced):
                out[prefix] = obj.source
            elif isinstance(obj, BaseModel):
                for name in type(obj).model_fields:
                    walk(f"{prefix}.{name}" if prefix else name, getattr(obj, name))
            elif isinstance(obj, dict):
                for k, v in obj.items():
                    walk(f"{prefix}.{k}", v)

        walk("", self)
        return out


# --------------------------------------------------------------------------- loading


def _explain(err: ValidationError, where: str) -> PresetError:
    lines: list[str] = []
    fixes: list[str] = []
    for e in err.errors()[:3]:
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith("Sourced["))
        loc = loc.replace(".function-after", "").replace(".function-before", "")
        if e["type"] == "extra_forbidden":
            lines.append(f"unknown key {loc!r}")
            fixes.append("remove or rename it (see docs/market.md for the keys)")
        elif e["type"] == "missing" and loc.endswith("source"):
            lines.append(f"missing source for {loc.removesuffix('.source')!r}")
            fixes.append("add source: '<regulation article or seed section>'")
        elif e["type"] == "missing":
            lines.append(f"missing key {loc!r}")
            fixes.append("add it with a value and a source")
        else:
            lines.append(f"{loc or '(top level)'}: {e['msg']}")
            fixes.append("check the value and its unit")
    return PresetError("; ".join(lines), where=where, fix="; ".join(dict.fromkeys(fixes)))


def preset_from_dict(data: object, where: str = "<dict>") -> Preset:
    """Validate a parsed preset (e.g. from YAML)."""
    if not isinstance(data, dict):
        raise PresetError(
            "a preset must be a mapping", where=where, fix="start the file with 'id:', 'name:', ..."
        )
    try:
        return Preset.model_validate(data)
    except ValidationError as err:
        raise _explain(err, where) from err


def available_presets() -> list[str]:
    """Names of the bundled presets (``presets/<name>.yaml``), sorted."""
    folder = resources.files(_PRESET_PACKAGE).joinpath(_PRESET_DIR)
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def load_preset(name_or_path: str | Path) -> Preset:
    """A bundled preset by name (``"pjm"``) or a user preset from a YAML path."""
    text: str
    where: str
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        where = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise PresetError(
                f"cannot read preset file: {err}", where=where, fix="check the path"
            ) from err
    else:
        name = str(name_or_path)
        if name not in available_presets():
            raise PresetError(
                f"unknown preset {name!r}",
                where="bundled presets",
                fix=f"use one of {', '.join(available_presets())} or a path to a YAML file",
            )
        where = f"tdcoord/market/presets/{name}.yaml"
        text = (
            resources.files(_PRESET_PACKAGE)
            .joinpath(_PRESET_DIR)
            .joinpath(f"{name}.yaml")
            .read_text(encoding="utf-8")
        )
    from tdcoord.errors import raise_issues
    from tdcoord.yaml_input import load_yaml_text

    data, duplicates = load_yaml_text(text, PresetError, where)  # safe_load + duplicate keys
    raise_issues(PresetError, where, duplicates)
    return preset_from_dict(data, where)
