"""Exception family of the market layer (products, jurisdiction presets).

Follows :class:`tdcoord.errors.TdcoordError`: what is wrong, where (file and key), how to fix it.
"""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class MarketError(TdcoordError, ValueError):
    """Invalid market data: unknown product, bad product definition, bad or unknown preset."""


class PresetError(MarketError):
    """A jurisdiction preset that fails validation (unknown key, missing source, bad unit)."""
