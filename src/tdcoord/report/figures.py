"""One plotly figure per report section, each a function of a :class:`ReportInput`.

All figures share one small template (white, light grid) and one colour per model (report
order). Traces are vectorised: one trace per model (or per category), never one per node or per
interval, so a figure stays small for thousands of nodes; numbers go out as float32 typed arrays.
A figure whose data is missing shows a short "not available" note instead of failing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from tdcoord.report.data import ReportInput, bus_key, node_key
from tdcoord.report.glossary import kpi_info
from tdcoord.report.layout import grid_layout
from tdcoord.report.summary import cell_styles, format_value, kpi_columns

PALETTE: tuple[str, ...] = tuple(qualitative.Plotly) + tuple(qualitative.Dark24)
FILL = {"best": "#c9f2d0", "bad": "#f8c4c4", "warn": "#fde6b4", "": "white"}
FONT = {"best": "#0b5d1e", "bad": "#9b0000", "warn": "#7a4b00", "": "#222222"}
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": "Helvetica, Arial, sans-serif", "size": 12, "color": "#222222"},
        paper_bgcolor="white",
        plot_bgcolor="white",
        hovermode="closest",
        xaxis={"gridcolor": "#e6e6e6", "zerolinecolor": "#bbbbbb", "automargin": True},
        yaxis={"gridcolor": "#e6e6e6", "zerolinecolor": "#bbbbbb", "automargin": True},
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"bgcolor": "rgba(255,255,255,0.7)"},
    )
)
PRICE_SCALE = "RdYlBu_r"


def model_colors(ri: ReportInput) -> dict[str, str]:
    """One colour per model id, in report order (cycled beyond the palette)."""
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(ri.model_ids)}


def _f32(values: pd.Series | np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _hours(ri: ReportInput, interval: pd.Series | np.ndarray) -> np.ndarray:
    return _f32(np.asarray(interval, dtype=float) * ri.interval_minutes / 60.0)


def _x_time(ri: ReportInput, interval: pd.Series | np.ndarray) -> dict[str, object]:
    """Time coordinates of a line: ``x0``/``dx`` for consecutive intervals (no array written),
    else explicit hours."""
    iv = np.asarray(interval, dtype=np.int64)
    step = ri.interval_minutes / 60.0
    if len(iv) > 1 and np.all(np.diff(iv) == 1):
        return {"x0": float(iv[0]) * step, "dx": step}
    return {"x": _hours(ri, iv)}


def _time_axis(ri: ReportInput) -> str:
    return f"hour of day (interval = {ri.interval_minutes:g} min)"


def not_available(title: str, why: str) -> go.Figure:
    """An empty figure saying why it is empty."""
    fig = go.Figure(layout={"template": TEMPLATE, "title": title, "height": 200})
    fig.add_annotation(text=why, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _model_dropdown(
    ids: list[str],
    n_static: int,
    per_model: int,
    titles: list[str] | None = None,
    active: int = 0,
) -> list[dict[str, object]]:
    """A dropdown switching between models: ``n_static`` always-visible traces first, then
    ``per_model`` traces per model in ``ids`` order; ``active`` is the model shown first."""
    buttons = []
    for i, m in enumerate(ids):
        vis = [True] * n_static + [j == i for j in range(len(ids)) for _ in range(per_model)]
        args: list[object] = [{"visible": vis}]
        if titles is not None:
            args.append({"title.text": titles[i]})
        buttons.append({"label": m, "method": "update", "args": args})
    return [
        {
            "buttons": buttons,
            "direction": "down",
            "x": 0.0,
            "xanchor": "left",
            "y": 1.13,
            "yanchor": "top",
            "showactive": True,
            "active": active,
        }
    ]


# --------------------------------------------------------------------------- KPI table
def kpi_table(ri: ReportInput) -> go.Figure:
    """KPI table: one row per KPI, one column per model; best value of each KPI in green (where
    the models differ), unresolved violations and failed statuses in red, slacks in amber."""
    kpis = ri.kpis
    cols = kpi_columns(kpis)
    styles = cell_styles(kpis)
    labels = [kpi_info(c).label for c in cols]
    units = [kpi_info(c).unit for c in cols]
    values = [[format_value(c, kpis[c].iloc[r]) for c in cols] for r in range(len(kpis))]
    fills = [["#f4f4f4"] * len(cols), ["#f4f4f4"] * len(cols)]
    fonts = [["#222222"] * len(cols), ["#555555"] * len(cols)]
    for r in range(len(kpis)):
        fills.append([FILL[styles[c].iloc[r]] for c in cols])
        fonts.append([FONT[styles[c].iloc[r]] for c in cols])
    fig = go.Figure(
        go.Table(
            header={
                "values": ["KPI", "unit", *ri.model_ids],
                "fill_color": "#dfe6ee",
                "font": {"size": 12},
                "align": "left",
            },
            cells={
                "values": [labels, units, *values],
                "fill_color": fills,
                "font": {"color": fonts, "size": 12},
                "align": ["left", "left"] + ["right"] * len(kpis),
                "height": 24,
            },
            columnwidth=[2.2, 0.8] + [1.0] * len(kpis),
        ),
        layout={"template": TEMPLATE, "height": 60 + 26 * (len(cols) + 1)},
    )
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 10})
    return fig


# ---------------------------------------------------------------------- cost by actor
def cost_breakdown(ri: ReportInput) -> go.Figure:
    """Stacked bars of each model's total cost by who bears it (negative = income): the
    flexibility each buyer activated, the TSO's redispatch, availability payments, the violation
    penalty and energy not served at VOLL — the components of the KPI ``total_cost``
    (:mod:`tdcoord.kpi.accounting`), so the marked total is the KPI table's total cost."""
    title = "Total cost by who bears it (the sum is the KPI table's total cost)"
    if not ri.has("cost_by_actor"):
        return not_available(title, "No cost breakdown was given for this run.")
    df = ri.cost_by_actor.groupby(["actor", "model_id"], sort=False)["cost_eur"].sum()
    table = df.unstack("model_id").reindex(columns=ri.model_ids).fillna(0.0)
    table = table.loc[sorted(table.index)]
    fig = go.Figure(layout={"template": TEMPLATE, "title": title, "barmode": "relative"})
    for k, actor in enumerate(table.index):
        fig.add_bar(
            x=ri.model_ids,
            y=_f32(table.loc[actor]),
            name=str(actor),
            marker_color=PALETTE[k % len(PALETTE)],
            hovertemplate=f"{actor}<br>%{{x}}: %{{y:,.0f}} EUR<extra></extra>",
        )
    fig.add_scatter(
        x=ri.model_ids,
        y=_f32(table.sum(axis=0)),
        mode="markers",
        name="total cost",
        marker={"symbol": "diamond", "size": 10, "color": "black"},
        hovertemplate="total cost %{x}: %{y:,.0f} EUR<extra></extra>",
    )
    fig.update_yaxes(title="EUR")
    return fig


