"""Summary statistics of a sweep (``summary.json``): per model, each KPI's distribution over the
samples, ``p_best`` and the rank probabilities.

**Annual values.** For sample ``k`` and model ``m``, a KPI's value is the weighted sum over the
days, ``X_mk = Σ_d w_d · x_mkd`` with ``w_d`` = ``weight_days`` (days of the year the day stands
for; :mod:`tdcoord.sweep.days`): costs, energies and counts add up over a year. Intensive KPIs
(:data:`INTENSIVE_KPIS`, e.g. ``parties_per_der``) take the weighted mean ``Σ w_d x / Σ w_d``.
With the study's own day (no ``--days``) the weight is 1 and the values are those of the day
(``_meta.scope`` says ``annual`` or ``day``).

**Statistics over the samples** (numpy, unrounded values): ``mean``; ``std``, the sample
standard deviation (``ddof = 1``; 0 with one sample); ``p5`` and ``p95``, the 5th and 95th
percentiles (linear interpolation between order statistics, numpy's default).

**Ranking.** In each sample the models are ranked by ``total_cost`` (1 = lowest). ``p_best`` is
the share of samples in which the model has the lowest ``total_cost`` (a tie of ``n`` models
gives each ``1/n`` of that sample); ``rank_probability[r]`` is the share of samples in which its
rank is ``r`` (ties share their ranks the same way). With common random numbers, the ranking
compares paired samples.

**Paired difference.** ``total_cost_vs_reference`` gives, per model, the statistics of the
per-sample difference ``X_mk − X_ref,k`` of ``total_cost`` to the reference model (the one with
the lowest mean ``total_cost``; its own differences are 0). Paired by sample, its spread is that
of the difference, not of the two costs: the regulator's question "how much more does m cost,
and how sure is that".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

#: KPIs that do not add up over days: averaged with the day weights instead.
INTENSIVE_KPIS: frozenset[str] = frozenset({"parties_per_der"})

#: Columns of the sweep table that are not KPIs.
NOT_KPIS: frozenset[str] = frozenset(
    {"model_id", "sample", "day", "timestamp", "weight_days", "sim_seed"}
)


def kpi_columns(frame: pd.DataFrame) -> list[str]:
    """Numeric KPI columns of a sweep table (draws and keys left out)."""
    return [
        c
        for c in frame.columns
        if c not in NOT_KPIS
        and not c.startswith("draw_")
        and pd.api.types.is_numeric_dtype(frame[c])
        and not pd.api.types.is_bool_dtype(frame[c])
    ]


def annual_values(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, sample): each KPI's weighted sum (or mean) over the days."""
    kpis = kpi_columns(frame)
    w = frame["weight_days"].to_numpy(dtype=np.float64)
    weighted = frame[kpis].astype(np.float64).mul(w, axis=0)
    weighted[["model_id", "sample"]] = frame[["model_id", "sample"]]
    weighted["_w"] = w
    grouped = weighted.groupby(["model_id", "sample"], sort=False).sum()
    for k in kpis:
        if k in INTENSIVE_KPIS:
            grouped[k] = grouped[k] / grouped["_w"]
    return grouped.drop(columns="_w").reset_index()


def stats(values: np.ndarray) -> dict[str, float]:
    """mean, std (ddof 1), p5, p95 of ``values`` (module doc)."""
    v = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "p5": float(np.percentile(v, 5)),
        "p95": float(np.percentile(v, 95)),
    }


def rank_shares(annual: pd.DataFrame, models: tuple[str, ...]) -> dict[str, dict[int, float]]:
    """Per model, the share of samples at each rank of ``total_cost`` (ties shared)."""
    n = len(models)
    shares = {m: dict.fromkeys(range(1, n + 1), 0.0) for m in models}
    samples = annual["sample"].unique()
    for _, part in annual.groupby("sample", sort=True):
        cost = dict(zip(part["model_id"], part["total_cost"], strict=True))
        values = sorted({cost[m] for m in models if m in cost})
        rank = 1
        for v in values:
            tied = [m for m in models if cost.get(m) == v]
            for m in tied:
                for r in range(rank, rank + len(tied)):
                    shares[m][r] += 1.0 / len(tied) / len(samples)
            rank += len(tied)
    return shares


def paired_differences(annual: pd.DataFrame, models: tuple[str, ...]) -> dict[str, Any]:
    """Per model, statistics of its ``total_cost`` minus the reference model's, per sample."""
    cost = annual.pivot(index="sample", columns="model_id", values="total_cost")
    present = [m for m in models if m in cost.columns]
    if not present:
        return {}
    means = {m: float(cost[m].to_numpy(dtype=np.float64).mean()) for m in present}
    ref = min(present, key=lambda m: (means[m], present.index(m)))
    out: dict[str, Any] = {}
    for m in present:
        diff = (cost[m] - cost[ref]).dropna().to_numpy()
        out[m] = {"reference": ref, **stats(diff)} if diff.size else None
    return out


def summarize(frame: pd.DataFrame, models: tuple[str, ...]) -> dict[str, Any]:
    """Per model: ``p_best``, ``rank_probability``, ``total_cost_vs_reference`` and each KPI's
    ``mean/std/p5/p95``."""
    annual = annual_values(frame)
    kpis = kpi_columns(frame)
    ranks = rank_shares(annual, models) if "total_cost" in kpis else {}
    paired = paired_differences(annual, models) if "total_cost" in kpis else {}
    out: dict[str, Any] = {}
    for m in models:
        part = annual[annual["model_id"] == m]
        entry: dict[str, Any] = {}
        if ranks:
            entry["p_best"] = ranks[m][1]
            entry["rank_probability"] = {str(r): p for r, p in ranks[m].items()}
        if paired.get(m) is not None:
            entry["total_cost_vs_reference"] = paired[m]
        for k in kpis:
            entry[k] = stats(part[k].to_numpy())
        out[m] = entry
    return out
