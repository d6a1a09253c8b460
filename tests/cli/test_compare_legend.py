"""The terminal KPI table of ``tdcoord compare`` explains every abbreviated column."""

from __future__ import annotations

from tdcoord.cli.compare import TABLE_KPIS, TABLE_LEGEND, table_legend


def test_every_column_has_a_legend_entry() -> None:
    legend = table_legend()
    for key, label in TABLE_KPIS:
        assert label in TABLE_LEGEND, key
        assert f"{label} = " in legend
    assert "counter-activations (count)" in legend
