"""Small hand-built clearing cases: a 3-bus transmission grid with one or two 5-node feeders."""

from __future__ import annotations

import numpy as np

from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.case import ClearingCase
from tdcoord.grid.components import (
    BranchTable,
    BusTable,
    FeederBranchTable,
    GeneratorTable,
    InterfaceTable,
    LoadTable,
    NodeTable,
    SgenTable,
)
from tdcoord.grid.model import Feeder, GridModel, Transmission, make_feeder
from tdcoord.market.offers import OfferBook


def transmission(load_mw: float = 100.0) -> Transmission:
    return Transmission(
        name="t3",
        base_mva=100.0,
        buses=BusTable(
            id=[1, 2, 3], vn_kv=[110.0] * 3, v_min_pu=[0.9] * 3, v_max_pu=[1.1] * 3,
            gs_mw=[0.0] * 3, bs_mvar=[0.0] * 3, is_reference=[True, False, False],
        ),
        branches=BranchTable(
            id=[0, 1, 2], name=["l12", "l23", "l13"], from_bus=[1, 2, 1], to_bus=[2, 3, 3],
            r_pu=[0.0] * 3, x_pu=[0.1, 0.1, 0.1], b_pu=[0.0] * 3, rating_mva=[200.0] * 3,
            tap_ratio=[1.0] * 3, shift_deg=[0.0] * 3, angmin_deg=[-360.0] * 3,
            angmax_deg=[360.0] * 3, is_transformer=[False] * 3,
        ),
        generators=GeneratorTable(
            id=[0, 1], name=["g1", "g2"], bus=[1, 2], p_min_mw=[0.0, 0.0],
            p_max_mw=[500.0, 300.0], q_min_mvar=[-100.0] * 2, q_max_mvar=[100.0] * 2,
            cost_c0_per_h=[0.0] * 2, cost_c1_per_mwh=[20.0, 50.0], cost_c2_per_mw2h=[0.0] * 2,
        ),
        loads=LoadTable(id=[0], bus=[3], p_mw=[load_mw], q_mvar=[10.0], profile=[""]),
    )


def feeder(fid: str = "f0", rating_12: float = 2.5) -> Feeder:
    ids = [0, 1, 2, 3, 4]
    return make_feeder(
        fid, base_mva=10.0, root=0,
        nodes=NodeTable(id=ids, vn_kv=[10.0] * 5, v_min_pu=[0.95] * 5, v_max_pu=[1.05] * 5),
        branches=FeederBranchTable(
            id=[0, 1, 2, 3], name=["b01", "b12", "b23", "b34"], from_node=[0, 1, 2, 3],
            to_node=[1, 2, 3, 4], r_pu=[0.01] * 4, x_pu=[0.02] * 4, b_pu=[0.0] * 4,
            rating_mva=[10.0, rating_12, 10.0, 10.0], is_transformer=[False] * 4,
        ),
        loads=LoadTable(id=[0, 1, 2, 3], bus=[1, 2, 3, 4], p_mw=[1.0] * 4, q_mvar=[0.2] * 4,
                        profile=[""] * 4),
        sgens=SgenTable.empty(),
    )


def grid(n_feeders: int = 1, rating_12: float = 2.5) -> GridModel:
    feeders = tuple(feeder(f"f{i}", rating_12) for i in range(n_feeders))
    return GridModel(
        name="designed", transmission=transmission(), feeders=feeders,
        interfaces=InterfaceTable(
            id=list(range(n_feeders)), transmission_bus=[3] * n_feeders,
            feeder=[f.id for f in feeders], rating_mva=[20.0] * n_feeders,
        ),
    )


def offers(
    rows: list[tuple[str, int, int, int, float, float]],
    T: int,
    agg: str = "a",
    product: str = "congestion_shared",
) -> OfferBook:
    """rows: (id, feeder, node, direction, quantity, price), constant over T intervals; every
    row of ``product`` (default one both the TSO and the DSO may buy)."""
    n = len(rows)
    return OfferBook(
        offer_id=[r[0] for r in rows], der_id=[f"der_{r[0]}" for r in rows],
        aggregator_id=[agg] * n, product_id=[product] * n, der_type=["battery"] * n,
        direction=[r[3] for r in rows], feeder=[r[1] for r in rows], node=[r[2] for r in rows],
        reactive=[False] * n, quantity_mw=np.repeat([[r[4]] for r in rows], T, 1),
        price_eur_per_mwh=np.repeat([[r[5]] for r in rows], T, 1),
    )


DESIGNED_OFFERS = [
    ("up_upstream", 0, 1, 1, 3.0, 10.0),
    ("up_downstream", 0, 4, 1, 1.2, 30.0),
    ("down_mid", 0, 3, -1, 2.0, 2.0),
    ("up_g2", -1, 1, 1, 50.0, 40.0),
    ("down_g1", -1, 0, -1, 50.0, 5.0),
]


def designed_case(need: tuple[float, ...] = (4.0, -1.0)) -> ClearingCase:
    """Feeder branch b12 overloaded by the baseline (3 MW through a 2.5 MVA branch)."""
    T = len(need)
    return build_case(grid(), offers(DESIGNED_OFFERS, T), tso_need_mw=np.asarray(need))
