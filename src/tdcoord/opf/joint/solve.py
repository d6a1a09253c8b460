"""Joint transmission + distribution OPF: one problem, LMPs on transmission, DLMPs on feeders.

The problem (the core of the ``common`` scheme, seed 000 §1.4; ``coordination-models.md``,
"Mathematics") is, over periods t = 1..T of Δt hours,

.. math::

    \\min \\; C^{T}(p, s^{T}) + \\sum_f C^{D}_f(x_f, s_f)
    \\quad\\text{s.t.}\\quad
    \\text{DC-OPF rows of } :mod:`tdcoord.opf.transmission` \\text{ with withdrawals }
        \\sum_{f: b(f) = b} p^{root}_{ft} \\text{ at the interface buses},
    \\qquad \\text{LinDistFlow rows of } :mod:`tdcoord.opf.feeder.program` \\text{ for every
    feeder},

with the interface-transformer rating as each feeder's substation polygon on
:math:`(p^{root}_{ft}, q^{root}_{ft})`; every slack of both formulations (load shedding at VOLL,
curtailment, thermal and voltage violations, over-generation) keeps it feasible. Losses: lossless
LinDistFlow or loss factors iterated around the operating point exactly as in
:func:`tdcoord.opf.feeder.distflow.solve_distflow` (the joint problem is re-solved with each
feeder's
loss point until no branch loss moves by more than ``loss_tol_mw``).

Two algorithms give the same optimum:

``monolithic`` — the stacked program of :mod:`tdcoord.opf.joint.build`, one solve (dual simplex,
or HiGHS IPX with crossover above :data:`tdcoord.opf.transmission.IPM_THRESHOLD_COLUMNS` columns);
``benders`` — per-period masters with feeder value-function cuts (:mod:`tdcoord.opf.joint.benders`);
``screened`` — lossless feeders only: row-and-column generation in injection space, the master
holding only the feeder rows and slack columns that bind (:mod:`tdcoord.opf.joint.screened`).

Result: :class:`tdcoord.opf.joint.result.JointResult`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal

import numpy as np

from tdcoord.errors import OptimizationError
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.feeder.distflow import loss_point_from
from tdcoord.opf.feeder.loss_iter import LOSS_NOT_CONVERGED, LossHistory, LossVerdict
from tdcoord.opf.feeder.program import LossPoint
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.joint.monolithic import solve_monolithic
from tdcoord.opf.joint.result import (
    JointResult,
)
from tdcoord.opf.lp import Method
from tdcoord.types import FloatArray

Algorithm = Literal["monolithic", "benders", "screened", "auto"]


def branch_losses(result: FeederResult, case_f: FeederCase) -> FloatArray:
    """Active loss per branch and period at a solution, MW (branch rows × periods)."""
    f = case_f.feeder
    w = result.v_pu**2
    r_over = (f.branches.r_pu / f.base_mva)[:, None]
    return np.asarray(r_over * (result.p_flow_mw**2 + result.q_flow_mvar**2) / w[f.parent[1:]])


SolveAt = Callable[[list[LossPoint | None] | None], tuple[JointResult, list[FeederResult]]]


def iterate_losses(case: JointCase, solve_at: SolveAt) -> JointResult:
    """Run ``solve_at`` lossless, then with each feeder's loss point taken from the previous
    solution, until no branch loss moves more than ``loss_tol_mw``.

    When the iterations cycle (:class:`tdcoord.opf.feeder.loss_iter.LossHistory`) they are
    damped once: from then on the loss point is the average of the previous point and the new
    solution's, ``x̄_{k+1} = (x̄_k + x_k)/2``. A second cycle, or ``loss_max_iter``, ends with
    the last iterate and status ``not_converged`` (the joint problem has no SOCP to fall back
    to): never ``optimal`` for a point that did not converge."""
    opts = case.options
    result, feeders = solve_at(None)
    if opts.losses == "none" or not result.ok:
        return result
    timings = dict(result.timings)
    iterations = result.iterations
    history = LossHistory(_stacked([r.p_flow_mw for r in feeders]), opts.loss_tol_mw)
    verdict: LossVerdict = "continue"
    damped: list[LossPoint | None] | None = None
    rounds = 1
    while rounds < opts.loss_max_iter:
        rounds += 1
        points: list[LossPoint | None] = [
            loss_point_from(r, c) for r, c in zip(feeders, case.feeder_cases, strict=True)
        ]
        losses = [branch_losses(r, c) for r, c in zip(feeders, case.feeder_cases, strict=True)]
        if damped is not None:  # converged once consecutive damped points agree (x̄ = x)
            points = damped = [_average(a, b) for a, b in zip(damped, points, strict=True)]
            losses = [_point_losses(pt, c) for pt, c in zip(points, case.feeder_cases, strict=True)]
        result, feeders = solve_at(points)
        for key, v in result.timings.items():
            timings[key] = timings.get(key, 0.0) + v
        iterations += result.iterations
        if not result.ok:
            break
        verdict = history.add(_stacked(losses))
        if verdict == "cycling" and damped is None:
            damped, verdict = points, "continue"
            history = LossHistory(_stacked(losses), opts.loss_tol_mw)
        elif verdict != "continue":
            break
    status = result.status if (verdict == "converged" or not result.ok) else LOSS_NOT_CONVERGED
    return dataclasses.replace(
        result,
        status=status,
        iterations=iterations,
        loss_iterations=rounds,
        timings=timings,
        time_s=float(sum(timings.values())),
    )


def _point_losses(point: LossPoint | None, case_f: FeederCase) -> FloatArray:
    """Branch losses at a loss point, MW (period-major; zeros for the lossless point)."""
    f = case_f.feeder
    r_over = np.tile(f.branches.r_pu / f.base_mva, case_f.n_periods)
    return np.zeros_like(r_over) if point is None else point.loss_mw(r_over)


def _average(a: LossPoint | None, b: LossPoint | None) -> LossPoint | None:
    """The midpoint of two loss points (``None``: lossless, when either is)."""
    if a is None or b is None:
        return b
    return LossPoint((a.p_mw + b.p_mw) / 2, (a.q_mvar + b.q_mvar) / 2, (a.w_from + b.w_from) / 2)


def _stacked(arrays: list[FloatArray]) -> FloatArray:
    """All feeders' branch × period arrays as one flat vector."""
    return np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)


