"""``compare.time_coupling: false`` clears every interval alone (no energy rows in the case);
the default carries them."""

from __future__ import annotations

from pathlib import Path

import yaml

from tdcoord.pipeline import build_shared_day
from tdcoord.pipeline.day import stage_case
from tdcoord.study.load import validate_study

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"


def test_the_switch_reaches_the_stage_case() -> None:
    data = yaml.safe_load(SMALL.read_text())
    coupled = build_shared_day(validate_study(data))
    assert stage_case(coupled, "day_ahead").time_coupling is not None
    data.setdefault("compare", {})["time_coupling"] = False
    alone = build_shared_day(validate_study(data))
    assert stage_case(alone, "day_ahead").time_coupling is None
