"""Read a DC-OPF solution (one LP, or one per period) into a :class:`DcOpfResult`: dispatch,
flows, LMPs and their decomposition, non-zero slacks and the prices they set.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

import numpy as np

from tdcoord.opf.lp.builder import LinearProgram
from tdcoord.opf.lp.highs import LpSolution, Method
from tdcoord.opf.transmission.build import DcOpfModel
from tdcoord.opf.transmission.prices import congestion_from_duals, decompose
from tdcoord.opf.transmission.result import Binding, DcOpfResult, Slack
from tdcoord.opf.transmission.slacks import feasible_without_slacks
from tdcoord.types import BoolArray, FloatArray, IntArray

#: A slack below this (MW) counts as zero.
SLACK_TOL_MW = 1e-6
#: Relative tolerance of the optimality certificate of a slack-free solution (see
#: :func:`certify`): a slack column's reduced cost must be ≥ −tol · max(1, |cost|).


#: Row families that are not one block per period.
_NOT_PER_PERIOD = frozenset({"soc_end", "ramp"})


@dataclasses.dataclass
class _Stacked:
    """Primal and dual values reshaped to (periods × family)."""

    x: dict[str, FloatArray]
    zc: dict[str, FloatArray]
    yr: dict[str, FloatArray]


def _reshape(
    lp: LinearProgram, xs: list[FloatArray], zs: list[FloatArray], ys: list[FloatArray], T: int
) -> _Stacked:
    """Split solution vectors into families; one vector (coupled) or one per period."""
    x = np.concatenate([v[None, :] for v in xs]) if len(xs) > 1 else xs[0][None, :]
    z = np.concatenate([v[None, :] for v in zs]) if len(zs) > 1 else zs[0][None, :]
    y = np.concatenate([v[None, :] for v in ys]) if len(ys) > 1 else ys[0][None, :]

    def split(arr: FloatArray, blocks: Mapping[str, slice]) -> dict[str, FloatArray]:
        out: dict[str, FloatArray] = {}
        for name, s in blocks.items():
            part = arr[:, s]
            out[name] = part.reshape(1, -1) if name in _NOT_PER_PERIOD else part.reshape(T, -1)
        return out

    return _Stacked(split(x, lp.col_blocks), split(z, lp.col_blocks), split(y, lp.row_blocks))


def worst_status(sols: list[LpSolution]) -> str:
    for status in ("error", "unbounded", "infeasible", "time_limit"):
        if any(s.status == status for s in sols):
            return status
    return "optimal"


def _hard_feasible(
    model: DcOpfModel, method: Method, slacks: list[Slack], known: Mapping[int | None, bool]
) -> bool:
    """Whether the problem without slacks is feasible in every period that uses a slack (the
    whole program when coupled); statuses in ``known`` are not re-checked."""
    periods: list[int | None] = [None]
    if model.decomposed:
        periods = [*sorted({s.period for s in slacks})]
    return all(
        known[p] if p in known else feasible_without_slacks(model, method, p) for p in periods
    )


def extract_result(
    model: DcOpfModel,
    sols: list[LpSolution],
    method: Method,
    build_s: float,
    solve_s: float,
    *,
    check_hard: bool = True,
    hard_feasible: Mapping[int | None, bool] | None = None,
) -> DcOpfResult:
    """Read dispatch, flows, prices and slacks from the solutions (one, or one per period).

    ``check_hard=False`` skips the re-check of the slack-free problem (the joint T+D OPF, whose
    transmission rows alone are not the whole problem, decides its status itself).
    ``hard_feasible`` gives the slack-free status already known per period (key ``None`` for a
    coupled program); those periods are not re-checked.
    """
    t0 = time.perf_counter()
    tr, net, data, lp = model.tr, model.net, model.data, model.lp
    T, dt = data.n_periods, data.period_hours
    status = worst_status(sols)
    st = _reshape(
        lp,
        [s.x for s in sols],
        [s.col_duals for s in sols],
        [s.row_duals for s in sols],
        T,
    )
    x, zc, yr = st.x, st.zc, st.yr
    flow = x["flow"].copy()
    if model.allow_slack and model.limited.size:
        flow[:, model.limited] += x["overload_up"] - x["overload_down"]
    lmp = yr["balance"] / dt
    mu = zc["flow"] / dt
    alpha = yr["angle_diff"] / dt if net.angle_rows.size else None
    prices = decompose(net, lmp, mu, alpha)
    objective = float(sum(s.objective for s in sols))
    slacks: list[Slack] = []
    flagged = np.zeros((T, net.n_bus), dtype=bool)
    penalty = 0.0
    if model.allow_slack and status == "optimal":
        slacks, penalty, flagged = _slacks(model, x, mu, lmp)
        if slacks and check_hard:
            feasible = _hard_feasible(model, method, slacks, hard_feasible or {})
            status = "optimal" if feasible else "infeasible"
    rows_sto = len(tr.storage)
    binding = _binding(model, flow, mu) if status in ("optimal", "infeasible") else ()
    prices_s = time.perf_counter() - t0
    return DcOpfResult(
        status=status,
        objective=objective if status in ("optimal", "infeasible") else float("nan"),
        penalty_cost=penalty,
        convention=net.convention,
        period_hours=dt,
        bus_ids=np.asarray(tr.buses.id),
        branch_ids=np.asarray(tr.branches.id),
        gen_ids=np.asarray(tr.generators.id),
        storage_ids=np.asarray(tr.storage.id),
        prices=prices,
        price_set_by_slack=flagged,
        dispatch_mw=x["p"],
        flow_mw=flow,
        theta_rad=x["theta"],
        charge_mw=x["charge"] if rows_sto else np.zeros((T, 0)),
        discharge_mw=x["discharge"] if rows_sto else np.zeros((T, 0)),
        soc_mwh=x["soc"] if rows_sto else np.zeros((T, 0)),
        flow_dual=mu,
        binding=binding,
        slacks=tuple(slacks),
        solver=sols[0].solver,
        solver_version=sols[0].solver_version,
        method=method,
        decomposed=model.lp_periods != T,
        iterations=int(sum(s.iterations for s in sols)),
        time_s=build_s + solve_s + prices_s,
        timings={"build_s": build_s, "solve_s": solve_s, "prices_s": prices_s},
    )


def _slacks(
    model: DcOpfModel, x: Mapping[str, FloatArray], mu: FloatArray, lmp: FloatArray
) -> tuple[list[Slack], float, BoolArray]:
    """Non-zero slacks (sorted by period, kind, id), their penalty cost and the flagged prices."""
    tr, dt = model.tr, model.data.period_hours
    bus_ids, br_ids = np.asarray(tr.buses.id), np.asarray(tr.branches.id)
    lim_ids = br_ids[model.limited]
    entries: list[tuple[str, str, IntArray, FloatArray, float]] = [
        ("load_shedding", "bus", bus_ids, x["shed"], model.voll_eur_per_mwh),
        ("over_generation", "bus", bus_ids, x["spill"], model.spill_eur_per_mwh),
        ("line_overload", "branch", lim_ids, x["overload_up"], model.overload_eur_per_mwh),
        ("line_overload", "branch", lim_ids, -x["overload_down"], model.overload_eur_per_mwh),
    ]
    slacks: list[Slack] = []
    penalty = 0.0
    for kind, element, ids, values, price in entries:
        penalty += float(np.sum(np.abs(values))) * price * dt
        for t, j in np.argwhere(np.abs(values) > SLACK_TOL_MW):  # only the non-zero ones
            slacks.append(Slack(kind, element, int(ids[j]), int(t), float(values[t, j]), price))
    slacks.sort(key=lambda s: (s.period, s.kind, s.id))
    tol = 1e-6 * max(model.voll_eur_per_mwh, model.spill_eur_per_mwh)
    flagged = (
        (x["shed"] > SLACK_TOL_MW)
        | (x["spill"] > SLACK_TOL_MW)
        | (lmp >= model.voll_eur_per_mwh - tol)
        | (lmp <= -model.spill_eur_per_mwh + tol)
    )
    over = (np.abs(x["overload_up"]) + np.abs(x["overload_down"])) > SLACK_TOL_MW
    if np.any(over):
        mu_over = np.zeros_like(mu)
        mu_over[:, model.limited] = np.where(over, mu[:, model.limited], 0.0)
        part = congestion_from_duals(model.net, mu_over)
        flagged |= np.abs(part) > 1e-6 * np.maximum(1.0, np.abs(lmp))
    return slacks, penalty, flagged


def _binding(model: DcOpfModel, flow: FloatArray, mu: FloatArray) -> tuple[Binding, ...]:
    """Branches whose |flow| reaches the rating (relative tolerance 1e-6)."""
    rating = model.net.rating_mw[None, :]
    finite = np.isfinite(rating)
    limit = np.where(finite, rating, 0.0)
    at = finite & (np.abs(flow) >= limit - 1e-6 * np.maximum(1.0, limit))
    ids = model.tr.branches.id
    return tuple(
        Binding(
            id=int(ids[j]),
            period=int(t),
            flow_mw=float(flow[t, j]),
            limit_mw=float(model.net.rating_mw[j]),
            dual=float(abs(mu[t, j])),
        )
        for t, j in np.argwhere(at)
    )
