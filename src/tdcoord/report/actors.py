"""Figures with many parties, grouped by actor type with a drill-down.

A party id is ``"<kind>:<name>"`` or a bare role (``"tso"``, ``"platform"``); its actor type is
the role of seed 001 §II.B "Actors" it plays: TSO, DSO, platform / market operator, aggregator
(flexibility service provider, FSP), DER owner, BRP. Charts open on one bar per actor type and
model (a handful of bars instead of models × parties) and a button row drills down to the
parties of one type.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tdcoord.report.data import ReportInput
from tdcoord.report.figures import TEMPLATE, model_colors

#: Party-id prefix → actor type shown in the report (order = display order).
ACTOR_TYPES: dict[str, str] = {
    "tso": "TSO",
    "dso": "DSO",
    "idso": "DSO",
    "platform": "Platform / market operator",
    "aggregator": "Aggregator / FSP",
    "der": "DER owner",
    "brp": "BRP",
}


def actor_type(party: str) -> str:
    """Actor type of a party id: the label of its ``kind:`` prefix (or bare role); unknown
    prefixes are returned capitalised, so nothing is dropped."""
    kind = str(party).split(":", 1)[0].strip().lower()
    return ACTOR_TYPES.get(kind, kind.capitalize() or "Other")


def type_order(types: pd.Series | list[str]) -> list[str]:
    """Distinct actor types in display order (known types first, then others sorted)."""
    known = list(dict.fromkeys(ACTOR_TYPES.values()))
    present = set(types)
    return [t for t in known if t in present] + sorted(present - set(known))


def _top_parties(s: pd.DataFrame, max_parties: int) -> list[str]:
    size = s.groupby("party")["amount_eur"].apply(lambda v: float(np.abs(v).sum()))
    order = sorted(size.index, key=lambda k: (-float(size[k]), str(k)))
    return [str(p) for p in order[:max_parties]]


def _buttons(labels: list[str], n_models: int, titles: list[str]) -> list[dict[str, object]]:
    """One button per view; view ``k`` shows traces ``k·n_models … (k+1)·n_models − 1``."""
    n = len(labels) * n_models
    return [
        {
            "type": "buttons",
            "direction": "right",
            "x": 0.0,
            "xanchor": "left",
            "y": 1.16,
            "yanchor": "top",
            "showactive": True,
            "active": 0,
            "buttons": [
                {
                    "label": lab,
                    "method": "update",
                    "args": [
                        {"visible": [k * n_models <= j < (k + 1) * n_models for j in range(n)]},
                        {"title.text": titles[k]},
                    ],
                }
                for k, lab in enumerate(labels)
            ],
        }
    ]


def settlement_by_type(ri: ReportInput, max_parties: int = 20) -> go.Figure:
    """Net settlement (EUR, + receives, − pays) per actor type and model, grouped bars; buttons
    drill down to the ``max_parties`` largest parties (by Σ|amount| over models) of one type,
    the rest of that type pooled as ``"other <type>"``."""
    s = ri.settlement.assign(actor_type=ri.settlement["party"].map(actor_type))
    types = type_order(s["actor_type"])
    ids = ri.model_ids
    fig = go.Figure(layout={"template": TEMPLATE, "barmode": "group", "height": 520})
    colors = model_colors(ri)
    views = [("by actor type", "actor_type", s)]
    for t in types:
        sub = s.loc[s["actor_type"] == t]
        keep = set(_top_parties(sub, max_parties))
        sub = sub.assign(party=sub["party"].where(sub["party"].isin(keep), f"other {t}"))
        views.append((t, "party", sub))
    titles = []
    for k, (label, col, sub) in enumerate(views):
        table = sub.groupby([col, "model_id"])["amount_eur"].sum().unstack("model_id")
        xs = types if col == "actor_type" else sorted(str(x) for x in table.index)
        table = table.reindex(index=xs, columns=ids).fillna(0.0)
        for m in ids:
            fig.add_bar(
                x=xs,
                y=table[m].to_numpy(dtype=np.float32),
                name=m,
                marker_color=colors[m],
                legendgroup=m,
                showlegend=k == 0,
                visible=k == 0,
                hovertemplate=f"{m}<br>%{{x}}: %{{y:,.2f}} EUR<extra></extra>",
            )
        titles.append(f"Settlement — {label}" if k == 0 else f"Settlement — parties: {label}")
    fig.update_layout(
        title={"text": titles[0]},
        updatemenus=_buttons([v[0] for v in views], len(ids), titles),
        margin={"t": 110},
    )
    fig.update_yaxes(title="EUR (+ receives, − pays)")
    fig.update_xaxes(tickangle=-30)
    return fig


def message_pairs(ri: ReportInput) -> pd.DataFrame:
    """Messages and bytes per model and actor-type pair ``"sender type → receiver type"``."""
    msg = ri.messages
    pair = msg["sender"].map(actor_type) + " → " + msg["receiver"].map(actor_type)
    out = msg.assign(pair=pair.to_numpy()).groupby(["model_id", "pair"], as_index=False)[
        ["messages", "bytes"]
    ]
    return out.sum()


def messages_by_pair(ri: ReportInput) -> go.Figure:
    """Messages per sender → receiver actor-type pair, one horizontal bar per model and pair
    (pairs sorted by total count, largest on top); hover adds the bytes."""
    pairs = message_pairs(ri)
    total = pairs.groupby("pair")["messages"].sum()
    order = sorted(total.index, key=lambda p: (float(total[p]), str(p)))
    n_bars = len(order) * len(ri.model_ids)
    fig = go.Figure(layout={"template": TEMPLATE, "barmode": "group", "height": 200 + 9 * n_bars})
    colors = model_colors(ri)
    for m in ri.model_ids:
        d = pairs.loc[pairs["model_id"] == m].set_index("pair").reindex(order).fillna(0.0)
        fig.add_bar(
            y=order,
            x=d["messages"].to_numpy(dtype=np.float32),
            customdata=d["bytes"].to_numpy(dtype=np.float32),
            orientation="h",
            name=m,
            marker_color=colors[m],
            hovertemplate=f"{m}<br>%{{y}}: %{{x:.0f}} messages, %{{customdata:,.0f}} bytes"
            "<extra></extra>",
        )
    fig.update_layout(title={"text": "Messages per actor pair (sender → receiver)"})
    fig.update_xaxes(title="messages over the day")
    return fig
