"""KPIs of a settled model and the KPI table."""

from __future__ import annotations

from tdcoord.kpi.settled import kpi_frame


def test_kpi_frame_keeps_scalars_in_order() -> None:
    frame = kpi_frame({"m.a": {"total_cost": 2.0, "by": {"x": 1}}, "m.b": {"total_cost": 1.0}})
    assert frame.columns.tolist() == ["model_id", "total_cost"]
    assert frame["model_id"].tolist() == ["m.a", "m.b"]
