"""ReportInput validation: clear errors for bad frames, graceful empty frames, normalised ids."""

from __future__ import annotations

import pandas as pd
import pytest

from tdcoord.errors import TdcoordError
from tdcoord.report import FRAME_SCHEMAS, ReportError, ReportInput, empty_frame

from .synthetic import synthetic_input


def test_missing_columns_name_the_frame_and_the_columns() -> None:
    good = synthetic_input()
    bad = good.interface_flows.drop(columns=["scheduled_mw", "actual_mw"])
    with pytest.raises(ReportError) as err:
        synthetic_input(interface_flows=bad)
    msg = str(err.value)
    assert "'interface_flows'" in msg
    assert "actual_mw" in msg and "scheduled_mw" in msg
    assert "Fix:" in msg
    assert isinstance(err.value, TdcoordError)


def test_models_frame_missing_a_qualitative_column() -> None:
    good = synthetic_input()
    with pytest.raises(ReportError, match=r"'models'.*complexity"):
        synthetic_input(models=good.models.drop(columns=["complexity"]))


def test_unknown_model_id_in_a_detail_frame() -> None:
    good = synthetic_input()
    cost = pd.concat(
        [good.cost_by_actor, pd.DataFrame([{"model_id": "ghost", "actor": "tso", "cost_eur": 1.0}])]
    )
    with pytest.raises(ReportError, match=r"cost_by_actor.*ghost"):
        synthetic_input(cost_by_actor=cost)


def test_model_without_kpi_row_and_duplicate_kpi_rows() -> None:
    good = synthetic_input()
    with pytest.raises(ReportError, match="no KPI row"):
        synthetic_input(kpis=good.kpis.iloc[1:])
    with pytest.raises(ReportError, match="twice in kpis"):
        synthetic_input(kpis=pd.concat([good.kpis, good.kpis.iloc[:1]]))


def test_non_numeric_value_is_located() -> None:
    good = synthetic_input()
    lmp = good.lmp.astype({"price_eur_per_mwh": object})
    lmp.loc[3, "price_eur_per_mwh"] = "cheap"
    with pytest.raises(ReportError, match=r"row 3"):
        synthetic_input(lmp=lmp)


def test_fractional_interval_rejected() -> None:
    good = synthetic_input()
    v = good.voltages.assign(interval=good.voltages["interval"] + 0.5)
    with pytest.raises(ReportError, match="whole numbers"):
        synthetic_input(voltages=v)


def test_dangling_grid_edge_and_bad_edge_kind() -> None:
    good = synthetic_input()
    e = pd.concat(
        [
            good.grid_edges,
            pd.DataFrame(
                [{"kind": "feeder", "feeder_id": "f0", "from_id": "F:f0:0", "to_id": "F:f0:99"}]
            ),
        ]
    )
    with pytest.raises(ReportError, match="F:f0:99"):
        synthetic_input(grid_edges=e)
    with pytest.raises(ReportError, match="kind"):
        synthetic_input(grid_edges=good.grid_edges.assign(kind="line"))


def test_empty_models_rejected_and_empty_optional_frames_accepted() -> None:
    good = synthetic_input()
    with pytest.raises(ReportError, match="'models' is empty"):
        synthetic_input(models=good.models.iloc[:0], kpis=good.kpis.iloc[:0])
    ri = synthetic_input(dlmp=pd.DataFrame(), voltages=empty_frame("voltages"), timeline=None)
    assert not ri.has("dlmp") and not ri.has("voltages") and not ri.has("timeline")
    assert set(FRAME_SCHEMAS["dlmp"].required) <= set(ri.dlmp.columns)


def test_minimal_input_only_models_and_kpis() -> None:
    good = synthetic_input()
    ri = ReportInput(
        study_name="s",
        provenance={},
        models=good.models,
        kpis=good.kpis[["model_id"]],
    )
    assert ri.model_ids == good.model_ids


def test_ids_are_normalised_and_kpis_follow_model_order() -> None:
    good = synthetic_input()
    lmp = good.lmp.assign(bus_id=good.lmp["bus_id"].astype(float))
    ri = synthetic_input(lmp=lmp, kpis=good.kpis.iloc[::-1])
    assert set(ri.lmp["bus_id"]) == {str(b) for b in range(6)}
    assert ri.kpis["model_id"].tolist() == ri.model_ids


def test_grid_nodes_derived_from_edges_when_not_given() -> None:
    good = synthetic_input()
    ri = synthetic_input(grid_nodes=pd.DataFrame())
    assert set(ri.grid_nodes["key"]) == set(good.grid_nodes["key"])
    kinds = dict(zip(ri.grid_nodes["key"], ri.grid_nodes["kind"], strict=True))
    assert kinds["T:0"] == "transmission" and kinds["F:f1:2"] == "feeder"


def test_bad_scalars() -> None:
    with pytest.raises(ReportError, match="v_limits_pu"):
        synthetic_input(v_limits_pu=(1.05, 0.95))
    with pytest.raises(ReportError, match="provenance"):
        synthetic_input(provenance="v1")
    with pytest.raises(ReportError, match="unknown report frame"):
        empty_frame("prices")
