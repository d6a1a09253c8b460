"""Radial feeder topology as sparse matrices: incidence, path (downstream) matrices and parents.

A :class:`~tdcoord.grid.model.Feeder` stores its nodes root-first with ``parent[j]`` the row of
node ``j``'s parent (−1 for the root) and branch ``b`` feeding node ``b + 1``. From that:

* the incidence ``M`` (n × n−1): +1 at the node a branch feeds, −1 at its parent;
* the path matrix ``B`` (n × n−1): ``B[j, b] = 1`` when branch b lies on the path root → j. Its
  transpose is the downstream matrix ``D`` (``D[b, k] = 1``: node k is fed through branch b), so
  branch flows are ``P = D·d`` for node withdrawals ``d`` (Baran & Wu 1989, LinDistFlow).

Pure topology: no optimisation, no electrical data (sensitivities live in
:mod:`tdcoord.opf.linear`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg  # noqa: F401  (spsolve_triangular)

from tdcoord.grid.model import Feeder
from tdcoord.types import IntArray


def parents(feeder: Feeder) -> IntArray:
    """Row of each node's parent (−1 for the root), root-first."""
    return np.asarray(feeder.parent, dtype=np.int64)


def incidence(feeder: Feeder) -> sp.csr_matrix:
    """Node × branch incidence (n × n−1): +1 at the node a branch feeds, −1 at its parent."""
    n = feeder.n_node
    b = np.arange(n - 1)
    rows = np.concatenate([b + 1, feeder.parent[1:]])
    cols = np.concatenate([b, b])
    vals = np.concatenate([np.ones(n - 1), -np.ones(n - 1)])
    return sp.csr_matrix((vals, (rows, cols)), shape=(n, n - 1))


def path_matrix(feeder: Feeder) -> sp.csr_matrix:
    """Path matrix B (n × n−1): ``B[j, b] = 1`` when branch b lies on the path root → node j.

    Its transpose is the downstream matrix D (``D[b, k] = 1``: node k is fed through branch b).
    Flow conservation reads ``M·P = d`` with M the incidence without the root row, and
    ``P = D·d``, so ``D = M⁻¹``; M is upper triangular (branches are root-first), so D comes from
    one triangular solve.
    """
    n = feeder.n_node
    if n == 1:
        return sp.csr_matrix((1, 0))
    reduced = incidence(feeder)[1:, :].tocsr()
    down = sp.linalg.spsolve_triangular(reduced, np.eye(n - 1), lower=False)
    dense = np.vstack([np.zeros((1, n - 1)), np.asarray(down).T])
    return sp.csr_matrix(np.round(dense))
