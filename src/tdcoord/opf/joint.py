"""Joint transmission + distribution OPF: one problem, LMPs on transmission, DLMPs on feeders.

The problem (the core of the ``common`` scheme, seed 000 §1.4; ``coordination-models.md``,
"Mathematics") is, over periods t = 1..T of Δt hours,

.. math::

    \\min \\; C^{T}(p, s^{T}) + \\sum_f C^{D}_f(x_f, s_f)
    \\quad\\text{s.t.}\\quad
    \\text{DC-OPF rows of } :mod:`tdcoord.opf.dcopf` \\text{ with withdrawals }
        \\sum_{f: b(f) = b} p^{root}_{ft} \\text{ at the interface buses},
    \\qquad \\text{LinDistFlow rows of } :mod:`tdcoord.opf.feeder_lp` \\text{ for every feeder},

with the interface-transformer rating as each feeder's substation polygon on
:math:`(p^{root}_{ft}, q^{root}_{ft})`; every slack of both formulations (load shedding at VOLL,
curtailment, thermal and voltage violations, over-generation) keeps it feasible. Losses: lossless
LinDistFlow or loss factors iterated around the operating point exactly as in
:func:`tdcoord.opf.distflow.solve_distflow` (the joint problem is re-solved with each feeder's
loss point until no branch loss moves by more than ``loss_tol_mw``).

Two algorithms give the same optimum:

``monolithic`` — the stacked program of :mod:`tdcoord.opf.joint_build`, one solve (dual simplex,
or HiGHS IPX with crossover above :data:`tdcoord.opf.dcopf.IPM_THRESHOLD_COLUMNS` columns);
``benders`` — per-period masters with feeder value-function cuts (:mod:`tdcoord.opf.joint_benders`);
``screened`` — lossless feeders only: row-and-column generation in injection space, the master
holding only the feeder rows and slack columns that bind (:mod:`tdcoord.opf.joint_screened`).

Result: :class:`tdcoord.opf.joint_result.JointResult`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Literal

import numpy as np

from tdcoord.errors import OptimizationError
from tdcoord.grid.tables import FloatArray
from tdcoord.opf import dcopf
from tdcoord.opf.distflow import loss_point_from
from tdcoord.opf.feeder_case import FeederCase
from tdcoord.opf.feeder_lp import LossPoint
from tdcoord.opf.feeder_result import FeederResult
from tdcoord.opf.joint_build import JointProgram, build_joint
from tdcoord.opf.joint_case import JointCase, JointInputError, joint_case
from tdcoord.opf.joint_result import (
    JointResult,
    assemble_result,
    feeder_result,
    interface_congestion_from_duals,
)
from tdcoord.opf.lp import LpSolution, Method, solve

__all__ = ["JointCase", "JointInputError", "JointResult", "joint_case", "solve_joint"]

Algorithm = Literal["monolithic", "benders", "screened", "auto"]


def _slice(sol: LpSolution, cols: slice, rows: slice, objective: float) -> LpSolution:
    return LpSolution(
        status=sol.status,
        objective=objective,
        x=sol.x[cols],
        row_duals=sol.row_duals[rows],
        col_duals=sol.col_duals[cols],
        row_activity=sol.row_activity[rows],
        solver=sol.solver,
        solver_version=sol.solver_version,
        time_s=sol.time_s,
        iterations=sol.iterations,
        model_status=sol.model_status,
    )


def _solve_lp(program: JointProgram, method: Method) -> tuple[LpSolution, str]:
    lp = program.lp
    if method == "auto" and lp.is_qp and lp.n_col > dcopf.QP_INTERIOR_COLUMNS:
        return dcopf._solve_qp_interior(lp), "ipm"
    chosen: Method = method
    if method == "auto" and not lp.is_qp:
        chosen = "ipm" if lp.n_col > dcopf.IPM_THRESHOLD_COLUMNS else "simplex"
    return solve(lp, method=chosen), chosen


def _read_monolithic(
    case: JointCase, program: JointProgram, sol: LpSolution, chosen: str, solve_s: float
) -> tuple[JointResult, list[FeederResult]]:
    t0 = time.perf_counter()
    tr_model = program.transmission
    ok = sol.status == "optimal"
    x = sol.x
    tr_obj = (
        tr_model.lp.objective_value(x[program.part_cols(0)]) if ok else float("nan")
    )
    tr_sol = _slice(sol, program.part_cols(0), program.part_rows(0), tr_obj)
    tr_res = dcopf._extract(
        tr_model, [tr_sol], chosen, 0.0, 0.0, check_hard=False  # type: ignore[arg-type]
    )
    lmp = tr_res.lmp
    feeders: list[FeederResult] = []
    congestion = np.zeros((case.n_feeders, case.n_periods))
    for f, fp in enumerate(program.feeders):  # one read per feeder (vectorised inside)
        cols, rows = program.part_cols(f + 1), program.part_rows(f + 1)
        xf, yf = sol.x[cols], sol.row_duals[rows]
        feeders.append(feeder_result(fp, case, f, lmp, sol, xf, yf))
        if ok:
            congestion[f] = interface_congestion_from_duals(fp, case, yf)
    objective = sol.objective if ok else float("nan")
    read_s = time.perf_counter() - t0
    result = assemble_result(
        case,
        tr_res,
        feeders,
        congestion,
        objective=objective,
        solver_status=sol.status,
        method="monolithic",
        iterations=sol.iterations,
        loss_iterations=1,
        timings={"build_s": program.build_s, "solve_s": solve_s, "prices_s": read_s},
    )
    return result, feeders


def branch_losses(result: FeederResult, case_f: FeederCase) -> FloatArray:
    """Active loss per branch and period at a solution, MW (branch rows × periods)."""
    f = case_f.feeder
    w = result.v_pu**2
    r_over = (f.branches.r_pu / f.base_mva)[:, None]
    return np.asarray(r_over * (result.p_flow_mw**2 + result.q_flow_mvar**2) / w[f.parent[1:]])


SolveAt = Callable[[list[LossPoint | None] | None], tuple[JointResult, list[FeederResult]]]


def iterate_losses(case: JointCase, solve_at: SolveAt) -> JointResult:
    """Run ``solve_at`` lossless, then with each feeder's loss point taken from the previous
    solution, until no branch loss moves more than ``loss_tol_mw`` (or ``loss_max_iter``)."""
    opts = case.options
    result, feeders = solve_at(None)
    if opts.losses == "none" or not result.ok:
        return result
    timings = dict(result.timings)
    iterations = result.iterations
    previous = [np.zeros_like(r.p_flow_mw) for r in feeders]
    rounds = 1
    while rounds < opts.loss_max_iter:
        rounds += 1
        points: list[LossPoint | None] = [
            loss_point_from(r, c) for r, c in zip(feeders, case.feeder_cases, strict=True)
        ]
        losses = [branch_losses(r, c) for r, c in zip(feeders, case.feeder_cases, strict=True)]
        result, feeders = solve_at(points)
        for key, v in result.timings.items():
            timings[key] = timings.get(key, 0.0) + v
        iterations += result.iterations
        if not result.ok:
            break
        delta = max(
            (float(np.max(np.abs(a - b))) for a, b in zip(losses, previous, strict=True) if a.size),
            default=0.0,
        )
        previous = losses
        if delta <= opts.loss_tol_mw:
            break
    return dataclasses.replace(
        result,
        iterations=iterations,
        loss_iterations=rounds,
        timings=timings,
        time_s=float(sum(timings.values())),
    )


def screened_supported(case: JointCase) -> bool:
    """True when ``algorithm="screened"`` applies to ``case`` (see its module)."""
    from tdcoord.opf.joint_screened import check_supported

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
        from tdcoord.opf.joint_screened import solve_screened

        return solve_screened(case)
    if algorithm == "benders":
        from tdcoord.opf.joint_benders import solve_benders

        return iterate_losses(
            case, lambda pts: solve_benders(case, pts, gap_tol=gap_tol, max_rounds=max_rounds)
        )

    def monolithic(points: list[LossPoint | None] | None) -> tuple[JointResult, list[FeederResult]]:
        program = build_joint(case, points)
        t0 = time.perf_counter()
        sol, chosen = _solve_lp(program, method)
        return _read_monolithic(case, program, sol, chosen, time.perf_counter() - t0)

    return iterate_losses(case, monolithic)
