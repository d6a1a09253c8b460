"""Slack certification of the DC-OPF: the program without its slack columns, and the LP-duality
test that lifts its optimum to the program with slacks (:func:`certify`); the hard-feasibility
re-check of a solution that uses slacks (:func:`feasible_without_slacks`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.lp.builder import LinearProgram
from tdcoord.opf.lp.highs import LpSolution, Method, solve
from tdcoord.opf.transmission.build import DcOpfModel, period_lp
from tdcoord.types import FloatArray, IntArray

#: Relative tolerance of the optimality certificate of a slack-free solution (see
#: :func:`certify`): a slack column's reduced cost must be ≥ −tol · max(1, |cost|).
SLACK_DUAL_TOL = 1e-7


def slack_columns(model: DcOpfModel) -> list[slice]:
    cb = model.lp.col_blocks
    return [cb[k] for k in ("overload_up", "overload_down", "shed", "spill")]


def feasible_without_slacks(model: DcOpfModel, method: Method, period: int | None) -> bool:
    """Is the problem (or one period of it) feasible with every slack fixed at zero?"""
    lp = model.lp if period is None else period_lp(model, period)
    upper = lp.col_upper.copy()
    for s in slack_columns(model):
        upper[s] = 0.0
    check = dataclasses.replace(lp, cost=np.zeros(lp.n_col), hessian=None, col_upper=upper)
    return solve(check, method="simplex" if method == "auto" else method).status == "optimal"


def slack_index(model: DcOpfModel) -> IntArray:
    """Positions of every slack column (overload, shedding, spill) in ``model.lp``."""
    parts = [np.arange(s.start, s.stop, dtype=np.int64) for s in slack_columns(model)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def without_columns(lp: LinearProgram, drop: IntArray) -> tuple[LinearProgram, IntArray]:
    """``lp`` with the columns ``drop`` removed (i.e. fixed at zero) and the kept positions.

    Column blocks are renumbered; blocks made only of dropped columns disappear. Rows and row
    blocks are unchanged, so row duals of both programs live in the same space.
    """
    mask = np.ones(lp.n_col, dtype=bool)
    mask[drop] = False
    keep = np.flatnonzero(mask).astype(np.int64)
    blocks: dict[str, slice] = {}
    pos = 0
    for name, s in lp.col_blocks.items():
        n = int(np.count_nonzero(mask[s]))
        if n == s.stop - s.start:
            blocks[name] = slice(pos, pos + n)
            pos += n
        elif n:  # a partly dropped block cannot be addressed by name any more
            pos += n
    hess = lp.hessian
    if hess is not None:
        hess = sp.csc_matrix(sp.csc_matrix(hess)[:, keep][keep, :])
    A = sp.csr_matrix(sp.csc_matrix(lp.A)[:, keep])
    hard = dataclasses.replace(
        lp,
        cost=lp.cost[keep],
        A=A,
        col_lower=lp.col_lower[keep],
        col_upper=lp.col_upper[keep],
        hessian=hess,
        col_blocks=blocks,
    )
    return hard, keep


def slack_free_lp(model: DcOpfModel) -> LinearProgram:
    """The program :func:`solve_model` solves first: ``model.lp`` without its slack columns
    (same rows; ``model.lp`` itself when the model has no slacks)."""
    drop = slack_index(model) if model.allow_slack else np.zeros(0, dtype=np.int64)
    return without_columns(model.lp, drop)[0] if drop.size else model.lp


@dataclasses.dataclass(frozen=True, eq=False)
class SlackCheck:
    """What :func:`certify` needs about the slack columns ``drop`` of the full program."""

    keep: IntArray
    drop: IntArray
    cost: FloatArray
    At: sp.csr_matrix
    """``A[:, drop]ᵀ`` (slacks × rows)."""
    n_col: int

    @classmethod
    def of(cls, full: LinearProgram, keep: IntArray, drop: IntArray) -> SlackCheck:
        """Precompute once per model (the matrix and costs do not change between periods)."""
        At = sp.csr_matrix(sp.csc_matrix(full.A)[:, drop].T)
        return cls(keep, drop, full.cost[drop], At, full.n_col)


def certify(check: SlackCheck, slack_upper: FloatArray, sol: LpSolution) -> LpSolution | None:
    """Lift an optimal slack-free solution to the full program, or ``None`` when it is not
    optimal there (``slack_upper``: the slack columns' upper bounds in this period).

    With the slacks at zero the point is feasible for the full program, and the row duals ``y``
    of the slack-free program stay dual feasible for it iff every slack column ``s`` that can
    move (upper bound > 0; all slacks have lower bound 0) has a reduced cost
    ``d_s = c_s − A_sᵀ y ≥ 0`` (slacks have no quadratic term). Then KKT holds for the full
    program (complementary slackness: ``x_s = 0``), so ``(x, y)`` is an exact optimum of the
    program with slacks — same objective, and the same LMPs as a valid optimal dual. For
    shedding the test reads LMP ≤ VOLL, for spill LMP ≥ −spill cost, for an overload: the
    congestion price it would relieve is below the overload penalty.
    """
    if sol.status != "optimal":
        return None
    d = check.cost - np.asarray(check.At @ sol.row_duals, dtype=np.float64)
    tol = SLACK_DUAL_TOL * np.maximum(1.0, np.abs(check.cost))
    if np.any((slack_upper > 0.0) & (d < -tol)) or not np.all(np.isfinite(d)):
        return None
    x = np.zeros(check.n_col)
    x[check.keep] = sol.x
    z = np.zeros(check.n_col)
    z[check.keep] = sol.col_duals
    z[check.drop] = d
    return dataclasses.replace(sol, x=x, col_duals=z)
