"""Radial topology matrices (tdcoord.grid.topology) on random trees."""

from __future__ import annotations

import numpy as np
import pytest

from tdcoord.grid.model import Feeder, make_feeder
from tdcoord.grid.topology import incidence, parents, path_matrix
from tests.grid.helpers import branches, nodes


def random_tree(seed: int, n: int) -> Feeder:
    rng = np.random.default_rng(seed)
    pairs = [(int(rng.integers(0, i)), i) for i in range(1, n)]
    return make_feeder("tree", base_mva=1.0, root=0, nodes=nodes(list(range(n))),
                       branches=branches(pairs))


@pytest.mark.parametrize("seed", range(5))
def test_path_matrix_inverts_the_reduced_incidence(seed: int) -> None:
    f = random_tree(seed, 12)
    M = incidence(f).toarray()
    B = path_matrix(f).toarray()
    assert M.shape == B.shape == (12, 11)
    np.testing.assert_array_equal(M[1:] @ B[1:].T, np.eye(11))  # D = Bᵀ = M_red⁻¹
    assert (B[0] == 0).all() and set(np.unique(B)) <= {0.0, 1.0}
    par = parents(f)
    assert par[0] == -1 and (par[1:] < np.arange(1, 12)).all()
    for j in range(1, 12):  # B[j, b] = 1 exactly for the branches on the path root → j
        on_path, k = set(), j
        while k > 0:
            on_path.add(k - 1)
            k = int(par[k])
        assert set(np.flatnonzero(B[j])) == on_path


def test_single_node_feeder() -> None:
    f = make_feeder("one", base_mva=1.0, root=0, nodes=nodes([0]), branches=branches([]))
    assert path_matrix(f).shape == (1, 0)
