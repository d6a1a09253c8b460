"""The answer a comparison report opens with (issue 13 item 4): which model, by how much, and
what each family of models leaves unresolved and why.

* With at least one model free of unresolved violations after AC validation: the cheapest of
  them by ``total_cost`` (:func:`tdcoord.report.summary.headline`), then every other model's
  extra cost against it, :math:`\\Delta_m = C_m - C^*` in € and :math:`100\\,\\Delta_m / |C^*|`
  in %, cheapest first.
* Without one: that is said plainly, and the models are ranked by total cost (violations priced
  at the study's penalties, the same for every model), each with its violations first, largest
  (in €) first.
* Then one sentence per model family (the ``scheme`` of the catalogue): what its models leave
  unresolved and why — the family's blind spot as its source describes it (seed 001 §III, one
  paragraph per market model) when grid violations remain, and delivery shortfall when only
  energy not served remains.

Tolerances are those of the KPIs (:mod:`tdcoord.kpi.accounting`): a residual at or below them is
noise and never reported as a violation.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from tdcoord.kpi.accounting import ENERGY_TOL_MWH, VOLTAGE_TOL_PU_H
from tdcoord.report.data import ReportInput
from tdcoord.report.summary import (
    activation_sentences,
    cost_key,
    headline,
    numeric,
    range_sentences,
    violated,
)
from tdcoord.report.theory_check import theory_sentences

#: Why a family can leave grid violations, from its source's description (seed 001 §III).
SCHEME_BLIND_SPOT: dict[str, str] = {
    "centralized": "the TSO clears distribution offers lumped at their interface bus, blind to "
    "feeder limits (DSO needs enter only as a quantity per feeder)",
    "common": "it optimises both grids jointly but on a linearised feeder model (LinDistFlow "
    "with margins) that the AC power flow can still find violated",
    "integrated": "it optimises both grids jointly but on a linearised feeder model (LinDistFlow "
    "with margins) that the AC power flow can still find violated",
    "local": "each DSO clears its own feeder first and the TSO then clears on a transmission-"
    "only view, so the TSO's later activations are checked only by the DSO's linear filter",
    "distributed": "the area platforms couple through interface capacities only; transmission "
    "lines are not part of the coupling",
    "envelope": "the central operator dispatches within the DSO's per-node operating envelopes "
    "and never sees the feeder model; the envelopes are linear approximations",
    "fragmented": "TSO and DSOs clear separate markets on the same offers with nothing "
    "exchanged, so one operator's activations can undo the other's relief",
    "multi_level": "each voltage layer clears its own grid and passes aggregated offers up, so "
    "the upper layers do not see the lower layers' limits",
    "shared_balancing": "each DSO must hold its interface schedule with its own offers while the "
    "TSO uses transmission-connected resources only",
    "tso_first_dso_validation": "the TSO clears first and each DSO only curtails activations "
    "that would violate its limits (traffic light); it buys no relief of its own",
}

ENS_REASON = (
    "the energy not served is need left uncovered: DERs delivered less than they were paid for "
    "(seeded non-delivery) or the offers could not cover the need"
)


def _value(row: pd.Series, key: str) -> float:
    if key not in row.index:
        return 0.0
    v = pd.to_numeric(pd.Series([row[key]]), errors="coerce").iloc[0]
    return 0.0 if pd.isna(v) else float(v)


def violation_items(row: pd.Series) -> list[str]:
    """A model's unresolved violations as text, largest in € first (ties: ENS first)."""
    items: list[tuple[float, str]] = []
    ens = _value(row, "energy_not_served_mwh")
    if ens > ENERGY_TOL_MWH:
        eur = _value(row, "energy_not_served_eur")
        items.append((eur, f"{ens:,.3g} MWh energy not served (€{eur:,.0f})"))
    over = _value(row, "unresolved_overload_mwh")
    volt = _value(row, "unresolved_voltage_pu_h")
    grid = []
    if over > ENERGY_TOL_MWH:
        grid.append(f"{over:,.3g} MWh overload")
    if volt > VOLTAGE_TOL_PU_H:
        grid.append(f"{volt:,.3g} pu·h voltage deviation")
    if grid:
        eur = _value(row, "violation_penalty_eur")
        items.append((eur, f"{' and '.join(grid)} (€{eur:,.0f} penalty)"))
    items.sort(key=lambda x: -x[0])
    out = [t for _, t in items]
    n = _value(row, "unresolved_violations")
    if n > 0:
        out.append(f"{n:,.0f} violation(s) in all")
    status = str(row["status"]) if "status" in row.index else ""
    if status in ("infeasible", "not_converged"):
        out.append(f"status {status}")
    return out


def _severity(row: pd.Series) -> tuple[float, float, int]:
    """Order of how badly a model leaves the grid: priced violations (€), then the count."""
    eur = _value(row, "energy_not_served_eur") + _value(row, "violation_penalty_eur")
    return (eur, _value(row, "unresolved_violations"), len(violation_items(row)))


