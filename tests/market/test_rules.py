"""Jurisdiction presets: bundled files, user files, every validation error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tdcoord.market import PresetError, available_presets, load_preset
from tdcoord.market.units import parse_duration_min, parse_power_mw

REQUIRED = {"eu_generic", "nodes", "pjm", "nyiso", "ercot", "ieso", "caiso", "aemo", "gb"}


def test_all_required_presets_are_bundled_and_valid() -> None:
    assert set(available_presets()) >= REQUIRED
    for name in available_presets():
        preset = load_preset(name)
        assert preset.id == name
        assert all(len(src.strip()) >= 5 for src in preset.sources().values())


@pytest.mark.parametrize(
    ("name", "product", "mw"),
    [
        ("pjm", "mfrr", 0.1),
        ("nodes", "congestion_dso", 0.001),
        ("ieso", "mfrr", 0.1),
        ("eu_generic", "mfrr", 1.0),
        ("eu_generic", "da_energy", 0.5),
    ],
)
def test_minimum_sizes_follow_sources(name: str, product: str, mw: float) -> None:
    assert load_preset(name).min_size_mw(product) == pytest.approx(mw)


def test_market_time_units_eu_vs_us() -> None:
    assert load_preset("eu_generic").energy.market_time_unit.value == 15
    for us in ("pjm", "nyiso", "caiso"):
        assert load_preset(us).energy.market_time_unit.value == 5


def test_dr_export_prohibited_in_pjm_and_nyiso_only() -> None:
    banned = {
        n
        for n in available_presets()
        if not load_preset(n).participation.demand_response_export_allowed.value
    }
    assert banned == {"pjm", "nyiso"}


def test_ercot_small_der_paid_load_zone_price() -> None:
    ercot = load_preset("ercot")
    assert ercot.der_price_basis(5.0) == "load_zone"
    assert ercot.der_price_basis(10.0) == "nodal"


def test_pricing_rules() -> None:
    assert load_preset("gb").pricing("mfrr") == "pay_as_bid"
    assert load_preset("eu_generic").pricing("afrr") == "pay_as_clear"
    assert load_preset("eu_generic").pricing("congestion_dso") == "pay_as_bid"


def _base() -> dict:  # type: ignore[type-arg]
    text = (Path(__file__).parents[2] / "src/tdcoord/market/presets/pjm.yaml").read_text()
    return yaml.safe_load(text)  # type: ignore[no-any-return]


def _dump(tmp_path: Path, data: dict) -> Path:  # type: ignore[type-arg]
    p = tmp_path / "my.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def test_user_preset_from_path(tmp_path: Path) -> None:
    data = _base()
    data["id"] = "my_market"
    data["participation"]["min_size"] = {"value": "250 kW", "source": "my regulator, rule 4.2"}
    preset = load_preset(_dump(tmp_path, data))
    assert preset.min_size_mw("mfrr") == pytest.approx(0.25)


def test_section_level_source_is_inherited(tmp_path: Path) -> None:
    data = _base()
    data["energy"] = {
        "source": "my rule book §2",
        "market_time_unit": "15 min",
        "pricing": "pay_as_bid",
    }
    preset = load_preset(_dump(tmp_path, data))
    assert preset.energy.market_time_unit.value == 15
    assert preset.energy.pricing.source == "my rule book §2"


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (
            lambda d: d["participation"].update(min_sise=d["participation"]["min_size"]),
            "unknown key 'participation.min_sise'",
        ),
        (
            lambda d: d["participation"]["min_size"].pop("source"),
            "missing source for 'participation.min_size'",
        ),
        (lambda d: d["participation"].update(min_size="100 kW"), "needs a source"),
        (lambda d: d["participation"]["min_size"].update(value="100 kVA"), "not a power unit"),
        (lambda d: d["energy"]["market_time_unit"].update(value="5 MW"), "not a time unit"),
        (lambda d: d["energy"]["pricing"].update(value="pay_as_you_go"), "pricing"),
        (lambda d: d.update(products={"mfrrr": {}}), "unknown product 'mfrrr'"),
        (lambda d: d.pop("energy"), "missing key 'energy'"),
        (
            lambda d: d["energy"].update(price_floor_per_mwh={"value": 5000, "source": "xxxxx"}),
            "below price_cap",
        ),
    ],
)
def test_bad_presets_are_rejected(tmp_path: Path, mutate: object, match: str) -> None:
    data = _base()
    mutate(data)  # type: ignore[operator]
    with pytest.raises(PresetError, match=match) as info:
        load_preset(_dump(tmp_path, data))
    assert "Fix:" in str(info.value)


def test_unknown_bundled_name_lists_choices() -> None:
    with pytest.raises(PresetError, match="pjm"):
        load_preset("pjn")


def test_unit_parsing() -> None:
    assert parse_power_mw("100 kW") == pytest.approx(0.1)
    assert parse_power_mw(2) == 2.0
    assert parse_duration_min("30 s") == pytest.approx(0.5)
    assert parse_duration_min("1 h") == 60.0
    with pytest.raises(ValueError, match="power unit"):
        parse_power_mw("1 MWh")
