from __future__ import annotations

import pytest
from pydantic import ValidationError

from tdcoord.sweep.uncertainty import (
    EventDraws,
    UncertaintySpec,
    draw_events,
    draw_sample,
    quantity_rng,
    simulation_seed,
)

EVENTS = [
    {"kind": "line_trip", "branch": 7, "interval": 18, "duration": 2},
    {"kind": "load_shedding", "feeder": "f", "mw": 0.2, "interval": 22, "duration": 2},
]
SPEC = UncertaintySpec.model_validate(
    {
        "forecast_error_scale": {"distribution": "lognormal", "median": 1.0, "sigma": 0.3},
        "non_delivery_probability": {"distribution": "uniform", "low": 0.0, "high": 0.1},
        "events": {"occurrence_probability": 0.5, "shift_intervals": 3},
    }
)


def test_same_seed_and_sample_give_the_same_draws() -> None:
    a = draw_sample(SPEC, 3, 7, EVENTS, 24)
    b = draw_sample(SPEC, 3, 7, EVENTS, 24)
    assert a == b
    assert a != draw_sample(SPEC, 3, 8, EVENTS, 24)
    assert a != draw_sample(SPEC, 4, 7, EVENTS, 24)


def test_a_quantity_draws_the_same_whatever_else_varies() -> None:
    alone = UncertaintySpec.model_validate(
        {"non_delivery_probability": {"distribution": "uniform", "low": 0.0, "high": 0.1}}
    )
    assert (
        draw_sample(alone, 3, 5, EVENTS, 24)["non_delivery_probability"]
        == draw_sample(SPEC, 3, 5, EVENTS, 24)["non_delivery_probability"]
    )


def test_no_uncertainty_draws_nothing() -> None:
    assert draw_sample(UncertaintySpec(), 0, 0, EVENTS, 24) == {}


def test_events_stay_inside_the_day() -> None:
    spec = EventDraws(occurrence_probability=1.0, shift_intervals=10)
    for k in range(20):
        drawn = draw_events(spec, EVENTS, quantity_rng(0, k, "events"), 24)
        assert len(drawn) == 2
        assert all(0 <= e["interval"] <= 22 for e in drawn)


def test_events_can_be_dropped() -> None:
    spec = EventDraws(occurrence_probability=0.0)
    assert draw_events(spec, EVENTS, quantity_rng(0, 0, "events"), 24) == []


def test_simulation_seed_depends_on_sample_and_day() -> None:
    s = simulation_seed(3, 0, 736000)
    assert s == simulation_seed(3, 0, 736000)
    assert len({s, simulation_seed(3, 1, 736000), simulation_seed(3, 0, 736001)}) == 3


@pytest.mark.parametrize(
    "section",
    [
        {"samples": 0},
        {"samples": 100_001},
        {"offer_price": {"distribution": "fixed", "value": 1.0}},
        {"events": {"occurrence_probability": 1.5}},
    ],
)
def test_bad_sections_are_rejected(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        UncertaintySpec.model_validate(section)
