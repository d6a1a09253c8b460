"""Small array helpers shared by every package (one home instead of a private copy per module).

* :func:`period_major` — an (elements × T) table as one period-major vector: entry ``t·n + i``
  holds element ``i`` of period ``t`` (the column and row order of every multi-period program);
* :func:`repeat_per_period` — ``I_T ⊗ M``, a per-period sparse block repeated on the diagonal;
* :func:`frozen` / :func:`frozen_float` / :func:`frozen_copy` — read-only arrays for frozen
  dataclasses (in place; as float64; as a float64 copy).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tdcoord.types import FloatArray


def period_major(a: npt.ArrayLike) -> FloatArray:
    """(n, T) → flat vector of length ``T·n`` with entry ``t·n + i = a[i, t]`` (a float copy)."""
    return np.ascontiguousarray(np.asarray(a, dtype=np.float64).T).ravel()


def repeat_per_period(n_periods: int, block: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """The block-diagonal ``I_T ⊗ M``: the per-period matrix ``block`` once per period (CSR)."""
    return sp.csr_matrix(sp.kron(sp.identity(n_periods, format="csr"), block, format="csr"))


def frozen(a: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``a`` itself, marked read-only."""
    a.flags.writeable = False
    return a


def frozen_float(a: npt.ArrayLike) -> FloatArray:
    """``a`` as float64 (a copy only when it is not float64 already), marked read-only."""
    arr: FloatArray = np.asarray(a, dtype=np.float64)
    arr.flags.writeable = False
    return arr


def frozen_copy(a: npt.ArrayLike) -> FloatArray:
    """A read-only float64 copy of ``a``."""
    arr: FloatArray = np.array(a, dtype=np.float64, copy=True)
    arr.flags.writeable = False
    return arr
