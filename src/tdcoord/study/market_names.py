"""Checks of the ``market:`` section against the registries (presets, products, strategies)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tdcoord.study.schema import MarketSpec


def _check_availability(spec: MarketSpec) -> None:
    from tdcoord.market.products import get_product

    for pid, price in spec.availability_price_eur_per_mw_h.items():
        if pid not in spec.products:
            raise ValueError(
                f"availability price for {pid!r}, which is not in market.products: "
                "add the product or remove its price"
            )
        if not get_product(pid).availability:
            raise ValueError(
                f"product {pid!r} is not a capacity product (availability: false): "
                "availability prices apply to products such as capacity_nwa"
            )
        if not (price >= 0 and math.isfinite(price)):
            raise ValueError(
                f"availability price {price!r} for {pid!r}: give a finite price >= 0 "
                "per MW and hour"
            )


def _check_strategy(spec: MarketSpec, is_path: bool) -> None:
    from tdcoord.market.errors import MarketError
    from tdcoord.market.rules import load_preset
    from tdcoord.market.strategies import available_strategies, get_strategy

    if spec.strategy not in available_strategies():
        raise ValueError(
            f"unknown bidding strategy {spec.strategy!r}: use one of "
            f"{', '.join(available_strategies())}"
        )
    try:
        get_strategy(spec.strategy, **spec.strategy_params)
        if is_path:
            load_preset(spec.preset)  # a user preset file is read and checked now
        else:
            pre = load_preset(spec.preset)
            off = [p for p in spec.products if not pre.product_available(p)]
            if off:
                raise ValueError(
                    f"product {off[0]!r} is not available under preset {spec.preset!r}: "
                    "remove it from market.products"
                )
    except MarketError as err:
        raise ValueError(str(err)) from err


def check_market_names(spec: MarketSpec) -> None:
    """Raise ``ValueError`` (pydantic turns it into a field error) on an unknown or
    contradictory name: preset, product, strategy, availability price."""
    from tdcoord.market.products import available_products
    from tdcoord.market.rules import available_presets

    is_path = spec.preset.endswith((".yaml", ".yml"))
    if not is_path and spec.preset not in available_presets():
        raise ValueError(
            f"unknown preset {spec.preset!r}: use one of {', '.join(available_presets())} "
            "or a path to a preset YAML file"
        )
    unknown = [p for p in spec.products if p not in available_products()]
    if unknown:
        raise ValueError(
            f"unknown product {unknown[0]!r}: use one of {', '.join(available_products())}"
        )
    if len(set(spec.products)) != len(spec.products):
        raise ValueError("a product is listed twice under market.products: list it once")
    bad = {k: v for k, v in spec.strategy_params.items() if not _finite(v)}
    if bad:
        key = sorted(bad)[0]
        raise ValueError(f"strategy_params.{key} = {bad[key]!r}: give finite numbers")
    _check_availability(spec)
    _check_strategy(spec, is_path)


def _finite(v: float | list[float]) -> bool:
    values = v if isinstance(v, list) else [v]
    return all(math.isfinite(x) for x in values)
