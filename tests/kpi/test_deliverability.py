"""Deliverability KPIs (tdcoord.kpi.deliverability) against a hand computation."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der.battery import Battery
from tdcoord.kpi.deliverability import deliverability_kpis, storage_rows
from tdcoord.simulation.activation import ResponseModel


def battery() -> Battery:
    """1 MWh at 50 %, lossless, 1 MW each way: 0.5 MWh to give."""
    return Battery(
        ids=("b",), e_max_mwh=np.array([1.0]), p_charge_max_mw=np.array([1.0]),
        p_discharge_max_mw=np.array([1.0]), eta_charge=np.array([1.0]),
        eta_discharge=np.array([1.0]), soc_init=np.array([0.5]),
    )


def test_over_discharge_is_counted_by_hand() -> None:
    """0.3 MW for 3 h from 0.5 MWh: 0.3 delivered, then 0.2 of 0.3 (cut 0.1), then cut 0.3."""
    plan = np.array([[0.3, 0.3, 0.3]])
    k = deliverability_kpis([battery()], plan, 1.0)
    assert k["depleted_storage_calls"] == 2
    assert k["undeliverable_request_mwh"] == pytest.approx(0.4, abs=1e-12)


def test_a_plan_within_the_state_is_deliverable() -> None:
    plan = np.array([[0.25, 0.25, -0.5]])
    k = deliverability_kpis([battery()], plan, 1.0)
    assert k == {"depleted_storage_calls": 0, "undeliverable_request_mwh": 0.0}


def test_random_non_delivery_is_not_a_depleted_call() -> None:
    """Complete delivery is assumed: the response model's failures do not enter."""
    plan = np.array([[0.25, 0.25, 0.0]])
    flaky = ResponseModel(non_delivery_prob=1.0, delivery_fraction=0.5)
    assert deliverability_kpis([battery()], plan, 1.0, flaky)["depleted_storage_calls"] == 0


def test_only_storage_like_models_count() -> None:
    assert storage_rows([battery()]).tolist() == [True]
