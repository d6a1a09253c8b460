"""The monolithic joint T+D OPF: the stacked program of :mod:`tdcoord.opf.joint.build` solved in
one call (dual simplex; HiGHS IPX with crossover above
:data:`tdcoord.opf.transmission.solve.IPM_THRESHOLD_COLUMNS` columns; Clarabel for a large QP),
read back per part (transmission rows and columns, then each feeder's).
"""

from __future__ import annotations

import time

import numpy as np

from tdcoord.opf.feeder.program import LossPoint
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.joint.build import JointProgram, build_joint
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.joint.result import (
    JointResult,
    SolveInfo,
    assemble_result,
    feeder_result,
    interface_congestion_from_duals,
)
from tdcoord.opf.lp import LpSolution, Method, solve
from tdcoord.opf.lp.conic import solve_qp_interior
from tdcoord.opf.transmission.extract import extract_result
from tdcoord.opf.transmission.solve import IPM_THRESHOLD_COLUMNS, QP_INTERIOR_COLUMNS


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
    if method == "auto" and lp.is_qp and lp.n_col > QP_INTERIOR_COLUMNS:
        return solve_qp_interior(lp), "ipm"
    chosen: Method = method
    if method == "auto" and not lp.is_qp:
        chosen = "ipm" if lp.n_col > IPM_THRESHOLD_COLUMNS else "simplex"
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
    tr_res = extract_result(
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
        SolveInfo(
            objective=objective,
            solver_status=sol.status,
            method="monolithic",
            iterations=sol.iterations,
            timings={"build_s": program.build_s, "solve_s": solve_s, "prices_s": read_s},
        ),
    )
    return result, feeders


def solve_monolithic(
    case: JointCase, points: list[LossPoint | None] | None, *, method: Method = "auto"
) -> tuple[JointResult, list[FeederResult]]:
    """Build the joint program at the loss points ``points`` (``None``: lossless), solve it in one
    call and read the joint result and every feeder's result."""
    program = build_joint(case, points)
    t0 = time.perf_counter()
    sol, chosen = _solve_lp(program, method)
    return _read_monolithic(case, program, sol, chosen, time.perf_counter() - t0)
