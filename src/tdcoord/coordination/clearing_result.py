"""Reading a solved :class:`~tdcoord.coordination.program.ClearingProgram`: activations,
redispatch, priced slacks, LMPs and DLMPs.

Prices (sign convention of :mod:`tdcoord.opf.lp`: dual = ∂cost/∂bound):

* LMP :math:`= (\\lambda_t + \\Phi^\\top\\mu_t)/\\Delta t` — the balance dual plus the line-row
  duals through the PTDF (extra withdrawal at a bus);
* DLMP :math:`= \\mathrm{LMP}_{itf} + (\\sum_i \\mu^v_i S^p_{ij} - \\sum_{b,k}\\mu^{br}_{bk}
  \\alpha_{p,k} D_{bj} - \\mu^{itf})/\\Delta t` — the duals of the feeder rows an extra
  withdrawal at node j moves (voltage rows, branch-polygon facets, the interface row);
* target dual: the marginal cost of a feeder's exchange, :math:`y_{target}/\\Delta t`;
* ``dlmp_parts``: the DLMP's congestion and voltage components and marginal loss factors per
  feeder, to which the transmission stage's interface LMP is handed as the root price
  (:mod:`tdcoord.coordination.prices`, seed 000 §1.4).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from tdcoord.coordination.network_model import FeederModel
from tdcoord.coordination.prices import DlmpParts, dlmp_parts
from tdcoord.coordination.program import ClearingProgram
from tdcoord.opf.lp import LpSolution
from tdcoord.types import FloatArray

#: A slack above this (MW, pu) counts as used.
SLACK_TOL = 1e-7

SLACK_COLUMNS = ("where", "kind", "interval", "value", "penalty_eur")


@dataclasses.dataclass(frozen=True, eq=False)
class ClearingResult:
    """Solution of one clearing LP."""

    status: str  # optimal | optimal_with_slacks | infeasible
    objective_eur: float
    activation_mw: FloatArray  # (K, T) per injector
    redispatch_mw: FloatArray  # (n_gen, T) signed
    lmp_eur_per_mwh: FloatArray | None
    dlmp_eur_per_mwh: dict[int, FloatArray]
    target_dual_eur_per_mwh: dict[int, FloatArray]
    interval_cost_eur: FloatArray  # (T,) objective per interval
    slacks: pd.DataFrame
    iterations: int
    solve_s: float
    #: The DLMP components per modelled feeder (:mod:`tdcoord.coordination.prices`).
    dlmp_parts: dict[int, DlmpParts] = dataclasses.field(default_factory=dict)


def family_values(c: ClearingProgram, x: FloatArray, name: str, n: int) -> FloatArray:
    """Values ``(n, T)`` of column family ``name`` in the solution vector ``x``."""
    return np.asarray(x[c.columns(name)].reshape(c.n_periods, n).T, dtype=np.float64)


def _slacks(c: ClearingProgram, x: FloatArray) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    for fam in c.slack_families:
        vals = family_values(c, x, fam.name, len(fam.labels))
        for i, t in zip(*np.nonzero(vals > SLACK_TOL), strict=True):
            v = float(vals[i, t])
            rows.append(
                {
                    "where": fam.labels[i],
                    "kind": fam.kind,
                    "interval": int(t),
                    "value": v,
                    "penalty_eur": v * fam.price_eur_per_unit_h * c.dt_h,
                }
            )
    return pd.DataFrame(rows, columns=list(SLACK_COLUMNS))


def _lmp(c: ClearingProgram, y: FloatArray) -> FloatArray | None:
    tm = c.transmission
    if tm is None or not c.has_rows("balance"):
        return None
    T = c.n_periods
    lam = y[c.rows("balance")]
    total = np.repeat(lam[None, :], tm.n_bus, 0)
    if c.has_rows("lines"):
        rated = tm.line_rows
        mu = y[c.rows("lines")].reshape(T, rated.size).T
        total = total + tm.ptdf[rated].T @ mu
    return np.asarray(total / c.dt_h, dtype=np.float64)


def _dlmp(
    c: ClearingProgram, f: int, fm: FeederModel, y: FloatArray, lmp: FloatArray | None
) -> FloatArray:
    T, dt = c.n_periods, c.dt_h
    info = c.feeder_rows.get(f, {})
    val = np.zeros((fm.n_node, T))
    if lmp is not None:
        val += lmp[c.case.interface_bus_row[f]][None, :] * dt
    if "nodes" in info:
        nodes = info["nodes"]
        mu = y[info["v_lo"]].reshape(T, nodes.size).T + y[info["v_hi"]].reshape(T, nodes.size).T
        val += fm.v_sens_p[nodes].T @ mu
    if "branches" in info:
        brs = info["branches"]
        mu = y[info["branch"]].reshape(T, len(info["a_p"]) * brs.size).T
        mu = mu.reshape(len(info["a_p"]), brs.size, T)
        weighted = np.einsum("k,kbt->bt", info["a_p"], mu)
        val -= np.asarray(fm.down[brs].T @ weighted)
    if "interface" in info:
        val -= y[info["interface"]][None, :]
    return np.asarray(val / dt, dtype=np.float64)


def _infeasible(c: ClearingProgram, sol: LpSolution, elapsed: float) -> ClearingResult:
    T, n_gen = c.n_periods, len(c.case.gen_schedule_mw)
    return ClearingResult(
        "infeasible",
        float("nan"),
        np.zeros((c.spec.injectors.n, T)),
        np.zeros((n_gen, T)),
        None,
        {},
        {},
        np.full(T, np.nan),
        pd.DataFrame(columns=list(SLACK_COLUMNS)),
        sol.iterations,
        elapsed,
    )


def read_result(
    c: ClearingProgram, cost: FloatArray, sol: LpSolution, elapsed: float
) -> ClearingResult:
    """The :class:`ClearingResult` of program ``c`` solved as ``sol`` (``cost``: the LP's cost
    vector, for the objective per interval; ``elapsed``: the wall time to report)."""
    if sol.status != "optimal":
        return _infeasible(c, sol, elapsed)
    inj, T, x = c.spec.injectors, c.n_periods, sol.x
    act = np.clip(family_values(c, x, "a", inj.n), 0.0, np.maximum(inj.cap, 0.0))
    red = np.zeros((len(c.case.gen_schedule_mw), T))
    if c.has_columns("r_up"):
        n_gen = len(c.case.gen_schedule_mw)
        red = family_values(c, x, "r_up", n_gen) - family_values(c, x, "r_dn", n_gen)
    interval_cost = np.bincount(c.column_interval(), weights=cost * x, minlength=T)
    slacks = _slacks(c, x)
    y = sol.row_duals
    lmp = _lmp(c, y)
    dlmp = {f: _dlmp(c, f, fm, y, lmp) for f, fm in c.feeder_models.items()}
    tduals = {
        f: np.asarray(y[c.feeder_rows[f]["target"]] / c.dt_h, dtype=np.float64)
        for f in c.spec.feeder_targets
    }
    return ClearingResult(
        status="optimal_with_slacks" if len(slacks) else "optimal",
        objective_eur=float(sol.objective),
        activation_mw=act,
        redispatch_mw=red,
        lmp_eur_per_mwh=lmp,
        dlmp_eur_per_mwh=dlmp,
        target_dual_eur_per_mwh=tduals,
        interval_cost_eur=np.asarray(interval_cost, dtype=np.float64),
        slacks=slacks,
        iterations=sol.iterations,
        solve_s=elapsed,
        dlmp_parts=dlmp_parts(c, y),
    )
