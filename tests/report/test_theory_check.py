"""The report's theory check (tdcoord.report.theory_check): hand-worked tables."""

from __future__ import annotations

import pandas as pd

from tdcoord.report import ReportInput
from tdcoord.report.answer import reading
from tdcoord.report.theory_check import theory_sentences

from .synthetic import synthetic_input


def _kpis(ex_ante: list[float], total: list[float]) -> ReportInput:
    n = len(ex_ante)
    ids = synthetic_input(n_models=n).model_ids
    kpis = pd.DataFrame({"model_id": ids, "ex_ante_cost_eur": ex_ante, "total_cost": total})
    return synthetic_input(n_models=n, kpis=kpis)


def test_bound_holds_and_realised_below_is_explained() -> None:
    ri = _kpis([1000.0, 1000.0005, 1200.0], [50.0, 40.0, 60.0])
    lines = theory_sentences(ri, central=ri.model_ids[0])
    assert lines[0].startswith("Theory check: on the central clearing's own objective")
    assert "€1,000" in lines[0]
    other = ri.kpis["model_id"].iloc[1]
    assert lines[1].startswith(f"Realised totals of {other} are below {ri.model_ids[0]}'s (€50)")
    assert len(lines) == 2


def test_a_model_below_the_optimum_is_called_a_defect() -> None:
    ri = _kpis([1000.0, 998.0], [50.0, 60.0])
    lines = theory_sentences(ri, central=ri.model_ids[0])
    assert lines[0].startswith("Theory check failed:")
    assert ri.kpis["model_id"].iloc[1] in lines[0]
    assert len(lines) == 1


def test_without_the_central_model_there_is_no_check() -> None:
    ri = synthetic_input(n_models=2)
    assert theory_sentences(ri) == []
    assert not any("Theory check" in s for s in reading(ri))
