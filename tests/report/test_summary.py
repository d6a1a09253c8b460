"""Headline, best/violation marks and the plain-language reading, against hand-worked tables."""

from __future__ import annotations

import math

import pandas as pd

from tdcoord.report import ReportInput
from tdcoord.report.answer import reading
from tdcoord.report.summary import cell_styles, format_value, headline, kpi_columns

from .synthetic import synthetic_input


def _with_kpis(rows: list[dict[str, object]]) -> ReportInput:
    base = synthetic_input(n_models=len(rows))
    kpis = pd.DataFrame(rows).assign(model_id=base.model_ids)
    return synthetic_input(n_models=len(rows), kpis=kpis)


def test_headline_skips_the_cheaper_model_that_leaves_violations() -> None:
    # m0: cheapest but 2 violations; m1: clean, 120; m2: clean, 110 -> m2.
    ri = _with_kpis(
        [
            {
                "total_cost": 100.0,
                "procurement_cost": 50.0,
                "unresolved_violations": 2,
                "status": "optimal",
            },
            {
                "total_cost": 120.0,
                "procurement_cost": 120.0,
                "unresolved_violations": 0,
                "status": "optimal",
            },
            {
                "total_cost": 110.0,
                "procurement_cost": 110.0,
                "unresolved_violations": 0,
                "status": "optimal",
            },
        ]
    )
    h = headline(ri)
    assert h.model_id == ri.model_ids[2]
    assert h.cost == 110.0 and h.cost_key == "total_cost"
    assert h.violating == (ri.model_ids[0],)
    text = " ".join(reading(ri))
    assert f"Answer: {ri.model_ids[2]} is the cheapest model" in text
    assert f"{ri.model_ids[1]} +€10 (+9.1 %)" in text
    assert f"{ri.model_ids[0]} −€10 (-9.1 %) — leaves violations" in text
    assert "does not solve the grid's problems" in text


def test_failed_status_and_overload_count_as_violations() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 10.0, "unresolved_overload_mwh": 0.5, "status": "optimal"},
            {"total_cost": 20.0, "unresolved_overload_mwh": 0.0, "status": "infeasible"},
            {"total_cost": 30.0, "unresolved_overload_mwh": 0.0, "status": "optimal_with_slacks"},
        ]
    )
    h = headline(ri)
    assert h.model_id == ri.model_ids[2]
    styles = cell_styles(ri.kpis)
    assert styles["status"].tolist() == ["", "bad", "warn"]
    assert styles["unresolved_overload_mwh"].tolist() == ["bad", "best", "best"]
    assert styles["total_cost"].tolist() == ["best", "", ""]


def test_no_clean_model_gives_no_headline() -> None:
    ri = _with_kpis(
        [
            {"total_cost": 1.0, "unresolved_violations": 1},
            {"total_cost": 2.0, "unresolved_violations": 3},
        ]
    )
    h = headline(ri)
    assert h.model_id is None and math.isnan(h.cost)
    lines = reading(ri)
    assert lines[0].startswith("No model is free of unresolved violations")
    assert lines[1].startswith(f"1. {ri.model_ids[0]}: 1 violation(s) in all — total €1")
    assert lines[2].startswith(f"2. {ri.model_ids[1]}: 3 violation(s)")


def test_procurement_cost_used_when_total_missing_and_ties_go_to_report_order() -> None:
    ri = _with_kpis(
        [{"procurement_cost": 5.0}, {"procurement_cost": 5.0}, {"procurement_cost": 7.0}]
    )
    h = headline(ri)
    assert h.cost_key == "procurement_cost" and h.model_id == ri.model_ids[0]
    assert not h.has_violation_kpis


def test_columns_ordered_by_glossary_then_extras_and_max_direction() -> None:
    ri = _with_kpis(
        [
            {"zeta": 1.0, "welfare": 3.0, "total_cost": 2.0},
            {"zeta": 2.0, "welfare": 4.0, "total_cost": 1.0},
        ]
    )
    assert kpi_columns(ri.kpis) == ["total_cost", "welfare", "zeta"]
    styles = cell_styles(ri.kpis)
    assert styles["welfare"].tolist() == ["", "best"]  # higher welfare is better
    assert styles["zeta"].tolist() == ["", ""]  # unknown direction: never highlighted


def test_equal_values_not_highlighted_and_double_activations_read() -> None:
    ri = _with_kpis(
        [{"messages": 4, "double_activations": 0}, {"messages": 4, "double_activations": 3}]
    )
    assert cell_styles(ri.kpis)["messages"].tolist() == ["", ""]
    text = " ".join(reading(ri))
    assert f"Double activations of a DER in {ri.model_ids[1]} (3)" in text


def test_format_value() -> None:
    assert format_value("total_cost", 1234567.4) == "1,234,567"
    assert format_value("bytes", 2_500_000) == "2.5 MB"
    assert format_value("unresolved_violations", 3.0) == "3"
    assert format_value("curtailment_mwh", float("nan")) == "–"
    assert format_value("status", "optimal") == "optimal"


def test_float_noise_is_neither_a_difference_nor_a_best_value() -> None:
    ri = _with_kpis(
        [{"emergency_cost_eur": 7227.000000000001, "total_cost": 5.0},
         {"emergency_cost_eur": 7227.0, "total_cost": 5.0 + 1e-3}]
    )
    styles = cell_styles(ri.kpis)
    assert styles["emergency_cost_eur"].tolist() == ["", ""]
    assert styles["total_cost"].tolist() == ["best", ""]


def test_no_negative_zero() -> None:
    assert format_value("settlement_residual_eur", -1e-13) == "0"
    assert format_value("curtailment_mwh", -0.0) == "0.00"
    assert format_value("total_cost", -3.2) == "-3"
    assert format_value("curtailment_mwh", -0.002) == "-0.002"
