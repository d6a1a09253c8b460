"""Small hand-made grids for tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    FeederBranchTable,
    GeneratorTable,
    LoadTable,
    NodeTable,
)
from tdcoord.grid.model import Feeder, Transmission, make_feeder


def nodes(ids: list[int], vn_kv: float = 10.0, **kw: Any) -> NodeTable:
    n = len(ids)
    return NodeTable(
        id=ids,
        vn_kv=[vn_kv] * n,
        v_min_pu=kw.get("v_min", [0.95] * n),
        v_max_pu=kw.get("v_max", [1.05] * n),
    )


def branches(
    pairs: list[tuple[int, int]], r: float = 0.01, x: float = 0.02, **kw: Any
) -> FeederBranchTable:
    n = len(pairs)
    return FeederBranchTable(
        id=list(range(n)),
        name=[f"b{i}" for i in range(n)],
        from_node=[a for a, _ in pairs],
        to_node=[b for _, b in pairs],
        r_pu=kw.get("r_list", [r] * n),
        x_pu=kw.get("x_list", [x] * n),
        b_pu=[0.0] * n,
        rating_mva=kw.get("rating", [np.inf] * n),
        is_transformer=[False] * n,
    )


def loads(node_ids: list[int], p_mw: list[float]) -> LoadTable:
    n = len(node_ids)
    return LoadTable(
        id=list(range(n)), bus=node_ids, p_mw=p_mw, q_mvar=[0.2 * p for p in p_mw], profile=[""] * n
    )


def chain_feeder(n: int = 4, vn_kv: float = 10.0, load_mw: float = 0.5) -> Feeder:
    ids = list(range(n))
    return make_feeder(
        "chain",
        base_mva=1.0,
        root=0,
        nodes=nodes(ids, vn_kv),
        branches=branches([(i, i + 1) for i in range(n - 1)]),
        loads=loads(ids[1:], [load_mw] * (n - 1)),
    )


def three_bus(**over: Any) -> Transmission:
    bus = dict(
        id=[1, 2, 3],
        vn_kv=[230.0] * 3,
        v_min_pu=[0.9] * 3,
        v_max_pu=[1.1] * 3,
        gs_mw=[0.0] * 3,
        bs_mvar=[0.0] * 3,
        is_reference=[True, False, False],
    )
    bus.update(over.pop("bus", {}))
    br = dict(
        id=[1, 2, 3],
        name=["a", "b", "c"],
        from_bus=[1, 2, 1],
        to_bus=[2, 3, 3],
        r_pu=[0.01] * 3,
        x_pu=[0.1] * 3,
        b_pu=[0.0] * 3,
        rating_mva=[100.0] * 3,
        tap_ratio=[1.0] * 3,
        shift_deg=[0.0] * 3,
        angmin_deg=[-360.0] * 3,
        angmax_deg=[360.0] * 3,
        is_transformer=[False] * 3,
    )
    br.update(over.pop("branch", {}))
    ld = dict(id=[1], bus=[3], p_mw=[150.0], q_mvar=[30.0], profile=[""])
    ld.update(over.pop("load", {}))
    gen = dict(
        id=[1, 2],
        name=["g1", "g2"],
        bus=[1, 2],
        p_min_mw=[0.0, 0.0],
        p_max_mw=[200.0, 200.0],
        q_min_mvar=[-100.0] * 2,
        q_max_mvar=[100.0] * 2,
        cost_c0_per_h=[0.0] * 2,
        cost_c1_per_mwh=[10.0, 20.0],
        cost_c2_per_mw2h=[0.0] * 2,
    )
    gen.update(over.pop("gen", {}))
    return Transmission(
        name="three",
        base_mva=100.0,
        buses=BusTable(**bus),
        branches=BranchTable(**br),
        generators=GeneratorTable(**gen),
        loads=LoadTable(**ld),
    )
