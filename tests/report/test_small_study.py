"""End to end on the small study: every kpis.json key has a glossary entry, and two runs give
the same report.html bytes (no clock time, no run time in the report)."""

from __future__ import annotations

import json
from pathlib import Path

from tdcoord.report.glossary import KPI_GLOSSARY, TIMING_KPIS


def test_every_kpi_key_has_a_glossary_entry(small_runs: tuple[Path, Path]) -> None:
    doc = json.loads((small_runs[0] / "kpis.json").read_text())
    keys = sorted({k for m, kpis in doc.items() if m != "_meta" for k in kpis})
    assert keys
    missing = [k for k in keys if k not in KPI_GLOSSARY]
    assert not missing, f"KPI keys without a glossary entry: {missing}"
    for k in keys:
        info = KPI_GLOSSARY[k]
        assert info.description and info.label, k
        assert info.better in ("min", "max", None), k
    assert KPI_GLOSSARY["counter_activations"].unit == "count"


def test_report_is_byte_for_byte_reproducible(small_runs: tuple[Path, Path]) -> None:
    a, b = (f / "report.html" for f in small_runs)
    assert a.read_bytes() == b.read_bytes()
    html = a.read_text()
    assert "created" not in html.lower().split("<body>", 1)[1].split("<main>", 1)[0]
    meta = json.loads((small_runs[0] / "kpis.json").read_text())["_meta"]
    assert meta["provenance"]["created_utc"] in (small_runs[0] / "kpis.json").read_text()
    assert meta["provenance"]["created_utc"] not in html
    assert meta["provenance"]["input_sha256"] in html  # provenance shown in the report
    for key in TIMING_KPIS:
        assert f'<td class="num">{key}' not in html


def test_report_cites_papers_not_files(small_runs: tuple[Path, Path]) -> None:
    html = (small_runs[0] / "report.html").read_text()
    section = html.split('id="qualitative"', 1)[1].split("</section>", 1)[0]
    assert "Global Perspectives on TSO-DSO Coordination Models" in section
    assert ".txt" not in section
