"""Product prequalification per preset."""

from __future__ import annotations

import pytest

from tdcoord.der.prequalification import (
    PrequalificationResult,
    TechnicalAttributes,
    TrafficLight,
    prequalify,
    prequalify_aggregation,
)
from tdcoord.market import get_product, load_preset


def _attrs(p_mw: float, **kw: object) -> TechnicalAttributes:
    params: dict[str, object] = {
        "der_id": "d",
        "p_max_mw": p_mw,
        "response_time_s": 1.0,
        "sustain_min": 60.0,
        "telemetry": True,
    }
    params.update(kw)
    return TechnicalAttributes(**params)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("preset", "p_mw", "light"),
    [
        ("pjm", 0.150, TrafficLight.GREEN),  # PJM 100 kW (seed 000 §1.3)
        ("pjm", 0.050, TrafficLight.AMBER),  # only via aggregation
        ("ieso", 0.100, TrafficLight.GREEN),  # ≥100 kW stand-alone
        ("ieso", 0.099, TrafficLight.AMBER),  # <100 kW aggregated
        ("eu_generic", 0.5, TrafficLight.AMBER),  # below 1 MW balancing minimum
        ("eu_generic", 1.0, TrafficLight.GREEN),
        ("nodes", 0.001, TrafficLight.GREEN),  # 1 kW
    ],
)
def test_size_rules_per_preset(preset: str, p_mw: float, light: TrafficLight) -> None:
    res = prequalify(_attrs(p_mw), get_product("mfrr"), load_preset(preset))
    assert res.light is light, res.reasons


def test_slow_resource_fails_fcr_with_reason() -> None:
    res = prequalify(
        _attrs(2.0, response_time_s=60.0), get_product("fcr"), load_preset("eu_generic")
    )
    assert res.light is TrafficLight.RED
    assert any("response time 60 s" in r for r in res.reasons)


def test_fcr_needs_both_directions_and_telemetry() -> None:
    res = prequalify(
        _attrs(2.0, directions=("up",), telemetry=False),
        get_product("fcr"),
        load_preset("eu_generic"),
    )
    assert res.light is TrafficLight.RED
    assert any("symmetric" in r for r in res.reasons)
    assert any("telemetry" in r for r in res.reasons)


@pytest.mark.parametrize(
    ("preset", "light"),
    [("pjm", TrafficLight.RED), ("nyiso", TrafficLight.RED), ("eu_generic", TrafficLight.GREEN)],
)
def test_demand_response_export_rule(preset: str, light: TrafficLight) -> None:
    a = _attrs(5.0, participation="demand_response", can_export=True)
    res = prequalify(a, get_product("mfrr"), load_preset(preset))
    assert res.light is light


def test_aggregation_of_small_units_reaches_minimum() -> None:
    members = [_attrs(0.03, der_id=f"h{i}") for i in range(4)]
    pjm = load_preset("pjm")
    ok = prequalify_aggregation("agg", members, get_product("mfrr"), pjm)
    assert ok.light is TrafficLight.GREEN
    small = prequalify_aggregation("agg", members[:3], get_product("mfrr"), pjm)
    assert small.light is TrafficLight.RED and "90 kW" in small.reasons[0]


def test_reactive_product_needs_reactive_capability() -> None:
    res = prequalify(_attrs(0.01), get_product("voltage_support"), load_preset("nodes"))
    assert res.light is TrafficLight.RED


def test_combine_keeps_the_worse_light() -> None:
    a = PrequalificationResult("d", "mfrr", TrafficLight.AMBER, ("x",))
    b = PrequalificationResult("d", "mfrr", TrafficLight.RED, ("y",), kind="grid")
    c = a.combine(b)
    assert c.light is TrafficLight.RED and c.reasons == ("x", "y") and not c.passed
