from __future__ import annotations

import pytest

from tdcoord.sweep.table import iso_duration, round_sig


def test_floats_lose_their_noise() -> None:
    assert round_sig(29.99999999999999) == 30.0
    assert round_sig(0.1 + 0.2) == 0.3
    assert round_sig(-1234567.891234567) == -1234567.89123
    assert round_sig(0.0) == 0.0
    assert round_sig(float("inf")) == float("inf")


@pytest.mark.parametrize(
    ("dt_h", "text"), [(0.25, "PT15M"), (1.0, "PT1H"), (0.5, "PT30M"), (1.5, "PT1H30M")]
)
def test_resolution_as_iso_8601(dt_h: float, text: str) -> None:
    assert iso_duration(dt_h) == text
