"""15-bus feeder with published DLMPs (Papavasiliou 2018, IEEE Trans. Smart Grid 9(5); data and
deterministic model from Mieth & Dvorkin, "Distribution Electricity Pricing under Uncertainty",
IEEE Trans. Power Systems 2020, arXiv 1905.07526, code supplement
mieth-robert/DLMP_uncertainty_CodeSupplement, data/feeder_data/feeder15). See
``data/feeder15/README.md``.

Published model: lossless LinDistFlow, w_root = 1, the rounded 12-facet polygon on s_max_orig,
objective c·g + s·‖√quad_cost·g‖₂ over the two DERs (s = sqrt(Σ (0.2·d_P)²) over nodes 2..15),
root unbounded at cost 50, DER q in ±q_max, hard limits (no slacks). The node-3 DLMP is not unique
(lines 2→3 and 3→4 carry the same flow, so their limit duals can be split arbitrarily); the
published 30.1628 is the interior-point (analytic-centre) split, which Clarabel also returns.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable
from tdcoord.grid.model import make_feeder
from tdcoord.opf.feeder.case import FacetPolygon, FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import solve_distflow
from tdcoord.opf.feeder.result import FeederResult

DATA = Path(__file__).parent / "data" / "feeder15"


def feeder15_case() -> FeederCase:
    """The published deterministic case as a FeederCase (base 1 MVA, so pu = MW)."""
    nodes = pd.read_csv(DATA / "nodes.csv")
    lines = pd.read_csv(DATA / "lines.csv")
    gens = pd.read_csv(DATA / "generators.csv")
    n, m = len(nodes), len(lines)
    ids = nodes["index"].to_numpy()
    feeder = make_feeder(
        "feeder15",
        base_mva=1.0,
        root=1,
        nodes=NodeTable(
            id=ids,
            vn_kv=np.ones(n),
            v_min_pu=np.sqrt(nodes["v_min"].to_numpy()),  # the CSV holds squared limits
            v_max_pu=np.sqrt(nodes["v_max"].to_numpy()),
        ),
        branches=FeederBranchTable(
            id=lines["index"].to_numpy(),
            name=lines["index"].astype(str).to_numpy(),
            from_node=lines["from_node"].to_numpy(),
            to_node=lines["to_node"].to_numpy(),
            r_pu=lines["r"].to_numpy(),
            x_pu=lines["x"].to_numpy(),
            b_pu=np.zeros(m),  # not used by the published LinDistFlow model
            rating_mva=lines["s_max_orig"].to_numpy(),
            is_transformer=np.zeros(m, dtype=bool),
        ),
        loads=LoadTable(
            id=ids, bus=ids, p_mw=nodes["d_P"].to_numpy(), q_mvar=nodes["d_Q"].to_numpy(),
            profile=np.array([""] * n, dtype=object),
        ),
    )
    ders = gens[gens["node"] != 1]
    s = 0.2 * float(np.sqrt((nodes["d_P"].to_numpy()[1:] ** 2).sum()))
    offers = FlexOffers(
        node=ders["node"].to_numpy(),
        p_min_mw=0.0,
        p_max_mw=ders["p_max"].to_numpy(),
        cost_eur_per_mwh=ders["cost"].to_numpy(),
        q_min_mvar=-ders["q_max"].to_numpy(),
        q_max_mvar=ders["q_max"].to_numpy(),
        norm_weight=np.sqrt(ders["quad_cost"].to_numpy()),
        norm_scale=s,
    )
    root_cost = float(gens.loc[gens["node"] == 1, "cost"].iloc[0])
    return FeederCase.build(feeder, price_eur_per_mwh=root_cost, offers=offers)


PUBLISHED = FeederOptions(polygon=FacetPolygon.published12(), losses="none", slacks=False)


@pytest.fixture(scope="module")
def result() -> FeederResult:
    return solve_distflow(feeder15_case(), PUBLISHED)


def test_objective(result: FeederResult) -> None:
    assert result.status == "optimal"
    assert result.solver == "clarabel"
    assert result.objective == pytest.approx(61.5275, abs=5e-5)


def test_active_dlmps(result: FeederResult) -> None:
    for node in (1, 2, 13, 14, 15):
        assert result.dlmp(node) == pytest.approx(50.0, abs=2e-4)
    assert result.dlmp(3) == pytest.approx(30.1628, abs=2e-4)
    for node in range(4, 13):
        assert result.dlmp(node) == pytest.approx(10.3255, abs=2e-4)


def test_binding_lines_and_voltages(result: FeederResult) -> None:
    idx = {b: i for i, b in enumerate(result.branch_ids)}
    assert result.p_flow_mw[idx[2], 0] == pytest.approx(-0.256, abs=1e-6)
    assert result.p_flow_mw[idx[3], 0] == pytest.approx(-0.256, abs=1e-6)
    assert {e["branch"] for e in result.binding["branches"]} == {2, 3}
    published = {2: 0.976936, 3: 0.999807, 4: 1.034638, 13: 0.982619, 14: 0.977795, 15: 0.975027}
    for node, v in published.items():
        assert result.v_pu[result.node_ids.index(node), 0] == pytest.approx(v, abs=2e-6)


def test_decomposition_is_congestion_only(result: FeederResult) -> None:
    p = result.prices
    assert p is not None
    np.testing.assert_allclose(p.sum(), p.total, atol=1e-9)
    np.testing.assert_allclose(p.loss, 0.0, atol=1e-12)
    np.testing.assert_allclose(p.voltage, 0.0, atol=1e-6)
    node4 = result.node_ids.index(4)
    assert p.congestion[node4, 0] == pytest.approx(10.3255 - 50.0, abs=2e-4)


def test_regular_polygon_matches_published_coefficients() -> None:
    reg, pub = FacetPolygon.regular(12), FacetPolygon.published12()
    np.testing.assert_allclose(reg.a_p, pub.a_p, atol=1e-4)
    np.testing.assert_allclose(reg.a_q, pub.a_q, atol=1e-4)
    np.testing.assert_allclose(reg.a_s, pub.a_s, atol=1e-4)
    exact = solve_distflow(
        feeder15_case(), FeederOptions(polygon=12, losses="none", slacks=False)
    )
    assert exact.objective == pytest.approx(61.5275, abs=1e-3)