# ------------------------------------------------------------------------- price maps
def map_interval(prices: pd.DataFrame) -> int:
    """The interval with the widest price spread (max − min over all models and nodes); the
    first such interval on ties."""
    g = prices.groupby("interval")["price_eur_per_mwh"]
    spread = (g.max() - g.min()).sort_index()
    return int(spread.index[int(np.argmax(spread.to_numpy()))])


def map_focus(
    prices: pd.DataFrame, model_ids: list[str], interval: int | None = None
) -> tuple[str, int]:
    """The (model, interval) a price map opens on: where one model's prices differ most across
    the grid, :math:`\\max_{m,t} (\\max_n \\pi_{m,n,t} - \\min_n \\pi_{m,n,t})`, ties to the
    first model in report order, then the earliest interval. When every model's prices are
    uniform over the grid (a copper plate: no spread anywhere), the interval where the models'
    prices differ most from each other (:func:`map_interval`) and the model whose mean price there
    is farthest from the median model's. With ``interval`` fixed, only that interval is searched.
    Only models with prices are candidates, so the map never opens on a model without prices
    (``prices`` must not be empty)."""
    p = prices if interval is None else prices.loc[prices["interval"] == interval]
    if len(p) == 0:
        p = prices
    g = p.groupby(["model_id", "interval"])["price_eur_per_mwh"]
    spread = (g.max() - g.min()).rename("spread").reset_index()
    order = {m: i for i, m in enumerate(model_ids)}
    spread["rank"] = spread["model_id"].map(order).fillna(len(order))
    spread = spread.sort_values(["rank", "interval"], kind="stable")
    if float(spread["spread"].max()) > 1e-9:
        best = spread.iloc[int(np.argmax(spread["spread"].to_numpy()))]
        return str(best["model_id"]), int(best["interval"])
    t = map_interval(p)
    mean = p.loc[p["interval"] == t].groupby("model_id")["price_eur_per_mwh"].mean()
    ranked = sorted(mean.index, key=lambda m: order.get(m, len(order)))
    dev = np.abs(mean.reindex(ranked).to_numpy() - float(np.median(mean.to_numpy())))
    return str(ranked[int(np.argmax(dev))]), t


