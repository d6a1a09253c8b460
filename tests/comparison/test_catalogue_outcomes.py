"""Issue 13 items 2 and 3 on a small study: every catalogue model runs; models with identical
outcomes are exactly the ones the catalogue declares equivalent (``equivalent_to``); the
decentralized common market matches the central one on every cost, volume and violation KPI."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from tdcoord.comparison.run import Comparison, run_comparison
from tdcoord.comparison.spec import NeedsSpec
from tdcoord.coordination.catalogue import list_models
from tdcoord.study import load_study

SMALL = Path(__file__).with_name("small_study.yaml")

#: The outcome of a model: every cost, volume and violation KPI (messages, bytes and compute
#: time differ by design between models that decide the same).
OUTCOME_KPIS = (
    "total_cost", "procurement_cost", "tso_cost", "dso_cost", "unresolved_violations",
    "unresolved_overload_mwh", "unresolved_voltage_pu_h", "energy_not_served_mwh",
    "curtailment_mwh", "activated_up_mwh", "activated_down_mwh", "double_activations",
    "double_activation_mwh", "counter_activations", "counter_activation_mwh",
    "interface_deviation_mwh", "imbalance_mwh", "availability_paid_eur",
)


@pytest.fixture(scope="module")
def every_model() -> Comparison:
    """The small study at 4-hour resolution, DC validation and no events (fast), with a BRP
    need in the evening so that commercial parties have something to buy."""
    study = load_study(SMALL)
    n = 6
    needs = NeedsSpec(brp_mw=[0.0, 0.0, 0.0, 0.0, 1.5, 1.0])
    study = study.model_copy(
        update={
            "fleet": study.fleet.model_copy(update={"n_intervals": n, "dt_h": 24.0 / n}),
            "compare": study.compare.model_copy(
                update={"validation": "dc", "events": [], "needs": needs}
            ),
        }
    )
    return run_comparison(study, "all")


def same_outcome(a: dict[str, Any], b: dict[str, Any], rel: float = 1e-9) -> bool:
    """Equal on every outcome KPI (both present), to ``rel`` (absolute 1e-9 near zero)."""
    keys = [k for k in OUTCOME_KPIS if k in a and k in b]
    return all(math.isclose(a[k], b[k], rel_tol=rel, abs_tol=1e-9) for k in keys)


def test_identical_outcomes_are_exactly_the_declared_equivalences(every_model: Comparison) -> None:
    kpis = every_model.kpis()
    models = {m.id: m for m in list_models()}
    assert set(kpis) == set(models)
    undeclared, wrong = [], []
    for a, b in itertools.combinations(sorted(kpis), 2):
        same = same_outcome(kpis[a], kpis[b])
        declared = b in models[a].equivalent_to
        if same and not declared:
            undeclared.append((a, b))
        if declared and not same:
            wrong.append((a, b))
    assert not undeclared, f"identical outcomes, not declared equivalent: {undeclared}"
    assert not wrong, f"declared equivalent, outcomes differ: {wrong}"


def test_declared_groups_are_closed() -> None:
    # equivalence is transitive: a group lists every other member of it
    models = {m.id: m for m in list_models()}
    for m in models.values():
        group = {m.id, *m.equivalent_to}
        for other in m.equivalent_to:
            assert {other, *models[other].equivalent_to} == group, (m.id, other)


def test_decentralized_common_matches_central_on_every_outcome_kpi(
    every_model: Comparison,
) -> None:
    # item 2: the canonical tie-break makes both variants pick the same optimum, so the whole
    # day (later stages chain on it) matches to 0.1 % on every cost, volume and violation KPI.
    kpis = every_model.kpis()
    central, common = kpis["eu.central"], kpis["eu.common"]
    assert central["procurement_cost"] > 0.0
    for k in OUTCOME_KPIS:
        assert math.isclose(central[k], common[k], rel_tol=1e-3, abs_tol=1e-6), k


def test_commercial_parties_buy_in_the_integrated_market(every_model: Comparison) -> None:
    # the integrated market clears the BRP need on top of the TSO's: it buys more up
    # regulation than the common market on the same day, at no lower cost.
    kpis = every_model.kpis()
    central, integrated = kpis["eu.central"], kpis["eu.integrated"]
    assert integrated["activated_up_mwh"] > central["activated_up_mwh"] + 1.0
    assert integrated["procurement_cost"] > central["procurement_cost"]


def test_brp_need_is_validated_before_any_clearing() -> None:
    from pydantic import ValidationError

    from tdcoord.errors import StudyError

    with pytest.raises(ValidationError, match="brp_mw holds"):
        NeedsSpec(brp_mw=[2e6])
    study = load_study(SMALL)
    bad = study.compare.model_copy(update={"needs": NeedsSpec(brp_mw=[1.0, 2.0])})
    with pytest.raises(StudyError, match="brp_mw"):
        run_comparison(study.model_copy(update={"compare": bad}))
