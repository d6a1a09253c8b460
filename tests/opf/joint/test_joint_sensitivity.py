"""Tree recursions of :mod:`tdcoord.opf.joint.sensitivity` against the dense path-matrix products."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tdcoord.grid.components import FeederBranchTable, LoadTable, NodeTable
from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.topology import path_matrix
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.joint.sensitivity import tree_state


def random_tree(parents: list[int], r: list[float], load: list[float]) -> Feeder:
    """Node k+1 hangs below node ``parents[k] % (k + 1)``; ids shuffled so make_feeder reorders."""
    n = len(parents) + 1
    ids = (np.arange(n) * 7919) % 10007 + 1  # distinct, not in tree order
    frm = np.array([ids[p % (k + 1)] for k, p in enumerate(parents)])  # setup only
    m = n - 1
    return make_feeder(
        "rnd", base_mva=10.0, root=int(ids[0]),
        nodes=NodeTable(id=ids, vn_kv=np.full(n, 11.0), v_min_pu=np.full(n, 0.9),
                        v_max_pu=np.full(n, 1.1)),
        branches=FeederBranchTable(
            id=np.arange(m), name=np.array([f"b{i}" for i in range(m)], dtype=object),
            from_node=frm, to_node=ids[1:], r_pu=np.asarray(r[:m]), x_pu=np.asarray(r[:m]) * 0.7,
            b_pu=np.zeros(m), rating_mva=np.full(m, 5.0), is_transformer=np.zeros(m, dtype=bool),
        ),
        loads=LoadTable(id=np.arange(m), bus=ids[1:], p_mw=np.asarray(load[:m]),
                        q_mvar=np.asarray(load[:m]) * 0.3,
                        profile=np.array([""] * m, dtype=object)),
    )


@settings(max_examples=30, deadline=None)
@given(
    parents=st.lists(st.integers(0, 1000), min_size=1, max_size=25),
    r=st.lists(st.floats(1e-4, 0.1), min_size=25, max_size=25),
    load=st.lists(st.floats(0.0, 2.0), min_size=25, max_size=25),
    scale=st.lists(st.floats(-1.0, 2.0), min_size=3, max_size=3),
)
def test_tree_recursions_equal_the_path_matrix_products(
    parents: list[int], r: list[float], load: list[float], scale: list[float]
) -> None:
    f = random_tree(parents, r, load)
    case = FeederCase.build(f, n_periods=3, load_scale=np.asarray(scale))
    d, dq = case.load_p_mw, case.load_q_mvar
    B = path_matrix(f).toarray()
    rr, xx = f.branches.r_pu / f.base_mva, f.branches.x_pu / f.base_mva
    P, Q, w, p_root, q_root = tree_state(np.asarray(f.parent), rr, xx, 1.02, d, dq)
    np.testing.assert_allclose(P, B.T @ d, atol=1e-12)
    np.testing.assert_allclose(Q, B.T @ dq, atol=1e-12)
    s_r, s_x = 2.0 * (B * rr) @ B.T, 2.0 * (B * xx) @ B.T
    np.testing.assert_allclose(w, 1.02 - s_r @ d - s_x @ dq, atol=1e-12)
    np.testing.assert_allclose(p_root, d.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(q_root, dq.sum(axis=0), atol=1e-12)


def test_injection_bounds_gather_the_feeder_cases() -> None:
    from tdcoord.opf.joint import joint_case
    from tdcoord.opf.joint.sensitivity import feeder_groups
    from tests.opf.feeder.test_distflow import chain
    from tests.opf.joint.test_joint import LOSSLESS, coupled, tr3

    feeders = [chain(4, load_mw=1.0 + 0.5 * k, sgen_mw=0.2 * k) for k in range(3)]
    grid = coupled(tr3(), feeders, [3, 2, 3], [10.0, 10.0, 10.0])
    T = 3
    case = joint_case(grid, n_periods=T, load_scale=[1.0, 0.5, 0.0], sgen_scale=[0.0, 1.0, 2.0],
                      options=LOSSLESS)
    (grp,), _, _ = feeder_groups(case)
    ft = np.array([7, 0, 8, 3, 7, 5])  # unsorted, repeated, several feeders
    shed, ratio, curt = grp.injection_bounds(ft)
    for i, v in enumerate(ft.tolist()):  # the reference, entry by entry
        c = case.feeder_cases[int(grp.feeders[v // T])]
        lp, lq, sg = c.load_p_mw[:, v % T], c.load_q_mvar[:, v % T], c.sgen_p_mw[:, v % T]
        np.testing.assert_array_equal(shed[i], np.maximum(lp, 0.0))
        np.testing.assert_allclose(ratio[i], np.where(lp > 0, lq / np.where(lp > 0, lp, 1), 0))
        np.testing.assert_array_equal(curt[i], np.maximum(sg, 0.0))
    node = np.array([1, 3, 0, 2, 3, 1])
    at = grp.injection_bounds_at(ft, node)
    for full, pick in zip((shed, ratio, curt), at, strict=True):
        np.testing.assert_array_equal(pick, full[np.arange(len(ft)), node])
    assert curt.max() > 0 and shed.max() > 0 and (shed == 0).any()