def _extra(cost: float, best: float) -> str:
    d = cost - best
    pct = f"{100 * d / abs(best):+.1f} %" if best != 0 else "n/a %"
    return f"+€{d:,.0f} ({pct})" if d >= 0 else f"−€{-d:,.0f} ({pct})"


def _ranked(ri: ReportInput, key: str) -> pd.DataFrame:
    k = ri.kpis.assign(_cost=numeric(ri.kpis[key]), _bad=violated(ri.kpis))
    return k.sort_values("_cost", kind="stable")


def answer(ri: ReportInput) -> list[str]:
    """The opening sentences (see module docstring)."""
    h = headline(ri)
    key = cost_key(ri.kpis)
    if key is None:
        return ["No cost KPI was reported, so no model can be named cheapest."]
    ranked = _ranked(ri, key)
    if h.model_id is not None:
        out = [
            f"Answer: {h.model_id} is the cheapest model that leaves no unresolved violation "
            f"after AC validation, total cost €{h.cost:,.0f}."
        ]
        others = [
            f"{r['model_id']} {_extra(float(r['_cost']), h.cost)}"
            + (" — leaves violations" if bool(r["_bad"]) else "")
            for _, r in ranked.iterrows()
            if r["model_id"] != h.model_id and math.isfinite(float(r["_cost"]))
        ]
        if others:
            out.append("Extra cost of every other model against it: " + "; ".join(others) + ".")
        return out
    best = float(ranked["_cost"].iloc[0])
    lines = [
        "No model is free of unresolved violations after AC validation: none is a complete "
        "solution. Ranked by total cost (violations priced at the study's penalties, the same "
        "for every model), each with its violations first, largest first:"
    ]
    for i, (_, r) in enumerate(ranked.iterrows(), start=1):
        items = "; ".join(violation_items(r)) or "no violation"
        gap = "cheapest" if i == 1 else f"{_extra(float(r['_cost']), best)} on the cheapest"
        lines.append(f"{i}. {r['model_id']}: {items} — total €{float(r['_cost']):,.0f} ({gap}).")
    return lines


def family_sentences(ri: ReportInput) -> list[str]:
    """One sentence per scheme: what its models leave unresolved, and why."""
    rows = {str(r["model_id"]): r for _, r in ri.kpis.iterrows()}
    out = []
    for scheme, grp in ri.models.groupby("scheme", sort=False):
        ids = [str(m) for m in grp["model_id"] if str(m) in rows]
        if not ids:
            continue
        worst = max(ids, key=lambda m: _severity(rows[m]))
        items = violation_items(rows[worst])
        names = ", ".join(ids)
        if not items:
            out.append(f"{scheme} ({names}): leaves no unresolved violation.")
            continue
        row = rows[worst]
        grid = (_value(row, "unresolved_overload_mwh") > ENERGY_TOL_MWH) or (
            _value(row, "unresolved_voltage_pu_h") > VOLTAGE_TOL_PU_H
        )
        why = SCHEME_BLIND_SPOT.get(str(scheme), "its source gives no grid model") if grid else ""
        ens = _value(row, "energy_not_served_mwh") > ENERGY_TOL_MWH
        reasons = "; ".join(x for x in (why, ENS_REASON if ens else "") if x)
        lead = f"up to {worst}'s" if len(ids) > 1 else "its"
        out.append(
            f"{scheme} ({names}): leaves {lead} {'; '.join(items)}"
            + (f" — because {reasons}." if reasons else ".")
        )
    return out


def _procurement_trap(ri: ReportInput) -> list[str]:
    """The model that buys most cheaply, when it leaves violations: not a saving."""
    kpis = ri.kpis
    if "procurement_cost" not in kpis.columns:
        return []
    proc = numeric(kpis["procurement_cost"])
    if not proc.notna().any():
        return []
    i = int(np.nanargmin(proc.to_numpy()))
    if not bool(violated(kpis).iloc[i]):
        return []
    m = str(kpis["model_id"].iloc[i])
    return [
        f"{m} buys flexibility most cheaply (€{float(proc.iloc[i]):,.0f}) but does not solve "
        "the grid's problems: its low procurement cost is not a saving."
    ]


def reading(ri: ReportInput) -> list[str]:
    """The summary's sentences: the answer, then one per model family, then activations,
    messages and computation time (deterministic; report order for ties)."""
    ids = ri.model_ids
    return [
        *answer(ri),
        *theory_sentences(ri),
        f"{len(ids)} coordination model(s) ran on the same grid, fleet and day: {', '.join(ids)}.",
        *_procurement_trap(ri),
        *family_sentences(ri),
        *activation_sentences(ri),
        *range_sentences(ri),
    ]
