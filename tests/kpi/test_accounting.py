"""Cost accounting: total_cost = Σ components, welfare = −total_cost, noise is no violation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from tdcoord.comparison.report_input import cost_parts
from tdcoord.comparison.run import Comparison, run_comparison
from tdcoord.coordination.schemes import run_scheme
from tdcoord.coordination.validation import VIOLATION_COLUMNS, validate_outcome
from tdcoord.kpi.accounting import (
    COST_COMPONENTS,
    ENERGY_TOL_MWH,
    denoise,
    significant_violations,
)
from tdcoord.kpi.metrics import compute_kpis
from tdcoord.report.glossary import KPI_GLOSSARY
from tdcoord.study import load_study
from tests.coordination.cases import designed_case

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"


@pytest.fixture(scope="module")
def small() -> Comparison:
    return run_comparison(load_study(SMALL))


def test_total_is_the_sum_of_components_for_every_model(small: Comparison) -> None:
    for run in small.runs:
        model_id, k = run.entry.id, run.kpis
        parts = [float(k[c]) for c in COST_COMPONENTS]
        assert k["total_cost"] == pytest.approx(sum(parts), rel=1e-12), model_id
        assert k["welfare"] == -k["total_cost"], model_id
        # independent pieces: availability from the settlement, ENS at VOLL, exogenous apart
        assert k["availability_cost_eur"] == k["availability_paid_eur"]
        assert k["exogenous_cost_eur"] <= k["emergency_cost"] + 1e-9
        voll = run.day.case.penalties.voll_eur_per_mwh
        endo = k["emergency_cost"] - k["exogenous_cost_eur"]
        assert k["energy_not_served_eur"] == pytest.approx(
            k["energy_not_served_mwh"] * voll + endo
        )


def test_cost_chart_total_is_the_kpi_total(small: Comparison) -> None:
    for run in small.runs:
        parts = cost_parts(run)
        assert parts["cost_eur"].sum() == pytest.approx(run.kpis["total_cost"], rel=1e-12)


def test_exogenous_shedding_is_the_same_in_every_model(small: Comparison) -> None:
    exo = {k["exogenous_cost_eur"] for k in small.kpis().values()}
    # the small study's 0.2 MW shedding order is within the feeder's flexibility: nothing is
    # imposed whatever the model (the unavoidable case: tests/simulation/test_island.py)
    assert exo == {0.0}


def test_every_kpi_has_a_glossary_entry(small: Comparison) -> None:
    for k in small.kpis().values():
        missing = sorted(set(k) - set(KPI_GLOSSARY))
        assert not missing, missing


def test_designed_case_components_by_hand() -> None:
    case = designed_case((4.0, -1.0))
    out = run_scheme("shared_balancing", case, {})
    v = validate_outcome(case, out, ac=False)
    k = compute_kpis(case, out, v)
    pen = case.penalties
    assert k["procurement_cost"] == pytest.approx(float(out.activations["cost_eur"].sum()))
    assert k["energy_not_served_eur"] == pytest.approx(
        denoise(v.energy_not_served_mwh, ENERGY_TOL_MWH) * pen.voll_eur_per_mwh
    )
    assert k["total_cost"] == pytest.approx(sum(k[c] for c in COST_COMPONENTS))
    assert k["welfare"] == -k["total_cost"]


def test_noise_is_not_a_violation() -> None:
    case = designed_case((4.0, -1.0))
    out = run_scheme("common", case, {})
    v = validate_outcome(case, out, ac=False)
    rows = pd.DataFrame(
        [
            {"network": "system", "kind": "imbalance", "element": "balance", "interval": 0,
             "value": -1.4e-14, "limit": 0.0, "amount": 1.4e-14},
            {"network": "f", "kind": "voltage_low", "element": "n1", "interval": 1,
             "value": 0.9, "limit": 0.9, "amount": 1e-9},
        ],
        columns=list(VIOLATION_COLUMNS),
    )
    noisy = dataclasses.replace(
        v, energy_not_served_mwh=1.4e-14, voltage_pu_h=1e-9, surplus_mwh=3e-12,
        feeder_overload_mwh=5e-10, violations=rows,
    )
    k = compute_kpis(case, out, noisy)
    assert k["energy_not_served_mwh"] == 0.0
    assert k["unresolved_voltage_pu_h"] == 0.0
    assert k["unresolved_overload_mwh"] == 0.0
    assert k["unresolved_violations"] == 0
    assert k["violation_penalty_eur"] == 0.0 and k["energy_not_served_eur"] == 0.0
    # a real residual stays
    big = dataclasses.replace(noisy, energy_not_served_mwh=0.5, violations=rows.assign(amount=1.0))
    kb = compute_kpis(case, out, big)
    assert kb["energy_not_served_mwh"] == 0.5 and kb["unresolved_violations"] == 2
    assert len(significant_violations(rows)) == 0
