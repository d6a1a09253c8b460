"""Every bad-input error of the grid model, raised by a realistic mistake, before anything is built."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.errors import GridError
from tdcoord.grid.model import GridModel, make_feeder
from tests.grid.helpers import branches, chain_feeder, loads, nodes, three_bus


def test_unknown_bus_reference_in_transmission() -> None:
    with pytest.raises(GridError, match=r"unknown bus/node ids \[7\].*to_bus"):
        three_bus(branch={"to_bus": [2, 7, 3]})


def test_unknown_node_reference_in_feeder() -> None:
    with pytest.raises(GridError, match=r"unknown bus/node ids \[9\]"):
        make_feeder(
            "f", base_mva=1, root=0, nodes=nodes([0, 1, 2]), branches=branches([(0, 1), (1, 9)])
        )


def test_feeder_with_a_loop_is_not_radial() -> None:
    with pytest.raises(GridError, match="not radial.*1 loop") as info:
        make_feeder(
            "f",
            base_mva=1,
            root=0,
            nodes=nodes([0, 1, 2]),
            branches=branches([(0, 1), (1, 2), (2, 0)]),
        )
    assert "tie switch" in str(info.value)


def test_feeder_with_two_roots() -> None:
    import pandapower as pp
    import pandapower.networks as pn

    from tdcoord.grid.io.classify import feeder_from_tables
    from tdcoord.grid.io.pandapower import loads_and_sgens, ppc_tables

    net = pn.case33bw()
    pp.create_ext_grid(net, 20)
    tables, mapping = ppc_tables(net)
    ld, sg = loads_and_sgens(net, mapping)
    with pytest.raises(GridError, match="exactly one root.*found 2"):
        feeder_from_tables("two", tables, ld, sg)


def test_feeder_island() -> None:
    with pytest.raises(GridError, match=r"not connected: 2 islands; nodes \[3\]"):
        make_feeder(
            "f", base_mva=1, root=0, nodes=nodes([0, 1, 2, 3]), branches=branches([(0, 1), (1, 2)])
        )


def test_transmission_island_without_reference() -> None:
    t = three_bus()
    import dataclasses

    from tdcoord.grid.components import BusTable

    buses = BusTable(
        id=[1, 2, 3, 4],
        vn_kv=[230.0] * 4,
        v_min_pu=[0.9] * 4,
        v_max_pu=[1.1] * 4,
        gs_mw=[0.0] * 4,
        bs_mvar=[0.0] * 4,
        is_reference=[True, False, False, False],
    )
    with pytest.raises(GridError, match=r"island without a reference bus"):
        dataclasses.replace(t, buses=buses)


def test_duplicate_bus_ids() -> None:
    with pytest.raises(GridError, match=r"duplicate bus ids \[2\]"):
        three_bus(bus={"id": [1, 2, 2]})


def test_duplicate_feeder_ids() -> None:
    f = chain_feeder()
    with pytest.raises(GridError, match="duplicate feeder ids"):
        GridModel("g", None, (f, f))


@pytest.mark.parametrize(
    "r, x, message",
    [(-0.01, 0.02, "negative"), (0.0, 0.0, "zero impedance"), (np.nan, 0.02, "NaN")],
)
def test_bad_feeder_impedance(r: float, x: float, message: str) -> None:
    with pytest.raises(GridError, match=message):
        make_feeder(
            "f", base_mva=1, root=0, nodes=nodes([0, 1]), branches=branches([(0, 1)], r=r, x=x)
        )


@pytest.mark.parametrize("rating", [0.0, -5.0, np.nan])
def test_bad_rating(rating: float) -> None:
    with pytest.raises(GridError, match="rating_mva"):
        make_feeder(
            "f",
            base_mva=1,
            root=0,
            nodes=nodes([0, 1]),
            branches=branches([(0, 1)], rating=[rating]),
        )


def test_transmission_zero_impedance() -> None:
    with pytest.raises(GridError, match="zero impedance"):
        three_bus(branch={"r_pu": [0.0, 0.01, 0.01], "x_pu": [0.0, 0.1, 0.1]})


def test_voltage_limits_upside_down() -> None:
    with pytest.raises(GridError, match="upside down.*") as info:
        make_feeder(
            "f",
            base_mva=1,
            root=0,
            nodes=nodes([0, 1], v_min=[0.95, 1.05], v_max=[1.05, 0.95]),
            branches=branches([(0, 1)]),
        )
    assert "swap" in str(info.value)


def test_voltage_limits_in_kv() -> None:
    with pytest.raises(GridError, match="per unit"):
        three_bus(bus={"v_min_pu": [207.0] * 3, "v_max_pu": [253.0] * 3})


def test_kw_given_as_mw_on_lv_feeder() -> None:
    with pytest.raises(GridError, match="was the value given in kW") as info:
        make_feeder(
            "lv",
            base_mva=1,
            root=0,
            nodes=nodes([0, 1], vn_kv=0.4),
            branches=branches([(0, 1)]),
            loads=loads([1], [4.0]),
        )
    assert "0.4 kV" in str(info.value)


def test_kw_given_as_mw_on_transmission() -> None:
    with pytest.raises(GridError, match="was the value given in kW"):
        three_bus(load={"p_mw": [150_000.0]})


def test_generator_limits_upside_down() -> None:
    with pytest.raises(GridError, match="p_min_mw > p_max_mw"):
        three_bus(gen={"p_min_mw": [300.0, 0.0]})


def test_no_reference_bus() -> None:
    with pytest.raises(GridError, match="no reference"):
        three_bus(bus={"is_reference": [False] * 3})


def test_interface_to_unknown_feeder() -> None:
    from tdcoord.grid.components import InterfaceTable

    with pytest.raises(GridError, match="unknown feeders"):
        GridModel(
            "g",
            three_bus(),
            (chain_feeder(),),
            InterfaceTable(id=[0], transmission_bus=[3], feeder=["nope"], rating_mva=[10.0]),
        )


def test_tables_are_immutable() -> None:
    t = three_bus()
    with pytest.raises(ValueError, match="read-only"):
        t.buses.vn_kv[0] = 1.0
