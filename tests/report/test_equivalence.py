"""Declared equivalent models are grouped in the report; qualitative colours follow each
attribute's better direction; the procurement chart is reconciled with total cost."""

from __future__ import annotations

from tdcoord.report import render_report
from tdcoord.report.equivalence import equivalence_groups, shown_columns
from tdcoord.report.html import quality_class

from .synthetic import synthetic_input


def _with_pair(identical: bool) -> object:
    ri = synthetic_input(n_models=3)
    a, b, _ = ri.model_ids
    models = ri.models.assign(
        equivalent_to=[b, a, ""], equivalence_reason=["same scheme", "same scheme", ""]
    )
    kpis = ri.kpis.copy()
    if identical:
        cols = [c for c in kpis.columns if c != "model_id"]
        kpis.loc[kpis["model_id"] == b, cols] = kpis.loc[kpis["model_id"] == a, cols].to_numpy()
    return synthetic_input(n_models=3, models=models, kpis=kpis)


def test_identical_declared_group_shown_once() -> None:
    ri = _with_pair(identical=True)
    a, b, c = ri.model_ids  # type: ignore[attr-defined]
    groups = equivalence_groups(ri)  # type: ignore[arg-type]
    assert [(g.ids, g.identical) for g in groups] == [((a, b), True)]
    assert shown_columns(ri) == [(a, f"{a} ≡ {b}"), (c, c)]  # type: ignore[arg-type]
    html = render_report(ri)  # type: ignore[arg-type]
    assert f"<th>{a} ≡ {b}</th>" in html and "shown once in the KPI table" in html


def test_differing_declared_group_keeps_its_columns() -> None:
    ri = _with_pair(identical=False)
    a, b, c = ri.model_ids  # type: ignore[attr-defined]
    assert [g.identical for g in equivalence_groups(ri)] == [False]  # type: ignore[arg-type]
    assert [m for m, _ in shown_columns(ri)] == [a, b, c]  # type: ignore[arg-type]
    assert "differ on this study" in render_report(ri)  # type: ignore[arg-type]


def test_quality_colours_follow_each_attributes_better_direction() -> None:
    assert quality_class("neutrality", "high") == "q-good"
    assert quality_class("transparency", "low") == "q-poor"
    assert quality_class("complexity", "high") == "q-poor"
    assert quality_class("complexity", "low") == "q-good"
    assert quality_class("complexity", "medium") == "q-mid"


def test_procurement_chart_is_labelled_and_reconciled() -> None:
    ri = synthetic_input(n_models=2)
    html = render_report(ri)
    costs = html.split('id="costs"', 1)[1].split("</section>", 1)[0]
    assert "the sum is the KPI table&#x27;s total cost" in costs or "chart total EUR" in costs
    assert "total cost (KPI table) EUR" in costs
    total = float(ri.kpis["total_cost"].iloc[0])
    assert f"{total:,.0f}" in costs
