"""KPI table logic and the plain-language reading of a comparison.

* :func:`kpi_columns` orders the KPI keys (glossary order, then unknown keys as given).
* :func:`cell_styles` marks each KPI cell ``"best"`` (best value of its KPI where the models
  differ, direction from the glossary), ``"bad"`` (an unresolved violation > 0, or a status
  ``infeasible``/``not_converged``), ``"warn"`` (status ``optimal_with_slacks``) or ``""``.
* :func:`headline` picks the cheapest model among those with no unresolved violation (the
  design's rule: total cost is comparable across models only once violations are priced, and a
  model that leaves the grid violated is not a solution whatever its price).
* :func:`activation_sentences`, :func:`range_sentences`: parts of the plain-language reading
  (:func:`tdcoord.report.answer.reading`).
* Violation KPIs at or below :func:`violation_tol` are rounding noise: never "bad", never a
  violation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tdcoord.kpi.accounting import ENERGY_TOL_MWH, VOLTAGE_TOL_PU_H
from tdcoord.report.data import ReportInput
from tdcoord.report.glossary import KPI_GLOSSARY, kpi_info

FAILED_STATUSES = ("infeasible", "not_converged")
#: Values within ``SAME_ATOL + SAME_RTOL·|best|`` of each other count as equal when the KPI table
#: marks the best value (float noise such as 0.7230000001 against 0.723 is not a difference).
SAME_ATOL = 1e-9
SAME_RTOL = 1e-9
VIOLATION_KEYS = tuple(k for k, v in KPI_GLOSSARY.items() if v.violation)


def violation_tol(key: str) -> float:
    """The value at or below which violation KPI ``key`` is rounding noise, not a violation:
    :data:`~tdcoord.kpi.accounting.ENERGY_TOL_MWH` for MWh, ``VOLTAGE_TOL_PU_H`` for pu·h, 0
    for counts."""
    unit = kpi_info(key).unit
    if unit == "MWh":
        return ENERGY_TOL_MWH
    if unit == "pu·h":
        return VOLTAGE_TOL_PU_H
    return 0.0


def kpi_columns(kpis: pd.DataFrame) -> list[str]:
    """KPI keys present in ``kpis``: glossary order first, then unknown keys in given order."""
    present = [c for c in kpis.columns if c != "model_id"]
    known = [k for k in KPI_GLOSSARY if k in present]
    return known + [c for c in present if c not in KPI_GLOSSARY]


def numeric(s: pd.Series) -> pd.Series:
    """``s`` as floats (non-numbers NaN)."""
    return pd.to_numeric(s, errors="coerce").astype(float)


def cell_styles(kpis: pd.DataFrame) -> pd.DataFrame:
    """Style of every KPI cell (same shape as ``kpis[kpi_columns(kpis)]``)."""
    cols = kpi_columns(kpis)
    styles = pd.DataFrame("", index=kpis.index, columns=cols)
    for c in cols:
        info = kpi_info(c)
        if c == "status":
            st = kpis[c].astype(str)
            styles.loc[st.isin(FAILED_STATUSES), c] = "bad"
            styles.loc[st == "optimal_with_slacks", c] = "warn"
            continue
        if not pd.api.types.is_numeric_dtype(kpis[c]):
            continue
        v = numeric(kpis[c])
        finite = v.dropna()
        if info.better is not None and len(finite):
            best = finite.min() if info.better == "min" else finite.max()
            # rounding noise neither makes models differ nor a best value
            tol = max(violation_tol(c), SAME_ATOL) + SAME_RTOL * abs(best)
            if finite.max() - finite.min() > tol:
                styles.loc[(v - best).abs() <= tol, c] = "best"
        if info.violation:
            styles.loc[v > violation_tol(c), c] = "bad"
    return styles


def format_value(key: str, value: object) -> str:
    """A KPI value as text: money and MWh with separators, counts whole, ``–`` when missing;
    never a negative zero (``-0``)."""
    text = _format_number(key, value)
    if text.startswith("-") and text[1:2].isdigit() and not any(ch in "123456789" for ch in text):
        return text[1:]
    return text


def _format_number(key: str, value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return value
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)
    unit = kpi_info(key).unit
    if unit == "EUR":
        return f"{v:,.0f}"
    if unit == "count":
        return f"{v:,.0f}" if v == round(v) else f"{v:,.2f}"
    if unit == "bytes":
        for div, suffix in ((1e9, " GB"), (1e6, " MB"), (1e3, " kB")):
            if abs(v) >= div:
                return f"{v / div:,.1f}{suffix}"
        return f"{v:,.0f} B"
    if unit == "s":
        return f"{v:,.2f}"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.3g}" if abs(v) < 1 and v != 0 else f"{v:,.2f}"


def cost_key(kpis: pd.DataFrame) -> str | None:
    """The KPI the headline ranks by: ``total_cost``, else ``procurement_cost``, else none."""
    for k in ("total_cost", "procurement_cost"):
        if k in kpis.columns and numeric(kpis[k]).notna().any():
            return k
    return None


def violated(kpis: pd.DataFrame) -> pd.Series:
    """Whether each model leaves an unresolved violation (any violation KPI > 0) or failed.

    Missing violation KPIs count as "no information", not as violations."""
    bad = pd.Series(False, index=kpis.index)
    for k in VIOLATION_KEYS:
        if k in kpis.columns:
            bad |= numeric(kpis[k]).fillna(0.0) > violation_tol(k)
    if "status" in kpis.columns:
        bad |= kpis["status"].astype(str).isin(FAILED_STATUSES)
    return bad


@dataclass(frozen=True)
class Headline:
    """The summary's verdict: ``model_id`` of the cheapest model without unresolved violation
    (``None`` when every model leaves one or no cost is reported), the ``cost_key`` and ``cost``,
    and ``violating`` model ids."""

    model_id: str | None
    cost_key: str | None
    cost: float
    violating: tuple[str, ...]
    has_violation_kpis: bool


def headline(ri: ReportInput) -> Headline:
    """Cheapest model (by :func:`cost_key`) among those with no unresolved violation; ties go to
    the first model in report order."""
    kpis = ri.kpis
    bad = violated(kpis)
    violating = tuple(kpis.loc[bad, "model_id"].astype(str))
    has_info = any(k in kpis.columns for k in VIOLATION_KEYS) or "status" in kpis.columns
    key = cost_key(kpis)
    if key is None:
        return Headline(None, None, math.nan, violating, has_info)
    cost = numeric(kpis[key])
    ok = (~bad) & cost.notna()
    if not ok.any():
        return Headline(None, key, math.nan, violating, has_info)
    idx = int(np.flatnonzero(ok.to_numpy())[int(np.argmin(cost[ok].to_numpy()))])
    return Headline(
        str(kpis["model_id"].iloc[idx]), key, float(cost.iloc[idx]), violating, has_info
    )


def activation_sentences(ri: ReportInput) -> list[str]:
    """Double and counter-activations per model."""
    kpis, ids, out = ri.kpis, ri.model_ids, []
    for key, yes, no in (
        (
            "double_activations",
            "Double activations of a DER in",
            "No model double-activates a DER.",
        ),
        (
            "counter_activations",
            "Counter-activations (opposite TSO and DSO buys under one interface) in",
            "No model counter-activates.",
        ),
    ):
        if key in kpis.columns:
            v = numeric(kpis[key]).fillna(0.0)
            hit = [f"{m} ({format_value(key, x)})" for m, x in zip(ids, v, strict=True) if x > 0]
            out.append(f"{yes} {', '.join(hit)}." if hit else no)
    return out


def range_sentences(ri: ReportInput) -> list[str]:
    """Messages and computation time: from the lowest to the highest model; odd statuses."""
    kpis, ids, out = ri.kpis, ri.model_ids, []
    for key, what in (("messages", "messages exchanged"), ("compute_s", "computation time (s)")):
        if key in kpis.columns:
            v = numeric(kpis[key])
            if v.notna().sum() >= 2:
                lo, hi = int(np.nanargmin(v.to_numpy())), int(np.nanargmax(v.to_numpy()))
                out.append(
                    f"{what.capitalize()}: from {format_value(key, v.iloc[lo])} ({ids[lo]}) to "
                    f"{format_value(key, v.iloc[hi])} ({ids[hi]})."
                )
    if "status" in kpis.columns:
        st = kpis["status"].astype(str)
        odd = [f"{m}: {s}" for m, s in zip(ids, st, strict=True) if s != "optimal"]
        if odd:
            out.append(f"Solver status other than optimal — {'; '.join(odd)}.")
    return out
