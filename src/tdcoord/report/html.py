"""Write the comparison report: one self-contained, offline, deterministic HTML file.

plotly.js is embedded once, inline, in the page head (no CDN, no network request); each figure is
a ``<div>`` with a fixed id (``fig-<section>``) so the same :class:`ReportInput` gives the same
bytes on every run. No clock time and no run time is written (they go to ``kpis.json`` and the
terminal), so two runs of one study give identical bytes. CSS is inline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

from tdcoord.json_output import json_safe
from tdcoord.report import figures as fg
from tdcoord.report.actors import messages_by_pair, settlement_by_type
from tdcoord.report.answer import reading
from tdcoord.report.data import ReportInput
from tdcoord.report.equivalence import equivalence_groups, shown_columns
from tdcoord.report.errors import ReportError
from tdcoord.report.glossary import KPI_GLOSSARY, kpi_info
from tdcoord.report.sources import cite_text
from tdcoord.report.summary import cell_styles, format_value, headline, kpi_columns
from tdcoord.report.voltage_nodes import worst_voltage_nodes

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}

CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa;line-height:1.45}
header{background:#1f3b57;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px 0;font-size:24px} header p{margin:0;opacity:.85}
nav{background:#eef2f6;padding:8px 32px;position:sticky;top:0;z-index:10;
border-bottom:1px solid #d5dde6}
nav a{margin-right:14px;color:#1f3b57;text-decoration:none;font-size:14px}
main{padding:8px 32px 40px 32px;max-width:1400px}
section{background:#fff;border:1px solid #e2e2e2;border-radius:6px;padding:12px 20px;margin:18px 0}
h2{color:#1f3b57;margin-top:6px} h3{color:#1f3b57}
.read{background:#f3f6f9;border-left:4px solid #7a9cc0;padding:6px 12px;font-size:14px}
.headline{font-size:18px;background:#e9f6ec;border-left:5px solid #2e8b57;padding:10px 14px}
.headline.none{background:#fdecec;border-left-color:#c00000}
.note{color:#7a4b00;background:#fff7e6;border-left:4px solid #e0a000;padding:6px 12px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #dcdcdc;padding:4px 8px;vertical-align:top}
th{background:#eef2f6;text-align:left} td.num{text-align:right;font-variant-numeric:tabular-nums}
td.best{background:#c9f2d0;color:#0b5d1e;font-weight:bold}
td.bad{background:#f8c4c4;color:#9b0000;font-weight:bold}
td.warn{background:#fde6b4;color:#7a4b00}
.wide{overflow-x:auto} .legend span{padding:2px 8px;margin-right:8px;font-size:13px}
.q-good{background:#c9f2d0} .q-mid{background:#fde6b4} .q-poor{background:#f8c4c4}
code{background:#f1f1f1;padding:0 3px}
"""

SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("kpis", "KPI table"),
    ("costs", "Total cost by who bears it"),
    ("maps", "Price maps"),
    ("interface", "Interface flows"),
    ("voltages", "Voltages"),
    ("activations", "Activations"),
    ("messages", "Messages"),
    ("settlement", "Settlement"),
    ("timeline", "Events"),
    ("qualitative", "Qualitative attributes"),
    ("provenance", "Provenance"),
)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The plotly.js bundle shipped with the installed plotly (read once per process)."""
    js: str = get_plotlyjs()
    return js


def _figure_html(fig: go.Figure, div_id: str) -> str:
    """A figure as a ``<div>`` with a fixed id; plotly.js is not included (it is in the head)."""
    html: str = pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id=div_id,
        config=PLOTLY_CONFIG,
        default_height=f"{int(fig.layout.height or 450)}px",
        validate=False,
    )
    return html


def _read(text: str) -> str:
    return f'<p class="read"><b>How to read:</b> {text}</p>'


def _note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def _table(header: list[str], rows: list[list[str]], classes: list[list[str]] | None = None) -> str:
    """An HTML table of already-escaped cells (``classes`` per cell, optional)."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, cell in enumerate(row):
            cls = classes[r][c] if classes is not None else ""
            cells.append(f'<td class="{cls}">{cell}</td>' if cls else f"<td>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="wide"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def _section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{escape(title)}</h2>{body}</section>'


def _figure_or_note(
    ri: ReportInput, frame: str, make: Callable[[], go.Figure], div: str, missing: str
) -> str:
    if not ri.has(frame):
        return _note(missing)
    return _figure_html(make(), div)


# ----------------------------------------------------------------------------- sections
def _summary(ri: ReportInput) -> str:
    m = ri.models
    rows = [
        [escape(str(r[c])) for c in ("model_id", "name", "region", "scheme", "params")]
        for _, r in m.iterrows()
    ]
    h = headline(ri)
    lines = reading(ri)
    cls = "headline" if h.model_id is not None else "headline none"
    head = f'<p class="{cls}">{escape(lines[0])}</p>'
    items = "".join(f"<li>{escape(s)}</li>" for s in lines[1:])
    items += "".join(f"<li>{escape(s)}</li>" for s in _equivalence_lines(ri))
    return (
        f"<p>This report compares {len(m)} TSO–DSO coordination model(s) run by "
        f"<code>tdcoord compare</code> on study <b>{escape(ri.study_name)}</b>: the same "
        "transmission grid, feeders, DER fleet, offers and day for every model, so differences "
        "come from the coordination scheme alone.</p>"
        + head
        + f"<ul>{items}</ul>"
        + "<h3>Models compared</h3>"
        + _table(["model id", "name", "region", "scheme", "parameters"], rows)
    )


def _equivalence_lines(ri: ReportInput) -> list[str]:
    """One sentence per declared equivalence group of this run."""
    out = []
    for g in equivalence_groups(ri):
        same = " ≡ ".join(g.ids)
        if g.identical:
            out.append(
                f"{same} are declared the same mechanism ({g.reason}); identical KPIs "
                "here, shown once in the KPI table."
            )
        else:
            out.append(
                f"{same} are declared the same mechanism ({g.reason}), but their KPIs "
                "differ on this study: each keeps its own column."
            )
    return out


def _kpis(ri: ReportInput) -> str:
    shown = shown_columns(ri)
    kpis = ri.kpis.set_index("model_id").loc[[m for m, _ in shown]].reset_index()
    cols = kpi_columns(kpis)
    styles = cell_styles(kpis)
    header = ["KPI", "unit", *[escape(h) for _, h in shown]]
    rows, classes = [], []
    for c in cols:
        info = kpi_info(c)
        rows.append(
            [
                f'<span title="{escape(info.description)}">{escape(info.label)}</span>',
                escape(info.unit),
            ]
            + [escape(format_value(c, kpis[c].iloc[r])) for r in range(len(kpis))]
        )
        classes.append(["", ""] + [f"num {styles[c].iloc[r]}".strip() for r in range(len(kpis))])
    legend = (
        '<p class="legend"><span class="q-good">best value of the KPI</span>'
        '<span style="background:#f8c4c4">unresolved violation / failed</span>'
        '<span style="background:#fde6b4">solved with priced slacks</span></p>'
    )
    gl_keys = list(KPI_GLOSSARY) + [c for c in cols if c not in KPI_GLOSSARY]
    better = {"min": "lower", "max": "higher", None: "—"}
    glossary = _table(
        ["key", "KPI", "unit", "better", "meaning"],
        [
            [
                f"<code>{escape(k)}</code>",
                escape(kpi_info(k).label),
                escape(kpi_info(k).unit),
                better[kpi_info(k).better],
                escape(kpi_info(k).description),
            ]
            for k in gl_keys
        ],
    )
    return (
        _read(
            "one column per model, one row per KPI (hover a KPI name for its definition). "
            "Green marks the best value of a row where the models differ, red an unresolved grid "
            "violation after AC validation or a failed solve. Total cost already prices violations "
            "at the same penalties for every model, so it is the fair single number to compare."
        )
        + legend
        + _table(header, rows, classes)
        + "<h3>Glossary</h3>"
        + glossary
    )


def _cost_reconciliation(ri: ReportInput) -> str:
    """Per model: the chart's total, the KPI table's total cost and their difference (0 up to
    rounding: the chart stacks the components of total cost)."""
    if "total_cost" not in ri.kpis.columns:
        return ""
    chart = ri.cost_by_actor.groupby("model_id")["cost_eur"].sum()
    rows = []
    for m, total in zip(ri.model_ids, ri.kpis["total_cost"], strict=True):
        p = float(chart.get(m, 0.0))
        t = float(total)
        rows.append([escape(m), format_value("total_cost", p), format_value("total_cost", t),
                     format_value("total_cost", t - p)])
    header = ["model", "chart total EUR", "total cost (KPI table) EUR", "difference EUR"]
    return (
        "<p>The chart's total is the KPI table's <b>total cost</b>: procurement by buyer + "
        "redispatch + availability + violation penalty + energy not served. Exogenous cost "
        "(shedding an event imposes on every model) and operation cost are outside it.</p>"
        + _table(header, rows)
    )


def _costs(ri: ReportInput) -> str:
    body = _read(
        "total cost: one bar per model, split by who bears it — the flexibility each buyer "
        "activated (TSO, each DSO, platform, ...), the TSO's redispatch, availability payments, "
        "the penalty for violations left after validation and energy not served at the value "
        "of lost load; negative parts are income. The black diamond is the total, equal to "
        "the KPI table's total cost (see the table below the chart)."
    ) + _figure_or_note(
        ri,
        "cost_by_actor",
        lambda: fg.cost_breakdown(ri),
        "fig-costs",
        "No cost breakdown by actor was given for this run.",
    )
    return body + (_cost_reconciliation(ri) if ri.has("cost_by_actor") else "")


def _maps(ri: ReportInput) -> str:
    out = _read(
        "the grid drawn as a network: transmission buses on top, each distribution feeder as a "
        "tree hanging below the bus of its T–D interface (dotted). Node colour is the locational "
        "price at one interval (the one where prices differ most, named in the title); choose the "
        "model from the menu at the top left. Same colour scale for all models. Red nodes are "
        "expensive to serve (congestion or voltage limits bind), blue cheap. Grey nodes have no "
        "price in this map."
    )
    out += "<h3>Transmission LMPs</h3>" + _figure_or_note(
        ri,
        "lmp",
        lambda: fg.lmp_map(ri),
        "fig-lmp-map",
        "This run reports no transmission LMPs (e.g. a zonal/copper-plate preset).",
    )
    out += "<h3>Distribution DLMPs</h3>" + _figure_or_note(
        ri,
        "dlmp",
        lambda: fg.dlmp_map(ri),
        "fig-dlmp-map",
        "This run reports no distribution DLMPs (no model priced the feeders).",
    )
    return out


def _interface(ri: ReportInput) -> str:
    out = _read(
        "one panel per feeder (the ones with the largest deviations first): the exchange with "
        "transmission in MW (+ = the feeder imports), solid per model, dashed the agreed "
        "schedule. Gaps between solid and dashed are interface schedule deviations."
    )
    if ri.has("interface_flows"):
        n = ri.interface_flows["feeder_id"].nunique()
        if n > 12:
            out += _note(f"{n} feeders: the 12 with the largest total deviation are shown.")
    return out + _figure_or_note(
        ri,
        "interface_flows",
        lambda: fg.interface_flows(ri),
        "fig-interface",
        "No interface flows were given for this run.",
    )


def _voltages(ri: ReportInput) -> str:
    return _read(
        "the feeder nodes that come closest to, or go furthest past, their voltage limits after "
        "the AC power flow of the final dispatch: one row per node (worst first), one column per "
        "model. Red cells are outside the limits by that many pu (an unresolved voltage "
        "violation), blue cells stay inside with that margin. Hover gives the worst voltage and "
        "the hour it occurs."
    ) + _figure_or_note(
        ri,
        "voltages",
        lambda: worst_voltage_nodes(ri),
        "fig-voltages",
        "No AC validation voltages were given for this run.",
    )


def _activations(ri: ReportInput) -> str:
    return _read(
        "energy activated over the day per model, one panel per product, coloured by DER type; "
        "upward flexibility above zero, downward below. Bars both above and below zero in one "
        "model can mean counter-activations (see the KPI table)."
    ) + _figure_or_note(
        ri,
        "activations",
        lambda: fg.activations(ri),
        "fig-activations",
        "No activations were reported for this run.",
    )


def _messages(ri: ReportInput) -> str:
    return _read(
        "how many messages each kind of actor sends to each other kind over the day "
        "(sender → receiver: TSO, DSO, platform, aggregator/FSP, DER owner, BRP), one bar per "
        "model. Longer bars mean more coordination traffic; hover shows the bytes."
    ) + _figure_or_note(
        ri,
        "messages",
        lambda: messages_by_pair(ri),
        "fig-messages",
        "No message log was given for this run.",
    )


def _imbalance_note(ri: ReportInput) -> str:
    """Who pays whom in imbalance settlement, and why it dwarfs procurement
    (docs/settlement.md, "Imbalance in a comparison")."""
    k = ri.kpis
    if "imbalance_paid_by_brps_eur" not in k.columns:
        return ""
    rows = [
        [escape(str(r["model_id"]))]
        + [
            format_value(c, r[c]) if c in k.columns else "–"
            for c in ("imbalance_mwh", "imbalance_paid_by_brps_eur", "procurement_cost")
        ]
        for _, r in k.iterrows()
    ]
    header = ["model", "imbalance MWh", "imbalance paid by BRPs EUR", "procurement EUR"]
    return (
        "<p><b>Imbalance is not a cost of coordination.</b> Each seller's balance responsible "
        "party (BRP: its aggregator) declared a position (its intraday forecast); the meter "
        "shows something else — forecast error of its whole portfolio plus any flexibility not "
        "delivered. The BRP pays the TSO (the imbalance counterparty) for that gap at the "
        "single imbalance price (day-ahead price, plus the marginal TSO bid when the system is "
        "short). Procurement pays only a service price for the small volume activated, so "
        "imbalance can be hundreds of times larger. It is a transfer between BRPs and the "
        "TSO, shown in the settlement and not in total cost.</p>"
        + _table(header, rows)
    )


def _settlement(ri: ReportInput) -> str:
    out = _read(
        "net money over the day per actor type (TSO, DSO, platform, aggregator/FSP, DER owner, "
        "BRP), one bar per model: positive = receives (e.g. an aggregator paid for "
        "flexibility), negative = pays (e.g. a buying operator). The buttons above the chart "
        "drill down to the parties of one actor type."
    )
    if not ri.has("settlement"):
        return out + _note("No settlement was given for this run.")
    net = ri.settlement.groupby("model_id")["amount_eur"].sum().reindex(ri.model_ids)
    rows = [
        [escape(m), f"{0.0 if np.isnan(v) else float(v):,.2f}"]
        for m, v in zip(ri.model_ids, net.to_numpy(), strict=True)
    ]
    out += _figure_html(settlement_by_type(ri), "fig-settlement")
    out += _imbalance_note(ri)
    out += (
        "<p>Sum of all statements per model (zero when every payer and payee, congestion rent "
        "included, is a party):</p>" + _table(["model", "net EUR"], rows)
    )
    return out


def _timeline(ri: ReportInput) -> str:
    return _read(
        "events of the operating day per model: operating-state changes (normal, alert, "
        "emergency), line trips, feeder faults, islanding, load-shedding orders. Hover for the "
        "stage and detail."
    ) + _figure_or_note(
        ri,
        "timeline",
        lambda: fg.timeline(ri),
        "fig-timeline",
        "No events were logged for this run (normal operation all day).",
    )


#: Better direction of each qualitative attribute: high neutrality and transparency are good,
#: high implementation complexity is bad.
QUALITY_BETTER: dict[str, str] = {"neutrality": "high", "transparency": "high", "complexity": "low"}


def quality_class(attribute: str, level: str) -> str:
    """CSS class of a qualitative ``level`` judged in ``attribute``'s own better direction:
    ``q-good`` (the better end), ``q-mid`` (medium), ``q-poor`` (the worse end), ``""``."""
    lv = level.strip().lower()
    if lv == "medium":
        return "q-mid"
    if lv not in ("high", "low"):
        return ""
    return "q-good" if lv == QUALITY_BETTER.get(attribute, "high") else "q-poor"


def _qualitative(ri: ReportInput) -> str:
    m = ri.models
    attrs = ("neutrality", "transparency", "complexity")
    header = ["model", *attrs, "source"]
    rows, classes = [], []
    for _, r in m.iterrows():
        row = [escape(str(r["model_id"]))]
        cls = [""]
        for a in attrs:
            note = str(r.get(f"{a}_note", "") or "")
            note = "" if note == "nan" else note
            row.append(f"<b>{escape(str(r[a]))}</b>" + (f"<br>{escape(note)}" if note else ""))
            cls.append(quality_class(a, str(r[a])))
        src = str(r.get("source", "") or "")
        row.append(escape("" if src == "nan" else cite_text(src)))
        cls.append("")
        rows.append(row)
        classes.append(cls)
    return _read(
        "how each source assesses the model: <b>neutrality</b> (is the market operator neutral "
        "towards the parties it serves?), <b>transparency</b> (can parties see prices, needs and "
        "why they were (not) activated?), <b>complexity</b> (how hard is it to implement: "
        "systems, data exchange, regulation). These are qualitative readings of the seeds, not "
        "computed numbers. Each attribute is coloured in its own better direction: green is "
        "high neutrality, high transparency, <i>low</i> complexity; red the opposite. Sources "
        "are cited by paper title and section."
    ) + _table(header, rows, classes)


def _jsonish(v: Any) -> str:
    """Provenance values as text; containers under the project's one JSON rule
    (:mod:`tdcoord.json_output`: non-finite numbers become ``null``)."""
    if isinstance(v, dict | list | tuple):
        return json.dumps(json_safe(v), sort_keys=True, default=str, allow_nan=False)
    return str(v)


def _input_hash(ri: ReportInput) -> str:
    """The inputs' hash from the provenance (first key naming a hash/sha), else "not given"."""
    for k in sorted(ri.provenance):
        if "hash" in str(k) or "sha" in str(k):
            return f"{k} {_jsonish(ri.provenance[k])}"
    return "hash not given"


def _provenance(ri: ReportInput) -> str:
    rows = [["study", escape(ri.study_name)]]
    rows += [[escape(str(k)), escape(_jsonish(ri.provenance[k]))] for k in sorted(ri.provenance)]
    return _table(["item", "value"], rows) + (
        "<p>Rerunning the same study with the same versions reproduces this report byte for "
        "byte: it holds no clock time and no run time (those are in <code>kpis.json</code>'s "
        "<code>_meta</code> and the terminal).</p>"
    )


BUILDERS: dict[str, Callable[[ReportInput], str]] = {
    "summary": _summary,
    "kpis": _kpis,
    "costs": _costs,
    "maps": _maps,
    "interface": _interface,
    "voltages": _voltages,
    "activations": _activations,
    "messages": _messages,
    "settlement": _settlement,
    "timeline": _timeline,
    "qualitative": _qualitative,
    "provenance": _provenance,
}


def render_report(ri: ReportInput) -> str:
    """The whole report as one HTML string (plotly.js inline once, no external reference)."""
    if not isinstance(ri, ReportInput):
        raise ReportError(
            f"render_report needs a ReportInput, got {type(ri).__name__}",
            where="tdcoord.report.render_report",
            fix="build a tdcoord.report.ReportInput from the comparison run",
        )
    title = f"tdcoord comparison — {ri.study_name}"
    nav = "".join(f'<a href="#{sid}">{escape(t)}</a>' for sid, t in SECTIONS)
    body = "".join(_section(sid, t, BUILDERS[sid](ri)) for sid, t in SECTIONS)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<style>{CSS}</style>\n"
        f'<script type="text/javascript">{plotly_js()}</script>\n'
        "</head>\n<body>\n"
        f"<header><h1>{escape(title)}</h1><p>{len(ri.model_ids)} models · inputs "
        f"{escape(_input_hash(ri))}</p></header>\n"
        f"<nav>{nav}</nav>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def write_report(report_input: ReportInput, path: str | Path) -> Path:
    """Write the report to ``path`` (parent folders created) and return the path.

    Same input → same bytes (fixed figure ids, no clock read). UTF-8, ``\\n`` line ends."""
    text = render_report(report_input)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(text.encode("utf-8"))
    return out
