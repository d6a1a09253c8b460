"""Market layer: products as data, jurisdiction presets (rules) as data."""

from tdcoord.market.errors import MarketError, PresetError
from tdcoord.market.products import (
    Product,
    available_products,
    get_product,
    load_products,
    register_product,
)
from tdcoord.market.rules import Preset, available_presets, load_preset, preset_from_dict

__all__ = [
    "MarketError",
    "Preset",
    "PresetError",
    "Product",
    "available_presets",
    "available_products",
    "get_product",
    "load_preset",
    "load_products",
    "preset_from_dict",
    "register_product",
]
