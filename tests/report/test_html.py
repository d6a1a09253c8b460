"""The written report: self-contained, offline, complete, deterministic, reasonably small."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tdcoord.report import ReportError, ReportInput, render_report, write_report

from .synthetic import synthetic_input


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = write_report(
        synthetic_input(n_models=3, n_feeders=2), tmp_path_factory.mktemp("r") / "a" / "report.html"
    )
    assert path.exists() and path.name == "report.html"
    return path.read_text(encoding="utf-8")


def test_contains_every_model_and_every_section(html: str) -> None:
    ri = synthetic_input(n_models=3, n_feeders=2)
    for m in ri.model_ids:
        assert m in html
    for sid in (
        "summary",
        "kpis",
        "costs",
        "maps",
        "interface",
        "voltages",
        "activations",
        "messages",
        "settlement",
        "timeline",
        "qualitative",
        "provenance",
    ):
        assert f'<section id="{sid}">' in html
    for div in (
        "fig-costs",
        "fig-lmp-map",
        "fig-dlmp-map",
        "fig-interface",
        "fig-voltages",
        "fig-activations",
        "fig-messages",
        "fig-settlement",
        "fig-timeline",
    ):
        assert html.count(f'id="{div}"') == 1
    assert "abc123" in html  # provenance input hash
    assert "operator is independent" in html  # qualitative note
    for key in ("total_cost", "counter_activations", "parties_per_der", "compute_s"):
        assert f"<code>{key}</code>" in html  # glossary covers every KPI key


def test_offline_with_plotly_embedded_once(html: str) -> None:
    assert re.search(r"<script[^>]*\bsrc\s*=", html) is None
    assert "<link" not in html and "@import" not in html
    assert html.count("plotly.js v") == 1
    assert html.count("Plotly.newPlot(") == 9


def test_headline_names_the_cheapest_clean_model(html: str) -> None:
    ri = synthetic_input(n_models=3, n_feeders=2)
    k = ri.kpis
    clean = k.loc[k["unresolved_violations"] == 0]
    best = clean.loc[clean["total_cost"].idxmin(), "model_id"]
    assert f"Answer: {best} is the cheapest model that leaves no unresolved violation" in html


def test_deterministic_bytes(html: str, tmp_path: Path) -> None:
    again = write_report(synthetic_input(n_models=3, n_feeders=2), tmp_path / "b.html")
    assert again.read_bytes() == html.encode("utf-8")


def test_missing_optional_frames_render_with_notes() -> None:
    text = render_report(
        synthetic_input(dlmp=pd.DataFrame(), voltages=pd.DataFrame(), timeline=None)
    )
    assert "This run reports no distribution DLMPs" in text
    assert "No AC validation voltages were given" in text
    assert 'id="fig-dlmp-map"' not in text and 'id="fig-lmp-map"' in text


def test_user_text_is_escaped() -> None:
    full = synthetic_input()
    ri = ReportInput(
        study_name="<script>alert(1)</script>",
        provenance={"note": "<b>x</b>"},
        models=full.models.assign(name="A & B <i>"),
        kpis=full.kpis,
    )
    text = render_report(ri)
    assert "<script>alert(1)</script>" not in text and "<b>x</b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "A &amp; B &lt;i&gt;" in text
    assert "No cost breakdown by actor was given" in text  # only models and KPIs given


def test_render_rejects_other_input() -> None:
    with pytest.raises(ReportError, match="ReportInput"):
        render_report({"models": []})  # type: ignore[arg-type]


def test_size_for_a_large_comparison(tmp_path: Path) -> None:
    # 12 models, 12 feeders × 15 nodes, 96 intervals: the size target (< 6 MB with
    # the 4.8 MB plotly.js bundle).
    ri = synthetic_input(n_models=12, n_feeders=12, n_nodes=15, n_intervals=96)
    size = write_report(ri, tmp_path / "big.html").stat().st_size
    assert size < 6_000_000
