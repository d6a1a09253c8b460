"""Figures carry exactly the numbers of the input (checked against direct pandas/numpy sums)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tdcoord.report import figures as fg
from tdcoord.report.data import node_key

from .synthetic import synthetic_input


def test_voltage_extremes_match_brute_force() -> None:
    ri = synthetic_input(n_models=2, n_feeders=3, n_nodes=5, n_intervals=4, seed=3)
    ext = fg.voltage_extremes(ri)
    v = ri.voltages
    for (m, t), g in v.groupby(["model_id", "interval"]):
        row = ext.loc[(ext["model_id"] == m) & (ext["interval"] == t)].iloc[0]
        vals = g["v_pu"].to_numpy()
        assert row["v_min"] == vals.min() and row["v_max"] == vals.max()
        keys = node_key(g["feeder_id"], g["node_id"]).to_numpy()
        assert row["at_min"] in set(keys[vals == vals.min()])
    assert len(ext) == v.groupby(["model_id", "interval"]).ngroups


def test_voltage_figure_draws_min_and_max_per_model_and_limits() -> None:
    ri = synthetic_input(n_models=3, n_intervals=6)
    fig = fg.voltage_profiles(ri)
    assert len(fig.data) == 2 * 3
    ext = fg.voltage_extremes(ri)
    first = ext.loc[ext["model_id"] == ri.model_ids[0]]
    assert np.allclose(fig.data[0].y, first["v_max"].to_numpy(), atol=1e-6)
    assert np.allclose(fig.data[1].y, first["v_min"].to_numpy(), atol=1e-6)
    assert sorted(s.y0 for s in fig.layout.shapes) == [0.95, 1.05]
    limited = synthetic_input(voltages=ri.voltages.assign(v_min_pu=0.9, v_max_pu=1.1))
    assert fg.voltage_limits(limited) == (0.9, 1.1)


def test_map_interval_is_the_widest_spread() -> None:
    ri = synthetic_input()
    spread = ri.dlmp.pivot_table(index="interval", values="price_eur_per_mwh", aggfunc=np.ptp)
    assert fg.map_interval(ri.dlmp) == int(spread["price_eur_per_mwh"].idxmax())


def test_price_map_one_trace_per_model_coloured_by_its_prices() -> None:
    ri = synthetic_input(n_models=3, n_feeders=2, n_nodes=4, n_intervals=5)
    fig = fg.dlmp_map(ri, interval=2)
    model_traces = [t for t in fig.data if t.name in ri.model_ids]
    assert [t.name for t in model_traces] == ri.model_ids
    assert [t.visible for t in model_traces] == [True, False, False]
    for t in model_traces:
        d = ri.dlmp.loc[(ri.dlmp["model_id"] == t.name) & (ri.dlmp["interval"] == 2)]
        want = dict(
            zip(node_key(d["feeder_id"], d["node_id"]), d["price_eur_per_mwh"], strict=True)
        )
        got = dict(zip(t.text, t.marker.color, strict=True))
        assert got.keys() == want.keys()
        assert np.allclose([got[k] for k in want], list(want.values()), atol=1e-4)
    # Dropdown: one button per model making exactly its trace visible.
    buttons = fig.layout.updatemenus[0].buttons
    assert [b.label for b in buttons] == ri.model_ids
    assert sum(buttons[1].args[0]["visible"][-3:]) == 1 and buttons[1].args[0]["visible"][-2]
    lmp = fg.lmp_map(ri)
    assert sum(t.name in ri.model_ids for t in lmp.data) == 3


def test_cost_breakdown_totals_equal_sums() -> None:
    ri = synthetic_input(n_models=3)
    fig = fg.cost_breakdown(ri)
    total = next(t for t in fig.data if t.name == "total cost")
    want = ri.cost_by_actor.groupby("model_id")["cost_eur"].sum().reindex(ri.model_ids)
    assert np.allclose(total.y, want.to_numpy(), rtol=1e-6)
    bars = [t for t in fig.data if t.type == "bar"]
    assert np.allclose(np.sum([b.y for b in bars], axis=0), want.to_numpy(), rtol=1e-6)


def test_activations_are_signed_sums_per_product_and_type() -> None:
    ri = synthetic_input(n_models=2)
    fig = fg.activations(ri)
    a = ri.activations
    for t in fig.data:
        prod = fig.layout.annotations[int((t.xaxis or "x")[1:] or 1) - 1].text
        sub = a[(a["der_type"] == t.name) & (a["product_id"] == prod)]
        want = (sub["mwh"] * sub["direction"]).groupby(sub["model_id"]).sum().reindex(ri.model_ids)
        assert np.allclose(t.y, want.fillna(0).to_numpy(), atol=1e-5)


def test_messages_heatmap_cells_and_pooling() -> None:
    ri = synthetic_input(n_models=2, n_feeders=3)
    fig = fg.messages_heatmap(ri)
    h = fig.data[0]
    msg = ri.messages.loc[ri.messages["model_id"] == ri.model_ids[0]]
    z = np.asarray(h.z, dtype=float)
    for s, r, n in msg[["sender", "receiver", "messages"]].itertuples(index=False):
        assert z[list(h.y).index(s), list(h.x).index(r)] == n
    assert np.nansum(z) == msg["messages"].sum()
    pooled = fg.messages_heatmap(ri, max_actors=2)
    assert "others" in pooled.data[0].x
    assert np.nansum(np.asarray(pooled.data[0].z, dtype=float)) == msg["messages"].sum()


def test_interface_flows_rank_feeders_by_deviation() -> None:
    ri = synthetic_input(n_models=3, n_feeders=5)
    f = ri.interface_flows
    dev = (f["actual_mw"] - f["scheduled_mw"]).abs().groupby(f["feeder_id"]).sum()
    assert fg.ranked_feeders(ri, 2) == list(dev.sort_values(ascending=False).index[:2])
    fig = fg.interface_flows(ri, max_feeders=2)
    sched = [t for t in fig.data if t.name == "schedule"]
    assert len(sched) == 2  # schedules shared by the models: one dashed line per feeder
    assert len(fig.data) == 2 * (1 + 3)


def test_settlement_bars_sum_per_model() -> None:
    ri = synthetic_input(n_models=3)
    fig = fg.settlement(ri, max_parties=1)
    want = ri.settlement.groupby("model_id")["amount_eur"].sum()
    for t in fig.data:
        assert np.isclose(np.sum(t.y), want[t.name], atol=1e-2)
    assert any(str(x).startswith("other ") for x in fig.data[0].x)


def test_missing_data_gives_a_note_figure() -> None:
    ri = synthetic_input(dlmp=pd.DataFrame(), timeline=None, messages=pd.DataFrame())
    for fig in (fg.dlmp_map(ri), fg.timeline(ri), fg.messages_heatmap(ri)):
        assert len(fig.data) == 0 and "no" in fig.layout.annotations[0].text.lower()


def test_kpi_table_marks_best_and_violations() -> None:
    ri = synthetic_input(n_models=3)
    fig = fg.kpi_table(ri)
    cells = fig.data[0].cells
    labels = list(cells.values[0])
    row = labels.index("Unresolved violations")
    n_viol = ri.kpis["unresolved_violations"].to_numpy()
    fills = [cells.fill.color[2 + m][row] for m in range(3)]
    assert [f == fg.FILL["bad"] for f in fills] == list(n_viol > 0)
    cost_row = labels.index("Total cost")
    best = int(np.argmin(ri.kpis["total_cost"].to_numpy()))
    assert cells.fill.color[2 + best][cost_row] == fg.FILL["best"]


def test_price_map_opens_where_one_model_differs_most_never_on_a_model_without_prices() -> None:
    ri = synthetic_input(n_models=3, n_intervals=6)
    spread = ri.dlmp.groupby(["model_id", "interval"])["price_eur_per_mwh"].agg(np.ptp)
    model, interval = fg.map_focus(ri.dlmp, ri.model_ids)
    assert spread[(model, interval)] == spread.max()
    # the last model has no DLMPs: it is neither shown first nor in the menu
    without = ri.dlmp.loc[ri.dlmp["model_id"] != ri.model_ids[-1]]
    flat = without.assign(
        price_eur_per_mwh=np.where(
            without["model_id"] == ri.model_ids[0], 10.0, without["price_eur_per_mwh"]
        )
    )
    ri2 = synthetic_input(n_models=3, n_intervals=6, dlmp=flat)
    fig = fg.dlmp_map(ri2)
    menu = fig.layout.updatemenus[0]
    assert [b.label for b in menu.buttons] == ri.model_ids[:2]
    assert menu.active == 1  # the first model is flat: open on the second
    shown = [t for t in fig.data if t.visible is not False and t.name in ri.model_ids]
    assert [t.name for t in shown] == [ri.model_ids[1]]


def test_price_map_on_a_copper_plate_opens_where_models_differ_most() -> None:
    ri = synthetic_input(n_models=3, n_intervals=6)
    flat = ri.dlmp.assign(price_eur_per_mwh=40.0)
    odd = (flat["model_id"] == ri.model_ids[2]) & (flat["interval"] == 4)
    flat.loc[odd, "price_eur_per_mwh"] = 10_000.0
    assert fg.uniform_prices(flat)
    assert fg.map_focus(flat, ri.model_ids) == (ri.model_ids[2], 4)
    fig = fg.dlmp_map(synthetic_input(n_models=3, n_intervals=6, dlmp=flat))
    assert "uniform over the grid" in fig.layout.title.text
