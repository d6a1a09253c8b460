"""``compare.horizon_intervals``: a stage cleared in consecutive windows
(:mod:`tdcoord.pipeline.rolling`) against the day-long clearing of the same stage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from tdcoord.coordination.outcome import Outcome
from tdcoord.kpi.deliverability import deliverability_kpis
from tdcoord.pipeline import build_shared_day
from tdcoord.pipeline.day import clear_stage
from tdcoord.pipeline.rolling import horizon_windows
from tdcoord.pipeline.shared import SharedDay
from tdcoord.study.load import validate_study

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"


def _shared(**compare: Any) -> SharedDay:
    data = yaml.safe_load(SMALL.read_text())
    data["compare"].update(compare)
    data["compare"]["events"] = []
    return build_shared_day(validate_study(data))


def _objective_eur(o: Outcome) -> float:
    """Procurement (pay-as-bid, with redispatch) plus the slack penalties: the clearing LP's
    objective."""
    penalty = float(o.slacks["penalty_eur"].sum()) if len(o.slacks) else 0.0
    return o.procurement_cost_eur + penalty


def test_windows_partition_the_day() -> None:
    ws = horizon_windows(10, 4)
    assert [w.tolist() for w in ws] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert np.array_equal(np.concatenate(horizon_windows(96, 1)), np.arange(96))


@pytest.mark.parametrize("model", ["eu.central", "eu.local"])
def test_one_interval_windows_equal_the_uncoupled_day(model: str) -> None:
    """Without time coupling the intervals are independent LPs, so one-interval windows must
    reach the day-long clearing's optimum, interval by interval."""
    day = clear_stage(_shared(time_coupling=False), model).outcome
    rolled = clear_stage(_shared(time_coupling=False, horizon_intervals=1), model).outcome
    assert rolled.activation_mw.shape == day.activation_mw.shape
    assert _objective_eur(rolled) == pytest.approx(_objective_eur(day), rel=1e-7, abs=1e-6)
    assert rolled.status == day.status
    # every window exchanges its own messages (more of them), each on a day's interval
    assert len(rolled.messages) >= len(day.messages)
    assert {m.interval for m in rolled.messages} <= set(range(-1, 24))
    if day.lmp_eur_per_mwh is not None:
        assert rolled.lmp_eur_per_mwh is not None
        assert rolled.lmp_eur_per_mwh.shape == day.lmp_eur_per_mwh.shape


def test_rolling_windows_are_deliverable_and_never_beat_the_day() -> None:
    """With time coupling every window's requests are deliverable from the state the earlier
    windows leave, and the windows (a restriction of the day-long LP: no look-ahead) never
    clear below the day-long optimum."""
    sh_day = _shared()
    sh_roll = _shared(horizon_intervals=4)
    day = clear_stage(sh_day, "eu.central")
    rolled = clear_stage(sh_roll, "eu.central")
    models = list(sh_roll.day.fleet.models.values())
    kpis = deliverability_kpis(models, rolled.state.plan_mw, sh_roll.day.dt_h, sh_roll.response)
    assert kpis["depleted_storage_calls"] == 0
    assert kpis["undeliverable_request_mwh"] == pytest.approx(0.0, abs=1e-9)
    assert _objective_eur(rolled.outcome) >= _objective_eur(day.outcome) - 1e-6
    acts = rolled.outcome.activations
    assert acts["interval"].between(0, sh_roll.day.n_intervals - 1).all()
    assert set(acts["interval"]) - set(range(4)), "later windows' activations sit on their intervals"
