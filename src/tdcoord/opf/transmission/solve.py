"""Solve an assembled DC-OPF (:func:`solve_model`) or build and solve it (:func:`solve_dcopf`).

Algorithm: periods are solved one by one on one warm ``Highs`` object when nothing couples them
(no storage, no ramp limits); otherwise as one LP — dual simplex up to
:data:`IPM_THRESHOLD_COLUMNS` columns, HiGHS IPX (with crossover, for vertex duals) above
(``performance-notes.md``). Quadratic costs make it a QP (HiGHS's QP solver).
With slacks, the slack-free program is solved first and kept when its duals certify it optimal
for the program with slacks (every slack's reduced cost ≥ 0 — LP duality, exact); only otherwise
is the program with slacks solved (:func:`solve_model`, ``slack_free_first``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np
from numpy.typing import ArrayLike

from tdcoord.grid.model import Transmission
from tdcoord.opf.lp.builder import LinearProgram
from tdcoord.opf.lp.conic import solve_qp_interior
from tdcoord.opf.lp.highs import LpSolution, Method, solve
from tdcoord.opf.lp.warm import WarmLp
from tdcoord.opf.transmission.build import DcOpfModel, at_period, build_dcopf, set_period
from tdcoord.opf.transmission.data import (
    DEFAULT_OVERLOAD_PENALTY,
    DEFAULT_SPILL_COST,
    DEFAULT_VOLL,
    StorageEnd,
)
from tdcoord.opf.transmission.extract import extract_result
from tdcoord.opf.transmission.result import DcOpfResult
from tdcoord.opf.transmission.slacks import SlackCheck, certify, slack_index, without_columns
from tdcoord.types import FloatArray

#: Above this many columns a time-coupled LP goes to the interior-point solver.
IPM_THRESHOLD_COLUMNS = 50_000
#: Above this many columns a QP (quadratic costs) goes to Clarabel's interior point.


#: Above this many columns a QP (quadratic costs) goes to Clarabel's interior point.
QP_INTERIOR_COLUMNS = 3_000
#: A slack below this (MW) counts as zero.


def _choose_method(model: DcOpfModel, method: Method) -> Method:
    if method != "auto":
        return method
    if model.lp.is_qp:
        return "auto"
    if not model.decomposed and model.lp.n_col > IPM_THRESHOLD_COLUMNS:
        return "ipm"
    return "simplex"


def solve_dcopf(  # noqa: PLR0913  (keyword-only inputs of the public DC-OPF, as build_dcopf)
    tr: Transmission,
    *,
    convention: str = "powermodels",
    n_periods: int | None = None,
    load_mw: ArrayLike | None = None,
    withdrawal_mw: Mapping[int, ArrayLike] | ArrayLike | None = None,
    gen_availability: ArrayLike | None = None,
    ramp_mw_per_h: ArrayLike | None = None,
    period_hours: float = 1.0,
    storage_end: StorageEnd = "initial",
    voll_eur_per_mwh: float = DEFAULT_VOLL,
    spill_eur_per_mwh: float = DEFAULT_SPILL_COST,
    overload_eur_per_mwh: float = DEFAULT_OVERLOAD_PENALTY,
    allow_slack: bool = True,
    decompose_periods: bool | None = None,
    method: Method = "auto",
    time_limit_s: float | None = None,
    slack_free_first: bool = True,
) -> DcOpfResult:
    """Solve a (multi-period) DC-OPF on ``tr`` and price it.

    Parameters (periods × elements arrays, elements in table order):
      ``load_mw`` per load (default: the static loads every period); ``withdrawal_mw`` extra net
      withdrawal per bus — a ``{bus id: series}`` mapping or a periods × buses array (feeders'
      net load at their interface bus, negative for export); ``gen_availability`` fraction of
      each generator's limits; ``ramp_mw_per_h`` per generator (inf = none);
      ``voll_eur_per_mwh``, ``spill_eur_per_mwh``, ``overload_eur_per_mwh`` slack prices
      (currency/MWh); ``allow_slack=False`` drops the slacks (an infeasible case then returns
      status ``infeasible`` with NaN values);
      ``slack_free_first`` see :func:`solve_model` (same optimum, faster; ``False`` solves the
      program with slacks directly).
    """
    model = build_dcopf(
        tr,
        convention=convention,
        n_periods=n_periods,
        load_mw=load_mw,
        withdrawal_mw=withdrawal_mw,
        gen_availability=gen_availability,
        ramp_mw_per_h=ramp_mw_per_h,
        period_hours=period_hours,
        storage_end=storage_end,
        voll_eur_per_mwh=voll_eur_per_mwh,
        spill_eur_per_mwh=spill_eur_per_mwh,
        overload_eur_per_mwh=overload_eur_per_mwh,
        allow_slack=allow_slack,
        decompose_periods=decompose_periods,
    )
    return solve_model(
        model, method=method, time_limit_s=time_limit_s, slack_free_first=slack_free_first
    )


def solve_model(
    model: DcOpfModel,
    *,
    method: Method = "auto",
    time_limit_s: float | None = None,
    slack_free_first: bool = True,
) -> DcOpfResult:
    """Solve an assembled :class:`DcOpfModel` and extract dispatch, flows, prices and slacks.

    Large QPs (quadratic costs, more than :data:`QP_INTERIOR_COLUMNS` columns) with
    ``method="auto"`` go to Clarabel's interior point; everything else to HiGHS.

    ``slack_free_first`` (default; only with slacks): first solve the program without its slack
    columns (1/3 of the columns on PGLib cases; the 10⁴–10⁵ penalty costs and the extra
    degenerate columns make HiGHS's dual simplex 3–6× slower) and keep that solution when its
    duals certify it optimal for the program with slacks (:func:`certify`, exact). Otherwise —
    the slack-free program is infeasible, or a slack is cheaper (e.g. an LMP above VOLL) — the
    program with slacks is solved as before, and the slack-free status found on the way replaces
    the re-check of :func:`feasible_without_slacks`.
    """
    chosen = _choose_method(model, method)
    data, lp = model.data, model.lp
    T = data.n_periods
    t0 = time.perf_counter()
    drop = slack_index(model) if model.allow_slack and slack_free_first else None
    if drop is not None and drop.size == 0:
        drop = None
    hard: LinearProgram | None = None
    check: SlackCheck | None = None
    if drop is not None:
        hard, keep = without_columns(lp, drop)
        check = SlackCheck.of(lp, keep, drop)
    periods = [None] if model.lp_periods == T else list(range(T))

    def slack_upper(t: int | None) -> FloatArray:
        assert drop is not None
        upper = lp.col_upper.copy()
        if t is not None and t > 0:  # the template holds period 0
            upper[lp.col_blocks["shed"]] = np.maximum(data.demand_mw[t], 0.0)
        return upper[drop]

    interior = method == "auto" and lp.is_qp and lp.n_col > QP_INTERIOR_COLUMNS
    if interior:
        chosen = "ipm"
    warm: dict[str, WarmLp] = {}

    def run(which: LinearProgram, key: str, t: int | None) -> LpSolution:
        if interior:
            return solve_qp_interior(which if t is None else at_period(which, data, t))
        if t is None:
            return solve(which, method=chosen, time_limit_s=time_limit_s)
        fresh = key not in warm
        if fresh:  # the template holds period 0
            warm[key] = WarmLp(which, method=chosen, time_limit_s=time_limit_s)
        if not fresh or t > 0:
            set_period(warm[key], data, t)
        return warm[key].solve()

    sols: list[LpSolution] = []
    known: dict[int | None, bool] = {}
    for t in periods:
        if hard is not None and check is not None:
            first = run(hard, "hard", t)
            lifted = certify(check, slack_upper(t), first)
            if lifted is not None:
                sols.append(lifted)
                continue
            if first.status in ("optimal", "infeasible"):  # keys as in extract_result
                known[(t or 0) if model.decomposed else None] = first.status == "optimal"
            sol = run(lp, "full", t)
            sols.append(dataclasses.replace(sol, iterations=sol.iterations + first.iterations))
        else:
            sols.append(run(lp, "full", t))
    solve_s = time.perf_counter() - t0
    return extract_result(model, sols, chosen, model.build_s, solve_s, hard_feasible=known)
