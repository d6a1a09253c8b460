"""Decomposed joint T+D OPF: per-period transmission masters and feeder value-function cuts.

Math. When nothing couples the transmission periods (no storage, no ramps) and feeders have no
inter-temporal constraints, the joint problem of :mod:`tdcoord.opf.joint` separates by period
once the feeders are projected out. Feeder f's cost as a function of its import in period t,

.. math::

    V_{ft}(p) = \\min\\{C^{D}_{ft}(x_f) : x_f \\text{ feasible for feeder f},\\;
        p^{root}_{ft} = p\\}

is convex and piecewise linear (an LP value function in its right-hand side), and the joint
problem equals, for every t, the master

.. math::

    \\min\\; C^{T}_t(p^{T}_t) + \\sum_f \\theta_{ft} \\;\\text{ s.t. DC-OPF rows of period t with
    withdrawals } \\sum_{f: b(f)=b} p_{ft},\\;
    \\theta_{ft} \\ge V_{ft}(\\hat p^{k}_{ft}) + g^{k}_{ft}(p_{ft} - \\hat p^{k}_{ft})\\;\\forall k

with :math:`g^{k}_{ft} \\in \\partial V_{ft}(\\hat p^{k}_{ft})` — Benders decomposition (Benders
1962; Geoffrion 1972) with one cut per feeder and period ("multi-cut"). The subgradient is the
reduced cost of the fixed import column (root balance and interface polygon duals). Each round:

1. solve the T masters (warm: one HiGHS object per period; cuts are appended rows) → lower bound
   LB = Σ master objectives and the interface exchanges :math:`\\hat p`;
2. solve every feeder with :math:`p^{root} = \\hat p` fixed (all periods at once, warm) → upper
   bound UB = Σ (transmission cost + Σ_f V_f(:math:`\\hat p`)) and one new cut per (f, t);
3. stop when UB − LB ≤ ``gap_tol`` · max(1, |UB|).

Round 0 is a price exchange: the masters are solved with every import fixed at the feeder's
static net load (the transmission-only DC-OPF); its LMPs :math:`\\lambda^0` at the interface buses,
and :math:`\\lambda^0 \\pm` :data:`PRICE_STEP`, are sent to the feeders, whose price responses
:math:`p^*(\\lambda)` give the first cuts
:math:`\\theta \\ge V(p^*) - \\lambda\\Delta t\\,(p - p^*)` (two slopes around every response).
Periods are solved in order, each master starting from the previous period's basis, with Devex
pricing (cheap to restart after cuts are added).

Feeders stay feasible for any fixed import through elastic columns :math:`e^\\pm \\ge 0` on the
root balance at :data:`ELASTIC_PRICE` per MWh (above every other penalty per MW), so V is finite
everywhere; the masters bound each import by the feeder's physical range. Interface rating: the
feeder's substation polygon (inside V). Prices: LMPs from the final masters, DLMPs from the final
feeder solves: primal values at the fixed :math:`\\hat p`, duals from one more price response at
the final LMP (at convergence :math:`\\hat p` minimises :math:`V + \\lambda\\Delta t\\,p`, so those
duals are optimal for :math:`\\hat p` too; with the import fixed the root dual is not unique).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from tdcoord.opf.decomposition import Cut, ExchangeRun, MasterStep, SubproblemStep, exchange
from tdcoord.opf.feeder.case import FeederCase
from tdcoord.opf.feeder.program import FeederProgram, LossPoint
from tdcoord.opf.feeder.result import FeederResult
from tdcoord.opf.joint.build import build_feeders, build_transmission, stack_programs
from tdcoord.opf.joint.case import JointCase, JointInputError
from tdcoord.opf.joint.result import (
    JointResult,
    SolveInfo,
    assemble_result,
    feeder_result,
    interface_congestion_from_duals,
)
from tdcoord.opf.lp import LinearProgram, LpBuilder, LpSolution, WarmLp
from tdcoord.opf.transmission.build import DcOpfModel, period_lp
from tdcoord.opf.transmission.extract import extract_result
from tdcoord.types import FloatArray, IntArray

#: Price of the elastic import mismatch of a feeder subproblem, per MWh.
ELASTIC_PRICE = 1.0e6
#: An elastic import mismatch above this (MW) at the end makes the joint problem infeasible.
ELASTIC_TOL_MW = 1e-6
#: Round 0 also sends the initial prices ± this (per MWh): two cuts bracketing each response.
PRICE_STEP = 1.0


def _elastic(program: FeederProgram, case: FeederCase) -> LinearProgram:
    """The feeder LP plus columns e⁺, e⁻ (T each, cost :data:`ELASTIC_PRICE`·Δt) that add to and
    take from the root balance rows."""
    lp = program.lp
    T, n = case.n_periods, case.feeder.n_node
    rows = lp.row_blocks["p_balance"].start + np.arange(T) * n
    sel = sp.csr_matrix((np.ones(T), (rows, np.arange(T))), shape=(lp.n_row, T))
    price = np.full(2 * T, ELASTIC_PRICE * case.dt_h)
    return LinearProgram(
        cost=np.concatenate([lp.cost, price]),
        A=sp.csr_matrix(sp.hstack([lp.A, sel, -sel], format="csr")),
        row_lower=lp.row_lower,
        row_upper=lp.row_upper,
        col_lower=np.concatenate([lp.col_lower, np.zeros(2 * T)]),
        col_upper=np.concatenate([lp.col_upper, np.full(2 * T, np.inf)]),
        offset=lp.offset,
        col_blocks=dict(lp.col_blocks),
        row_blocks=dict(lp.row_blocks),
    )


def _period_of(lp: LinearProgram, T: int) -> sp.csr_matrix:
    """Columns × periods indicator for a feeder program with elastic columns."""
    period = np.empty(lp.n_col, dtype=np.int64)
    covered = 0
    for s in lp.col_blocks.values():
        width = s.stop - s.start
        period[s] = np.arange(width) // max(width // T, 1) if width else 0
        covered += width
    rest = lp.n_col - covered  # e⁺, e⁻
    period[covered:] = np.tile(np.arange(T), rest // T)
    return sp.csr_matrix((np.ones(lp.n_col), (np.arange(lp.n_col), period)), shape=(lp.n_col, T))


def _import_range(case: FeederCase) -> FloatArray:
    """A bound on |import| per period that no optimum exceeds (load, generation, offers)."""
    span = (
        np.abs(case.load_p_mw).sum(axis=0)
        + np.abs(case.sgen_p_mw).sum(axis=0)
        + np.maximum(np.abs(case.offer_p_min_mw), np.abs(case.offer_p_max_mw)).sum(axis=0)
    )
    return np.asarray(1.5 * span + 1.0, dtype=np.float64)


class _Feeder:
    """One feeder subproblem kept warm in HiGHS."""

    def __init__(self, program: FeederProgram, case: FeederCase) -> None:
        self.program = program
        self.case = case
        self.lp = _elastic(program, case)
        self.periods = _period_of(self.lp, case.n_periods)
        self.root = program.lp.col_blocks["p_root"]
        self.warm = WarmLp(self.lp, method="simplex", devex=True)

    def respond(self, price_per_mwh: FloatArray) -> tuple[LpSolution, FloatArray, FloatArray]:
        """Price response (root free at ``price``): (solution, V per period, import)."""
        dt = self.case.dt_h
        self.warm.update_costs(self.root, price_per_mwh * dt)
        self.warm.update_col_bounds(self.root, -np.inf, np.inf)
        sol = self.warm.solve()
        self.warm.update_costs(self.root, 0.0)
        own = sol.x.copy()
        own[self.root] = 0.0
        value = np.asarray((self.lp.cost * own) @ self.periods, dtype=np.float64)
        return sol, value, sol.x[self.root].copy()

    def fixed(self, p_mw: FloatArray) -> tuple[LpSolution, FloatArray]:
        """Solve with the import fixed: (solution, V per period)."""
        self.warm.update_col_bounds(self.root, p_mw, p_mw)
        sol = self.warm.solve()
        value = np.asarray((self.lp.cost * sol.x) @ self.periods, dtype=np.float64)
        return sol, value


def _solve_chain(masters: list[WarmLp]) -> list[LpSolution]:
    """Solve the period masters in order, each from the previous one's basis when it has none
    better (same dimensions: the periods differ only in bounds and cut coefficients)."""
    sols: list[LpSolution] = []
    for t, m in enumerate(masters):  # one warm solve per period
        if t > 0 and sols[-1].ok and m.lp.n_row == masters[t - 1].lp.n_row and not m.solved:
            m.set_basis(masters[t - 1].basis())
        sols.append(m.solve())
    return sols


def _initial_prices(
    case: JointCase, masters: list[WarmLp], model: DcOpfModel, F: int
) -> tuple[FloatArray, list[LpSolution]]:
    """LMPs (periods × buses) with every import fixed at the feeder's static net load (θ = 0):
    the transmission-only DC-OPF, solved on the masters themselves (their first, cold solve)."""
    T, n_tr = case.n_periods, model.lp.n_col
    net = np.array([(c.load_p_mw - c.sgen_p_mw).sum(axis=0) for c in case.feeder_cases])
    p_cols = n_tr + np.arange(F)
    th_cols = n_tr + F + np.arange(F)
    lower = [m.lp.col_lower[p_cols].copy() for m in masters]
    upper = [m.lp.col_upper[p_cols].copy() for m in masters]
    for t, m in enumerate(masters):  # bounds only
        m.update_col_bounds(p_cols, net[:, t], net[:, t])
        m.update_col_bounds(th_cols, 0.0, 0.0)
    sols = _solve_chain(masters)
    bal = model.lp.row_blocks["balance"]
    lmp = np.array([s.row_duals[bal] for s in sols]) / case.period_hours
    for t, m in enumerate(masters):
        m.update_col_bounds(p_cols, lower[t], upper[t])
        m.update_col_bounds(th_cols, -np.inf, np.inf)
    return np.asarray(np.nan_to_num(lmp), dtype=np.float64).reshape(T, -1), sols


def _build_masters(case: JointCase, model: DcOpfModel, rows: IntArray) -> list[WarmLp]:
    """One master per period: transmission period t | p (F) | θ (F); −p in the balance rows."""
    T, F = case.n_periods, case.n_feeders
    cap = np.array([_import_range(c) for c in case.feeder_cases])  # (F, T)
    n_tr = model.lp.n_col
    bal = model.lp.row_blocks["balance"]
    masters: list[WarmLp] = []
    for t in range(T):  # one master per period
        b = LpBuilder()
        cp = b.add_columns("p_itf", F, -cap[:, t], cap[:, t])
        b.add_columns("theta", F, -np.inf, np.inf, 1.0)
        extra = b.build()
        ptr = period_lp(model, t)
        coupling = sp.coo_matrix(
            (-np.ones(F), (bal.start + rows, n_tr + cp.start + np.arange(F))),
            shape=(ptr.n_row, n_tr + extra.n_col),
        )
        empty = LinearProgram(
            cost=extra.cost, A=sp.csr_matrix((0, extra.n_col)), row_lower=np.zeros(0),
            row_upper=np.zeros(0), col_lower=extra.col_lower, col_upper=extra.col_upper,
        )
        lp, _, _ = stack_programs([ptr, empty], coupling)
        masters.append(WarmLp(lp, method="simplex", devex=True))
    return masters


class _Masters:
    """The per-period masters as the master of :func:`tdcoord.opf.decomposition.exchange`."""

    def __init__(self, masters: list[WarmLp], model: DcOpfModel, F: int) -> None:
        self.masters, self.model, self.F = masters, model, F
        self.n_tr = model.lp.n_col
        self.p_col = self.n_tr + np.arange(F)
        self.th_col = self.n_tr + F + np.arange(F)
        self.n_seen = 0

    def _add_cut(self, cut: Cut) -> None:
        """θ_ft − g_ft p_ft ≥ V_ft − g_ft p̂_ft for every f, t ((F, T) arrays)."""
        F, n_col = self.F, self.masters[0].lp.n_col
        p_hat, value, slope = cut.point, cut.value, cut.slope
        for t, m in enumerate(self.masters):  # one row block per period
            A = sp.csr_matrix(
                (
                    np.concatenate([np.ones(F), -slope[:, t]]),
                    (
                        np.concatenate([np.arange(F), np.arange(F)]),
                        np.concatenate([self.th_col, self.p_col]),
                    ),
                ),
                shape=(F, n_col),
            )
            m.add_rows(A, value[:, t] - slope[:, t] * p_hat[:, t], np.inf)

    def step(self, cuts: Sequence[Cut]) -> MasterStep[list[LpSolution]]:
        """Add the cuts not added yet, solve the period chain: bounds and proposal."""
        for cut in cuts[self.n_seen :]:
            self._add_cut(cut)
        self.n_seen = len(cuts)
        m_sols = _solve_chain(self.masters)
        if any(s.status != "optimal" for s in m_sols):
            return MasterStep(False, float("nan"), np.zeros((self.F, 0)), float("nan"), m_sols)
        lb = float(sum(s.objective for s in m_sols))
        p_hat = np.column_stack([s.x[self.p_col] for s in m_sols])  # (F, T)
        tr_cost = float(sum(self.model.lp.objective_value(s.x[: self.n_tr]) for s in m_sols))
        return MasterStep(True, lb, p_hat, tr_cost, m_sols)


def _evaluate_feeders(
    feeders: list[_Feeder], p_hat: FloatArray
) -> SubproblemStep[list[LpSolution]]:
    """Every feeder with its import fixed at ``p_hat`` (F, T): values and import prices."""
    F, T = p_hat.shape
    values = np.zeros((F, T))
    slopes = np.zeros((F, T))
    f_sols: list[LpSolution] = []
    for f, fd in enumerate(feeders):  # one warm re-solve per feeder
        sol, values[f] = fd.fixed(p_hat[f])
        f_sols.append(sol)
        slopes[f] = sol.col_duals[fd.root]
    return SubproblemStep(all(s.status == "optimal" for s in f_sols), values, slopes, f_sols)


def _price_exchange_cuts(
    case: JointCase, feeders: list[_Feeder], lmp0: FloatArray, rows: IntArray
) -> tuple[list[Cut], list[LpSolution]]:
    """Round 0: price responses at the initial LMPs, nudged down and up: cuts on both sides of
    every response (a feeder without flexibility answers with one kink, found at once). Also
    the responses at the initial LMPs themselves (one per feeder)."""
    T, F, dt = case.n_periods, case.n_feeders, case.period_hours
    cuts: list[Cut] = []
    first: list[LpSolution] = []
    for shift in (0.0, -PRICE_STEP, PRICE_STEP):
        p0 = np.zeros((F, T))
        v0 = np.zeros((F, T))
        g0 = np.zeros((F, T))
        for f, fd in enumerate(feeders):  # one subproblem per feeder
            price = lmp0[:, rows[f]] + shift
            sol, v0[f], p0[f] = fd.respond(price)
            g0[f] = -price * dt
            if shift == 0.0:
                first.append(sol)
        cuts.append(Cut(p0, v0, g0))
    return cuts, first


def _infeasible_feeders(
    m_sols: list[LpSolution], responses: list[LpSolution]
) -> ExchangeRun[list[LpSolution], list[LpSolution]]:
    """The run when a feeder has no solution at any import (its elastic columns absorb any
    import mismatch, so an infeasible response is infeasible inside the feeder): no exchange."""
    nan = np.full((len(responses), 0), np.nan)
    return ExchangeRun(
        status="subproblem_failed",
        rounds=0,
        lower_bound=-np.inf,
        upper_bound=np.inf,
        best_upper_bound=np.inf,
        gap=np.inf,
        master=MasterStep(False, float("nan"), nan, float("nan"), m_sols),
        subproblems=SubproblemStep(False, nan, nan, responses),
        best=None,
        cuts=(),
    )


def solve_benders(
    case: JointCase,
    loss_points: Sequence[LossPoint | None] | None = None,
    *,
    gap_tol: float = 1e-5,
    max_rounds: int = 50,
) -> tuple[JointResult, list[FeederResult]]:
    """Decomposed joint solve (module docstring). Returns the result and the feeder results."""
    t_build = time.perf_counter()
    tr = case.transmission
    if len(tr.storage) > 0:
        raise JointInputError(
            "storage couples the transmission periods: the per-period decomposition does not apply",
            where="solve_joint(algorithm='benders')",
            fix="use algorithm='monolithic'",
        )
    model = build_transmission(case, per_period=True)
    programs = build_feeders(case, loss_points)
    feeders = [_Feeder(p, c) for p, c in zip(programs, case.feeder_cases, strict=True)]
    rows = tr.bus_rows(case.interface_bus)
    masters = _Masters(_build_masters(case, model, rows), model, case.n_feeders)
    build_s = time.perf_counter() - t_build

    t_solve = time.perf_counter()
    lmp0, m_sols0 = _initial_prices(case, masters.masters, model, case.n_feeders)
    cuts0, responses = _price_exchange_cuts(case, feeders, lmp0, rows)
    if any(r.status != "optimal" for r in responses):
        run = _infeasible_feeders(m_sols0, responses)
    else:
        run = exchange(
            masters.step,
            lambda p_hat: _evaluate_feeders(feeders, p_hat),
            gap_tol=gap_tol,
            max_rounds=max_rounds,
            initial_cuts=cuts0,
        )
    solve_s = time.perf_counter() - t_solve
    timings = {"build_s": build_s, "solve_s": solve_s}
    return _read_benders(case, model, feeders, rows, run, timings)


def _read_benders(
    case: JointCase,
    model: DcOpfModel,
    feeders: list[_Feeder],
    rows: IntArray,
    run: ExchangeRun[list[LpSolution], list[LpSolution]],
    timings: dict[str, float],
) -> tuple[JointResult, list[FeederResult]]:
    """Transmission result from the last masters, feeder results from the last feeder solves
    (duals from a price response at the final LMP)."""
    t_read = time.perf_counter()
    F, T = case.n_feeders, case.n_periods
    m_sols = run.master.payload if run.master is not None else []
    f_sols = run.subproblems.payload if run.subproblems is not None else []
    n_tr = model.lp.n_col
    status = _benders_status(m_sols, f_sols, feeders)
    if status == "optimal" and run.status == "max_rounds":
        status = "not_converged"  # the gap is still open: never report such a point as optimal
    ok = status == "optimal"
    tr_sols = [
        _tr_solution(s, n_tr, model.lp.n_row, model.lp.objective_value(s.x[:n_tr]))
        for s in m_sols
    ]
    if not ok:  # as a failed monolithic solve: no slacks or prices read from a partial answer
        tr_sols = [dataclasses.replace(s, status=status) for s in tr_sols]  # type: ignore[arg-type]
    tr_res = extract_result(model, tr_sols, "simplex", 0.0, 0.0, check_hard=False)
    results: list[FeederResult] = []
    congestion = np.zeros((F, T))
    for f, fd in enumerate(feeders):  # one read per feeder
        sol = f_sols[f] if f < len(f_sols) else m_sols[0]
        xf = sol.x[: fd.program.lp.n_col]
        y = sol.row_duals
        if ok:
            # With the import fixed, the root balance dual is not unique; the price response at
            # the final LMP has p̂ among its optima, so its duals are optimal duals at x̂ too.
            y = fd.respond(tr_res.lmp[:, rows[f]])[0].row_duals
            congestion[f] = interface_congestion_from_duals(fd.program, case, y)
        results.append(feeder_result(fd.program, case, f, tr_res.lmp, sol, xf, y))
    result = assemble_result(
        case,
        tr_res,
        results,
        congestion,
        SolveInfo(
            objective=run.upper_bound,
            solver_status=status,
            method="benders",
            iterations=run.rounds,
            timings={**timings, "prices_s": time.perf_counter() - t_read},
            gap=float(run.gap),
        ),
    )
    return result, results


def _benders_status(
    m_sols: Sequence[LpSolution], f_sols: Sequence[LpSolution], feeders: Sequence[_Feeder]
) -> str:
    """The joint status from the last masters and feeder solves, as the monolithic solve would
    report it.

    A master is a relaxation of the joint problem (every cut under-estimates the feeders' cost),
    so an infeasible master means an infeasible joint problem. The feeders' elastic columns
    (:data:`ELASTIC_PRICE`, above every penalty) carry import mismatch only when no import the
    masters can take is feasible for the feeder: a non-zero one at the end also means the joint
    problem is infeasible (without slacks). Anything else that is not optimal is an ``error``.
    """
    if not m_sols or len(f_sols) != len(feeders):
        bad = [s.status for s in m_sols if s.status != "optimal"]
        return "infeasible" if "infeasible" in bad else (bad[0] if bad else "error")
    bad = [s.status for s in (*m_sols, *f_sols) if s.status != "optimal"]
    if bad:
        return "infeasible" if "infeasible" in bad else "error"
    for sol, fd in zip(f_sols, feeders, strict=True):
        elastic = sol.x[fd.program.lp.n_col :]
        if np.any(np.abs(elastic) > ELASTIC_TOL_MW):
            return "infeasible"
    return "optimal"


def _tr_solution(sol: LpSolution, n_col: int, n_row: int, objective: float) -> LpSolution:
    return LpSolution(
        status=sol.status,
        objective=objective,
        x=sol.x[:n_col],
        row_duals=sol.row_duals[:n_row],
        col_duals=sol.col_duals[:n_col],
        row_activity=sol.row_activity[:n_row],
        solver=sol.solver,
        solver_version=sol.solver_version,
        time_s=sol.time_s,
        iterations=sol.iterations,
        model_status=sol.model_status,
    )
