"""The PTDF and the feeder path matrices are computed once per grid object and shared by every
clearing of the day; a changed grid (a tripped line) gets its own."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tdcoord.coordination.network_model import feeder_paths, grid_ptdf
from tdcoord.grid.topology import path_matrix
from tests.coordination.cases import designed_case


def test_ptdf_is_computed_once_per_grid_and_matches_a_fresh_one() -> None:
    case = designed_case()
    tr = case.grid.transmission
    assert tr is not None
    net, first = grid_ptdf(tr)
    assert grid_ptdf(tr)[1] is first
    assert not first.flags.writeable
    # independent: flows of a unit injection at each bus from the nodal susceptance matrix
    B = net.bbus.toarray()
    free = net.free_rows
    theta = np.zeros((net.n_bus, net.n_bus))
    theta[np.ix_(free, free)] = np.linalg.inv(B[np.ix_(free, free)])
    expected = np.diag(net.b_mw) @ net.incidence.toarray() @ theta
    np.testing.assert_allclose(first, expected, atol=1e-10)


def test_a_changed_grid_gets_its_own_ptdf() -> None:
    tr = designed_case().grid.transmission
    assert tr is not None
    x = np.asarray(tr.branches.x_pu, dtype=float).copy()
    x[0] *= 2.0
    changed = dataclasses.replace(tr, branches=dataclasses.replace(tr.branches, x_pu=x))
    a, b = grid_ptdf(tr)[1], grid_ptdf(changed)[1]
    assert a is not b
    assert not np.allclose(a, b)


def test_feeder_paths_are_computed_once_and_match_the_topology() -> None:
    fd = designed_case().grid.feeders[0]
    down, r_path, x_path = feeder_paths(fd)
    again = feeder_paths(fd)
    assert again[1] is r_path and again[0] is down
    bp = path_matrix(fd).toarray()  # nodes × branches: branch on the path root → node
    r = np.asarray(fd.branches.r_pu, dtype=float)
    np.testing.assert_allclose(r_path, (bp * r) @ bp.T, atol=1e-12)
    np.testing.assert_array_equal(down.toarray(), bp.T)
    with pytest.raises(ValueError):
        x_path[0, 0] = 1.0
