"""The deliverable part of a dispatch: the largest activation a stage's time coupling allows.

A model whose information boundary hides the DER state (issue 12: aggregated interface offers,
a fragmented TSO market) can request more than a battery holds. Costing such a dispatch as if it
were delivered would credit it with network relief that never happens, and it could then look
cheaper than the central optimum, which respects every energy row. The dispatch as it can be
delivered is the solution of

.. math::

    \\max_{a'} \\sum_{k,t} a'_{kt} \\quad\\text{s.t.}\\quad 0 \\le a'_{kt} \\le \\hat a_{kt},\\;
    E\\,a' \\le D^{max},\\; a'_{k,t} = a'_{k,t-1}\\;(t \\not\\equiv 0 \\bmod m)

with :math:`E a' \\le D^{max}` the energy (and rebound-room) rows of
:mod:`tdcoord.coordination.intertemporal` over every (member, interval) (for shiftable loads
the queue rows of :mod:`tdcoord.coordination.shift_rows`) and ``m`` the products'
minimum duration. ``a' = 0`` is always feasible (the limits are those of the committed plan,
which is deliverable), and ``a' = â`` whenever ``â`` already satisfies the rows, so the
projection leaves a deliverable dispatch unchanged. The rows are generated lazily as in the
clearing (only violated (member, interval) rows are added; the loop ends because rows are only
added), each round one HiGHS LP over the offer activations.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tdcoord.coordination.errors import CoordinationError
from tdcoord.coordination.intertemporal import (
    ENERGY_TOL_MWH,
    MAX_ROUNDS,
    TimeCoupling,
    kind_lhs,
    kind_rows,
    min_duration_rows,
    row_kinds,
)
from tdcoord.coordination.shift_rows import QueueRows, inflow, queue_kinds, violations
from tdcoord.opf.lp import LinearProgram, solve
from tdcoord.types import FloatArray


def energy_violations(tc: TimeCoupling, activation_mw: FloatArray) -> int:
    """Number of (row family, member, interval) energy rows that ``activation_mw``
    ``(n_offer, T)`` violates by more than :data:`ENERGY_TOL_MWH`."""
    act = np.asarray(activation_mw, dtype=np.float64)
    plain = sum(
        int(np.count_nonzero(kind_lhs(k, tc, act) > k.cap + ENERGY_TOL_MWH))
        for k in row_kinds(tc)
    )
    return plain + sum(violations(k, inflow(k, tc, act)) for k in queue_kinds(tc))


def block_minimum(activation_mw: FloatArray, m: int) -> FloatArray:
    """Each offer's activation lowered to its minimum over every block of ``m`` intervals
    (blocks aligned to the start of the day), so that it is constant per block."""
    act = np.asarray(activation_mw, dtype=np.float64)
    if m <= 1:
        return act.copy()
    T = act.shape[1]
    out = act.copy()
    for start in range(0, T, m):
        out[:, start : start + m] = act[:, start : start + m].min(axis=1, keepdims=True)
    return out


def deliverable_activation(tc: TimeCoupling, activation_mw: FloatArray) -> FloatArray:
    """The largest deliverable part ``a'`` ``(n_offer, T)`` of ``activation_mw`` under the
    time coupling ``tc`` (module docstring); ``activation_mw`` itself when it is deliverable."""
    top = block_minimum(np.maximum(np.asarray(activation_mw, dtype=np.float64), 0.0),
                        tc.min_duration_intervals)
    if energy_violations(tc, top) == 0:
        return top
    n_offer, T = top.shape
    col = tc.pair_offer.astype(np.int64)
    kinds = row_kinds(tc)
    blocks = [min_duration_rows(np.arange(n_offer), n_offer, T, tc.min_duration_intervals)]
    lower = [np.zeros(blocks[0].shape[0])]
    upper = [np.zeros(blocks[0].shape[0])]
    added = {k.name: np.zeros(k.cap.shape, dtype=bool) for k in kinds}
    queue = QueueRows(tc, col)
    act = top
    for _ in range(MAX_ROUNDS):
        _, more = queue.cuts(act, n_offer)
        for _name, m, cap in more:
            blocks.append(m)
            lower.append(np.full(cap.size, -np.inf))
            upper.append(cap)
        fresh = sum(cap.size for _, _, cap in more)
        for k in kinds:
            hit = (kind_lhs(k, tc, act) > k.cap + ENERGY_TOL_MWH) & ~added[k.name]
            s_, t_ = np.nonzero(hit)
            if not s_.size:
                continue
            added[k.name][s_, t_] = True
            fresh += s_.size
            blocks.append(kind_rows(k, tc, col, s_.astype(np.int64), t_.astype(np.int64),
                                    n_offer))
            lower.append(np.full(s_.size, -np.inf))
            upper.append(k.cap[s_, t_])
        if not fresh:
            return act
        act = _solve_projection(top, sp.vstack(blocks, format="csr"),
                                np.concatenate(lower), np.concatenate(upper), blocks[0].shape[0])
    raise CoordinationError(
        f"the deliverable projection still violates energy rows after {MAX_ROUNDS} rounds",
        where="coordination.deliverable.deliverable_activation",
        fix="report this case; each round adds every violated row",
    )


def _solve_projection(
    top: FloatArray, A: sp.csr_matrix, row_lower: FloatArray, row_upper: FloatArray,
    n_duration_rows: int,
) -> FloatArray:
    """One projection LP (module docstring) over interval-major columns ``t·n_offer + k``.

    Only the offers that some energy row (every row after the first ``n_duration_rows``, the
    minimum-duration rows) touches enter the LP, with all their intervals and their own
    minimum-duration rows. Every other offer appears in its minimum-duration rows only, which
    ``top`` (block-constant) satisfies, so its optimum is ``top``: the LP separates, and the
    restricted one has the same optimum. It keeps the projection of a national-scale day (8.7 M
    activation columns, a few thousand touched offers) small."""
    n_offer, T = top.shape
    A = sp.csr_matrix(A)
    touched = np.zeros(n_offer, dtype=bool)
    touched[A[n_duration_rows:].indices % n_offer] = True
    cols = (np.arange(T)[:, None] * n_offer + np.flatnonzero(touched)[None, :]).reshape(-1)
    keep = np.zeros(n_offer * T, dtype=bool)
    keep[cols] = True
    pattern = sp.csr_matrix((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
    outside = pattern @ (~keep).astype(np.float64)  # entries of each row outside the LP
    rows = np.flatnonzero(outside == 0)
    sub = A[rows][:, cols]
    upper = top.T.reshape(-1)[cols]
    lp = LinearProgram(
        cost=-np.ones(cols.size), A=sp.csr_matrix(sub), row_lower=row_lower[rows],
        row_upper=row_upper[rows], col_lower=np.zeros(cols.size), col_upper=upper,
    )
    sol = solve(lp, method="simplex")
    if not sol.ok:
        raise CoordinationError(
            f"the deliverable projection LP ended {sol.status!r}",
            where="coordination.deliverable.deliverable_activation",
            fix="a' = 0 is feasible when the committed plan is; check the stage's energy limits",
        )
    flat = top.T.reshape(-1).copy()
    flat[cols] = sol.x
    return np.minimum(np.maximum(flat.reshape(T, n_offer).T, 0.0), top)
