"""The growing master program of the screened joint T+D OPF: columns and rows added on demand.

The masters are :class:`~tdcoord.opf.lp.WarmLp` objects that append columns
(:meth:`~tdcoord.opf.lp.WarmLp.add_columns`, HiGHS ``addCols``: the basis is kept, new columns enter
non-basic at a bound) and rows between warm re-solves. :class:`Entries` is the register of generated
feeder columns or rows (struct of arrays: kind, feeder, period, element, facet, master, position),
and :func:`pairs` joins rows and columns of the same feeder and period (vectorised, no Python loop
over entries); :func:`injection_coefficients` gives the matrix entries of the injection columns in
the feeder rows from the sensitivities of :mod:`tdcoord.opf.joint.sensitivity`:

* thermal facet k of branch b: ``−(a_p,k e_p + a_q,k e_q) D[b, node]``;
* interface facet k: ``−(a_p,k e_p + a_q,k e_q)``;
* voltage at node i: ``S_r[i, node] e_p + S_x[i, node] e_q``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.opf.feeder.case import FacetPolygon
from tdcoord.opf.joint.sensitivity import FeederGroup
from tdcoord.types import FloatArray, IntArray

# column kinds
OFFER_P, OFFER_Q, SHED, CURTAIL, S_OVER, S_SUB, V_UP, V_DN = range(8)
INJECTIONS = (OFFER_P, OFFER_Q, SHED, CURTAIL)
# row kinds
THERMAL, SUB, VOLT = range(3)

_FIELDS = ("kind", "f", "t", "elem", "facet", "master", "local")
_ALL = (*_FIELDS, "e_p", "e_q")


@dataclasses.dataclass
class Entries:
    """Generated columns or rows (struct of arrays); ``e_p``, ``e_q``: injection per unit."""

    kind: IntArray
    f: IntArray
    t: IntArray
    elem: IntArray
    facet: IntArray
    master: IntArray
    local: IntArray
    e_p: FloatArray
    e_q: FloatArray

    @staticmethod
    def new(n: int = 0, **values: ArrayLike) -> Entries:
        """``n`` entries; missing fields are −1 (ints) or 0 (floats)."""
        out: dict[str, np.ndarray] = {}
        for name in _FIELDS:
            out[name] = np.broadcast_to(
                np.asarray(values.get(name, -1), dtype=np.int64), (n,)
            ).copy()
        for name in ("e_p", "e_q"):
            out[name] = np.broadcast_to(
                np.asarray(values.get(name, 0.0), dtype=np.float64), (n,)
            ).copy()
        return Entries(**out)

    def __len__(self) -> int:
        return len(self.kind)

    def take(self, idx: IntArray | np.ndarray) -> Entries:
        """A subset."""
        return Entries(**{k: getattr(self, k)[idx] for k in _ALL})

    def extend(self, other: Entries) -> None:
        """Append ``other`` in place."""
        for k in _ALL:
            setattr(self, k, np.concatenate([getattr(self, k), getattr(other, k)]))

    def ft(self, T: int) -> IntArray:
        """Global feeder-period key f·T + t."""
        return np.asarray(self.f * T + self.t, dtype=np.int64)


def concat(parts: Sequence[Entries]) -> Entries:
    """One register from several (one concatenation per field)."""
    if not parts:
        return Entries.new(0)
    return Entries(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in _ALL})


def pairs(row_keys: IntArray, col_keys: IntArray) -> tuple[IntArray, IntArray]:
    """All (i, j) with ``row_keys[i] == col_keys[j]`` (sort + searchsorted, vectorised)."""
    order = np.argsort(col_keys, kind="stable")
    sk = col_keys[order]
    lo = np.searchsorted(sk, row_keys, side="left")
    hi = np.searchsorted(sk, row_keys, side="right")
    counts = hi - lo
    total = int(counts.sum())
    ri = np.repeat(np.arange(len(row_keys), dtype=np.int64), counts)
    first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    ci = order[first + np.arange(total, dtype=np.int64)]
    return ri, np.asarray(ci, dtype=np.int64)


def injection_coefficients(
    rows: Entries,
    cols: Entries,
    ri: IntArray,
    ci: IntArray,
    groups: Sequence[FeederGroup],
    group_of: IntArray,
    poly: FacetPolygon,
) -> FloatArray:
    """Matrix entries of injection columns ``cols[ci]`` in feeder rows ``rows[ri]`` (same f, t)."""
    val = np.zeros(len(ri))
    kind = rows.kind[ri]
    facet = np.maximum(rows.facet[ri], 0)
    ep, eq = cols.e_p[ci], cols.e_q[ci]
    node = cols.elem[ci]
    elem = rows.elem[ri]
    g_of = group_of[rows.f[ri]]
    flow = -(poly.a_p[facet] * ep + poly.a_q[facet] * eq)
    sub = kind == SUB
    val[sub] = flow[sub]
    for g, grp in enumerate(groups):  # a handful of templates
        th = (kind == THERMAL) & (g_of == g)
        val[th] = flow[th] * grp.down[elem[th], node[th]]
        vo = (kind == VOLT) & (g_of == g)
        val[vo] = grp.s_r[elem[vo], node[vo]] * ep[vo] + grp.s_x[elem[vo], node[vo]] * eq[vo]
    return val
