"""Grid prequalification: hand-solved 2-node feeder and AC power flow (pandapower)."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.der.battery import Battery
from tdcoord.der.fleet import Fleet
from tdcoord.der.grid_prequalification import (
    LINDISTFLOW_TOL_V_PU,
    FeederNetwork,
    grid_prequalify,
    operating_point,
)
from tdcoord.der.prequalification import TrafficLight
from tdcoord.grid.components import FeederBranchTable, NodeTable
from tdcoord.grid.model import GridModel, make_feeder
from tdcoord.grid.validate import NodeInjections, run_feeders
from tdcoord.market import get_product


def _two_node(rating_mva: float) -> GridModel:
    nodes = NodeTable(
        id=np.array([0, 1]),
        vn_kv=np.array([20.0, 20.0]),
        v_min_pu=np.array([0.95, 0.95]),
        v_max_pu=np.array([1.05, 1.05]),
    )
    br = FeederBranchTable(
        id=np.array([0]),
        name=np.array(["line"], dtype=object),
        from_node=np.array([0]),
        to_node=np.array([1]),
        r_pu=np.array([0.01]),
        x_pu=np.array([0.02]),
        b_pu=np.array([0.0]),
        rating_mva=np.array([rating_mva]),
        is_transformer=np.array([False]),
    )
    f = make_feeder("f", base_mva=1.0, root=0, nodes=nodes, branches=br)
    return GridModel("two", None, (f,))


def _batteries(p_mw: list[float], nodes: list[int] | None = None) -> Fleet:
    n = len(p_mw)
    bat = Battery(
        tuple(f"b{i}" for i in range(n)),
        e_max_mwh=np.full(n, 100.0),
        p_charge_max_mw=np.asarray(p_mw),
        p_discharge_max_mw=np.asarray(p_mw),
    )
    return Fleet(
        {"battery": bat},
        np.zeros(n, dtype=np.int64),
        np.asarray(nodes or [1] * n),
        np.full(n, "a", dtype=object),
        np.zeros(n, dtype=bool),
    )


def test_hand_solved_voltage() -> None:
    # V1² = 1 + 2·r·x: overvoltage (1.05 pu) from x = (1.05² − 1) / 0.02 = 5.125 MW up.
    # 2 MW: V = sqrt(1.04) = 1.0198 (green); 5 MW: V = sqrt(1.1) = 1.0488 (< 0.01 pu margin,
    # amber); 6 MW: V = sqrt(1.12) = 1.0583 (red). Down: 2 MW gives sqrt(0.96) = 0.9798 (green);
    # 5 MW gives sqrt(0.9) = 0.9487 (violates) but injecting its q = S = 5 Mvar lifts it to
    # sqrt(0.9 + 0.04·5) = 1.0488: amber "only with reactive support"; 6 MW with 6 Mvar
    # overshoots to sqrt(1.12): red.
    grid = _two_node(rating_mva=100.0)
    gp = grid_prequalify(
        grid, _batteries([2.0, 5.0, 6.0]), [get_product("congestion_dso")], n_intervals=2
    )
    up = gp.cases["up"]["light"].tolist()
    down = gp.cases["down"]["light"].tolist()
    assert up == [0, 1, 2] and down == [0, 1, 2]
    assert gp.cases["down"]["reactive_fix"].tolist() == [False, True, False]
    assert not gp.cases["up"]["reactive_fix"].any()
    res = gp.result(2, get_product("congestion_dso"))
    assert res.light is TrafficLight.RED and res.kind == "grid"
    assert any("1.0583 pu" in r and "voltage band" in r for r in res.reasons)
    assert gp.result(0, get_product("congestion_dso")).reasons == ()


def test_hand_solved_thermal() -> None:
    # rating 3 MVA, no load: |S| = x from x > 3 MW red, above 2.7 MW (90 %) amber
    grid = _two_node(rating_mva=3.0)
    gp = grid_prequalify(grid, _batteries([1.0, 2.8, 3.5]), [get_product("afrr")], n_intervals=2)
    assert gp.cases["up"]["light"].tolist() == [0, 1, 2]
    assert gp.cases["up"]["worse_s"].tolist() == [False, False, True]
    # the same three as a group: 7.3 MW at once is red for every member
    grouped = grid_prequalify(
        grid, _batteries([1.0, 2.8, 3.5]), [get_product("afrr")], n_intervals=2, groups=[0, 0, 0]
    )
    assert grouped.cases["up"]["light"].tolist() == [2, 2, 2]
    alone = grid_prequalify(
        grid, _batteries([1.0, 2.8, 3.5]), [get_product("afrr")], n_intervals=2, groups=[0, 1, 2]
    )
    assert alone.cases["up"]["light"].tolist() == [0, 1, 2]  # groups of one = singles


def test_reactive_support_that_overshoots_stays_red() -> None:
    # 5.5 MW up: V² = 1 + 0.02·5.5 = 1.11 > 1.05² (red); absorbing q = S = 5.5 Mvar gives
    # V² = 1.11 − 0.04·5.5 = 0.89 < 0.95²: reactive support cannot fix it → red.
    grid = _two_node(rating_mva=100.0)
    gp = grid_prequalify(grid, _batteries([5.5]), [get_product("mfrr")], n_intervals=2)
    assert gp.cases["up"]["light"].tolist() == [2]
    assert not gp.cases["up"]["reactive_fix"][0]


def test_lindistflow_against_pandapower(cigre_mv: GridModel) -> None:
    # CIGRE MV at 60 % load: the base case is inside the band, so red = a violation appears
    f = cigre_mv.feeders[0].scaled(0.6)
    cigre_mv = GridModel("cigre60", None, (f,))
    nodes = [3, 8, 11, 14]
    fleet = _batteries([0.5, 2.0, 4.0, 8.0], nodes)
    gp = grid_prequalify(cigre_mv, fleet, [get_product("congestion_dso")], n_intervals=96)
    net = FeederNetwork.of(f)
    base_p, base_q = operating_point(cigre_mv, 0, fleet, 96, 0.25)
    flex = fleet.flexibility(96, 0.25)
    for row, node in enumerate(nodes):
        for case, sign, mag in (("up", 1.0, flex.up_mw), ("down", -1.0, flex.down_mw)):
            w = gp.worst(row, case)
            t = w["v_interval"]
            p = base_p[:, t].copy()
            p[node] += sign * mag[row, t]
            q = base_q[:, t].copy()
            lin_v = np.sqrt(net.state(p[:, None], q[:, None])[0][:, 0])
            ac = run_feeders([f], {f.id: NodeInjections(-p, -q)})[0]
            assert ac.converged
            if ac.v_pu.min() >= 0.9:  # near the band, where lights are decided
                assert np.max(np.abs(ac.v_pu - lin_v)) < LINDISTFLOW_TOL_V_PU
            viol = (ac.v_pu > f.nodes.v_max_pu + 1e-6) | (ac.v_pu < f.nodes.v_min_pu - 1e-6)
            light = int(gp.cases[case]["light"][row])
            margin = np.min(np.minimum(f.nodes.v_max_pu - ac.v_pu, ac.v_pu - f.nodes.v_min_pu))
            if abs(margin) > LINDISTFLOW_TOL_V_PU and not gp.cases[case]["worse_s"][row]:
                # far from the band edge: AC and LinDistFlow agree on violation
                assert (light == 2) == bool(viol.any()), (row, case, margin)
    codes = gp.light_codes(get_product("congestion_dso"))
    assert codes[0] == 0 and codes[3] == 2  # 0.5 MW harmless, 8 MW violates


def test_unknown_case_is_an_error() -> None:
    from tdcoord.der.errors import DerError

    gp = grid_prequalify(
        _two_node(100.0), _batteries([1.0]), [get_product("capacity_nwa")], n_intervals=2
    )
    with pytest.raises(DerError, match="not evaluated"):
        gp.light_codes(get_product("voltage_support"))