def uniform_prices(prices: pd.DataFrame) -> bool:
    """Whether every model's price is the same at every node in every interval."""
    g = prices.groupby(["model_id", "interval"])["price_eur_per_mwh"]
    return bool(float((g.max() - g.min()).max()) <= 1e-9)


def _edge_xy(pos: pd.DataFrame, edges: pd.DataFrame) -> tuple[list[float | None], ...]:
    a = pos.reindex(edges["from_id"])[["x", "y"]].to_numpy(dtype=float)
    b = pos.reindex(edges["to_id"])[["x", "y"]].to_numpy(dtype=float)
    n = len(edges)
    xs = np.full(3 * n, np.nan)
    ys = np.full(3 * n, np.nan)
    xs[0::3], xs[1::3] = a[:, 0], b[:, 0]
    ys[0::3], ys[1::3] = a[:, 1], b[:, 1]
    as_list = [[None if np.isnan(v) else round(float(v), 4) for v in arr] for arr in (xs, ys)]
    return as_list[0], as_list[1]


def price_map(ri: ReportInput, kind: str = "dlmp", interval: int | None = None) -> go.Figure:
    """The grid drawn as a network (transmission above, feeders as trees below their interface
    bus), nodes coloured by ``kind`` price (``"lmp"`` on transmission buses, ``"dlmp"`` on feeder
    nodes) at one interval, one trace per model chosen from a dropdown; the colour scale is
    shared by all models so switching compares like with like."""
    name = "LMP" if kind == "lmp" else "DLMP"
    prices = ri.lmp if kind == "lmp" else ri.dlmp
    title = f"{name} map"
    if not ri.has("grid_nodes"):
        return not_available(title, "No grid drawing data (grid_nodes / grid_edges) was given.")
    if len(prices) == 0:
        return not_available(title, f"This run reports no {name}s.")
    ids = [m for m in ri.model_ids if m in set(prices["model_id"])]
    focus, interval = map_focus(prices, ids, interval if interval is not None else ri.map_interval)
    at = prices.loc[prices["interval"] == interval]
    keys = bus_key(at["bus_id"]) if kind == "lmp" else node_key(at["feeder_id"], at["node_id"])
    pos = grid_layout(ri.grid_nodes, ri.grid_edges)
    at = at.assign(key=keys.to_numpy()).loc[keys.isin(pos.index).to_numpy()]
    hour = interval * ri.interval_minutes / 60.0
    fig = go.Figure(layout={"template": TEMPLATE, "height": 620})
    style = {
        "transmission": {"color": "#555555", "width": 2.0},
        "interface": {"color": "#999999", "width": 1.0, "dash": "dot"},
        "feeder": {"color": "#bbbbbb", "width": 1.0},
    }
    n_static = 0
    for ek, line in style.items():
        e = ri.grid_edges.loc[ri.grid_edges["kind"] == ek]
        if len(e):
            ex, ey = _edge_xy(pos, e)
            fig.add_scatter(x=ex, y=ey, mode="lines", line=line, hoverinfo="skip", name=ek)
            n_static += 1
    fig.add_scatter(
        x=_f32(pos["x"]),
        y=_f32(pos["y"]),
        mode="markers",
        marker={"size": 5, "color": "#d0d0d0"},
        text=pos.index.to_numpy(),
        hovertemplate="%{text}<extra></extra>",
        name="nodes without price",
    )
    n_static += 1
    if len(at):
        cmin, cmax = float(at["price_eur_per_mwh"].min()), float(at["price_eur_per_mwh"].max())
    else:
        cmin, cmax = 0.0, 1.0
    if cmax <= cmin:
        cmin, cmax = cmin - 1.0, cmax + 1.0
    flat = " (uniform over the grid in every model)" if uniform_prices(prices) else ""
    titles = []
    for m in ids:
        d = at.loc[at["model_id"] == m]
        p = pos.loc[d["key"]]
        fig.add_scatter(
            x=_f32(p["x"]),
            y=_f32(p["y"]),
            mode="markers",
            visible=m == focus,
            name=m,
            text=d["key"].to_numpy(),
            marker={
                "size": 9 if kind == "lmp" else 8,
                "color": _f32(d["price_eur_per_mwh"]),
                "colorscale": PRICE_SCALE,
                "cmin": cmin,
                "cmax": cmax,
                "line": {"width": 0.5, "color": "#333333"},
                "colorbar": {"title": {"text": "EUR/MWh"}},
            },
            hovertemplate="%{text}<br>%{marker.color:.2f} EUR/MWh<extra>" + m + "</extra>",
        )
        titles.append(f"{name} at {hour:05.2f} h (interval {interval}) — model {m}{flat}")
    fig.update_layout(
        title={"text": titles[ids.index(focus)]},
        updatemenus=_model_dropdown(ids, n_static, 1, titles, active=ids.index(focus)),
        showlegend=False,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def lmp_map(ri: ReportInput, interval: int | None = None) -> go.Figure:
    """Transmission LMPs over the grid drawing (see :func:`price_map`)."""
    return price_map(ri, "lmp", interval)


def dlmp_map(ri: ReportInput, interval: int | None = None) -> go.Figure:
    """Feeder DLMPs over the grid drawing (see :func:`price_map`)."""
    return price_map(ri, "dlmp", interval)


# ------------------------------------------------------------------- interface flows
def ranked_feeders(ri: ReportInput, max_feeders: int) -> list[str]:
    """Feeders ordered by total |actual − scheduled| over all models (largest first, ties by
    feeder id), cut to ``max_feeders``."""
    f = ri.interface_flows
    dev = (f["actual_mw"] - f["scheduled_mw"]).abs().groupby(f["feeder_id"]).sum()
    order = sorted(dev.index, key=lambda k: (-float(dev[k]), str(k)))
    return [str(k) for k in order[:max_feeders]]


def _shares_schedule(sched: dict[str, pd.DataFrame]) -> bool:
    """Whether every model of a feeder has the same agreed schedule (one dashed line then)."""
    first = next(iter(sched.values()))
    return all(
        len(g) == len(first)
        and np.array_equal(g["interval"].to_numpy(), first["interval"].to_numpy())
        and np.allclose(g["scheduled_mw"].to_numpy(), first["scheduled_mw"].to_numpy())
        for g in sched.values()
    )


def _feeder_flow_traces(
    ri: ReportInput, fid: str, sched: dict[str, pd.DataFrame], legend: bool
) -> list[go.Scatter]:
    """One feeder's traces: the shared schedule (dashed black) or one per model, and each
    model's actual flow."""
    colors = model_colors(ri)
    shared = _shares_schedule(sched)
    here: list[go.Scatter] = []
    if shared:
        first = next(iter(sched.values()))
        here.append(
            go.Scatter(
                **_x_time(ri, first["interval"]),
                y=_f32(first["scheduled_mw"]),
                mode="lines",
                line={"color": "black", "dash": "dash", "width": 1.5},
                name="schedule",
                legendgroup="schedule",
                showlegend=legend,
                hovertemplate=f"schedule, feeder {fid}<br>%{{x:.2f}} h: %{{y:.3f}} MW"
                "<extra></extra>",
            )
        )
    for m in ri.model_ids:
        if m not in sched:
            continue
        g = sched[m]
        here.append(
            go.Scatter(
                **_x_time(ri, g["interval"]),
                y=_f32(g["actual_mw"]),
                mode="lines",
                line={"color": colors[m], "width": 1.5},
                name=m,
                legendgroup=m,
                showlegend=legend,
                hovertemplate=f"{m}, feeder {fid}<br>%{{x:.2f}} h: %{{y:.3f}} MW<extra></extra>",
            )
        )
        if not shared:
            here.append(
                go.Scatter(
                    **_x_time(ri, g["interval"]),
                    y=_f32(g["scheduled_mw"]),
                    mode="lines",
                    line={"color": colors[m], "dash": "dash", "width": 1.0},
                    name=f"{m} schedule",
                    legendgroup=m,
                    showlegend=False,
                )
            )
    return here


def interface_flows(ri: ReportInput, max_feeders: int = 12) -> go.Figure:
    """Interface exchange per feeder (MW, + = feeder imports): each model's actual flow as a solid
    line, the agreed schedule dashed (one line when all models share it)."""
    title = "Interface flows against schedules"
    if not ri.has("interface_flows"):
        return not_available(title, "No interface flows were given for this run.")
    feeders = ranked_feeders(ri, max_feeders)
    ncols = min(3, len(feeders))
    nrows = -(-len(feeders) // ncols)
    fig = make_subplots(
        rows=nrows,
        cols=ncols,
        subplot_titles=[f"feeder {f}" for f in feeders],
        shared_xaxes=True,
        vertical_spacing=min(0.12, 0.3 / nrows),
    )
    flows = ri.interface_flows.sort_values(["feeder_id", "model_id", "interval"], kind="stable")
    groups = dict(tuple(flows.groupby(["feeder_id", "model_id"], sort=False)))
    by_feeder: dict[str, dict[str, pd.DataFrame]] = {}
    for (f, m), g in groups.items():
        by_feeder.setdefault(str(f), {})[str(m)] = g
    traces: list[go.Scatter] = []
    rows: list[int] = []
    cols: list[int] = []
    for k, fid in enumerate(feeders):
        here = _feeder_flow_traces(ri, fid, by_feeder[fid], k == 0)
        traces += here
        rows += [k // ncols + 1] * len(here)
        cols += [k % ncols + 1] * len(here)
    fig.add_traces(traces, rows=rows, cols=cols)
    fig.update_layout(template=TEMPLATE, title=title, height=max(320, 230 * nrows))
    fig.update_yaxes(title_text="MW", col=1)
    fig.update_xaxes(title_text=_time_axis(ri), row=nrows)
    return fig


# --------------------------------------------------------------------------- voltages
def voltage_extremes(ri: ReportInput) -> pd.DataFrame:
    """Per model and interval: lowest and highest feeder voltage and where they occur
    (columns model_id, interval, v_min, v_max, at_min, at_max)."""
    v = ri.voltages
    key = node_key(v["feeder_id"], v["node_id"])
    v = v.assign(key=key.to_numpy()).sort_values(["model_id", "interval", "key"], kind="stable")
    g = v.groupby(["model_id", "interval"], sort=True)["v_pu"]
    i_min, i_max = g.idxmin(), g.idxmax()
    return pd.DataFrame(
        {
            "v_min": v.loc[i_min.to_numpy(), "v_pu"].to_numpy(),
            "v_max": v.loc[i_max.to_numpy(), "v_pu"].to_numpy(),
            "at_min": v.loc[i_min.to_numpy(), "key"].to_numpy(),
            "at_max": v.loc[i_max.to_numpy(), "key"].to_numpy(),
        },
        index=i_min.index,
    ).reset_index()


def voltage_limits(ri: ReportInput) -> tuple[float, float]:
    """The tightest limits of the run: max of ``v_min_pu`` and min of ``v_max_pu`` when the
    voltages frame gives them, else ``ReportInput.v_limits_pu``."""
    lo, hi = ri.v_limits_pu
    v = ri.voltages
    if "v_min_pu" in v.columns and v["v_min_pu"].notna().any():
        lo = float(v["v_min_pu"].max())
    if "v_max_pu" in v.columns and v["v_max_pu"].notna().any():
        hi = float(v["v_max_pu"].min())
    return lo, hi


def voltage_profiles(ri: ReportInput) -> go.Figure:
    """Lowest (dotted) and highest (solid) feeder voltage per interval for every model, after AC
    validation, with the voltage limits as red dashed lines; hover names the node."""
    title = "Voltage range on the feeders (AC validation)"
    if not ri.has("voltages"):
        return not_available(title, "No AC validation voltages were given for this run.")
    ext = voltage_extremes(ri)
    colors = model_colors(ri)
    fig = go.Figure(layout={"template": TEMPLATE, "title": title, "height": 450})
    for m in ri.model_ids:
        e = ext.loc[ext["model_id"] == m]
        if len(e) == 0:
            continue
        for col, at, dash, label in (
            ("v_max", "at_max", "solid", "highest"),
            ("v_min", "at_min", "dot", "lowest"),
        ):
            fig.add_scatter(
                **_x_time(ri, e["interval"]),
                y=_f32(e[col]),
                customdata=e[at].to_numpy(),
                mode="lines",
                line={"color": colors[m], "dash": dash, "width": 1.5},
                name=f"{m} {label}",
                legendgroup=m,
                hovertemplate=f"{m} {label}: %{{y:.4f}} pu at %{{customdata}}"
                "<br>%{x:.2f} h<extra></extra>",
            )
    lo, hi = voltage_limits(ri)
    for lim in (lo, hi):
        fig.add_hline(y=lim, line={"color": "#c00000", "dash": "dash", "width": 1.5})
    fig.update_yaxes(title="voltage (pu)")
    fig.update_xaxes(title=_time_axis(ri))
    return fig


# ------------------------------------------------------------------------ activations
def activations(ri: ReportInput, max_products: int = 6) -> go.Figure:
    """Activated energy per model, one panel per product, stacked by DER type; upward
    activations above zero, downward below (MWh × direction)."""
    title = "Activations by DER type and product"
    if not ri.has("activations"):
        return not_available(title, "No flexibility was activated (or none was reported).")
    a = ri.activations.assign(
        signed_mwh=ri.activations["mwh"] * np.sign(ri.activations["direction"])
    )
    vol = a.groupby("product_id")["mwh"].sum()
    products = sorted(vol.index, key=lambda p: (-float(vol[p]), str(p)))
    if len(products) > max_products:
        keep = set(products[: max_products - 1])
        a = a.assign(product_id=a["product_id"].where(a["product_id"].isin(keep), "other"))
        products = [*products[: max_products - 1], "other"]
    der_types = sorted(a["der_type"].unique())
    table = a.groupby(["product_id", "der_type", "model_id"])["signed_mwh"].sum()
    fig = make_subplots(rows=1, cols=len(products), subplot_titles=products, shared_yaxes=True)
    shown: set[str] = set()
    for c, prod in enumerate(products, start=1):
        for k, der in enumerate(der_types):
            y = np.array(
                [float(table.get((prod, der, m), 0.0)) for m in ri.model_ids], dtype=np.float32
            )
            if not np.any(y):
                continue
            fig.add_bar(
                x=ri.model_ids,
                y=y,
                name=str(der),
                legendgroup=str(der),
                showlegend=str(der) not in shown,
                marker_color=PALETTE[k % len(PALETTE)],
                hovertemplate=f"{der}, {prod}<br>%{{x}}: %{{y:.3f}} MWh<extra></extra>",
                row=1,
                col=c,
            )
            shown.add(str(der))
    fig.update_layout(template=TEMPLATE, title=title, barmode="relative", height=420)
    fig.update_yaxes(title_text="MWh (up + / down −)", col=1)
    return fig


# --------------------------------------------------------------------------- messages
def _top(values: pd.Series, n: int) -> list[str]:
    order = sorted(values.index, key=lambda k: (-float(values[k]), str(k)))
    return [str(k) for k in order[:n]]


def messages_heatmap(ri: ReportInput, max_actors: int = 40) -> go.Figure:
    """Messages per ordered actor pair (row = sender, column = receiver), one heatmap per model
    from a dropdown, same colour scale for all models; hover adds the bytes. Actors beyond the
    ``max_actors`` busiest are pooled as ``"others"``."""
    title = "Messages per actor pair"
    if not ri.has("messages"):
        return not_available(title, "No message log was given for this run.")
    msg = ri.messages
    load = (
        pd.concat(
            [msg.groupby("sender")["messages"].sum(), msg.groupby("receiver")["messages"].sum()]
        )
        .groupby(level=0)
        .sum()
    )
    actors = sorted(_top(load, max_actors))
    keep = set(actors)
    if len(load) > len(actors):
        actors.append("others")
    msg = msg.assign(
        sender=msg["sender"].where(msg["sender"].isin(keep), "others"),
        receiver=msg["receiver"].where(msg["receiver"].isin(keep), "others"),
    )
    agg = msg.groupby(["model_id", "sender", "receiver"])[["messages", "bytes"]].sum()
    zmax = float(agg["messages"].max()) if len(agg) else 1.0
    fig = go.Figure(layout={"template": TEMPLATE, "height": 260 + 16 * len(actors)})
    ids = ri.model_ids
    titles = []
    for i, m in enumerate(ids):
        sub = agg.xs(m, level="model_id") if m in agg.index.get_level_values(0) else agg.iloc[:0]
        z = np.full((len(actors), len(actors)), np.nan)
        b = np.zeros((len(actors), len(actors)))
        if len(sub):
            idx = {a: k for k, a in enumerate(actors)}
            si = np.array([idx[s] for s in sub.index.get_level_values(0)])
            ri_ = np.array([idx[r] for r in sub.index.get_level_values(1)])
            z[si, ri_] = sub["messages"].to_numpy()
            b[si, ri_] = sub["bytes"].to_numpy()
        fig.add_heatmap(
            z=_f32(z),
            x=actors,
            y=actors,
            customdata=_f32(b),
            zmin=0.0,
            zmax=zmax,
            colorscale="Blues",
            visible=i == 0,
            name=m,
            colorbar={"title": {"text": "messages"}},
            hovertemplate="%{y} → %{x}<br>%{z:.0f} messages, %{customdata:,.0f} bytes"
            f"<extra>{m}</extra>",
        )
        titles.append(f"{title} — model {m}")
    fig.update_layout(title={"text": titles[0]}, updatemenus=_model_dropdown(ids, 0, 1, titles))
    fig.update_xaxes(title="receiver", tickangle=-45)
    fig.update_yaxes(title="sender", autorange="reversed")
    return fig


# ------------------------------------------------------------------------- settlement
def settlement(ri: ReportInput, max_parties: int = 25) -> go.Figure:
    """Net settlement per party (EUR; + = the party receives money, − = it pays), grouped bars,
    one colour per model. Parties beyond the ``max_parties`` largest are pooled per party kind."""
    title = "Settlement by party"
    if not ri.has("settlement"):
        return not_available(title, "No settlement was given for this run.")
    s = ri.settlement
    size = s.groupby("party")["amount_eur"].apply(lambda v: float(np.abs(v).max()))
    keep = set(_top(size, max_parties))
    party = s["party"].where(s["party"].isin(keep), "other " + s["party_kind"].astype(str))
    s = s.assign(party=party)
    table = s.groupby(["party", "model_id"])["amount_eur"].sum().unstack("model_id")
    kinds = s.drop_duplicates("party").set_index("party")["party_kind"]
    parties = sorted(table.index, key=lambda p: (str(kinds.get(p, "")), str(p)))
    table = table.reindex(index=parties, columns=ri.model_ids).fillna(0.0)
    colors = model_colors(ri)
    fig = go.Figure(layout={"template": TEMPLATE, "title": title, "barmode": "group"})
    for m in ri.model_ids:
        fig.add_bar(
            x=parties,
            y=_f32(table[m]),
            name=m,
            marker_color=colors[m],
            hovertemplate=f"{m}<br>%{{x}}: %{{y:,.2f}} EUR<extra></extra>",
        )
    fig.update_yaxes(title="EUR (+ receives, − pays)")
    fig.update_xaxes(tickangle=-45)
    fig.update_layout(height=480)
    return fig


# --------------------------------------------------------------------------- timeline
SYMBOLS = ("circle", "diamond", "square", "triangle-up", "x", "star", "cross", "triangle-down")


def timeline(ri: ReportInput) -> go.Figure:
    """Events of the operating day (emergencies, operating states, ...) per model over time, one
    marker shape per event kind; hover gives stage and detail."""
    title = "Timeline of events"
    if not ri.has("timeline"):
        return not_available(title, "No events were logged (normal operation all day).")
    t = ri.timeline
    assert t is not None
    events = sorted(t["event"].unique())
    fig = go.Figure(layout={"template": TEMPLATE, "title": title})
    for k, ev in enumerate(events):
        e = t.loc[t["event"] == ev]
        fig.add_scatter(
            x=_hours(ri, e["interval"]),
            y=e["model_id"].to_numpy(),
            mode="markers",
            name=str(ev),
            marker={
                "symbol": SYMBOLS[k % len(SYMBOLS)],
                "size": 11,
                "color": PALETTE[k % len(PALETTE)],
            },
            customdata=np.column_stack(
                [e["stage"].astype(str).to_numpy(), e["detail"].astype(str).to_numpy()]
            ),
            hovertemplate=f"{ev}<br>%{{y}}, %{{customdata[0]}}, %{{x:.2f}} h<br>"
            "%{customdata[1]}<extra></extra>",
        )
    fig.update_yaxes(categoryorder="array", categoryarray=ri.model_ids[::-1], title="model")
    fig.update_xaxes(title=_time_axis(ri))
    fig.update_layout(height=max(260, 120 + 30 * len(ri.model_ids)))
    return fig
