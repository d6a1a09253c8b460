"""Issue 13 item 2 on the small study: with the canonical tie-break the decentralized common
market matches the central one on every cost, volume and violation KPI of the day; the study's
BRP need (``compare.needs.brp_mw``) is validated before any clearing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from tdcoord.comparison.run import run_comparison
from tdcoord.comparison.spec import NeedsSpec
from tdcoord.study import load_study

SMALL = Path(__file__).with_name("small_study.yaml")

#: Every cost, volume and violation KPI (messages, bytes and compute time differ by design).
OUTCOME_KPIS = (
    "total_cost", "procurement_cost", "tso_cost", "dso_cost", "unresolved_violations",
    "unresolved_overload_mwh", "unresolved_voltage_pu_h", "energy_not_served_mwh",
    "curtailment_mwh", "activated_up_mwh", "activated_down_mwh", "double_activations",
    "double_activation_mwh", "counter_activations", "counter_activation_mwh",
    "interface_deviation_mwh", "imbalance_mwh", "availability_paid_eur",
    "transmission_redispatch_eur",
)


def test_decentralized_common_matches_central_on_every_outcome_kpi() -> None:
    # the whole day (later stages chain on the day-ahead pick) at 4-hour resolution
    study = load_study(SMALL)
    n = 6
    study = study.model_copy(
        update={
            "fleet": study.fleet.model_copy(update={"n_intervals": n, "dt_h": 24.0 / n}),
            "compare": study.compare.model_copy(update={"validation": "dc", "events": []}),
        }
    )
    kpis = run_comparison(study, ["eu.central", "eu.common"]).kpis()
    central, common = kpis["eu.central"], kpis["eu.common"]
    # something is bought: DERs or (at cost, cheaper here) the generators' redispatch
    assert central["procurement_cost"] + abs(central["transmission_redispatch_eur"]) > 0.0
    for k in OUTCOME_KPIS:
        assert math.isclose(central[k], common[k], rel_tol=1e-3, abs_tol=1e-6), k


def test_brp_need_is_validated_before_any_clearing() -> None:
    from pydantic import ValidationError

    from tdcoord.errors import StudyError

    with pytest.raises(ValidationError, match="brp_mw holds"):
        NeedsSpec(brp_mw=[2e6])
    study = load_study(SMALL)
    bad = study.compare.model_copy(update={"needs": NeedsSpec(brp_mw=[1.0, 2.0])})
    with pytest.raises(StudyError, match="brp_mw"):
        run_comparison(study.model_copy(update={"compare": bad}))


def test_brp_need_reaches_the_clearing_case() -> None:
    study = load_study(SMALL)
    T = study.fleet.n_intervals
    brp = [0.5 if 17 <= t <= 20 else 0.0 for t in range(T)]
    spec = study.compare.model_copy(
        update={"models": ["eu.integrated"], "events": [], "validation": "dc",
                "needs": NeedsSpec(brp_mw=brp)}
    )
    case = run_comparison(study.model_copy(update={"compare": spec})).runs[0].day.case
    assert case.brp_need_mw is not None
    assert case.brp_need_mw.tolist() == brp
