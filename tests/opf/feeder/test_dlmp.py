"""DLMP decomposition: exact sums, path-matrix closed form, hypothesis invariants."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.topology import incidence, path_matrix
from tdcoord.opf.feeder.case import FeederCase, FeederOptions, FlexOffers
from tdcoord.opf.feeder.distflow import solve_distflow
from tdcoord.opf.feeder.program import build_program
from tdcoord.opf.feeder.socp import solve_socp

LOSSLESS = FeederOptions(losses="none")


def tree(parents: list[int], loads: list[float], *, rating: float = np.inf,
         v_min: float = 0.9) -> Feeder:
    """Node i + 1 hangs below node parents[i] (< i + 1); base 10 MVA, 20 kV."""
    n = len(parents) + 1
    ids = np.arange(n) + 100  # ids differ from rows on purpose
    par = np.asarray(parents)
    m = n - 1
    return make_feeder(
        "tree",
        base_mva=10.0,
        root=100,
        nodes=NodeTable(id=ids, vn_kv=np.full(n, 20.0), v_min_pu=np.full(n, v_min),
                        v_max_pu=np.full(n, 1.1)),
        branches=FeederBranchTable(
            id=np.arange(m), name=np.array([f"b{i}" for i in range(m)], dtype=object), from_node=ids[par],
            to_node=ids[1:], r_pu=np.linspace(0.01, 0.03, m), x_pu=np.linspace(0.02, 0.04, m),
            b_pu=np.zeros(m), rating_mva=np.full(m, rating), is_transformer=np.zeros(m, bool),
        ),
        loads=LoadTable(id=ids[1:], bus=ids[1:], p_mw=np.asarray(loads), q_mvar=0.2 * np.asarray(loads),
                        profile=np.array([""] * m, dtype=object)),
    )


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[int], list[float]]:
    n = draw(st.integers(2, 12))
    parents = [draw(st.integers(0, i)) for i in range(n - 1)]
    loads = draw(st.lists(st.floats(0.0, 0.5), min_size=n - 1, max_size=n - 1))
    return parents, loads


@settings(max_examples=15, deadline=None)
@given(trees(), st.floats(-50.0, 200.0))
def test_no_binding_limit_means_uniform_price(data: tuple[list[int], list[float]],
                                              price: float) -> None:
    f = tree(*data)
    r = solve_distflow(FeederCase.build(f, price_eur_per_mwh=price), LOSSLESS)
    assert r.status == "optimal" and not r.binding["branches"] and not r.binding["voltages"]
    assert r.prices is not None
    np.testing.assert_allclose(r.prices.total, price, atol=1e-7)
    np.testing.assert_allclose(r.prices.energy, price)
    np.testing.assert_allclose(r.prices.sum(), r.prices.total, atol=1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(3, 8), st.integers(0, 6), st.floats(60.0, 150.0))
def test_import_congestion_raises_prices_downstream(n: int, cut: int, der_cost: float) -> None:
    """A chain whose branch `cut` is too small for the downstream load, with an expensive DER at
    the end: every DLMP is ≥ its parent's, and the jump sits at the congested branch."""
    cut = min(cut, n - 2)
    f = tree(list(range(n - 1)), [0.4] * (n - 1))
    rating = np.full(n - 1, np.inf)
    rating[cut] = 0.3
    f = make_feeder("chain", base_mva=10.0, root=100, nodes=f.nodes,
                    branches=f.branches.replace(rating_mva=rating), loads=f.loads)
    offers = FlexOffers(node=np.array([100 + n - 1]), p_min_mw=0.0, p_max_mw=5.0,
                        cost_eur_per_mwh=der_cost, q_min_mvar=-5.0, q_max_mvar=5.0)
    r = solve_distflow(FeederCase.build(f, price_eur_per_mwh=50.0, offers=offers), LOSSLESS)
    assert r.status == "optimal" and r.prices is not None
    lam = r.prices.total[:, 0]
    assert (lam[1:] >= lam[f.parent[1:]] - 1e-7).all()
    assert lam[cut + 1] == pytest.approx(der_cost, abs=1e-6)
    assert lam[cut] == pytest.approx(50.0, abs=1e-6)
    np.testing.assert_allclose(r.prices.sum()[:, 0], lam, atol=1e-9)
    np.testing.assert_allclose(r.prices.voltage, 0.0, atol=1e-9)


