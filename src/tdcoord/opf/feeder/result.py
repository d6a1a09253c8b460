"""The result of a feeder OPF (LinDistFlow or SOCP) and its JSON form.

Status values: ``"optimal"`` (no load shed, no limit violated), ``"optimal_with_slacks"`` (the
physical problem is infeasible: load was shed or a limit was violated, each at its penalty price,
listed in ``slacks``), ``"infeasible"`` / ``"unbounded"`` / ``"time_limit"`` / ``"error"`` from the
solver. Curtailment of static generation is an ordinary (priced) remedy and is reported in
``slacks`` too, without changing the status. Loss-factor LinDistFlow only
(:mod:`tdcoord.opf.feeder.loss_iter`): ``"not_converged"`` (the loss iterations cycled or hit
``loss_max_iter``; the last LP iterate, not an optimum), ``"loss_fallback_socp"`` /
``"loss_fallback_socp_with_slacks"`` (they did not converge and the branch-flow SOCP answered).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from tdcoord.opf.feeder.case import FeederCase, FeederOptions
from tdcoord.opf.feeder.dlmp import DlmpComponents, DlmpKkt, decompose
from tdcoord.opf.feeder.program import FeederProgram
from tdcoord.types import FloatArray

#: Statuses of an answer that is an optimum of its model (``FeederResult.ok``).
OK_STATUSES = (
    "optimal", "optimal_with_slacks", "loss_fallback_socp", "loss_fallback_socp_with_slacks",
)


@dataclasses.dataclass(frozen=True, eq=False)
class FeederResult:
    """Dispatch, voltages, DLMPs (decomposed), binding limits and slacks of one feeder OPF.

    Arrays are node row × period (``(n_node, T)``), branch row × period (``(n−1, T)``) or offer ×
    period (``(k, T)``); powers in MW/Mvar, prices in €/MWh.
    """

    status: str
    objective: float
    model: str
    feeder_id: str
    node_ids: list[int]
    branch_ids: list[int]
    v_pu: FloatArray
    p_flow_mw: FloatArray
    q_flow_mvar: FloatArray
    p_root_mw: FloatArray
    q_root_mvar: FloatArray
    losses_mw: FloatArray  # (T,)
    p_offer_mw: FloatArray
    q_offer_mvar: FloatArray
    prices: DlmpComponents | None
    binding: dict[str, list[dict[str, Any]]]
    slacks: dict[str, list[dict[str, Any]]]
    solver: str
    solver_version: str
    time_s: float
    iterations: int
    #: SOCP only: max over branches of (L·w_i − P² − Q²)/max(1, L·w_i); 0 = the relaxation is exact.
    relaxation_gap: float = float("nan")
    #: Loss-factor LinDistFlow: max change of a branch loss between the last two iterates, MW
    #: (NaN for a single solve or the SOCP).
    loss_delta_mw: float = float("nan")
    x: FloatArray = dataclasses.field(repr=False, default_factory=lambda: np.zeros(0))
    row_duals: FloatArray = dataclasses.field(repr=False, default_factory=lambda: np.zeros(0))

    @property
    def ok(self) -> bool:
        """True when the solver found an optimum (with or without slacks), also when the loss
        iterations fell back to the SOCP (:mod:`tdcoord.opf.feeder.loss_iter`)."""
        return self.status in OK_STATUSES

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.p_root_mw.shape[0])

    @property
    def v_min_pu(self) -> float:
        """Lowest voltage over nodes and periods."""
        return float(np.min(self.v_pu)) if self.ok else float("nan")

    @property
    def v_max_pu(self) -> float:
        """Highest voltage over nodes and periods."""
        return float(np.max(self.v_pu)) if self.ok else float("nan")

    def dlmp(self, node_id: int, period: int = 0) -> float:
        """Active DLMP (€/MWh) of a node id in a period."""
        if self.prices is None:
            return float("nan")
        return float(self.prices.total[self.node_ids.index(node_id), period])

    def to_json(self) -> dict[str, Any]:
        """JSON-able dict (per-period lists, scalars when there is one period)."""
        one = self.n_periods == 1

        def val(row: FloatArray) -> float | list[float]:
            return float(row[0]) if one else [float(v) for v in row]

        prices: dict[str, dict[str, Any]] = {}
        if self.prices is not None:
            p = self.prices
            for i, nid in enumerate(self.node_ids):
                prices[str(nid)] = {
                    "total": val(p.total[i]),
                    "energy": val(p.energy[i]),
                    "congestion": val(p.congestion[i]),
                    "loss": val(p.loss[i]),
                    "voltage": val(p.voltage[i]),
                    "reactive": val(p.reactive[i]),
                }
        voltages = (
            {str(nid): val(self.v_pu[i]) for i, nid in enumerate(self.node_ids)} if self.ok else {}
        )
        return {
            "status": self.status,
            "objective": self.objective,
            "model": self.model,
            "feeder": self.feeder_id,
            "n_periods": self.n_periods,
            "prices": prices,
            "voltages_pu": voltages,
            "binding": self.binding,
            "slacks": self.slacks,
            "losses_mw": val(self.losses_mw) if self.ok else None,
            "import_mw": val(self.p_root_mw) if self.ok else None,
            "v_min_pu": self.v_min_pu,
            "v_max_pu": self.v_max_pu,
            "solver": self.solver,
            "solver_version": self.solver_version,
            "time_s": self.time_s,
            "iterations": self.iterations,
            "relaxation_gap": self.relaxation_gap,
            "loss_delta_mw": self.loss_delta_mw,
        }


def _grid(v: FloatArray, T: int, rows: int) -> FloatArray:
    """Period-major flat vector → (rows, T)."""
    return np.asarray(v.reshape(T, rows).T)


def _entries(
    mask: npt.NDArray[np.bool_],
    amount: FloatArray,
    ids: list[int],
    key: str,
    unit: str,
    price: float,
) -> list[dict[str, Any]]:
    rows, periods = np.nonzero(mask)
    return [
        {key: ids[r], "period": int(t), unit: float(amount[r, t]), "price": price}
        for r, t in zip(rows.tolist(), periods.tolist(), strict=True)
    ]


@dataclasses.dataclass(frozen=True, eq=False)
class SolverAnswer:
    """What a solver returned for a feeder program (HiGHS or Clarabel), as :func:`read_result`
    reads it; ``cone_term`` only from a conic solve."""

    status: str
    x: FloatArray
    row_duals: FloatArray
    solver: str
    solver_version: str
    time_s: float
    iterations: int
    cone_term: FloatArray | None = None


def _failed(program: FeederProgram, case: FeederCase, ans: SolverAnswer) -> FeederResult:
    """The result of a solve without a solution: NaN everywhere, no prices."""
    f, T, nan = case.feeder, case.n_periods, float("nan")
    n, m = f.n_node, f.n_node - 1
    empty = np.full((0, T), nan)
    return FeederResult(
        status=ans.status,
        objective=nan,
        model=program.model,
        feeder_id=f.id,
        node_ids=[int(v) for v in f.nodes.id],
        branch_ids=[int(v) for v in f.branches.id],
        v_pu=np.full((n, T), nan),
        p_flow_mw=np.full((m, T), nan),
        q_flow_mvar=np.full((m, T), nan),
        p_root_mw=np.full(T, nan),
        q_root_mvar=np.full(T, nan),
        losses_mw=np.full(T, nan),
        p_offer_mw=empty,
        q_offer_mvar=empty,
        prices=None,
        binding={},
        slacks={},
        solver=ans.solver,
        solver_version=ans.solver_version,
        time_s=ans.time_s,
        iterations=ans.iterations,
        x=ans.x,
        row_duals=ans.row_duals,
    )


def _columns(
    program: FeederProgram, case: FeederCase, x: FloatArray
) -> Callable[[str, int], FloatArray]:
    """``col(name, rows)``: block ``name`` of ``x`` as a (rows, T) table (zeros when empty)."""
    cb, T = program.lp.col_blocks, case.n_periods

    def col(name: str, rows: int) -> FloatArray:
        block = x[cb[name]]
        return _grid(block, T, rows) if block.size else np.zeros((rows, T))

    return col


def _losses(
    program: FeederProgram, case: FeederCase, P: FloatArray, Q: FloatArray, w: FloatArray,
    col: Callable[[str, int], FloatArray],
) -> tuple[FloatArray, float]:
    """Active losses per period and the SOCP relaxation gap (NaN for LinDistFlow)."""
    f, T, m = case.feeder, case.n_periods, case.feeder.n_node - 1
    r_over = (f.branches.r_pu / f.base_mva)[:, None]
    w_all = np.vstack([np.full((1, T), f.v_root_pu**2), w])
    w_from = w_all[f.parent[1:]]
    gap = float("nan")
    if program.model == "socp":
        L = col("l_flow", m)
        losses = (r_over * L).sum(axis=0)
        lw = L * w_from
        gap = float(np.max((lw - P**2 - Q**2) / np.maximum(1.0, lw))) if lw.size else 0.0
    elif program.loss_point is not None:
        losses = (r_over * (P**2 + Q**2) / w_from).sum(axis=0)
    else:
        losses = np.zeros(T)
    return np.asarray(losses), gap


def _binding(
    program: FeederProgram, case: FeederCase, options: FeederOptions,
    P: FloatArray, Q: FloatArray, w: FloatArray, v: FloatArray,
) -> dict[str, list[dict[str, Any]]]:
    """Branches at their (polygonal) rating and nodes at a voltage limit."""
    f, T, tol = case.feeder, case.n_periods, options.binding_tol
    node_ids = [int(k) for k in f.nodes.id]
    branch_ids = [int(k) for k in f.branches.id]
    poly = options.facets()
    rated = program.rated
    util = (
        np.max(
            (poly.a_p[:, None, None] * P[rated][None] + poly.a_q[:, None, None] * Q[rated][None])
            / poly.a_s[:, None, None],
            axis=0,
        )
        if len(rated)
        else np.zeros((0, T))
    )
    rating = f.branches.rating_mva[rated][:, None]
    at_limit = util >= rating - tol * np.maximum(1.0, rating)
    rated_ids = [branch_ids[i] for i in rated.tolist()]
    vmin2 = (f.nodes.v_min_pu[1:] ** 2)[:, None]
    vmax2 = (f.nodes.v_max_pu[1:] ** 2)[:, None]
    return {
        "branches": [
            {
                "branch": rated_ids[r],
                "period": int(t),
                "flow_mva": float(util[r, t]),
                "rating_mva": float(rating[r, 0]),
            }
            for r, t in zip(*np.nonzero(at_limit), strict=True)
        ],
        "voltages": [
            {"node": node_ids[j + 1], "period": int(t), "side": side, "v_pu": float(v[j + 1, t])}
            for side, mask in (("upper", w >= vmax2 - tol), ("lower", w <= vmin2 + tol))
            for j, t in zip(*np.nonzero(mask), strict=True)
        ],
    }


def _slacks(
    program: FeederProgram, case: FeederCase, options: FeederOptions, x: FloatArray,
    col: Callable[[str, int], FloatArray],
) -> dict[str, list[dict[str, Any]]]:
    """Every non-zero slack (shedding, curtailment, voltage and rating violations) by kind."""
    f, tol = case.feeder, options.binding_tol
    n, m, rated = f.n_node, f.n_node - 1, program.rated
    node_ids = [int(k) for k in f.nodes.id]
    rated_ids = [int(f.branches.id[i]) for i in rated.tolist()]
    shed = col("shed", n)
    curtail = col("curtail", n)
    v_up, v_dn = col("v_up", m), col("v_dn", m)
    s_over = col("s_over", len(rated))
    slacks: dict[str, list[dict[str, Any]]] = {
        "load_shed_mw": _entries(
            shed > tol, shed, node_ids, "node", "mw", options.voll_eur_per_mwh
        ),
        "curtailment_mw": _entries(
            curtail > tol, curtail, node_ids, "node", "mw", options.curtailment_eur_per_mwh
        ),
        "overvoltage_pu2": _entries(
            v_up > tol, v_up, node_ids[1:], "node", "pu2", options.voltage_eur_per_pu2_h
        ),
        "undervoltage_pu2": _entries(
            v_dn > tol, v_dn, node_ids[1:], "node", "pu2", options.voltage_eur_per_pu2_h
        ),
        "overload_mva": _entries(
            s_over > tol, s_over, rated_ids, "branch", "mva", options.overload_eur_per_mvah
        ),
    }
    if program.has_substation_limit and options.slacks:
        ss = x[program.lp.col_blocks["s_over_sub"]][None, :]
        slacks["substation_overload_mva"] = _entries(
            ss > tol, ss, [int(node_ids[0])], "node", "mva", options.overload_eur_per_mvah
        )
    return {key: entries for key, entries in slacks.items() if entries}


def read_result(
    program: FeederProgram,
    case: FeederCase,
    options: FeederOptions,
    answer: SolverAnswer,
    *,
    kkt: DlmpKkt | None = None,
) -> FeederResult:
    """Turn a solved program into a :class:`FeederResult` (prices decomposed, limits listed).

    ``kkt`` reuses the DLMP factorisation of a program with the same matrix
    (:class:`~tdcoord.opf.feeder.dlmp.DlmpKkt`; warm re-solves).
    """
    if answer.status != "optimal":
        return _failed(program, case, answer)
    f, x = case.feeder, answer.x
    T, m, k = case.n_periods, f.n_node - 1, case.n_offers
    cb = program.lp.col_blocks
    col = _columns(program, case, x)
    w = col("w", m)
    v = np.vstack([np.full((1, T), f.v_root_pu), np.sqrt(np.maximum(w, 0.0))])
    P, Q = col("p_flow", m), col("q_flow", m)
    losses, gap = _losses(program, case, P, Q, w, col)
    prices = decompose(program, case, answer.row_duals, answer.cone_term, kkt=kkt)
    binding = _binding(program, case, options, P, Q, w, v)
    slacks = _slacks(program, case, options, x, col)
    violated = any(key != "curtailment_mw" for key in slacks)
    # Σ cost·x without BLAS: a multithreaded ddot of this length wakes BLAS threads that then
    # spin for milliseconds (3–4 ms CPU per call measured on the 123-node × 24-period feeder).
    objective = float(np.add.reduce(program.lp.cost * x)) + float(program.lp.offset)
    return FeederResult(
        status="optimal_with_slacks" if violated else "optimal",
        objective=objective,
        model=program.model,
        feeder_id=f.id,
        node_ids=[int(j) for j in f.nodes.id],
        branch_ids=[int(j) for j in f.branches.id],
        v_pu=v,
        p_flow_mw=P,
        q_flow_mvar=Q,
        p_root_mw=x[cb["p_root"]].copy(),
        q_root_mvar=x[cb["q_root"]].copy(),
        losses_mw=losses,
        p_offer_mw=col("p_offer", k),
        q_offer_mvar=col("q_offer", k),
        prices=prices,
        binding=binding,
        slacks=slacks,
        solver=answer.solver,
        solver_version=answer.solver_version,
        time_s=answer.time_s,
        iterations=answer.iterations,
        relaxation_gap=gap,
        x=x,
        row_duals=answer.row_duals,
    )
