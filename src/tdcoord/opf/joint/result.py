"""The result of a joint T+D OPF: LMPs, DLMPs, interface flows and congestion, slacks, JSON form.

Prices: transmission LMPs are decomposed by :func:`tdcoord.opf.transmission.prices.decompose`
(energy =
reference-bus price, congestion); feeder DLMPs by :func:`tdcoord.opf.feeder.dlmp.decompose` with the
interface LMP as the root (energy) price, so a node's ``energy`` is the LMP of its interface bus
and its ``congestion`` includes the interface-transformer premium. The interface congestion price
is reported twice: ``root DLMP − LMP`` and, independently, from the interface-polygon duals
(``−Σ_k a_{p,k} κ_k / Δt``); they agree to solver tolerance (the invariant of
:mod:`tdcoord.opf.joint.build`).

Status: ``optimal``; ``optimal_with_slacks`` when load was shed or a limit violated anywhere
(curtailment of static generation is a priced remedy, listed but not a violation); or a solver
status (``infeasible``, ``time_limit``, ``error``). A price is flagged (``price_set_by_slack``)
when a violation slack is non-zero at that bus (transmission rule of
:mod:`tdcoord.opf.transmission`) or,
for feeder nodes, anywhere in that feeder and period, or at its interface bus.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tdcoord.opf.feeder.program import FeederProgram
from tdcoord.opf.feeder.result import FeederResult, SolverAnswer, read_result
from tdcoord.opf.joint.case import JointCase
from tdcoord.opf.lp import LpSolution
from tdcoord.opf.transmission import DcOpfResult
from tdcoord.types import BoolArray, FloatArray, IntArray


@dataclasses.dataclass(frozen=True, eq=False)
class JointResult:
    """Joint T+D OPF solution. Feeder arrays are (feeders × periods)."""

    status: str
    objective: float
    transmission: DcOpfResult
    feeders: tuple[FeederResult, ...]
    feeder_ids: list[str]
    interface_bus: IntArray
    interface_p_mw: FloatArray
    """Import of each feeder from transmission (MW, + = feeder imports)."""
    interface_q_mvar: FloatArray
    interface_rating_mva: FloatArray
    interface_congestion: FloatArray
    """Root DLMP − interface LMP (€/MWh): the interface-transformer congestion component."""
    interface_congestion_from_duals: FloatArray
    feeder_price_flag: BoolArray
    slacks: tuple[dict[str, Any], ...]
    solver: str
    solver_version: str
    method: str
    """``monolithic`` or ``benders`` (per-period masters, feeder value-function cuts)."""
    iterations: int
    """Solver iterations (monolithic) or Benders rounds (decomposed), summed over loss rounds."""
    loss_iterations: int
    time_s: float
    timings: Mapping[str, float]
    gap: float = 0.0
    """Relative optimality gap at termination (decomposed; 0 for the monolithic solve)."""

    @property
    def ok(self) -> bool:
        """True when an optimum was found (with or without slacks)."""
        return self.status in ("optimal", "optimal_with_slacks")

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return self.transmission.n_periods

    @property
    def lmp(self) -> FloatArray:
        """LMPs, periods × transmission buses."""
        return self.transmission.lmp

    def to_json(self) -> dict[str, Any]:
        """The documented JSON schema (``docs/opf_joint.md``); scalars for one period."""
        tj = self.transmission.to_json()
        one = self.n_periods == 1

        def val(row: FloatArray | BoolArray) -> Any:
            items = [v.item() for v in np.asarray(row)]
            return items[0] if one else items

        prices: dict[str, Any] = dict(tj["prices"])
        for f, res in enumerate(self.feeders):
            if res.prices is None:
                continue
            p = res.prices
            for i, nid in enumerate(res.node_ids):
                prices[f"{res.feeder_id}/{nid}"] = {
                    "total": val(p.total[i]),
                    "energy": val(p.energy[i]),
                    "congestion": val(p.congestion[i]),
                    "loss": val(p.loss[i]),
                    "voltage": val(p.voltage[i]),
                    "price_set_by_slack": val(self.feeder_price_flag[f]),
                }
        interfaces = {
            fid: {
                "transmission_bus": int(self.interface_bus[f]),
                "flow_mw": val(self.interface_p_mw[f]),
                "q_mvar": val(self.interface_q_mvar[f]),
                "rating_mva": float(self.interface_rating_mva[f]),
                "congestion_price": val(self.interface_congestion[f]),
            }
            for f, fid in enumerate(self.feeder_ids)
        }
        return {
            "status": self.status,
            "objective": self.objective,
            "periods": self.n_periods,
            "period_hours": self.transmission.period_hours,
            "prices": prices,
            "binding": {
                "transmission": tj["binding"],
                "feeders": {
                    r.feeder_id: r.binding
                    for r in self.feeders
                    if r.binding.get("branches") or r.binding.get("voltages")
                },
            },
            "slacks": list(self.slacks),
            "interfaces": interfaces,
            "losses_mw": {r.feeder_id: val(r.losses_mw) for r in self.feeders},
            "solver": self.solver,
            "solver_version": self.solver_version,
            "method": self.method,
            "iterations": self.iterations,
            "loss_iterations": self.loss_iterations,
            "gap": self.gap,
            "time_s": self.time_s,
            "timings": dict(self.timings),
        }


def feeder_result(
    program: FeederProgram,
    case: JointCase,
    f: int,
    lmp: FloatArray,
    sol: LpSolution,
    x: FloatArray,
    y: FloatArray,
) -> FeederResult:
    """Read feeder ``f`` from its slice of a solution; energy price = its interface LMP."""
    fc = case.feeder_cases[f]
    row = int(case.transmission.bus_rows(case.interface_bus[f : f + 1])[0])
    priced = fc.with_price(lmp[:, row])
    answer = SolverAnswer(sol.status, x, y, sol.solver, sol.solver_version, 0.0, 0)
    return read_result(program, priced, case.options, answer)


def interface_congestion_from_duals(
    program: FeederProgram, case: JointCase, y: FloatArray
) -> FloatArray:
    """``−Σ_k a_{p,k} κ_{kt} / Δt`` from the interface (substation) polygon duals, per period."""
    rows = program.lp.row_blocks["substation"]
    T = case.n_periods
    if rows.stop == rows.start:
        return np.zeros(T)
    poly = case.options.facets()
    kappa = y[rows].reshape(T, poly.n_facets)
    return np.asarray(-(kappa @ poly.a_p) / case.period_hours, dtype=np.float64)


def _transmission_slacks(tr: DcOpfResult) -> list[dict[str, Any]]:
    return [
        {
            "where": f"{s.element} {s.id}",
            "kind": s.kind,
            "period": s.period,
            "value": s.value_mw,
            "unit": "mw",
            "penalty_per_unit_h": s.penalty_per_mwh,
        }
        for s in tr.slacks
    ]


_UNITS = {
    "load_shed_mw": ("load_shedding", "mw"),
    "curtailment_mw": ("curtailment", "mw"),
    "overvoltage_pu2": ("overvoltage", "pu2"),
    "undervoltage_pu2": ("undervoltage", "pu2"),
    "overload_mva": ("line_overload", "mva"),
    "substation_overload_mva": ("interface_overload", "mva"),
}


def _feeder_slacks(res: FeederResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, entries in res.slacks.items():
        kind, unit = _UNITS[key]
        for e in entries:
            element = "branch" if "branch" in e else "node"
            out.append(
                {
                    "where": f"{res.feeder_id}/{element} {e[element]}",
                    "kind": kind,
                    "period": int(e["period"]),
                    "value": float(e[unit]),
                    "unit": unit,
                    "penalty_per_unit_h": float(e["price"]),
                }
            )
    return out


@dataclasses.dataclass(frozen=True)
class SolveInfo:
    """How a joint solve went: objective, solver status, algorithm, counts, timings, gap."""

    objective: float
    solver_status: str
    method: str
    iterations: int
    timings: Mapping[str, float]
    loss_iterations: int = 1
    gap: float = 0.0


def assemble_result(
    case: JointCase,
    transmission: DcOpfResult,
    feeders: Sequence[FeederResult],
    congestion_from_duals: FloatArray,
    info: SolveInfo,
) -> JointResult:
    """Combine the transmission and feeder results into a :class:`JointResult`."""
    T, F = case.n_periods, case.n_feeders
    solver_status, timings = info.solver_status, info.timings
    ok = solver_status == "optimal"
    rows = case.transmission.bus_rows(case.interface_bus)
    lmp = transmission.lmp
    p_itf = np.array([r.p_root_mw for r in feeders]).reshape(F, T)
    q_itf = np.array([r.q_root_mvar for r in feeders]).reshape(F, T)
    root = np.array(
        [r.prices.total[0] if r.prices is not None else np.full(T, np.nan) for r in feeders]
    ).reshape(F, T)
    congestion = root - lmp[:, rows].T
    slacks = _transmission_slacks(transmission)
    flag = np.zeros((F, T), dtype=bool)
    for f, res in enumerate(feeders):  # one pass per feeder over its (few) slack entries
        entries = _feeder_slacks(res)
        slacks += entries
        for e in entries:
            if e["kind"] != "curtailment":
                flag[f, e["period"]] = True
    flag |= transmission.price_set_by_slack[:, rows].T
    slacks.sort(key=lambda s: (s["period"], s["kind"], s["where"]))
    violated = any(s["kind"] != "curtailment" for s in slacks)
    status = ("optimal_with_slacks" if violated else "optimal") if ok else solver_status
    return JointResult(
        status=status,
        objective=info.objective if ok else float("nan"),
        transmission=transmission,
        feeders=tuple(feeders),
        feeder_ids=case.feeder_ids,
        interface_bus=np.asarray(case.interface_bus),
        interface_p_mw=p_itf,
        interface_q_mvar=q_itf,
        interface_rating_mva=np.asarray(case.interface_rating_mva),
        interface_congestion=congestion,
        interface_congestion_from_duals=np.asarray(congestion_from_duals).reshape(F, T),
        feeder_price_flag=flag,
        slacks=tuple(slacks),
        solver=transmission.solver,
        solver_version=transmission.solver_version,
        method=info.method,
        iterations=info.iterations,
        loss_iterations=info.loss_iterations,
        time_s=float(sum(timings.values())),
        timings=dict(timings),
        gap=info.gap,
    )