def screened_supported(case: JointCase) -> bool:
    """True when ``algorithm="screened"`` applies to ``case`` (see its module)."""
    from tdcoord.opf.joint.screened import check_supported

    try:
        check_supported(case)
    except OptimizationError:
        return False
    return True


def solve_joint(
    case: JointCase,
    *,
    algorithm: Algorithm = "auto",
    method: Method = "auto",
    gap_tol: float = 1e-5,
    max_rounds: int = 50,
) -> JointResult:
    """Solve the joint T+D OPF of ``case`` (see the module docstring).

    ``algorithm="auto"`` on a large problem (over 20,000 columns) uses ``screened`` when it
    applies (lossless feeders, linear costs, no norm-cost offers: :func:`screened_supported`),
    else ``benders`` when nothing couples the transmission periods (no storage, no ramps); small
    problems go to ``monolithic``.
    ``gap_tol`` / ``max_rounds`` control the decomposed solve.
    """
    if algorithm not in ("auto", "monolithic", "benders", "screened"):
        raise OptimizationError(
            f"unknown joint algorithm {algorithm!r}",
            where="solve_joint",
            fix="use 'auto', 'monolithic', 'benders' or 'screened'",
        )
    if algorithm == "auto":
        n_col = case.n_periods * sum(8 * c.feeder.n_node for c in case.feeder_cases) + (
            case.n_periods * 4 * case.transmission.n_bus
        )
        coupled = len(case.transmission.storage) > 0
        if n_col > 20_000 and screened_supported(case):
            algorithm = "screened"
        else:
            algorithm = "benders" if (n_col > 20_000 and not coupled) else "monolithic"
    if algorithm == "screened":
        from tdcoord.opf.joint.screened import solve_screened

        return solve_screened(case)
    if algorithm == "benders":
        from tdcoord.opf.joint.benders import solve_benders

        return iterate_losses(
            case, lambda pts: solve_benders(case, pts, gap_tol=gap_tol, max_rounds=max_rounds)
        )

    return iterate_losses(case, lambda pts: solve_monolithic(case, pts, method=method))
