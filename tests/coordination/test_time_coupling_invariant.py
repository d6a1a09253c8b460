"""Invariant (issue 12 item 1): no scheme that sees the DER state ever issues an undeliverable
request. Random small fleets of batteries and heat pumps, offered alone or in bundles on a feeder,
random TSO needs over four intervals; every such scheme's activations, split to the members pro
rata (as at activation) and walked through the DER models, meet no cut
(``depleted_storage_calls == 0``)."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tdcoord.coordination.baseline import build_case
from tdcoord.coordination.intertemporal import fleet_energy_limits, time_coupling
from tdcoord.coordination.schemes import run_scheme
from tdcoord.der.base import Flexibility
from tdcoord.der.battery import Battery
from tdcoord.der.heat_pump import HeatPump
from tdcoord.kpi.deliverability import deliverability_kpis
from tdcoord.market.offers import OfferBook
from tdcoord.simulation.activation import available_flexibility, fleet_ids
from tdcoord.simulation.timeline import der_requests
from tests.coordination.cases import grid

T = 4
DT = 1.0

#: Schemes (and parameters) whose clearing sees the DER state.
SEEING: list[tuple[str, dict[str, Any]]] = [
    ("centralized", {}),
    ("integrated", {}),
    ("common", {}),
    ("common", {"variant": "decentralized"}),
    ("local", {}),
    ("fragmented", {"schedule_exchange": True}),
    ("distributed", {}),
]


@st.composite
def fleets(draw: st.DrawFn) -> tuple[list[Any], np.ndarray, np.ndarray, list[list[int]]]:
    nb = draw(st.integers(1, 4))
    nh = draw(st.integers(0, 2))
    u = st.floats(0.0, 1.0)
    b = [draw(st.tuples(u, u, u, u)) for _ in range(nb)]
    bat = Battery(
        ids=tuple(f"b{i}" for i in range(nb)),
        e_max_mwh=np.array([0.5 + 2.0 * x[0] for x in b]),
        p_charge_max_mw=np.array([0.3 + 1.0 * x[1] for x in b]),
        p_discharge_max_mw=np.array([0.3 + 1.0 * x[1] for x in b]),
        eta_charge=np.array([0.85 + 0.14 * x[2] for x in b]),
        eta_discharge=np.array([0.85 + 0.14 * x[2] for x in b]),
        soc_init=np.array([0.05 + 0.9 * x[3] for x in b]),
    )
    models: list[Any] = [bat]
    if nh:
        h = [draw(st.tuples(u, u)) for _ in range(nh)]
        models.append(HeatPump(
            ids=tuple(f"h{i}" for i in range(nh)),
            p_el_max_mw=np.array([0.05 + 0.2 * x[0] for x in h]), cop=np.full(nh, 3.0),
            c_th_mwh_per_k=np.array([0.01 + 0.1 * x[1] for x in h]),
            r_th_k_per_mw=np.full(nh, 200.0), t_min_c=np.full(nh, 20.0),
            t_max_c=np.full(nh, 22.0), t_out_c=np.full(T, 0.0),
        ))
    n = nb + nh
    need = np.array(draw(st.lists(st.floats(-3.0, 3.0), min_size=T, max_size=T)))
    node = np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    # bundles: consecutive DERs grouped by random cut points
    cuts = sorted(set(draw(st.lists(st.integers(1, max(n - 1, 1)), max_size=n))))
    edges = [0, *[c for c in cuts if 0 < c < n], n]
    bundles = [list(range(a, b)) for a, b in itertools.pairwise(edges)]
    return models, need, node, bundles


def book(flex: Flexibility, node: np.ndarray, bundles: list[list[int]]) -> tuple[OfferBook,
                                                                                 sp.csr_matrix]:
    """An up and a down step per bundle, quantity = the members' flexibility."""
    rows, q, price, nodes, direction = [], [], [], [], []
    for i, members in enumerate(bundles):
        for d, f, p in ((1, flex.up_mw, 30.0 + i), (-1, flex.down_mw, 5.0 + i)):
            rows.append(members)
            q.append(f[members].sum(axis=0))
            price.append(np.full(T, p))
            nodes.append(int(node[members[0]]))
            direction.append(d)
    k = len(rows)
    members_m = sp.lil_matrix((k, flex.up_mw.shape[0]))
    for r, mem in enumerate(rows):
        members_m[r, mem] = 1.0
    offers = OfferBook(
        offer_id=[f"o{r}" for r in range(k)], der_id=[f"bundle{r // 2}" for r in range(k)],
        aggregator_id=["a"] * k, product_id=["mfrr"] * k, der_type=["battery"] * k,
        direction=direction, feeder=[0] * k, node=nodes, reactive=[False] * k,
        quantity_mw=np.array(q), price_eur_per_mwh=np.array(price),
    )
    return offers, sp.csr_matrix(members_m)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_schemes_that_see_the_state_never_call_depleted_storage(
    fleet: tuple[list[Any], np.ndarray, np.ndarray, list[list[int]]],
) -> None:
    models, need, node, bundles = fleet
    flex = available_flexibility(models, T, DT)
    offers, members = book(flex, node, bundles)
    limits = fleet_energy_limits(models, np.zeros((flex.up_mw.shape[0], T)), DT)
    tc = time_coupling(members, offers.direction, ~offers.reactive, flex, limits,
                       fleet_ids(models), DT)
    case = build_case(grid(), offers, tso_need_mw=need)
    case = dataclasses.replace(case, time_coupling=tc)
    for name, params in SEEING:
        out = run_scheme(name, case, params)
        req, _, _ = der_requests(offers, members, out.activation_mw, flex.up_mw, flex.down_mw)
        k = deliverability_kpis(models, req, DT)
        assert k["depleted_storage_calls"] == 0, (name, params, k)
        assert k["undeliverable_request_mwh"] == 0.0
