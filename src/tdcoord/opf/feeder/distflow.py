"""Multi-period feeder OPF with LinDistFlow (P and Q, squared voltages) and iterated loss factors.

Model (Baran & Wu 1989, "Network reconfiguration in distribution systems for loss reduction and
load balancing", IEEE Trans. Power Delivery 4(2), eqs. (3)–(5) without the loss terms — the
*lossless LinDistFlow* — plus the loss treatment below). For every period t, branch b from node
i to node j and node j:

.. math::

    \\min \\sum_t \\Delta t \\Big[\\pi_t p^{root}_t + \\sum_k c_{kt} p_{kt}
        + \\text{VOLL}\\cdot shed + c^{curt}\\cdot curt + c^{v}(v^{up} + v^{dn})
        + c^{s}\\cdot s^{over}\\Big]

    P_b - loss_b - \\sum_{b' \\in out(j)} P_{b'} + \\sum_{k \\in j} p_k + shed_j - curt_j
        = p^{load}_j - p^{sgen}_j \\quad (\\lambda_j: \\text{the DLMP})

    (\\text{same for } Q \\text{ with } x/r \\cdot loss_b)

    w_j = w_i - 2 (r_b P_b + x_b Q_b) / S_{base} + (r_b^2 + x_b^2) \\bar L_b / S_{base}^2,
    \\qquad v_{min}^2 \\le w_j - v^{up}_j + v^{dn}_j \\le v_{max}^2

    a_{p,f} P_b + a_{q,f} Q_b \\le a_{s,f} (S^{max}_b + s^{over}_b) \\quad f = 1..K
    \\; (\\text{polygon, } K = 12 \\text{ by default})

with ``w_root = v_root²`` fixed, the root supply free in both directions at the root price (the
default energy price or the interface LMP given by the caller), flexible offers within their
per-period bounds, load shedding at VOLL and curtailment of static generation, and violation
slacks at the penalty prices of :class:`~tdcoord.opf.feeder.case.FeederOptions`.

Losses (``options.losses = "loss_factors"``): start lossless; at iterate k take the flows and
voltages (P̄, Q̄, w̄) of iterate k − 1, linearise ``loss_b = r_b (P_b² + Q_b²)/(S_base w_i)`` to
first order around them (marginal loss factors ``∂loss/∂P = 2 r P̄ / (S_base w̄)``, same for Q),
allocate each branch loss to its receiving node, add ``(r² + x²) L̄`` to the voltage drop, and
re-solve; stop when no branch loss changes by more than ``loss_tol_mw``. At the fixed point the
balance holds with the exact DistFlow losses at the solution, and the DLMP contains the
marginal-loss component (Papavasiliou 2018).

Warm re-solves (:class:`WarmDistFlow`): prices, offer bounds and loads change only costs and
bounds, so HiGHS is kept and re-solved from its basis; the loss point stays that of the last cold
solve. By default one :class:`tdcoord.opf.lp.WarmLp` holds the whole horizon; no row couples
two periods, so ``per_period=True`` makes every period its own HiGHS object
(:class:`tdcoord.opf.lp.BlockWarmLp`) and a change re-solves only the periods it touches
(faster when few periods change, slower when all do: ``benchmarks/bench_feeder.py``). The DLMP
stationarity block depends on the matrix only and is factorised once
(:class:`tdcoord.opf.feeder.dlmp.DlmpKkt`).

A case with a norm cost (:attr:`FlexOffers.norm_weight`, the s·‖√C·g‖₂ term of Mieth & Dvorkin)
is solved by Clarabel (:mod:`tdcoord.opf.lp.conic`) instead of HiGHS.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.arrays import period_major
from tdcoord.opf import lp as lpmod
from tdcoord.opf.feeder.case import (
    FeederCase,
    FeederInputError,
    FeederOptions,
    broadcast_table,
)
from tdcoord.opf.feeder.dlmp import DlmpKkt
from tdcoord.opf.feeder.facets import flow_box
from tdcoord.opf.feeder.loss_iter import (
    LOSS_FALLBACK_SOCP,
    LOSS_FALLBACK_SOCP_SLACKS,
    LOSS_NOT_CONVERGED,
    LossHistory,
    LossVerdict,
)
from tdcoord.opf.feeder.program import FeederProgram, LossPoint, build_program
from tdcoord.opf.feeder.result import FeederResult, SolverAnswer, read_result
from tdcoord.opf.feeder.socp import solve_socp
from tdcoord.opf.lp.conic import solve_conic
from tdcoord.types import FloatArray, IntArray

__all__ = [
    "FeederCase",
    "FeederOptions",
    "FeederResult",
    "WarmDistFlow",
    "loss_point_from",
    "solve_distflow",
    "solve_distflow_at",
]


def _solve_program(
    program: FeederProgram, case: FeederCase, options: FeederOptions, iterations: int,
    method: lpmod.Method,
) -> FeederResult:
    if program.cones is not None:
        sol = solve_conic(program.lp, program.cones)
        answer = SolverAnswer(
            sol.status, sol.x, sol.row_duals, sol.solver, sol.solver_version, sol.time_s,
            iterations, cone_term=sol.cone_term,
        )
        return read_result(program, case, options, answer)
    lsol = lpmod.solve(program.lp, method=method)
    return _from_lp(program, case, options, lsol, iterations)


def _from_lp(
    program: FeederProgram, case: FeederCase, options: FeederOptions, sol: lpmod.LpSolution,
    iterations: int, kkt: DlmpKkt | None = None,
) -> FeederResult:
    answer = SolverAnswer(
        sol.status, sol.x, sol.row_duals, sol.solver, sol.solver_version, sol.time_s, iterations
    )
    return read_result(program, case, options, answer, kkt=kkt)


def loss_point_from(result: FeederResult, case: FeederCase) -> LossPoint:
    """The operating point (flows, sending-end squared voltages) of a solved result."""
    f = case.feeder
    w_all = result.v_pu**2
    return LossPoint(
        p_mw=period_major(result.p_flow_mw),
        q_mvar=period_major(result.q_flow_mvar),
        w_from=period_major(w_all[f.parent[1:]]),
    )


def solve_distflow_at(
    case: FeederCase,
    options: FeederOptions | None = None,
    loss_point: LossPoint | None = None,
    *,
    method: lpmod.Method = "auto",
) -> FeederResult:
    """One LinDistFlow solve with losses linearised at ``loss_point`` (lossless when ``None``)."""
    options = options if options is not None else FeederOptions()
    program = build_program(case, options, model="lindistflow", loss_point=loss_point)
    return _solve_program(program, case, options, 1, method)


def solve_distflow(
    case: FeederCase,
    options: FeederOptions | None = None,
    *,
    method: lpmod.Method = "auto",
) -> FeederResult:
    """Solve the LinDistFlow feeder OPF (lossless, or with iterated loss factors; see module).

    The loss iterations stop when no branch loss moves by more than ``loss_tol_mw``
    (status ``optimal`` / ``optimal_with_slacks``). When they cycle or reach ``loss_max_iter``
    without converging (:mod:`tdcoord.opf.feeder.loss_iter`), ``loss_fallback="socp"``
    (default) answers with the branch-flow SOCP (status ``loss_fallback_socp[_with_slacks]``);
    ``loss_fallback="none"`` returns the last LP iterate with status ``not_converged``.
    """
    options = options if options is not None else FeederOptions()
    options.check()
    result = solve_distflow_at(case, options, None, method=method)
    if options.losses == "none" or not result.ok:
        return result
    total_time = result.time_s
    history = LossHistory(result.p_flow_mw, options.loss_tol_mw)
    r_over = (case.feeder.branches.r_pu / case.feeder.base_mva)[:, None]
    verdict: LossVerdict = "continue"
    for it in range(2, options.loss_max_iter + 1):
        point = loss_point_from(result, case)
        w_from = point.w_from.reshape(case.n_periods, case.feeder.n_node - 1).T
        branch_loss = r_over * (result.p_flow_mw**2 + result.q_flow_mvar**2) / w_from
        program = build_program(case, options, model="lindistflow", loss_point=point)
        result = _solve_program(program, case, options, it, method)
        total_time += result.time_s
        if not result.ok:
            return result
        verdict = history.add(branch_loss)
        if verdict != "continue":
            break
    result = replace(result, time_s=total_time, loss_delta_mw=history.last_delta_mw)
    if verdict == "converged":
        return result
    return _not_converged(case, options, result)


def _not_converged(
    case: FeederCase, options: FeederOptions, last: FeederResult
) -> FeederResult:
    """The answer when the loss iterations cycled or hit ``loss_max_iter``: the SOCP
    (``loss_fallback="socp"``) or the last LP iterate marked ``not_converged``."""
    if options.loss_fallback == "socp":
        socp = solve_socp(case, options)
        if socp.ok:
            status = (
                LOSS_FALLBACK_SOCP if socp.status == "optimal" else LOSS_FALLBACK_SOCP_SLACKS
            )
            return replace(
                socp, status=status, time_s=last.time_s + socp.time_s,
                iterations=last.iterations, loss_delta_mw=last.loss_delta_mw,
            )
    return replace(last, status=LOSS_NOT_CONVERGED)


#: Facets kept by a warm program: those reachable with every flow up to (1 + this) times its
#: current bound, so that ordinary load and offer changes need no rebuild.
WARM_FACET_HEADROOM = 1.0


class WarmDistFlow:
    """A LinDistFlow feeder OPF kept warm in HiGHS for repeated price / bound / load changes.

    The first solve (the constructor) iterates the loss factors; later :meth:`solve` calls keep
    that loss point and only change costs and bounds (no rebuild, simplex warm start).
    ``per_period=True`` keeps one HiGHS object per period and re-solves only the periods whose
    data changed (:attr:`pending_periods`); ``False`` (default) keeps one for the whole horizon.
    """

    def __init__(
        self, case: FeederCase, options: FeederOptions | None = None, *,
        method: lpmod.Method = "simplex",
        per_period: bool = False,
    ) -> None:
        self.options = options if options is not None else FeederOptions()
        if case.has_norm_cost:
            raise FeederInputError(
                "a case with a norm cost cannot be warm-started in HiGHS",
                where="WarmDistFlow",
                fix="use solve_distflow (Clarabel) for norm costs",
            )
        self.case = case
        point: LossPoint | None = None
        if self.options.losses != "none":
            first = solve_distflow(case, self.options, method=method)
            if first.ok:
                point = loss_point_from(first, case)
        self.loss_point = point
        self.program = build_program(
            case, self.options, model="lindistflow", loss_point=point,
            facet_headroom=WARM_FACET_HEADROOM,
        )
        self._method: lpmod.Method = method
        self.per_period = per_period
        self.last_timing_s: dict[str, float] = {}
        self._warm = self._new_warm()
        self._kkt = DlmpKkt.of(self.program, case)

    def set_price(self, price_eur_per_mwh: ArrayLike) -> None:
        """Change the root price (scalar or per period)."""
        self.case = self.case.with_price(price_eur_per_mwh)
        self._warm.update_costs(
            self.program.lp.col_blocks["p_root"], self.case.price_eur_per_mwh * self.case.dt_h
        )

    def set_offer_bounds(self, p_min_mw: ArrayLike, p_max_mw: ArrayLike) -> None:
        """Change the offers' active-power bounds ((k,) or (k, T))."""
        k, T = self.case.n_offers, self.case.n_periods
        lo = broadcast_table(p_min_mw, k, T, "p_min_mw")
        hi = broadcast_table(p_max_mw, k, T, "p_max_mw")
        self.case = replace(self.case, offer_p_min_mw=lo, offer_p_max_mw=hi)
        self.case.check()
        if self._rebuild_if_outside_box():
            return
        self._warm.update_col_bounds(
            self.program.lp.col_blocks["p_offer"], period_major(lo), period_major(hi)
        )

    def set_load_scale(self, load_scale: ArrayLike) -> None:
        """Scale the feeder's loads (scalar, per period, or per node and period)."""
        f, T = self.case.feeder, self.case.n_periods
        sc = broadcast_table(load_scale, f.n_node, T, "load_scale")
        old_p, old_q = self.case.load_p_mw, self.case.load_q_mvar
        new_p = f.node_load_mw()[:, None] * sc
        new_q = f.node_load_mvar()[:, None] * sc
        self.case = replace(self.case, load_p_mw=new_p, load_q_mvar=new_q)
        if self._rebuild_if_outside_box():
            return
        rb = self.program.lp.row_blocks
        for name, old, new in (("p_balance", old_p, new_p), ("q_balance", old_q, new_q)):
            rows = rb[name]
            rhs = self._warm.lp.row_lower[rows] + period_major(new - old)
            self._warm.update_row_bounds(rows, rhs, rhs)
        cols = self.program.lp.col_blocks["shed"]
        self._warm.update_col_bounds(cols, 0.0, np.maximum(period_major(new_p), 0.0))

    def _rebuild_if_outside_box(self) -> bool:
        """Facets were pruned for the old data: if the new data can push a flow outside the box
        they were pruned with, rebuild the program (cold, exact) and return True."""
        box = self.program.facet_box
        if box is None or box.contains(flow_box(self.case, slacks=self.options.slacks)):
            return False
        prices = self._warm.lp.cost[self.program.lp.col_blocks["p_root"]] / self.case.dt_h
        self.case = self.case.with_price(prices)
        self.program = build_program(
            self.case, self.options, model="lindistflow", loss_point=self.loss_point,
            facet_headroom=WARM_FACET_HEADROOM,
        )
        self._warm = self._new_warm()
        self._kkt = DlmpKkt.of(self.program, self.case)
        return True

    def _new_warm(self) -> lpmod.WarmLp | lpmod.BlockWarmLp:
        """One HiGHS object per period (no row couples periods) or one for the whole program."""
        lp, T = self.program.lp, self.case.n_periods
        if self.per_period and T > 1:
            layout = self.program.layout(T)
            return lpmod.BlockWarmLp(
                lp, layout.col_period, layout.row_period, method=self._method
            )
        return lpmod.WarmLp(lp, method=self._method)

    def solve(self) -> FeederResult:
        """Re-solve from the current basis (per period: only the periods changed since the last
        solve). :attr:`last_timing_s` splits the wall time into ``highs`` (the solver),
        ``solve`` (solver + copying the solution out) and ``read`` (result + DLMPs)."""
        t0 = time.perf_counter()
        program = _with_lp(self.program, self._warm.lp)
        sol = self._warm.solve(lean=True)
        t1 = time.perf_counter()
        result = _from_lp(program, self.case, self.options, sol, 1, self._kkt)
        self.last_timing_s = {"highs": sol.time_s, "solve": t1 - t0,
                              "read": time.perf_counter() - t1}
        return result

    @property
    def pending_periods(self) -> IntArray:
        """Periods the next :meth:`solve` re-solves: per period, those whose data changed since
        their last solve; stacked (``per_period=False`` or one period), all of them."""
        if isinstance(self._warm, lpmod.BlockWarmLp):
            return np.flatnonzero(self._warm.dirty).astype(np.int64)
        return np.arange(self.case.n_periods, dtype=np.int64)

    @property
    def current_program(self) -> FeederProgram:
        """The program with every update applied (``solve`` of its LP is the cold equivalent)."""
        return _with_lp(self.program, self._warm.lp)


def _with_lp(program: FeederProgram, lp: lpmod.LinearProgram) -> FeederProgram:
    return replace(program, lp=lp)


def cold_equivalent(warm: WarmDistFlow) -> FeederResult:
    """Solve the warm object's current program from scratch (for checks and benchmarks)."""
    program = warm.current_program
    return _from_lp(program, warm.case, warm.options, lpmod.solve(program.lp), 1)


def flat(values: FloatArray) -> FloatArray:
    """(rows, T) → period-major vector (exposed for callers building updates)."""
    return period_major(values)
