"""Products as data: bundled registry, YAML loading, validation errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tdcoord.market import MarketError, available_products, get_product, load_products
from tdcoord.market.products import Product, register_product


def test_bundled_products_cover_the_catalogue() -> None:
    ids = set(available_products())
    assert {
        "da_energy",
        "id_energy",
        "fcr",
        "afrr",
        "mfrr",
        "congestion_dso",
        "voltage_support",
        "capacity_nwa",
    } <= ids
    mfrr = get_product("mfrr")
    assert mfrr.full_activation_time_s == pytest.approx(750.0)  # "12.5 min"
    assert mfrr.min_duration_min == pytest.approx(5.0)
    assert get_product("fcr").symmetric
    assert get_product("voltage_support").reactive
    assert get_product("congestion_dso").buyers == ("DSO",)
    assert get_product("congestion_shared").buyers == ("TSO", "DSO")
    assert all(len(get_product(i).source) > 10 for i in ids)


def test_unknown_product_lists_known_ones() -> None:
    with pytest.raises(MarketError, match="mfrr"):
        get_product("mFRR")


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(body, encoding="utf-8")
    return p


GOOD = """
products:
  - id: local_peak
    name: Local peak shaving
    kind: congestion
    buyers: [DSO]
    directions: [up]
    min_size_mw: 50 kW
    response_time_s: 5 min
    source: my DSO's 2025 tender
"""


def test_user_products_load_with_units(tmp_path: Path) -> None:
    (prod,) = load_products(_write(tmp_path, GOOD))
    assert prod.min_size_mw == pytest.approx(0.05)
    assert prod.response_time_s == pytest.approx(300.0)
    register_product(prod, replace=True)
    assert get_product("local_peak") is prod
    with pytest.raises(MarketError, match="already registered"):
        register_product(prod)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (("min_size_mw: 50 kW", "min_size_mw: 50 kVA"), "not a power unit"),
        (("response_time_s: 5 min", "response_time_s: 5 kW"), "not a time unit"),
        (("buyers: [DSO]", "buyers: [ISO]"), "buyers"),
        (("    source: my DSO's 2025 tender\n", ""), "source"),
        (("kind: congestion", "kind: congestion\n    colour: red"), "colour"),
    ],
)
def test_bad_products_are_rejected(tmp_path: Path, change: tuple[str, str], match: str) -> None:
    with pytest.raises(MarketError, match=match):
        load_products(_write(tmp_path, GOOD.replace(*change)))


def test_symmetric_needs_both_directions() -> None:
    with pytest.raises(ValueError, match="symmetric"):
        Product(
            id="x",
            name="x",
            kind="balancing",
            buyers=("TSO",),
            directions=("up",),
            symmetric=True,
            min_size_mw=1.0,
            source="test source",
        )
