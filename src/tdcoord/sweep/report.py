"""The sweep's HTML report (``report.html``): the distribution of each KPI over the samples, per
model, and the rank-probability table.

One self-contained page, offline: plotly.js inline once in the head
(:func:`tdcoord.report.html.plotly_js`), no external reference. Per numeric KPI one figure with
a box per model (the per-sample annual values of :func:`tdcoord.sweep.summary.annual_values`,
every sample drawn as a point beside its box); the table gives, per model, ``P(rank = r)`` by
``total_cost`` and ``p_best`` (:mod:`tdcoord.sweep.summary`).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from tdcoord.report.html import plotly_js
from tdcoord.sweep.summary import annual_values, kpi_columns
from tdcoord.sweep.table import write_text_atomic


def kpi_figure(annual: pd.DataFrame, kpi: str, models: tuple[str, ...], scope: str) -> go.Figure:
    """Box plot of one KPI: one box per model over the samples."""
    fig = go.Figure()
    for m in models:
        values = annual.loc[annual["model_id"] == m, kpi]
        fig.add_trace(go.Box(y=values, name=m, boxpoints="all", jitter=0.3, pointpos=-1.6))
    fig.update_layout(
        title=f"{kpi} ({scope}, per sample)",
        showlegend=False,
        height=360,
        margin={"l": 60, "r": 20, "t": 50, "b": 60},
    )
    return fig


def rank_table(summary: dict[str, Any], models: tuple[str, ...]) -> str:
    """The rank-probability table as HTML (rows: models by ``p_best``; columns: ranks)."""
    if not models or "rank_probability" not in summary.get(models[0], {}):
        return "<p>No total_cost column: no ranking.</p>"
    ranks = list(summary[models[0]]["rank_probability"])
    head = "".join(f"<th>P(rank {r})</th>" for r in ranks)
    rows = []
    for m in sorted(models, key=lambda m: -summary[m]["p_best"]):
        probs = summary[m]["rank_probability"]
        cells = "".join(f"<td>{probs[r]:.2f}</td>" for r in ranks)
        cost = summary[m]["total_cost"]
        d = summary[m].get("total_cost_vs_reference") or {}
        delta = f"{d['mean']:+,.0f} ({d['p5']:+,.0f} … {d['p95']:+,.0f})" if d else ""
        rows.append(
            f"<tr><td>{html.escape(m)}</td><td>{summary[m]['p_best']:.2f}</td>"
            f"<td>{cost['mean']:,.0f}</td><td>{cost['p5']:,.0f} – {cost['p95']:,.0f}</td>"
            f"<td>{delta}</td>{cells}</tr>"
        )
    return (
        "<table><thead><tr><th>model</th><th>p_best</th><th>total_cost mean</th>"
        "<th>total_cost p5 – p95</th><th>paired Δ total_cost vs cheapest mean (p5 … p95)</th>"
        f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


_STYLE = (
    "body{font-family:sans-serif;margin:2em;max-width:1100px}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
    "td:first-child{text-align:left}"
)


def write_sweep_report(
    frame: pd.DataFrame,
    summary: dict[str, Any],
    meta: dict[str, Any],
    models: tuple[str, ...],
    path: Path,
) -> Path:
    """Write the report page (module doc) to ``path``."""
    annual = annual_values(frame)
    scope = str(meta.get("scope", "annual"))
    divs = []
    for k, kpi in enumerate(kpi_columns(frame)):
        fig = kpi_figure(annual, kpi, models, scope)
        divs.append(pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=f"kpi-{k}"))
    days = ", ".join(f"{d} (×{w:.1f})" for d, w in meta.get("days", []))
    title = f"Sweep of study {html.escape(str(meta.get('study', '')))}"
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{plotly_js()}</script></head><body>'
        f"<h1>{title}</h1>"
        f"<p>{len(models)} models × {meta.get('samples')} samples × {len(meta.get('days', []))} "
        f"days ({html.escape(days)}); values are {scope} per sample; resolution "
        f"{meta.get('resolution')}.</p>"
        "<h2>Rank probability (by total_cost)</h2>"
        f"{rank_table(summary, models)}"
        "<h2>Distributions</h2>" + "".join(divs) + "</body></html>"
    )
    return write_text_atomic(path, page)
