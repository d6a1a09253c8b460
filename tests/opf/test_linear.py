"""The linear network models (tdcoord.opf.linear) against their definitions."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from tdcoord.grid.topology import path_matrix
from tdcoord.opf.linear import (
    branch_flows,
    downstream,
    path_impedance,
    path_impedance_columns,
    ptdf,
    voltage_drop,
    voltage_sensitivity,
)
from tests.grid.test_topology import random_tree
from tests.opf.transmission.test_dcopf import INF, make_tr


@pytest.mark.parametrize("seed", range(3))
def test_lindistflow_matrices(seed: int) -> None:
    f = random_tree(seed, 10)
    rng = np.random.default_rng(seed)
    B = path_matrix(f)
    Bd = B.toarray()
    r, x = rng.uniform(0.01, 0.1, 9), rng.uniform(0.01, 0.1, 9)
    R = path_impedance(Bd, r)
    np.testing.assert_allclose(R, Bd @ np.diag(r) @ Bd.T, rtol=1e-14)
    nodes = np.array([3, 7, 1])
    cols = sp.csc_matrix(B[nodes].T)
    np.testing.assert_allclose(path_impedance_columns(B, r, cols), R[:, nodes], rtol=1e-14)
    np.testing.assert_array_equal(downstream(f).toarray(), Bd.T)
    p, q = rng.normal(size=(10, 2)), rng.normal(size=(10, 2))
    pbr, qbr = branch_flows(B, p), branch_flows(B, q)
    np.testing.assert_allclose(pbr, -Bd.T @ p, rtol=1e-14)
    # v² = v0² − 2·drop: the drop is R_path p + X_path q (injections)
    drop = voltage_drop(B, r, x, pbr, qbr)
    np.testing.assert_allclose(-drop, R @ p + path_impedance(Bd, x) @ q, atol=1e-12)
    N = sp.csr_matrix(np.eye(10)[:, nodes])
    K = voltage_sensitivity(B, r, sp.csr_matrix(B.T @ N)).toarray()
    np.testing.assert_allclose(K, R[1:][:, nodes], atol=1e-14)


def test_ptdf_of_two_parallel_lines() -> None:
    tr = make_tr(2, [(1, 2, 0.1, INF), (1, 2, 0.3, INF)], [(1, 0.0, 100.0, 10.0)], [(2, 10.0)])
    phi = ptdf(tr)
    assert phi.shape == (2, 2)
    np.testing.assert_allclose(phi[:, 0], 0.0, atol=1e-12)  # bus 1 is the reference
    np.testing.assert_allclose(phi[:, 1], [-0.75, -0.25])  # split by susceptance 1/x
