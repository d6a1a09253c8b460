"""Exception family of the HTML comparison report.

Follows :class:`tdcoord.errors.TdcoordError`: what is wrong, where (frame and column), how
to fix it.
"""

from __future__ import annotations

from tdcoord.errors import TdcoordError


class ReportError(TdcoordError, ValueError):
    """Invalid report input: a frame without its required columns, unknown model ids, bad values."""
