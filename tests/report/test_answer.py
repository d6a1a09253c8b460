"""The answer the report opens with: hand-worked tables."""

from __future__ import annotations

import pandas as pd

from tdcoord.report import ReportInput
from tdcoord.report.answer import answer, family_sentences, reading, violation_items
from tdcoord.report.summary import cell_styles

from .synthetic import synthetic_input


def _with_kpis(rows: list[dict[str, object]]) -> ReportInput:
    base = synthetic_input(n_models=len(rows))
    kpis = pd.DataFrame(rows).assign(model_id=base.model_ids)
    return synthetic_input(n_models=len(rows), kpis=kpis)


def test_cheapest_clean_model_and_every_other_extra_cost() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 200.0, "unresolved_violations": 0, "energy_not_served_mwh": 0.0},
            {"total_cost": 150.0, "unresolved_violations": 0, "energy_not_served_mwh": 0.0},
            {"total_cost": 100.0, "unresolved_violations": 4, "energy_not_served_mwh": 2.0,
             "energy_not_served_eur": 90.0},
        ]
    )
    a, b, c = ri.model_ids
    lines = answer(ri)
    assert lines[0].startswith(f"Answer: {b} is the cheapest model")
    assert "€150" in lines[0]
    # every other model: +50 € = +33.3 %, and −50 € = −33.3 % for the violating one
    assert f"{a} +€50 (+33.3 %)" in lines[1]
    assert f"{c} −€50 (-33.3 %) — leaves violations" in lines[1]
    # cheapest first in the list
    assert lines[1].index(c) < lines[1].index(a)


def test_no_clean_model_ranks_by_cost_with_violations_largest_first() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 500.0, "energy_not_served_mwh": 0.01, "energy_not_served_eur": 100.0,
             "unresolved_overload_mwh": 1.0, "violation_penalty_eur": 400.0},
            {"total_cost": 300.0, "energy_not_served_mwh": 0.03, "energy_not_served_eur": 300.0},
        ]
    )
    a, b = ri.model_ids
    lines = answer(ri)
    assert lines[0].startswith("No model is free of unresolved violations")
    assert lines[1].startswith(f"1. {b}: 0.03 MWh energy not served (€300)")
    assert lines[1].endswith("(cheapest).")
    # a: the overload penalty (€400) comes before the ENS (€100)
    assert lines[2].startswith(f"2. {a}: 1 MWh overload (€400 penalty); 0.01 MWh energy")
    assert "+€200 (+66.7 %) on the cheapest" in lines[2]


def test_noise_is_never_a_violation() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 10.0, "energy_not_served_mwh": 1.4e-14, "unresolved_violations": 0},
            {"total_cost": 20.0, "energy_not_served_mwh": 0.5, "unresolved_violations": 1},
        ]
    )
    assert answer(ri)[0].startswith(f"Answer: {ri.model_ids[0]} is the cheapest")
    assert cell_styles(ri.kpis)["energy_not_served_mwh"].tolist() == ["best", "bad"]
    row = ri.kpis.iloc[0]
    assert violation_items(row) == []


def test_one_sentence_per_family_says_what_and_why() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 10.0, "unresolved_overload_mwh": 2.0, "violation_penalty_eur": 9.0,
             "unresolved_violations": 3},
            {"total_cost": 20.0, "unresolved_violations": 0},
            {"total_cost": 30.0, "energy_not_served_mwh": 1.0, "energy_not_served_eur": 5.0,
             "unresolved_violations": 1},
        ]
    )
    schemes = ri.models["scheme"].tolist()
    fam = family_sentences(ri)
    assert len(fam) == len(dict.fromkeys(schemes))
    first = next(s for s in fam if s.startswith(f"{schemes[0]} ("))
    assert "2 MWh overload" in first and "because" in first
    second = next(s for s in fam if s.startswith(f"{schemes[1]} ("))
    assert second.endswith("leaves no unresolved violation.")
    third = next(s for s in fam if s.startswith(f"{schemes[2]} ("))
    assert "energy not served" in third and "non-delivery" in third
    assert set(fam) <= set(reading(ri))
