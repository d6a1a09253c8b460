"""Flexibility and energy products as data, with a registry ``name → Product``.

A product says *who buys* (TSO, DSO, or the market operator's energy market), *which directions*
(up = more injection / less consumption, down = the opposite; see :mod:`tdcoord.der.base`), and
the technical attributes a resource must meet to be prequalified: minimum size, response time,
full-activation time, minimum delivery duration, telemetry. Jurisdiction presets
(:mod:`tdcoord.market.rules`) may override the minimum size per product.

The bundled products live in ``products.yaml`` next to this module, each with its ``source``
(regulation or seed section). Users add their own with :func:`load_products` (a YAML file with a
top-level ``products:`` list) and :func:`register_product`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tdcoord.market.errors import MarketError
from tdcoord.market.units import DurationMin, DurationS, PowerMW

Buyer = Literal["TSO", "DSO", "MO"]
Direction = Literal["up", "down"]
ProductKind = Literal["energy", "balancing", "congestion", "voltage", "capacity"]


class Product(BaseModel):
    """One product. Times accept units in YAML (``"30 s"``, ``"12.5 min"``), powers too.

    ``symmetric``: up and down are offered together as one band (FCR-like). ``locational``: bought
    per congestion point (the offer must name its grid location). ``reactive``: the quantity is
    reactive power (MVAr) rather than active power. ``availability``: paid for being available
    (capacity / non-wires-alternative), activations may be paid on top.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    kind: ProductKind
    buyers: tuple[Buyer, ...] = Field(min_length=1)
    directions: tuple[Direction, ...] = Field(min_length=1)
    symmetric: bool = False
    locational: bool = False
    reactive: bool = False
    availability: bool = False
    min_size_mw: PowerMW = Field(ge=0)
    response_time_s: DurationS | None = Field(default=None, ge=0)
    full_activation_time_s: DurationS | None = Field(default=None, ge=0)
    min_duration_min: DurationMin | None = Field(default=None, ge=0)
    telemetry_required: bool = False
    source: str = Field(min_length=5)
    description: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        if len(set(self.directions)) != len(self.directions):
            raise ValueError("directions repeat a value")
        if self.symmetric and set(self.directions) != {"up", "down"}:
            raise ValueError("a symmetric product must list both directions: [up, down]")
        if (
            self.response_time_s is not None
            and self.full_activation_time_s is not None
            and self.response_time_s > self.full_activation_time_s
        ):
            raise ValueError("response_time_s exceeds full_activation_time_s")
        return self

    def bought_by(self, buyer: Buyer) -> bool:
        return buyer in self.buyers


def _format_validation(err: ValidationError, where: str) -> MarketError:
    first = err.errors()[0]
    loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
    return MarketError(
        f"invalid product field {loc!r}: {first['msg']}",
        where=where,
        fix="see docs/market.md for the product fields and their units",
    )


def parse_products(data: object, where: str) -> list[Product]:
    """Products from parsed YAML (``{"products": [...]}``)."""
    if not isinstance(data, dict) or set(data) != {"products"}:
        raise MarketError(
            "a product file must have exactly one top-level key 'products'",
            where=where,
            fix="write 'products:' followed by a list of products",
        )
    raw = data["products"]
    if not isinstance(raw, list):
        raise MarketError("'products' must be a list", where=where, fix="use '- id: ...' items")
    out: list[Product] = []
    for i, item in enumerate(raw):
        try:
            out.append(Product.model_validate(item))
        except ValidationError as err:
            pid = item.get("id", f"#{i}") if isinstance(item, dict) else f"#{i}"
            raise _format_validation(err, f"{where}: product {pid}") from err
    ids = [p.id for p in out]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise MarketError(
            f"duplicate product id {sorted(dup)[0]!r}",
            where=where,
            fix="give every product a unique id",
        )
    return out


def load_products(path: str | Path) -> list[Product]:
    """Read products from a YAML file (does not register them)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise MarketError(
            f"cannot read product file: {err}", where=str(p), fix="check the path"
        ) from err
    return parse_products(yaml.safe_load(text), str(p))


def _bundled() -> dict[str, Product]:
    text = resources.files("tdcoord.market").joinpath("products.yaml").read_text(encoding="utf-8")
    return {p.id: p for p in parse_products(yaml.safe_load(text), "tdcoord/market/products.yaml")}


_REGISTRY: dict[str, Product] = _bundled()


def available_products() -> list[str]:
    """Ids of all registered products, sorted."""
    return sorted(_REGISTRY)


def get_product(product_id: str) -> Product:
    """The registered product ``product_id``."""
    try:
        return _REGISTRY[product_id]
    except KeyError:
        raise MarketError(
            f"unknown product {product_id!r}",
            where="product registry",
            fix=f"use one of {', '.join(available_products())} or register_product() your own",
        ) from None


def register_product(product: Product, *, replace: bool = False) -> None:
    """Add ``product`` to the registry (``replace=True`` to overwrite an existing id)."""
    if product.id in _REGISTRY and not replace:
        raise MarketError(
            f"product {product.id!r} is already registered",
            where="product registry",
            fix="pick another id or pass replace=True",
        )
    _REGISTRY[product.id] = product