def test_path_matrix() -> None:
    f = tree([0, 0, 1, 1, 3], [0.1] * 5)
    B = path_matrix(f).toarray()
    # row j lists the branches on the path root → j; the path of a node contains its parent's
    assert B[0].sum() == 0
    for j in range(1, f.n_node):
        expected = B[f.parent[j]].copy()
        expected[j - 1] = 1
        np.testing.assert_array_equal(B[j], expected)
    # downstream matrix Bᵀ inverts the reduced incidence (flow = sum of downstream loads)
    M = incidence(f)[1:, :].toarray()
    np.testing.assert_allclose(M @ B[1:].T, np.eye(f.n_node - 1), atol=1e-12)


def test_lossless_closed_form_with_voltage_and_congestion() -> None:
    """λ = π − B·(a_pᵀκ) + 2·B·diag(r/S_base)·Bᵀ·ν (Papavasiliou 2018; Bai et al. 2018)."""
    f = tree([0, 1, 2, 1, 4], [0.6, 0.5, 2.5, 0.4, 0.3], v_min=0.995)
    rating = np.array([np.inf, np.inf, np.inf, 0.6, np.inf])
    f = make_feeder("t", base_mva=10.0, root=100, nodes=f.nodes,
                    branches=f.branches.replace(rating_mva=rating), loads=f.loads)
    offers = FlexOffers(node=np.array([103, 105]), p_min_mw=0.0, p_max_mw=3.0,
                        cost_eur_per_mwh=[400.0, 300.0], q_min_mvar=0.0, q_max_mvar=0.0)
    case = FeederCase.build(f, price_eur_per_mwh=40.0, offers=offers)
    r = solve_distflow(case, LOSSLESS)
    assert r.status == "optimal" and r.prices is not None
    assert r.binding["voltages"] and r.binding["branches"]
    assert np.abs(r.prices.voltage).max() > 1.0 and np.abs(r.prices.congestion).max() > 1.0
    program = build_program(case, LOSSLESS)
    rb = program.lp.row_blocks
    nu = r.row_duals[rb["v_limit"]]
    kappa = r.row_duals[rb["thermal"]].reshape(LOSSLESS.facets().n_facets, -1)
    B = path_matrix(f)
    r_over = f.branches.r_pu / f.base_mva
    volt = 2.0 * B @ (r_over * (B[1:].T @ nu))  # ν of the non-root nodes
    a_p = LOSSLESS.facets().a_p
    per_branch = np.zeros(f.n_node - 1)
    per_branch[program.rated] = a_p @ kappa
    cong = -(B @ per_branch)
    np.testing.assert_allclose(r.prices.voltage[:, 0], volt, atol=1e-7)
    np.testing.assert_allclose(r.prices.congestion[:, 0], cong, atol=1e-7)
    np.testing.assert_allclose(40.0 + volt + cong, r.prices.total[:, 0], atol=1e-7)
    assert sp.issparse(B)


def test_loss_components_sum_exactly_lp_and_socp() -> None:
    f = tree([0, 1, 2, 1], [1.5, 1.0, 1.2, 0.8])
    case = FeederCase.build(f, price_eur_per_mwh=[50.0, 20.0], load_scale=[1.0, 0.6])
    for r in (solve_distflow(case), solve_socp(case)):
        assert r.status == "optimal" and r.prices is not None
        np.testing.assert_allclose(r.prices.sum(), r.prices.total, atol=1e-6)
        # marginal losses: positive and growing along the path
        assert (r.prices.loss[1:] > 0).all()
        lam = r.prices.total
        assert (lam[1:] >= lam[f.parent[1:]] - 1e-9).all()
