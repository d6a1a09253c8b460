"""Value stacking: priority rules, no MW sold twice, conflicts reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.settlement import PRIORITY_RULES, SettlementError, stack_activations
from tests.settlement._frames import act

DERS = ["d1", "d2"]


def _two_buyers() -> pd.DataFrame:
    # d1, interval 0, up: TSO mFRR 2 MW (row 0) and DSO congestion 2 MW (row 1); capacity 3 MW
    return act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),
            ("d1", "a1", "congestion_dso", 0, "dso:f1", 1, 2.0, 70.0),
            ("d2", "a1", "mfrr", 0, "tso", -1, 1.0, 10.0),
        ]
    )


def _caps(up: float = 3.0, down: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    return np.full((2, 1), up), np.full((2, 1), down)


def test_dso_first_cuts_the_tso_and_reports_the_conflict() -> None:
    res = stack_activations(_two_buyers(), DERS, *_caps(), priority="dso_first")
    np.testing.assert_allclose(res.honoured["mw"], [1.0, 2.0, 1.0])
    np.testing.assert_allclose(res.honoured["cut_mw"], [1.0, 0.0, 0.0])
    assert len(res.conflicts) == 1
    c = res.conflicts.iloc[0]
    assert (c["buyer"], c["requested_mw"], c["mw"], c["cut_mw"]) == ("tso", 2.0, 1.0, 1.0)
    assert c["held_by"] == "dso:f1,tso"
    by = res.by_buyer.set_index("buyer")
    assert by.loc["tso", "cut_mw"] == 1.0
    assert by.loc["dso:f1", "honoured_mw"] == 2.0
    # cost follows the honoured quantity (pay-as-bid basis)
    assert res.honoured["cost_eur"].iat[0] == pytest.approx(50.0)


def test_tso_first_and_gate_closure() -> None:
    res = stack_activations(_two_buyers(), DERS, *_caps(), priority="tso_first")
    np.testing.assert_allclose(res.honoured["mw"], [2.0, 1.0, 1.0])
    # gate closure: congestion_dso closes 60 min ahead, mfrr 25 min → DSO first
    gc = {"congestion_dso": 60.0, "mfrr": 25.0}
    res2 = stack_activations(
        _two_buyers(), DERS, *_caps(), priority="gate_closure", gate_closure_lead_min=gc
    )
    np.testing.assert_allclose(res2.honoured["mw"], [1.0, 2.0, 1.0])
    # an explicit gate_closure column (smaller = earlier) wins over the product leads
    frame = _two_buyers().assign(gate_closure=[0.0, 5.0, 0.0])
    res3 = stack_activations(frame, DERS, *_caps(), priority="gate_closure")
    np.testing.assert_allclose(res3.honoured["mw"], [2.0, 1.0, 1.0])


def test_capacity_contracts_first() -> None:
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 2.0, 50.0),
            ("d1", "a1", "congestion_dso", 0, "dso:f1", 1, 2.0, 70.0),
            ("d1", "a1", "capacity_nwa", 0, "dso:f1", 1, 2.0, 30.0),
        ]
    )
    res = stack_activations(frame, DERS, *_caps(), priority="capacity_first")
    np.testing.assert_allclose(res.honoured["mw"], [0.0, 1.0, 2.0])


def test_directions_are_separate_groups() -> None:
    frame = act(
        [
            ("d1", "a1", "mfrr", 0, "tso", 1, 3.0, 50.0),
            ("d1", "a1", "congestion_dso", 0, "dso:f1", -1, 2.0, 70.0),
        ]
    )
    res = stack_activations(frame, DERS, *_caps(up=3.0, down=1.5))
    np.testing.assert_allclose(res.honoured["mw"], [3.0, 1.5])


def test_bad_input() -> None:
    with pytest.raises(SettlementError, match="unknown priority rule 'dso_priority'") as err:
        stack_activations(_two_buyers(), DERS, *_caps(), priority="dso_priority")
    assert "dso_first" in err.value.fix
    up, down = _caps()
    up[1, 0] = -1.0
    with pytest.raises(SettlementError, match="negative capacity") as err2:
        stack_activations(_two_buyers(), DERS, up, down)
    assert "d2" in err2.value.where
    with pytest.raises(SettlementError, match="DER 'd2' has no meter data"):
        stack_activations(_two_buyers(), ["d1"], np.ones((1, 1)), np.ones((1, 1)))


@st.composite
def _requests(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, str]:
    n = draw(st.integers(1, 25))
    rows = []
    for _ in range(n):
        rows.append(
            (
                draw(st.sampled_from(DERS)),
                "a1",
                draw(st.sampled_from(["mfrr", "congestion_dso", "capacity_nwa"])),
                draw(st.integers(0, 2)),
                draw(st.sampled_from(["tso", "dso:f1", "dso:f2", "platform"])),
                draw(st.sampled_from([1, -1])),
                draw(st.floats(0.0, 5.0)),
                draw(st.floats(-50.0, 200.0)),
            )
        )
    caps = st.floats(0.0, 8.0)
    up = np.array([[draw(caps) for _ in range(3)] for _ in DERS])
    down = np.array([[draw(caps) for _ in range(3)] for _ in DERS])
    return act(rows), up, down, draw(st.sampled_from(sorted(PRIORITY_RULES)))


@settings(max_examples=40, deadline=None)
@given(_requests())
def test_no_mw_sold_twice(case: tuple[pd.DataFrame, np.ndarray, np.ndarray, str]) -> None:
    frame, up, down, rule = case
    res = stack_activations(frame, DERS, up, down, priority=rule)
    h = res.honoured
    assert (h["mw"] >= 0).all()
    assert (h["mw"] <= h["requested_mw"] + 1e-12).all()
    for (der, t, d), g in h.groupby(["der_id", "interval", "direction"]):
        cap = (up if d > 0 else down)[DERS.index(str(der)), int(t)]
        # never more than the capacity, and exactly min(capacity, requested): nothing cut needlessly
        assert g["mw"].sum() <= cap + 1e-9
        assert g["mw"].sum() == pytest.approx(min(cap, g["requested_mw"].sum()), abs=1e-9)
    assert len(res.conflicts) == int((h["cut_mw"] > 1e-12).sum())


def test_an_explicit_buyer_order_decides_who_is_cut() -> None:
    # the study's settlement.stacking_priority: the TSO listed first keeps its 2 MW, the DSO is cut
    tso = stack_activations(_two_buyers(), DERS, *_caps(), priority=["tso", "dso", "platform"])
    np.testing.assert_allclose(tso.honoured["mw"], [2.0, 1.0, 1.0])
    dso = stack_activations(_two_buyers(), DERS, *_caps(), priority=("dso", "tso"))
    np.testing.assert_allclose(dso.honoured["mw"], [1.0, 2.0, 1.0])
    for bad in (["tso", "tso"], ["brp"], []):
        with pytest.raises(SettlementError, match="stacking priority"):
            stack_activations(_two_buyers(), DERS, *_caps(), priority=bad)
