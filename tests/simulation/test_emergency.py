"""Operating states, line trips, feeder faults, TSO orders through the DSO, study-file events."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der import Battery
from tdcoord.grid.model import GridModel, Transmission, make_feeder
from tdcoord.opf.transmission.network import dc_network
from tdcoord.simulation.activation import activate, available_flexibility
from tdcoord.simulation.emergency import Margins, check_action, classify, classify_series
from tdcoord.simulation.errors import SimulationError
from tdcoord.simulation.events import check_events, parse_events
from tdcoord.simulation.feeder_fault import FaultArea, downstream_nodes, isolate_fault
from tdcoord.simulation.line_trip import trip_lines
from tdcoord.simulation.records import check_no_bypass, record
from tdcoord.simulation.tso_orders import SupportArea, request_support, shed_load
from tests.grid.helpers import branches, loads, nodes, three_bus

DT = 0.25


# --------------------------------------------------------------------------- states


def test_state_rules() -> None:
    assert classify(Margins(max_loading=0.9)) == "normal"
    assert classify(Margins(max_loading=0.9, max_n1_loading=1.2)) == "alert"
    assert classify(Margins(reserve_mw=70, reserve_required_mw=100)) == "alert"  # -30 %
    assert classify(Margins(reserve_mw=85, reserve_required_mw=100)) == "normal"
    assert classify(Margins(max_loading=1.1)) == "emergency"
    assert classify(Margins(v_min_pu=0.93)) == "emergency"
    assert classify(Margins(shed_mw=5, demand_mw=100)) == "emergency"
    assert classify(Margins(shed_mw=60, demand_mw=100)) == "blackout"
    assert classify_series(
        [
            Margins(max_loading=1.2),
            Margins(shed_mw=5, demand_mw=100),
            Margins(shed_mw=5, demand_mw=100, reconnecting=True),
            Margins(),
        ]
    ) == ["emergency", "emergency", "restorative", "normal"]
    assert classify(Margins(shed_mw=5, demand_mw=100, reconnecting=True)) == "emergency"
    check_action("emergency", "load_shedding")
    with pytest.raises(SimulationError, match="not allowed in state 'normal'"):
        check_action("normal", "load_shedding")


# --------------------------------------------------------------------------- line trip


def test_line_trip_hand_solved_overload() -> None:
    tr = three_bus()  # equal impedances; load 150 MW at bus 3, ratings 100 MW
    gen = np.array([[150.0], [0.0], [0.0]])
    load = np.array([[0.0], [0.0], [150.0]])
    intact = trip_lines(tr, [], gen, load)
    # two parallel paths 1→3 (one branch) and 1→2→3 (two): 2/3 and 1/3 of 150 MW
    assert np.allclose(intact.flow_mw[:, 0], [50.0, 50.0, 100.0])
    assert intact.states == ("normal",)
    out = trip_lines(tr, [3], gen, load)  # trip branch 1-3
    assert np.allclose(out.flow_mw[:, 0], [150.0, 150.0, 0.0])
    assert out.states == ("emergency",)
    assert sorted(out.overloads["branch"]) == [1, 2]
    assert np.allclose(out.overloads["loading"], 1.5)
    assert np.all(out.shed_mw == 0)


def test_line_trip_matches_ptdf_of_the_reduced_grid() -> None:
    tr = three_bus(
        bus={
            "id": [1, 2, 3, 4],
            "vn_kv": [230.0] * 4,
            "v_min_pu": [0.9] * 4,
            "v_max_pu": [1.1] * 4,
            "gs_mw": [0.0] * 4,
            "bs_mvar": [0.0] * 4,
            "is_reference": [True, False, False, False],
        },
        branch={
            "id": [1, 2, 3, 4, 5],
            "name": list("abcde"),
            "from_bus": [1, 2, 1, 3, 2],
            "to_bus": [2, 3, 3, 4, 4],
            "r_pu": [0.01] * 5,
            "x_pu": [0.1, 0.2, 0.15, 0.1, 0.3],
            "b_pu": [0.0] * 5,
            "rating_mva": [500.0] * 5,
            "tap_ratio": [1.0] * 5,
            "shift_deg": [0.0] * 5,
            "angmin_deg": [-360.0] * 5,
            "angmax_deg": [360.0] * 5,
            "is_transformer": [False] * 5,
        },
    )
    rng = np.random.default_rng(0)
    load = rng.uniform(0, 100, (4, 5))
    gen = np.zeros((4, 5))
    gen[0] = 0.6 * load.sum(axis=0)
    gen[1] = 0.4 * load.sum(axis=0)
    out = trip_lines(tr, [2], gen, load)
    reduced = Transmission(
        name="r",
        base_mva=tr.base_mva,
        buses=tr.buses,
        branches=tr.branches.take(tr.branches.id != 2),
        generators=tr.generators,
        loads=tr.loads,
    )
    ptdf = dc_network(reduced).ptdf()
    expected = ptdf @ (gen - load)
    assert np.allclose(out.flow_mw[np.array([0, 2, 3, 4])], expected)
    assert np.all(out.flow_mw[1] == 0)


def test_line_trip_islanding_sheds_and_curtails_with_energy_balance() -> None:
    tr = three_bus(
        bus={
            "id": [1, 2, 3, 4],
            "vn_kv": [230.0] * 4,
            "v_min_pu": [0.9] * 4,
            "v_max_pu": [1.1] * 4,
            "gs_mw": [0.0] * 4,
            "bs_mvar": [0.0] * 4,
            "is_reference": [True, False, False, False],
        },
        branch={
            "id": [1, 2, 3, 4],
            "name": list("abcd"),
            "from_bus": [1, 2, 1, 3],
            "to_bus": [2, 3, 3, 4],
            "r_pu": [0.01] * 4,
            "x_pu": [0.1] * 4,
            "b_pu": [0.0] * 4,
            "rating_mva": [500.0] * 4,
            "tap_ratio": [1.0] * 4,
            "shift_deg": [0.0] * 4,
            "angmin_deg": [-360.0] * 4,
            "angmax_deg": [360.0] * 4,
            "is_transformer": [False] * 4,
        },
    )
    load = np.array([[0.0, 0.0], [0.0, 0.0], [100.0, 80.0], [20.0, 30.0]])
    gen = np.array([[120.0, 110.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    out = trip_lines(tr, [4], gen, load)  # bus 4 is cut off: its load is lost
    assert np.allclose(out.shed_mw[3], [20.0, 30.0]) and np.allclose(out.shed_mw[:3], 0)
    assert np.allclose(out.curtailed_mw[0], [20.0, 30.0])
    assert out.states == ("emergency", "emergency")
    served = out.served_mw.sum(axis=0)
    assert np.allclose(served + out.shed_mw.sum(axis=0), load.sum(axis=0))
    assert np.allclose((gen - out.curtailed_mw).sum(axis=0), served)


def test_line_trip_bad_input() -> None:
    tr = three_bus()
    with pytest.raises(SimulationError, match="unknown transmission branch id 9"):
        trip_lines(tr, [9], np.zeros((3, 1)), np.zeros((3, 1)))
    with pytest.raises(SimulationError, match="differ by"):
        trip_lines(tr, [1], np.array([[100.0], [0], [0]]), np.array([[0.0], [0], [150]]))
    # the message names the entry and the kind of problem, not a shape that is right
    with pytest.raises(SimulationError, match=r"negative at bus row 2, interval 0 \(-5\.0 MW"):
        trip_lines(tr, [1], np.array([[0.0], [0], [-5.0]]), np.zeros((3, 1)))
    with pytest.raises(SimulationError, match="non-finite at bus row 0"):
        trip_lines(tr, [1], np.zeros((3, 1)), np.array([[np.nan], [0], [0]]))
    with pytest.raises(SimulationError, match=r"has shape \(2, 1\)"):
        trip_lines(tr, [1], np.zeros((2, 1)), np.zeros((2, 1)))


# --------------------------------------------------------------------------- feeder fault


def tree_feeder():  # type: ignore[no-untyped-def]
    # 0 - 1 - 2 - 3, and 1 - 4: branch ids 0:(0,1) 1:(1,2) 2:(2,3) 3:(1,4)
    ids = [0, 1, 2, 3, 4]
    return make_feeder(
        "f1",
        base_mva=1.0,
        root=0,
        nodes=nodes(ids),
        branches=branches([(0, 1), (1, 2), (2, 3), (1, 4)]),
        loads=loads([1, 2, 3, 4], [0.3, 0.2, 0.4, 0.1]),
    )


def test_downstream_section_by_hand() -> None:
    f = tree_feeder()
    node_ids = f.nodes.id
    assert sorted(node_ids[downstream_nodes(f, 1)].tolist()) == [2, 3]
    assert sorted(node_ids[downstream_nodes(f, 0)].tolist()) == [1, 2, 3, 4]
    assert node_ids[downstream_nodes(f, 3)].tolist() == [4]
    with pytest.raises(SimulationError, match="unknown branch id 9"):
        downstream_nodes(f, 9)


def _arrays(f, T=4):  # type: ignore[no-untyped-def]
    row = {int(i): r for r, i in enumerate(f.nodes.id)}
    load = np.zeros((f.n_node, T))
    for node, p in zip([1, 2, 3, 4], [0.3, 0.2, 0.4, 0.1], strict=True):
        load[row[node]] = p
    gen = np.zeros((f.n_node, T))
    gen[row[3]] = 0.1  # rooftop PV at node 3
    up = np.zeros((f.n_node, T))
    down = np.zeros((f.n_node, T))
    return row, load, gen, up, down


def test_fault_section_islands_when_local_der_covers_it() -> None:
    f = tree_feeder()
    row, load, gen, up, down = _arrays(f)
    up[row[3]] = 0.6  # battery at node 3 can add 0.6 MW
    down[row[3]] = 0.5
    out = isolate_fault(f, 1, FaultArea(load, gen, up, down), dt_h=DT, start_interval=60)
    assert out.islanded and out.states == ("alert",) * 4 and out.state_after == "restorative"
    assert np.allclose(out.islanded_served_mw, 0.6) and np.allclose(out.shed_mw, 0)
    assert np.allclose(out.island_redispatch_mw[row[3]], 0.5)  # 0.6 load − 0.1 PV
    assert np.allclose(out.served_grid_mw, 0.4)
    assert np.allclose(out.interface_after_mw, 0.4)
    assert np.allclose(out.interface_before_mw, 0.9)
    assert out.energy_gap_mwh(DT) == pytest.approx(0.0)
    # the energy the island needs: 0.5 MW × 4 × 0.25 h = 0.5 MWh; 0.4 MWh is not enough
    short = isolate_fault(f, 1, FaultArea(load, gen, up, down, energy_up_mwh=0.4), dt_h=DT)
    assert not short.islanded and "runs out" in short.reason


def test_fault_section_is_shed_when_der_is_too_small() -> None:
    f = tree_feeder()
    row, load, gen, up, down = _arrays(f)
    up[row[3]] = 0.3  # 0.1 PV + 0.3 < 0.6 load
    out = isolate_fault(f, 1, FaultArea(load, gen, up, down), dt_h=DT)
    assert not out.islanded and out.states == ("emergency",) * 4
    assert np.allclose(out.shed_mw, 0.6) and np.allclose(out.islanded_served_mw, 0)
    assert out.energy_gap_mwh(DT) == pytest.approx(0.0)
    assert next(m["kind"] for m in out.messages) == "fault_notice"
    assert all(m["sender"] == "dso:f1" and m["receiver"] == "tso" for m in out.messages)
    # no grid-forming unit: even with enough flexibility the section cannot island
    up[row[3]] = 1.0
    gf = np.zeros(f.n_node, dtype=bool)
    out = isolate_fault(f, 1, FaultArea(load, gen, up, down, grid_forming=gf), dt_h=DT)
    assert not out.islanded and "grid-forming" in out.reason


# --------------------------------------------------------------------------- TSO orders


def test_load_shedding_order_executed_by_the_dso() -> None:
    f = tree_feeder()
    _, load, *_ = _arrays(f, T=3)
    out = shed_load(f, [0.5, 2.0, 0.0], load, start_interval=70)
    assert np.allclose(out.executed_mw, [0.5, 1.0, 0.0])
    assert np.allclose(out.not_executed_mw, [0.0, 1.0, 0.0])
    assert np.allclose(out.served_mw + out.shed_node_mw.sum(axis=0), out.demand_mw)
    assert np.allclose(out.shed_node_mw[:, 0], load[:, 0] * 0.5)  # pro rata
    assert out.states == ("emergency", "emergency", "emergency")
    assert [(m["sender"], m["receiver"]) for m in out.messages] == [
        ("tso", "dso:f1"),
        ("dso:f1", "tso"),
    ]
    check_no_bypass(out.messages)
    prot = shed_load(f, [1.0], load[:, :1], protected_fraction=0.5)
    assert prot.executed_mw[0] == pytest.approx(0.5)
    with pytest.raises(SimulationError, match="not allowed"):
        shed_load(f, [0.5], load[:, :1], state="normal")


def test_support_request_goes_through_the_dso_to_aggregators_and_is_delivered() -> None:
    b = Battery.create(
        ["b1", "b2", "b3"], e_max_mwh=2.0, p_charge_max_mw=1.0, p_discharge_max_mw=[0.2, 0.5, 0.4]
    )
    flex = available_flexibility([b], 2, DT)
    out = request_support(
        "f1",
        [0.6, 2.0],
        "up",
        SupportArea(
            b.ids,
            flex.up_mw,
            flex.down_mw,
            price_eur_per_mwh=[50.0, 10.0, 30.0],
            aggregator_of={"b1": "A", "b2": "A", "b3": "B"},
        ),
        start_interval=72,
        dso_limit_mw=[1.0, 1.0],
    )
    # merit order b2 (10) then b3 (30) then b1 (50)
    assert np.allclose(out.der_request_mw[:, 0], [0.0, 0.5, 0.1])
    assert np.allclose(out.der_request_mw[:, 1], [0.1, 0.5, 0.4])
    assert np.allclose(out.granted_mw, [0.6, 1.0])
    assert np.allclose(out.refused_grid_mw, [0.0, 1.0])
    assert np.allclose(out.refused_flex_mw, 0.0)
    pairs = [(m["sender"], m["receiver"], m["kind"]) for m in out.messages]
    assert pairs[0] == ("tso", "dso:f1", "support_request")
    assert ("dso:f1", "aggregator:A", "activation_request") in pairs
    assert ("dso:f1", "aggregator:B", "activation_request") in pairs
    assert pairs[-1] == ("dso:f1", "tso", "support_response")
    check_no_bypass(out.messages)
    with pytest.raises(SimulationError, match="bypass|through the DSO"):
        check_no_bypass([record("tso", "aggregator:A", "activation_request", 1, 72)])
    # the per-DER requests run through the activation model and are delivered
    done = activate([b], out.der_request_mw, DT, start_interval=0)
    assert np.allclose(done.delivered_mw.sum(axis=0), out.granted_mw)
    first = SupportArea(b.ids, flex.up_mw[:, :1], flex.down_mw[:, :1])
    pro = request_support("f1", [0.55], "down", first)
    assert np.allclose(pro.der_request_mw[:, 0], -0.55 / 3)  # pro rata, equal down-flex
    with pytest.raises(SimulationError, match="not allowed"):
        request_support("f1", [1.0], "up", first, state="normal")


# --------------------------------------------------------------------------- events


def test_events_study_form_and_validation() -> None:
    grid = GridModel(name="g", transmission=three_bus(), feeders=(tree_feeder(),))
    events = parse_events(
        [
            {"kind": "line_trip", "branch": 3, "interval": 40},
            {"kind": "feeder_fault", "feeder": "f1", "branch": 2, "interval": 60, "duration": 8},
            {"kind": "load_shedding", "feeder": "f1", "mw": 0.5, "interval": 70},
            {"kind": "dso_support", "feeder": "f1", "mw": 0.2, "direction": "down", "interval": 72},
        ]
    )
    check_events(events, grid, 96)
    assert list(events[0].intervals(96)) == list(range(40, 96))
    assert list(events[1].intervals(96)) == list(range(60, 68))
    with pytest.raises(SimulationError, match="unknown transmission branch id 7") as err:
        check_events(parse_events([{"kind": "line_trip", "branch": 7, "interval": 1}]), grid, 96)
    assert err.value.where == "events[0] (line_trip)" and "branch id" in err.value.fix
    with pytest.raises(SimulationError, match="unknown branch id 9 in feeder"):
        check_events(
            parse_events([{"kind": "feeder_fault", "feeder": "f1", "branch": 9, "interval": 1}]),
            grid,
            96,
        )
    with pytest.raises(SimulationError, match="unknown feeder"):
        check_events(
            parse_events([{"kind": "load_shedding", "feeder": "x", "mw": 1, "interval": 1}]),
            grid,
            96,
        )
    with pytest.raises(SimulationError, match="after the study day"):
        check_events(parse_events([{"kind": "line_trip", "branch": 1, "interval": 96}]), grid, 96)
    with pytest.raises(SimulationError, match="events.0"):
        parse_events([{"kind": "earthquake", "interval": 3}])
