"""Emergencies answered by the model (pipeline/events.py): the real-time re-clear on the changed
grid under each model's own scheme, energy-limited islands, TSO orders through the DSO that are
activated, delivered and settled, and the exogenous part of the energy not served."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tdcoord.coordination.catalogue import get_model
from tdcoord.coordination.network_model import transmission_model
from tdcoord.coordination.schemes import run_scheme
from tdcoord.pipeline import SharedDay, build_shared_day, run_model
from tdcoord.pipeline.events import (
    dso_may_island,
    event_window,
    exogenous_shed_mw,
    realtime_case,
    window_case,
)
from tdcoord.simulation.events import DsoSupport, FeederFault, LineTrip, LoadShedding
from tdcoord.simulation.line_trip import trip_lines
from tdcoord.study import load_study

SMALL = Path(__file__).resolve().parents[1] / "comparison" / "small_study.yaml"
F10, F12 = "create_cigre_network_mv@10", "create_cigre_network_mv@12"


def _shared(events: list[dict[str, Any]]) -> SharedDay:
    study = load_study(SMALL)
    study = study.model_copy(
        update={"compare": study.compare.model_copy(update={"events": events})}
    )
    return build_shared_day(study)


@pytest.fixture(scope="module")
def quiet() -> SharedDay:
    """The small study with no events (cases built by hand)."""
    return _shared([])


def _rt_case(sh: SharedDay) -> Any:
    """The real-time case with nothing committed (residual = the day's flexibility)."""
    return realtime_case(sh, np.zeros_like(sh.offers.quantity_mw), sh.day.flexibility)


def test_window_case_slices_every_interval_array(quiet: SharedDay) -> None:
    case = _rt_case(quiet)
    ts = np.array([3, 7, 8])
    w = window_case(case, ts)
    assert w.n_periods == 3
    np.testing.assert_array_equal(w.offers.quantity_mw, case.offers.quantity_mw[:, ts])
    np.testing.assert_array_equal(w.load_mw, case.load_mw[:, ts])
    np.testing.assert_array_equal(w.tso_need_mw, case.tso_need_mw[ts])
    for a, b in zip(w.feeder_p_mw, case.feeder_p_mw, strict=True):
        np.testing.assert_array_equal(a, b[:, ts])


def test_line_trip_reclear_sees_the_tripped_grid_and_buys_correction(quiet: SharedDay) -> None:
    """The TSO's re-clear after a trip sees the reduced grid (its PTDF); where the trip overloads
    a line the scheme acts on it, where the grid stays intact it does nothing."""
    case = _rt_case(quiet)
    ts = np.array([18, 19])
    ev = LineTrip(branch=7, interval=18, duration=2)
    wc, note = event_window(quiet, case, ev, ts)
    assert "without branch 7" in note
    tr, tr_w = case.grid.transmission, wc.grid.transmission
    assert tr is not None and tr_w is not None
    assert len(tr_w.branches) == len(tr.branches) - 1 and 7 not in tr_w.branches.id.tolist()
    # flows of the window's PTDF = an independent DC flow of the tripped grid (line_trip)
    tm = transmission_model(wc)
    inj = tm.base_injection_mw
    gen, load = np.maximum(inj, 0.0), np.maximum(-inj, 0.0)
    gen[0] += load.sum(axis=0) - gen.sum(axis=0)  # balance at the reference, like the PTDF
    ref = int(np.flatnonzero(tr.buses.is_reference)[0])
    assert ref == 0
    flows = trip_lines(tr, [7], gen, load, convention="matpower").flow_mw
    kept = tr.branches.id != 7
    expected = tm.ptdf @ (gen - load)
    np.testing.assert_allclose(flows[kept], expected, atol=1e-6)
    # rate the branch the trip loads most just below its post-trip flow: an overload appears
    before = np.abs(transmission_model(window_case(case, ts)).base_flow_mw)
    after = np.zeros_like(before)
    after[kept] = np.abs(tm.base_flow_mw)
    b = int(np.argmax(after.max(axis=1) - before.max(axis=1)))
    rating = tr.branches.rating_mva.copy()
    rating[b] = 0.5 * (before[b].max() + after[b].max())
    rated = dataclasses.replace(
        case.grid, transmission=dataclasses.replace(tr, branches=tr.branches.replace(
            rating_mva=rating)))
    tight = dataclasses.replace(case, grid=rated)
    entry = get_model("eu.central")
    intact = run_scheme(entry.scheme, window_case(tight, ts, tso_need_mw=np.zeros(2),
                                                  dso_need_mw=np.zeros((2, 2))),
                        entry.params.as_dict())
    tripped = run_scheme(entry.scheme, event_window(quiet, tight, ev, ts)[0],
                         entry.params.as_dict())
    assert intact.activation_mw.sum() == pytest.approx(0.0, abs=1e-9)
    overload = tripped.slacks[tripped.slacks["kind"].astype(str).str.contains("line")] if len(
        tripped.slacks) else tripped.slacks
    acted = tripped.activation_mw.sum() + np.abs(tripped.gen_redispatch_mw).sum()
    assert acted > 1e-6 or len(overload) > 0


def test_fault_tso_only_and_dso_aware_models_end_differently() -> None:
    """A TSO-only model (ferc2222.tso: the DSO is passive) cannot island the faulted section and
    sheds it; a DSO-aware model (eu.local) runs it as an island on its DERs' stored energy."""
    sh = _shared([{"kind": "feeder_fault", "feeder": F10, "branch": 6, "interval": 12,
                   "duration": 2}])
    assert not dso_may_island("centralized") and dso_may_island("local")
    tso_only, dso_aware = run_model(sh, "ferc2222.tso"), run_model(sh, "eu.local")
    a, b = tso_only.events, dso_aware.events
    assert a is not None and b is not None
    ra, rb = a.rows.iloc[0], b.rows.iloc[0]
    assert "section shed" in ra["detail"] and ra["state"] == "emergency"
    assert "islanded (microgrid) for the whole fault" in rb["detail"] and rb["state"] == "alert"
    assert b.energy_not_served_mwh == pytest.approx(0.0, abs=1e-9)
    # the shed section: its whole gross load over the fault (independently summed here)
    ts = np.array([12, 13])
    fd = sh.day.grid.feeder_by_id[F10]
    from tdcoord.simulation.feeder_fault import downstream_nodes

    f = [x.id for x in sh.day.grid.feeders].index(F10)
    node_m = sh.day.fleet.node_matrix(f, fd.n_node)
    gross = sh.day.points["real_time"].feeder_p_mw[f] + node_m @ sh.day.der_baseline_mw
    section = downstream_nodes(fd, 6)
    expected = float(np.maximum(gross[section][:, ts].sum(axis=0), 0).sum() * sh.day.dt_h)
    assert a.energy_not_served_mwh == pytest.approx(expected, rel=1e-9)
    assert a.energy_not_served_mwh > 0.1
    # the exogenous part is the same in both models (no DER could not carry it): here 0
    assert a.exogenous_energy_not_served_mwh == b.exogenous_energy_not_served_mwh == 0.0
    ka, kb = tso_only.kpis, dso_aware.kpis
    assert ka["exogenous_cost_eur"] == 0.0 and ka["emergency_cost"] > kb["emergency_cost"]
    # both models balance the lost import in their own re-clear (corrective actions)
    assert ra["corrective_mwh"] > 0 and rb["corrective_mwh"] > 0


def test_tso_order_is_activated_delivered_and_settled() -> None:
    sh = _shared([{"kind": "dso_support", "feeder": F12, "mw": 0.5, "direction": "up",
                   "interval": 18, "duration": 2}])
    run = run_model(sh, "eu.local")
    acts = run.day.outcome.activations
    ev = acts[acts["stage"] == "event:0:dso_support"]
    assert len(ev) and set(ev["buyer"]) == {"tso"}
    assert set(ev["interval"]) <= {18, 19}
    f = [x.id for x in sh.day.grid.feeders].index(F12)
    assert set(sh.offers.feeder[ev["offer_row"].to_numpy(int)]) == {f}  # only the ordered feeder
    got = ev.groupby("interval")["mw"].sum()
    up = sh.offers.direction[ev["offer_row"].to_numpy(int)]
    assert np.all(up > 0) and np.allclose(got.to_numpy(), 0.5)  # procured in full
    # delivered through the DER models
    members = sh.members[ev["offer_row"].to_numpy(int)]
    ders = np.unique(members.indices)
    assert run.day.response.delivered_mw[ders][:, [18, 19]].sum() > 0
    # settled with the TSO as the buyer who pays
    tx = run.settlement.transactions
    paid = tx[(tx["item"] == "activation") & (tx["buyer"] == "tso") & (tx["payer"] == "tso")
              & tx["interval"].isin([18, 19]) & tx["der_id"].isin(set(ev["der_id"]))]
    assert len(paid) and paid["amount_eur"].sum() > 0
    assert abs(run.settlement.residual_eur) < 1e-6
    row = run.events.rows.iloc[0] if run.events is not None else None
    assert row is not None and row["unmet_mwh"] == pytest.approx(0.0, abs=1e-9)


def test_shedding_order_is_covered_by_flexibility_first_and_the_rest_shed(
    quiet: SharedDay,
) -> None:
    case = _rt_case(quiet)
    ts = np.array([20, 21])
    ev = LoadShedding(feeder=F12, mw=0.2, interval=20, duration=2)
    wc, _ = event_window(quiet, case, ev, ts)
    f = [x.id for x in quiet.day.grid.feeders].index(F12)
    np.testing.assert_array_equal(wc.tso_need_mw, [0.2, 0.2])
    assert np.all(wc.offers.quantity_mw[wc.offers.feeder != f] == 0)
    down = DsoSupport(feeder=F12, mw=0.3, direction="down", interval=20, duration=2)
    np.testing.assert_array_equal(event_window(quiet, case, down, ts)[0].tso_need_mw, [-0.3] * 2)
    # no flexibility can be short of 0.2 MW here: nothing unavoidable
    assert np.allclose(exogenous_shed_mw(quiet, ev, ts), 0.0)
    huge = LoadShedding(feeder=F12, mw=1e4, interval=20, duration=2)
    load = exogenous_shed_mw(quiet, huge, ts)
    assert np.all(load > 0) and np.all(load < 1e4)  # capped at the feeder's load


def test_fault_window_cuts_the_section_off(quiet: SharedDay) -> None:
    case = _rt_case(quiet)
    ts = np.array([12, 13])
    ev = FeederFault(feeder=F10, branch=6, interval=12, duration=2)
    wc, _ = event_window(quiet, case, ev, ts)
    from tdcoord.simulation.feeder_fault import downstream_nodes

    f = [x.id for x in quiet.day.grid.feeders].index(F10)
    section = downstream_nodes(quiet.day.grid.feeders[f], 6)
    assert np.all(wc.feeder_p_mw[f][section] == 0)
    lost = case.feeder_p_mw[f][section][:, ts].sum(axis=0)
    np.testing.assert_allclose(wc.tso_need_mw, -lost)
    o = wc.offers
    in_section = (o.feeder == f) & section[np.clip(o.node, 0, section.size - 1)]
    assert np.all(o.quantity_mw[in_section] == 0)
