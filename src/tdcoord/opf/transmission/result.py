"""The DC-OPF result: dispatch, flows, prices, binding branches and non-zero slacks."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from tdcoord.opf.transmission.prices import PriceComponents
from tdcoord.types import BoolArray, FloatArray, IntArray


@dataclasses.dataclass(frozen=True)
class Slack:
    """One non-zero slack: what, where, when, how much and at what penalty."""

    kind: str
    """``load_shedding``, ``over_generation`` or ``line_overload``."""
    element: str
    """``bus`` or ``branch``."""
    id: int
    period: int
    value_mw: float
    penalty_per_mwh: float


@dataclasses.dataclass(frozen=True)
class Binding:
    """A branch at its flow limit in one period; ``dual`` = cost saved per MW of extra rating."""

    id: int
    period: int
    flow_mw: float
    limit_mw: float
    dual: float


@dataclasses.dataclass(frozen=True, eq=False)
class DcOpfResult:
    """Solution of :func:`solve_dcopf`. Arrays are (periods × elements), in table order."""

    status: str
    """``optimal``, ``infeasible`` (slacks were needed; see ``slacks``), ``unbounded``,
    ``time_limit`` or ``error``."""
    objective: float
    """Total cost over the horizon, slack penalties included (currency; $/h for one 1-h period)."""
    penalty_cost: float
    convention: str
    period_hours: float
    bus_ids: IntArray
    branch_ids: IntArray
    gen_ids: IntArray
    storage_ids: IntArray
    prices: PriceComponents
    price_set_by_slack: BoolArray
    dispatch_mw: FloatArray
    flow_mw: FloatArray
    theta_rad: FloatArray
    charge_mw: FloatArray
    discharge_mw: FloatArray
    soc_mwh: FloatArray
    flow_dual: FloatArray
    """Sensitivity of cost (per MWh) to each branch's flow bound (≤ 0 at the upper limit)."""
    binding: tuple[Binding, ...]
    slacks: tuple[Slack, ...]
    solver: str
    solver_version: str
    method: str
    decomposed: bool
    iterations: int
    time_s: float
    timings: Mapping[str, float]

    @property
    def n_periods(self) -> int:
        """Number of periods."""
        return int(self.dispatch_mw.shape[0])

    @property
    def lmp(self) -> FloatArray:
        """LMPs, periods × buses (currency/MWh)."""
        return self.prices.total

    def to_json(self) -> dict[str, Any]:
        """The documented JSON schema (``docs/opf.md``): scalars per bus for one period, lists
        for several."""
        one = self.n_periods == 1

        def series(a: FloatArray, j: int) -> Any:
            col = [float(v) for v in a[:, j]]
            return col[0] if one else col

        prices = {
            str(int(bid)): {
                "total": series(self.prices.total, j),
                "energy": series(self.prices.energy, j),
                "congestion": series(self.prices.congestion, j),
                "loss": series(self.prices.loss, j),
                "price_set_by_slack": (
                    bool(self.price_set_by_slack[0, j])
                    if one
                    else [bool(v) for v in self.price_set_by_slack[:, j]]
                ),
            }
            for j, bid in enumerate(self.bus_ids)
        }
        out: dict[str, Any] = {
            "status": self.status,
            "objective": self.objective,
            "penalty_cost": self.penalty_cost,
            "convention": self.convention,
            "periods": self.n_periods,
            "period_hours": self.period_hours,
            "prices": prices,
            "binding": [
                {k: v for k, v in dataclasses.asdict(x).items() if not (one and k == "period")}
                for x in self.binding
            ],
            "slacks": [dataclasses.asdict(s) for s in self.slacks],
            "dispatch": {
                str(int(g)): series(self.dispatch_mw, j) for j, g in enumerate(self.gen_ids)
            },
            "storage": {
                str(int(s)): {
                    "charge_mw": series(self.charge_mw, j),
                    "discharge_mw": series(self.discharge_mw, j),
                    "soc_mwh": series(self.soc_mwh, j),
                }
                for j, s in enumerate(self.storage_ids)
            },
            "solver": self.solver,
            "solver_version": self.solver_version,
            "method": self.method,
            "decomposed_by_period": self.decomposed,
            "iterations": self.iterations,
            "time_s": self.time_s,
            "timings": dict(self.timings),
            "decomposition_residual": self.prices.residual,
        }
        return out
