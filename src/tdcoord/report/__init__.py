"""The self-contained HTML report of a model comparison (``tdcoord compare``).

:class:`ReportInput` holds what the report shows (long-format pandas frames); :func:`write_report`
writes one offline HTML file (plotly.js embedded once); :mod:`tdcoord.report.figures` builds each
figure on its own for notebooks.
"""

from tdcoord.report.data import FRAME_SCHEMAS, ReportInput, empty_frame
from tdcoord.report.errors import ReportError
from tdcoord.report.glossary import KPI_GLOSSARY, KpiInfo
from tdcoord.report.html import render_report, write_report

__all__ = [
    "FRAME_SCHEMAS",
    "KPI_GLOSSARY",
    "KpiInfo",
    "ReportError",
    "ReportInput",
    "empty_frame",
    "render_report",
    "write_report",
]
